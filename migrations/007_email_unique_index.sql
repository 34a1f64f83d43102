-- authdb:no-transaction
-- 007_email_unique_index: the seed's diagram promises `email (UNIQUE)`, and BetterAuth looks a
-- user up with `WHERE email = $1` (the address lowercased) and signs up with
-- `ON CONFLICT (email)`; neither can use users_email_lower_key, an index on lower(email).
-- Step 1 of 2: build the unique index on email without blocking sign-ups or logins, so this
-- file runs on its own, outside a transaction. If it fails half-way it leaves an INVALID
-- index: drop it (`DROP INDEX users_email_key`) before running migrate again.
CREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email);
