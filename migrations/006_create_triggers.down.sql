-- Undoes 006_create_triggers.sql.
DROP TRIGGER hardware_background_set_updated_at ON hardware_background;
DROP TRIGGER software_background_set_updated_at ON software_background;
DROP TRIGGER sessions_set_updated_at ON sessions;
DROP TRIGGER users_set_updated_at ON users;
DROP FUNCTION update_updated_at_column();
