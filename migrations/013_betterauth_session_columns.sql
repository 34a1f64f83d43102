-- 013_betterauth_session_columns: every BetterAuth sign-in writes the client's address and user
-- agent into the new session (internal-adapter.ts, createSession); nullable, as BetterAuth's
-- fields are, so the service's own INSERTs keep working. Its own run's transaction (012 ran on
-- its own before it): while it waits for sessions, it holds no lock on users, so a session
-- insert, which holds sessions and then checks its user, cannot deadlock with it.
ALTER TABLE sessions
    ADD COLUMN ip_address text,
    ADD COLUMN user_agent text;
