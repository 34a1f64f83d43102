-- Undoes 010_create_accounts.sql (its index, constraint and trigger go with the table).
DROP TABLE accounts;
