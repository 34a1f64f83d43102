//! Generated migrations for the benchmarks: N realistic, lint-clean migrations (tables, indexes,
//! added columns, down files and their lock), and one large migration, so that folders of any
//! size can be measured without committing them. Benchmark-only: it lives here, not in lint.

use std::io::{self, Write};
use std::path::Path;

use authdb_lint::Options;

/// Writes `count` migrations (each with its down file) into `dir`, which must exist and hold no
/// migrations yet, and records them in migrations.lock the way a user does
/// (`lint --update-lock`).
pub fn write_generated(dir: &Path, count: usize) -> io::Result<()> {
    let width = count.to_string().len().max(3);
    for version in 1..=count {
        let stem = format!("{version:0width$}_{}", name(version));
        let (up, down) = migration(version);
        std::fs::write(dir.join(format!("{stem}.sql")), up)?;
        std::fs::write(dir.join(format!("{stem}.down.sql")), down)?;
    }
    record(dir)
}

/// Writes one migration of about `bytes` bytes (a table and the rows of a data migration, in
/// multi-row INSERTs) and its down file into `dir`, not recorded in a lock: lint checks every
/// statement of it.
pub fn write_large(dir: &Path, bytes: usize) -> io::Result<()> {
    let mut up = io::BufWriter::new(std::fs::File::create(dir.join("001_bulk_import.sql"))?);
    writeln!(
        up,
        "-- Generated: a data migration of about {bytes} bytes.\n\
         CREATE TABLE bulk (\n    id bigint PRIMARY KEY,\n    name text NOT NULL,\n    \
         tags text[] NOT NULL DEFAULT '{{}}',\n    created_at timestamptz NOT NULL DEFAULT now()\n);\n\
         CREATE INDEX bulk_name_idx ON bulk (lower(name));"
    )?;
    let mut written = 0;
    let mut id = 0u64;
    while written < bytes {
        let mut statement = String::from("INSERT INTO bulk (id, name, tags) VALUES\n");
        for row in 0..100 {
            id += 1;
            let separator = if row == 99 { ";\n" } else { ",\n" };
            statement.push_str(&format!(
                "    ({id}, 'user {id} ''quoted'' -- not a comment', ARRAY['tag{}', 'é']){separator}",
                id % 7
            ));
        }
        up.write_all(statement.as_bytes())?;
        written += statement.len();
    }
    up.flush()?;
    std::fs::write(
        dir.join("001_bulk_import.down.sql"),
        "-- Undoes the import.\nDROP TABLE bulk;\n",
    )
}

/// Records every migration of `dir` in migrations.lock, as `cargo xtask lint --update-lock` does.
fn record(dir: &Path) -> io::Result<()> {
    let report = authdb_lint::lint(dir, Options { update_lock: true }).map_err(io::Error::other)?;
    match report.findings.first() {
        None => Ok(()),
        Some(finding) => Err(io::Error::other(format!("generated a finding: {finding}"))),
    }
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

-- By creation time (the table shipped in the same release, so it is still empty).
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

/// Writes one data migration of `count` one-line INSERTs into `dir` (`001_data.sql`, with its
/// down file), the shape of the 50 MB migration that was quadratic; returns its size in bytes.
pub fn write_statements(dir: &Path, count: usize) -> io::Result<u64> {
    let path = dir.join("001_data.sql");
    let mut up = io::BufWriter::new(std::fs::File::create(&path)?);
    writeln!(
        up,
        "-- Generated: a data migration of {count} statements.\n\
         CREATE TABLE data (id bigint PRIMARY KEY, name text NOT NULL, note text);"
    )?;
    for id in 1..=count {
        writeln!(
            up,
            "INSERT INTO data (id, name, note) VALUES ({id}, 'user {id}', 'it''s -- not a comment; nor this');"
        )?;
    }
    up.flush()?;
    drop(up);
    std::fs::write(
        dir.join("001_data.down.sql"),
        "-- Undoes the import.\nDROP TABLE data;\n",
    )?;
    Ok(std::fs::metadata(path)?.len())
}

/// Writes a history shaped like a real one into `dir`: `count` migrations that mostly create and
/// change tables (as [`write_generated`]), with a function and trigger in dollar quotes every
/// tenth file and a `CREATE INDEX CONCURRENTLY` under `-- authdb:no-transaction` every
/// hundredth, each with its down file, recorded in the lock.
pub fn write_history(dir: &Path, count: usize) -> io::Result<()> {
    let width = count.to_string().len().max(3);
    for version in 1..=count {
        let (stem, up, down) = if version % 100 == 0 {
            let table = format!("table_{}", last_table(version));
            let stem = format!("index_{table}_name");
            let up = format!(
                "-- authdb:no-transaction\n-- Generated migration {version}: an index built \
                 without blocking writes.\nCREATE INDEX CONCURRENTLY {table}_name_idx ON {table} (name);\n"
            );
            let down =
                format!("-- authdb:no-transaction\nDROP INDEX CONCURRENTLY {table}_name_idx;\n");
            (stem, up, down)
        } else if version % 10 == 0 {
            let table = format!("table_{}", last_table(version));
            let up = format!(
                "-- Generated migration {version}: keep updated_at current on {table}.
CREATE FUNCTION {table}_touch() RETURNS trigger
LANGUAGE plpgsql AS $body$
BEGIN
    -- A comment; with a semicolon, and 'quotes'.
    NEW.updated_at := now();
    RETURN NEW;
END;
$body$;

CREATE TRIGGER {table}_touch BEFORE UPDATE ON {table}
    FOR EACH ROW EXECUTE FUNCTION {table}_touch();
"
            );
            let down =
                format!("DROP TRIGGER {table}_touch ON {table};\nDROP FUNCTION {table}_touch();\n");
            (format!("touch_{table}"), up, down)
        } else {
            let (up, down) = migration(version);
            (name(version), up, down)
        };
        let stem = format!("{version:0width$}_{stem}");
        std::fs::write(dir.join(format!("{stem}.sql")), up)?;
        std::fs::write(dir.join(format!("{stem}.down.sql")), down)?;
    }
    record(dir)
}

/// The newest table a history's migration `version` can refer to: created by an odd version
/// before it that [`write_history`] gave to [`migration`].
fn last_table(version: usize) -> usize {
    (1..version)
        .rev()
        .find(|v| v % 2 == 1 && v % 10 != 0 && v % 100 != 0)
        .expect("version 1 creates a table")
}
