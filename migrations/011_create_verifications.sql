-- 011_create_verifications: BetterAuth's `verification` table, its short-lived secrets by
-- identifier: password-reset tokens (`reset-password:<token>`, the user's id as the value),
-- email verification, OAuth state. Rows are deleted when used; BetterAuth also deletes the
-- expired ones (`WHERE expires_at < $1`) whenever it looks one up, hence the second index.
CREATE TABLE verifications (
    id         uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    identifier text        NOT NULL,
    value      text        NOT NULL,
    expires_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX verifications_identifier_idx ON verifications (identifier);
CREATE INDEX verifications_expires_at_idx ON verifications (expires_at);

CREATE TRIGGER verifications_set_updated_at
    BEFORE UPDATE ON verifications
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
