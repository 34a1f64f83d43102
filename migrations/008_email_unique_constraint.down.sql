-- Undoes 008_email_unique_constraint.sql. Dropping the constraint drops its index too, so the
-- plain unique index of 007 is built again (in rollback's transaction: it blocks writes to users
-- while it builds, which a rollback accepts).
ALTER TABLE users DROP CONSTRAINT users_email_key;
CREATE UNIQUE INDEX users_email_key ON users (email);
