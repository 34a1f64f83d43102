-- Software development background: at most one row per user.
CREATE TABLE software_background (
    id                   uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id              uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    experience_level     text        NOT NULL,
    preferred_languages  text[]      NOT NULL DEFAULT '{}',
    preferred_frameworks text[]      NOT NULL DEFAULT '{}',
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT software_background_user_id_key UNIQUE (user_id),
    CONSTRAINT software_background_experience_level_check
        CHECK (experience_level IN ('beginner', 'intermediate', 'advanced', 'expert'))
);
