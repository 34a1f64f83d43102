-- Hardware development background: at most one row per user.
CREATE TABLE hardware_background (
    id                  uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id             uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    experience_level    text        NOT NULL,
    preferred_platforms text[]      NOT NULL DEFAULT '{}',
    device_types        text[]      NOT NULL DEFAULT '{}',
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT hardware_background_user_id_key UNIQUE (user_id),
    CONSTRAINT hardware_background_experience_level_check
        CHECK (experience_level IN ('beginner', 'intermediate', 'advanced', 'expert'))
);
