-- authdb:no-transaction
-- authdb:idempotent it copies only the accounts that are missing (ON CONFLICT DO NOTHING) and lowercases only what is not lowercase yet
-- 012_copy_passwords_and_lowercase_addresses: existing users keep signing in, now through
-- BetterAuth, which needs two things the service did not.
--
-- - Their password in a credential account. BetterAuth reads a password only from the account
--   with provider 'credential', issuer 'local:credential' and the user's id as account_id
--   (sign-in.ts), so every user with a password_hash gets one, holding that hash as it is.
--   BetterAuth's default verifier reads only its own scrypt `salt:key`; for the argon2id hashes
--   the service wrote, configure emailAndPassword.password.verify as docs/betterauth.md shows.
-- - Their address as BetterAuth looks it up: lowercased (`WHERE email = $1`, the address
--   lowercased first). 'Grace@Example.com' could neither sign in nor sign up again
--   (users_email_lower_key refuses 'grace@example.com'). 001 makes the case of an address
--   meaningless, and users_email_lower_key guarantees no two rows meet under lower(), so
--   users_email_key cannot refuse this; the service, which looks users up by lower(email),
--   finds them as before.
--
-- One statement, on its own outside the run's transaction: 009 to 011 are committed first, so
-- their lock on users is released before this reads every row, and sign-ins go on while it runs
-- (it locks only rows: those it lowercases, and FOR KEY SHARE those it copies). It changes all or
-- nothing, and sees the users that exist when it starts; for one the old service writes later,
-- run it again (docs/betterauth.md, "Switching over"): it then copies and lowercases only what is
-- missing.
WITH lowercased AS (
    UPDATE users SET email = lower(email) WHERE email <> lower(email)
)
INSERT INTO accounts (user_id, issuer, account_id, provider_id, password)
SELECT id, 'local:credential', id::text, 'credential', password_hash
FROM users
WHERE password_hash IS NOT NULL
ON CONFLICT (issuer, account_id) DO NOTHING;
