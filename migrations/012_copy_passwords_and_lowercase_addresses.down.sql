-- Undoes 012_copy_passwords_and_lowercase_addresses.sql as far as it can: deletes the credential
-- accounts it wrote that still hold the copied hash (one whose password was changed through
-- BetterAuth since, and one BetterAuth created for a user without a password_hash, is kept). The
-- addresses stay lowercased: their former spelling is kept nowhere, and nothing needs it (001:
-- the case of an address does not matter).
DELETE FROM accounts
USING users
WHERE accounts.user_id = users.id
    AND accounts.issuer = 'local:credential'
    AND accounts.provider_id = 'credential'
    AND accounts.account_id = users.id::text
    AND accounts.password = users.password_hash;
