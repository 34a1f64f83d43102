//! A large schema for measuring `verify`: the seed schema has four tables, a real one may have
//! hundreds, and reading the catalog must stay set-based as it grows. The benchmark migrates this
//! SQL into an empty database, snapshots it, and times `verify` against it.

use std::fmt::Write;

/// SQL creating `tables` tables shaped like the seed schema's: a uuid key, a foreign key to the
/// previous table, text, array, numeric and timestamp columns with defaults, a check constraint,
/// a unique constraint, a btree and a GIN index, and an `updated_at` trigger, all sharing one
/// trigger function.
pub fn bench_schema_sql(tables: usize) -> String {
    let mut sql = String::from(
        "CREATE FUNCTION bench_touch() RETURNS trigger LANGUAGE plpgsql AS $$\n\
         BEGIN\n    NEW.updated_at = now();\n    RETURN NEW;\nEND;\n$$;\n",
    );
    for i in 0..tables {
        let parent = match i {
            0 => String::new(),
            _ => format!(
                "    parent_id  uuid        REFERENCES bench_{:03} (id) ON DELETE CASCADE,\n",
                i - 1
            ),
        };
        let _ = write!(
            sql,
            "\nCREATE TABLE bench_{i:03} (\n\
             \x20   id         uuid        PRIMARY KEY DEFAULT gen_random_uuid(),\n\
             {parent}\
             \x20   code       text        NOT NULL,\n\
             \x20   label      varchar(80),\n\
             \x20   level      text        NOT NULL DEFAULT 'beginner',\n\
             \x20   tags       text[]      NOT NULL DEFAULT '{{}}',\n\
             \x20   score      numeric(10,2) NOT NULL DEFAULT 0,\n\
             \x20   created_at timestamptz NOT NULL DEFAULT now(),\n\
             \x20   updated_at timestamptz NOT NULL DEFAULT now(),\n\
             \x20   CONSTRAINT bench_{i:03}_code_key UNIQUE (code),\n\
             \x20   CONSTRAINT bench_{i:03}_level_check CHECK (level IN ('beginner', 'expert'))\n\
             );\n\
             CREATE INDEX bench_{i:03}_created_at_idx ON bench_{i:03} (created_at);\n\
             CREATE INDEX bench_{i:03}_tags_idx ON bench_{i:03} USING gin (tags);\n\
             CREATE TRIGGER bench_{i:03}_touch BEFORE UPDATE ON bench_{i:03}\n\
             \x20   FOR EACH ROW EXECUTE FUNCTION bench_touch();\n"
        );
    }
    sql
}
