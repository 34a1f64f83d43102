-- A database built by the seed's run_migrations.py from SQL written to the seed README's own
-- description, with the obvious choices: VARCHAR(255), timestamps with a default but nullable,
-- nullable TEXT[], idx_* index names, update_*_updated_at triggers, CURRENT_TIMESTAMP.
CREATE TABLE users (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    email VARCHAR(255) UNIQUE NOT NULL,
    password_hash VARCHAR(255) NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE sessions (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token VARCHAR(255) UNIQUE NOT NULL,
    expires_at TIMESTAMP WITH TIME ZONE NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE software_background (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID UNIQUE NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    experience_level VARCHAR(50) NOT NULL CHECK (experience_level IN ('beginner', 'intermediate', 'advanced', 'expert')),
    preferred_languages TEXT[],
    preferred_frameworks TEXT[],
    created_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE hardware_background (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID UNIQUE NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    experience_level VARCHAR(50) NOT NULL CHECK (experience_level IN ('beginner', 'intermediate', 'advanced', 'expert')),
    preferred_platforms TEXT[],
    device_types TEXT[],
    created_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX idx_sessions_token ON sessions(token);
CREATE INDEX idx_sessions_user_id ON sessions(user_id);
CREATE INDEX idx_sessions_expires_at ON sessions(expires_at);
CREATE INDEX idx_software_background_languages ON software_background USING GIN(preferred_languages);
CREATE INDEX idx_software_background_frameworks ON software_background USING GIN(preferred_frameworks);
CREATE INDEX idx_hardware_background_platforms ON hardware_background USING GIN(preferred_platforms);
CREATE INDEX idx_hardware_background_devices ON hardware_background USING GIN(device_types);

CREATE OR REPLACE FUNCTION update_updated_at_column()
RETURNS TRIGGER AS $$
BEGIN
    NEW.updated_at = CURRENT_TIMESTAMP;
    RETURN NEW;
END;
$$ language 'plpgsql';

CREATE TRIGGER update_users_updated_at BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER update_sessions_updated_at BEFORE UPDATE ON sessions
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER update_software_background_updated_at BEFORE UPDATE ON software_background
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER update_hardware_background_updated_at BEFORE UPDATE ON hardware_background
    FOR EACH ROW EXECUTE PROCEDURE update_updated_at_column();

-- Rows in every table, some arrays NULL.
INSERT INTO users (id, email, password_hash, created_at, updated_at) VALUES
    ('00000000-0000-0000-0000-000000000001', 'ada@example.com', '$argon2id$x', '2025-01-01 10:00:00+00', '2025-01-02 10:00:00+00'),
    ('00000000-0000-0000-0000-000000000002', 'Grace@Example.com', '$argon2id$y', '2025-02-01 10:00:00+00', '2025-02-01 10:00:00+00'),
    ('00000000-0000-0000-0000-000000000003', 'linus@example.com', '$argon2id$z', '2025-03-01 10:00:00+00', '2025-03-05 10:00:00+00');
INSERT INTO sessions (id, user_id, token, expires_at, created_at, updated_at) VALUES
    ('10000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-000000000001', 'tok-a', '2026-01-01 00:00:00+00', '2025-06-01 00:00:00+00', '2025-06-01 00:00:00+00'),
    ('10000000-0000-0000-0000-000000000002', '00000000-0000-0000-0000-000000000002', 'tok-b', '2026-02-01 00:00:00+00', '2025-06-02 00:00:00+00', '2025-06-02 00:00:00+00');
INSERT INTO software_background (id, user_id, experience_level, preferred_languages, preferred_frameworks, created_at, updated_at) VALUES
    ('20000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-000000000001', 'expert', '{rust,sql}', NULL, '2025-01-01 10:00:00+00', '2025-01-01 10:00:00+00'),
    ('20000000-0000-0000-0000-000000000002', '00000000-0000-0000-0000-000000000002', 'beginner', NULL, '{django}', '2025-02-01 10:00:00+00', '2025-02-01 10:00:00+00');
INSERT INTO hardware_background (id, user_id, experience_level, preferred_platforms, device_types, created_at, updated_at) VALUES
    ('30000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-000000000003', 'advanced', NULL, NULL, '2025-03-01 10:00:00+00', '2025-03-01 10:00:00+00');
