-- authdb:no-transaction
-- 012_copy_passwords_to_accounts: existing users keep signing in. BetterAuth reads a password
-- only from the user's credential account (provider 'credential', issuer 'local:credential',
-- account_id the user's id: sign-in.ts), so every user with a password_hash gets one, holding
-- that hash as it is. BetterAuth's default verifier reads only its own scrypt `salt:key` format;
-- for the argon2id hashes the service wrote, configure emailAndPassword.password.verify as
-- docs/betterauth.md shows.
--
-- It runs on its own, outside the run's transaction: 009 to 011 are committed first, so their
-- locks on users are released before this reads every row, and sign-ins go on while it copies
-- (it takes only row locks, FOR KEY SHARE, on the users it copies). One statement: it copies all
-- or nothing. It sees the users that exist when it starts; one the old service creates later has
-- no account until this statement runs again (docs/betterauth.md, "Switching over"), which then
-- copies only the missing ones.
INSERT INTO accounts (user_id, issuer, account_id, provider_id, password)
SELECT id, 'local:credential', id::text, 'credential', password_hash
FROM users
WHERE password_hash IS NOT NULL
ON CONFLICT (issuer, account_id) DO NOTHING;
