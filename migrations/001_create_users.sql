-- Core user authentication table.
CREATE TABLE users (
    id            uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    email         text        NOT NULL,
    password_hash text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- One account per mailbox, whatever the case: Alice@Example.com and alice@example.com are the
-- same person. The address is stored as typed; look it up with lower(email) = lower($1), which
-- this index serves.
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));
