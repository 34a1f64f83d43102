//! Generated migrations for benchmarks: `cargo xtask bench` and the lint timings write N
//! realistic, lint-clean files (tables, indexes, added columns, an allow comment, down files and
//! the lock) so that a folder of any size can be measured without committing one.

use std::io;
use std::path::Path;

use crate::folder::{Folder, LOCK_FILE};
use crate::lock::Lock;

/// Writes `count` migrations (each with its down file) and their migrations.lock into `dir`,
/// which must exist and hold no migrations yet.
pub fn write_generated(dir: &Path, count: usize) -> io::Result<()> {
    let width = count.to_string().len().max(3);
    for version in 1..=count {
        let stem = format!("{version:0width$}_{}", name(version));
        let (up, down) = migration(version);
        std::fs::write(dir.join(format!("{stem}.sql")), up)?;
        std::fs::write(dir.join(format!("{stem}.down.sql")), down)?;
    }
    let folder = Folder::read(dir).map_err(io::Error::other)?;
    let (lock, _) = Lock::default().updated(&folder.files);
    std::fs::write(dir.join(LOCK_FILE), lock)
}

fn name(version: usize) -> String {
    if version % 2 == 1 {
        format!("create_table_{version}")
    } else {
        format!("extend_table_{}", version - 1)
    }
}

/// Odd versions create a table with its indexes; even ones change the table before them, the
/// way a real history alternates between new tables and changes to existing ones.
fn migration(version: usize) -> (String, String) {
    if version % 2 == 1 {
        let table = format!("table_{version}");
        let up = format!(
            "-- Generated migration {version}: a new table and its indexes.
CREATE TABLE {table} (
    id         uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    name       text        NOT NULL,
    tags       text[]      NOT NULL DEFAULT '{{}}',
    score      bigint      GENERATED ALWAYS AS IDENTITY,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT {table}_name_check CHECK (length(name) <= 200)
);

-- Lookups by name, and tag searches.
CREATE UNIQUE INDEX {table}_name_key ON {table} (lower(name));
CREATE INDEX {table}_tags_idx ON {table} USING gin (tags);
"
        );
        let down = format!("-- Undoes migration {version}.\nDROP TABLE {table};\n");
        (up, down)
    } else {
        let table = format!("table_{}", version - 1);
        let up = format!(
            "-- Generated migration {version}: changes to the table of migration {}.
ALTER TABLE {table} ADD COLUMN note text NOT NULL DEFAULT '';
ALTER TABLE {table} ADD COLUMN parent_id uuid;
ALTER TABLE {table}
    ADD CONSTRAINT {table}_parent_fkey FOREIGN KEY (parent_id) REFERENCES {table} (id) NOT VALID;

-- authdb:allow index-without-concurrently generated benchmark data: the table is empty
CREATE INDEX {table}_created_at_idx ON {table} (created_at);
",
            version - 1
        );
        let down = format!(
            "-- Undoes migration {version}.
DROP INDEX {table}_created_at_idx;
ALTER TABLE {table} DROP CONSTRAINT {table}_parent_fkey;
ALTER TABLE {table} DROP COLUMN parent_id;
ALTER TABLE {table} DROP COLUMN note;
"
        );
        (up, down)
    }
}
