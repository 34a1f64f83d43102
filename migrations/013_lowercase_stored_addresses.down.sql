-- Undoes 013_lowercase_stored_addresses.sql as far as it can: the comment goes. The spelling the
-- addresses had before is not kept anywhere, and nothing needs it (001: the case of an address
-- does not matter), so they stay lowercased.
COMMENT ON COLUMN users.email IS NULL;
