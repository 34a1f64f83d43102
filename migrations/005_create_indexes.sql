-- Additional performance indexes.

-- Array searches (@>, &&, <@) on the background profiles.
CREATE INDEX software_background_preferred_languages_idx
    ON software_background USING gin (preferred_languages);
CREATE INDEX software_background_preferred_frameworks_idx
    ON software_background USING gin (preferred_frameworks);
CREATE INDEX hardware_background_preferred_platforms_idx
    ON hardware_background USING gin (preferred_platforms);
CREATE INDEX hardware_background_device_types_idx
    ON hardware_background USING gin (device_types);

-- Sessions. Token lookups use sessions_token_key, the unique index created with the table in 002:
-- a second index on token would only slow down every insert.
-- Per-user lookups ("sign out everywhere") and the ON DELETE CASCADE from users:
CREATE INDEX sessions_user_id_idx ON sessions (user_id);
-- Expiry cleanup (DELETE FROM sessions WHERE expires_at < now()):
CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);
