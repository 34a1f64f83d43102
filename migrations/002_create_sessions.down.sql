-- Undoes 002_create_sessions.sql.
DROP TABLE sessions;
