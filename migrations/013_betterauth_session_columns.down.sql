-- Undoes 013_betterauth_session_columns.sql.
ALTER TABLE sessions
    DROP COLUMN user_agent,
    DROP COLUMN ip_address;
