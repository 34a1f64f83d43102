-- Undoes 012_copy_passwords_to_accounts.sql: deletes the credential accounts it wrote that still
-- hold the copied hash. One whose password was changed through BetterAuth since, and one
-- BetterAuth created for a user without a password_hash, is kept.
DELETE FROM accounts
USING users
WHERE accounts.user_id = users.id
    AND accounts.issuer = 'local:credential'
    AND accounts.provider_id = 'credential'
    AND accounts.account_id = users.id::text
    AND accounts.password = users.password_hash;
