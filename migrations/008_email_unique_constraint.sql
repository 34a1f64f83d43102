-- 008_email_unique_constraint: step 2 of 2. Turn the index 007 built into the UNIQUE constraint
-- on users.email: a catalog change that takes a brief lock and scans nothing, since the index
-- already holds every row. `ON CONFLICT (email)` needs this (or the index), and the schema now
-- says what the seed's diagram says. users_email_lower_key stays: Ada@x and ada@x are still one
-- account.
ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_key;
