-- 009_betterauth_user_columns: what BetterAuth (1.7, packages/core/src/db/get-tables.ts) writes
-- into the users table it shares with the service, so that its sign-up succeeds here
-- (docs/betterauth.md has the configuration; betterauth/manifest.json lists every field).
-- The session columns are 013's: this run's transaction locks users only, so no application
-- transaction can hold one of the two tables while waiting for the other.
--
-- - `name` and `email_verified` are required by BetterAuth and added NOT NULL with a constant
--   default (a catalog change on PostgreSQL 11+, no rewrite): existing users get '' and false,
--   and the service's own INSERTs, which name neither, keep working. `image` is optional.
-- - password_hash is no longer required: BetterAuth keeps the password in accounts.password
--   (010) and inserts users without one. The column stays for the service that reads it
--   today; 012 copies it into accounts.
-- - The address is stored lowercased (012 lowercases the existing ones): BetterAuth looks users
--   up by the lowercased address, and the column's comment tells every other writer.
--
-- A correction to 007's comment, which cannot be edited (an applied migration's checksum is
-- recorded): BetterAuth does not sign up with `ON CONFLICT (email)`. Its sign-up looks the
-- lowercased address up (`WHERE email = $1`) and inserts only if nothing was found, so two
-- concurrent sign-ups with one address are told apart by the unique index refusing the second
-- INSERT (23505). 007's index is still what that look-up uses.
ALTER TABLE users
    ADD COLUMN name text NOT NULL DEFAULT '',
    ADD COLUMN email_verified boolean NOT NULL DEFAULT false,
    ADD COLUMN image text;

-- authdb:allow ban-drop-not-null BetterAuth inserts users without a password_hash; the service reads one only for users it created, who keep theirs
ALTER TABLE users ALTER COLUMN password_hash DROP NOT NULL;

COMMENT ON COLUMN users.email IS
    'Stored lowercased: BetterAuth looks users up by the lowercased address. Write lower(address).';
