-- A second hand: text columns, constraints named by hand, unique indexes instead of UNIQUE
-- constraints, a foreign key without ON DELETE CASCADE, a redundant index, an audit table the
-- schema does not know, trigger names of its own, NULL arrays.
CREATE TABLE users (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    email text NOT NULL,
    password_hash text NOT NULL,
    created_at timestamptz DEFAULT now(),
    updated_at timestamptz DEFAULT now(),
    CONSTRAINT users_pk PRIMARY KEY (id)
);
CREATE UNIQUE INDEX users_email_unique ON users (email);
CREATE UNIQUE INDEX users_email_ci ON users (lower(email));

CREATE TABLE sessions (
    id uuid DEFAULT gen_random_uuid() PRIMARY KEY,
    user_id uuid NOT NULL,
    token text NOT NULL,
    expires_at timestamptz NOT NULL,
    created_at timestamptz DEFAULT now() NOT NULL,
    updated_at timestamptz DEFAULT now() NOT NULL,
    CONSTRAINT sessions_token_key UNIQUE (token),
    CONSTRAINT fk_sessions_user FOREIGN KEY (user_id) REFERENCES users (id)
);
CREATE INDEX sessions_by_user ON sessions (user_id);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
CREATE INDEX sessions_token_lookup ON sessions (token);

CREATE TABLE software_background (
    id uuid DEFAULT gen_random_uuid() PRIMARY KEY,
    user_id uuid NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    experience_level text NOT NULL,
    preferred_languages text[],
    preferred_frameworks text[] DEFAULT '{}',
    created_at timestamptz DEFAULT now(),
    updated_at timestamptz DEFAULT now()
);
CREATE INDEX software_background_preferred_languages_idx ON software_background USING gin (preferred_languages);
CREATE INDEX sb_frameworks ON software_background USING gin (preferred_frameworks);

CREATE TABLE hardware_background (
    id uuid DEFAULT gen_random_uuid() PRIMARY KEY,
    user_id uuid NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    experience_level text NOT NULL CHECK (experience_level = ANY (ARRAY['beginner', 'intermediate', 'advanced', 'expert'])),
    preferred_platforms text[],
    device_types text[],
    created_at timestamptz DEFAULT now(),
    updated_at timestamptz DEFAULT now()
);
CREATE INDEX hb_platforms ON hardware_background USING gin (preferred_platforms);
CREATE INDEX hb_devices ON hardware_background USING gin (device_types);

CREATE TABLE audit_log (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, note text);

CREATE FUNCTION update_updated_at_column() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$;
CREATE TRIGGER touch_users BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER touch_sessions BEFORE UPDATE ON sessions FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER touch_software BEFORE UPDATE ON software_background FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER touch_hardware BEFORE UPDATE ON hardware_background FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();

INSERT INTO users (id, email, password_hash, created_at, updated_at) VALUES
    ('00000000-0000-0000-0000-00000000000a', 'mixed@example.com', 'h1', '2024-05-01 00:00:00+00', '2024-05-01 00:00:00+00'),
    ('00000000-0000-0000-0000-00000000000b', 'other@example.com', 'h2', '2024-05-02 00:00:00+00', '2024-05-03 00:00:00+00');
INSERT INTO sessions (id, user_id, token, expires_at, created_at, updated_at) VALUES
    ('10000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0000-00000000000a', 'mixed-token', '2027-01-01 00:00:00+00', '2024-05-01 00:00:00+00', '2024-05-01 00:00:00+00');
INSERT INTO software_background (id, user_id, experience_level, preferred_languages, created_at, updated_at) VALUES
    ('20000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0000-00000000000a', 'intermediate', NULL, '2024-05-01 00:00:00+00', '2024-05-01 00:00:00+00');
INSERT INTO hardware_background (id, user_id, experience_level, preferred_platforms, device_types, created_at, updated_at) VALUES
    ('30000000-0000-0000-0000-00000000000b', '00000000-0000-0000-0000-00000000000b', 'expert', '{esp32}', NULL, '2024-05-02 00:00:00+00', '2024-05-02 00:00:00+00');
INSERT INTO audit_log (note) VALUES ('legacy row');
