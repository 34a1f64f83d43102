-- 010_create_accounts: BetterAuth's `account` table. A user signs in through one or more
-- accounts: `credential` (email and password, the hash in `password`) or an OAuth provider (its
-- tokens). Every column is one of BetterAuth's fields (betterauth/manifest.json), snake_case.
--
-- An account is known by (issuer, account_id): a credential account's issuer is
-- 'local:credential' and its account_id the user's id. The unique constraint carries the index
-- name BetterAuth derives for that rule (`<table>_<columns>_uidx`, database-index.ts), so its CLI
-- finds the index present instead of planning a second one.
CREATE TABLE accounts (
    id                       uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id                  uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    issuer                   text        NOT NULL,
    account_id               text        NOT NULL,
    provider_id              text        NOT NULL,
    access_token             text,
    refresh_token            text,
    id_token                 text,
    access_token_expires_at  timestamptz,
    refresh_token_expires_at timestamptz,
    scope                    text,
    password                 text,
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT accounts_issuer_account_id_uidx UNIQUE (issuer, account_id)
);

-- A user's accounts (every sign-in reads them) and the ON DELETE CASCADE from users.
CREATE INDEX accounts_user_id_idx ON accounts (user_id);

CREATE TRIGGER accounts_set_updated_at
    BEFORE UPDATE ON accounts
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
