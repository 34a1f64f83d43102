-- 009_betterauth_user_and_session_columns: what BetterAuth (1.7, packages/core/src/db/get-tables.ts)
-- writes into the two tables it shares with the service, so that its sign-up and sign-in succeed
-- here (docs/betterauth.md has the configuration; betterauth/manifest.json lists every field).
--
-- - users: `name` and `email_verified` are required by BetterAuth and added NOT NULL with a
--   constant default (a catalog change on PostgreSQL 11+, no rewrite): existing users get '' and
--   false, and the service's own INSERTs, which name neither, keep working. `image` is optional.
-- - users.password_hash is no longer required: BetterAuth keeps the password in
--   accounts.password (010) and inserts users without one. The column stays for the service
--   that reads it today; 012 copies it into accounts.
-- - sessions: every BetterAuth sign-in writes the client's address and user agent.
--
-- A correction to 007's comment, which cannot be edited (an applied migration's checksum is
-- recorded): BetterAuth does not sign up with `ON CONFLICT (email)`. Its sign-up looks the
-- lowercased address up (`WHERE email = $1`) and inserts only if nothing was found, so two
-- concurrent sign-ups with one address are told apart by users_email_key refusing the second
-- INSERT (23505). 007's index is still what that look-up uses.
ALTER TABLE users
    ADD COLUMN name text NOT NULL DEFAULT '',
    ADD COLUMN email_verified boolean NOT NULL DEFAULT false,
    ADD COLUMN image text;

-- authdb:allow ban-drop-not-null BetterAuth inserts users without a password_hash; the service reads one only for users it created, who keep theirs
ALTER TABLE users ALTER COLUMN password_hash DROP NOT NULL;

ALTER TABLE sessions
    ADD COLUMN ip_address text,
    ADD COLUMN user_agent text;
