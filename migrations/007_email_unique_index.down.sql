-- Undoes 007_email_unique_index.sql: drops the index on email (users_email_lower_key, on
-- lower(email), still refuses case-variant duplicates).
DROP INDEX users_email_key;
