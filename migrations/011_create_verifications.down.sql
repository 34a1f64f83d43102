-- Undoes 011_create_verifications.sql (its indexes and trigger go with the table).
DROP TABLE verifications;
