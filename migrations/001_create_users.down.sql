-- Undoes 001_create_users.sql (its unique index goes with the table).
DROP TABLE users;
