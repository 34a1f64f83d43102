-- Undoes 009_betterauth_user_columns.sql. Requiring password_hash again fails while a user has
-- none (anyone who signed up through BetterAuth): the rollback then changes nothing and says
-- which column; such users would have to be deleted, or given a hash, by hand first.
COMMENT ON COLUMN users.email IS NULL;

-- authdb:allow adding-not-nullable-field a rollback restores 001's rule in one transaction and accepts the scan of users under its lock
ALTER TABLE users ALTER COLUMN password_hash SET NOT NULL;

ALTER TABLE users
    DROP COLUMN image,
    DROP COLUMN email_verified,
    DROP COLUMN name;
