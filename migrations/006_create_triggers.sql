-- Auto-update triggers: every UPDATE sets updated_at to the time of its transaction.
CREATE FUNCTION update_updated_at_column() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at = now();
    RETURN NEW;
END;
$$;

CREATE TRIGGER users_set_updated_at
    BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();

CREATE TRIGGER sessions_set_updated_at
    BEFORE UPDATE ON sessions
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();

CREATE TRIGGER software_background_set_updated_at
    BEFORE UPDATE ON software_background
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();

CREATE TRIGGER hardware_background_set_updated_at
    BEFORE UPDATE ON hardware_background
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
