//! Migration folders that tests write themselves. Tests of the engine (ordering, atomicity,
//! checksums, locking, rollback...) run on these, never on a copy of the repository's
//! `migrations/`, so the repository's schema can grow without any engine test changing.

use std::path::Path;

use tempfile::TempDir;

/// A migrations folder in a temporary directory, removed when dropped.
pub struct Fixture {
    dir: TempDir,
    next: i64,
}

impl Default for Fixture {
    fn default() -> Self {
        Fixture::new()
    }
}

impl Fixture {
    pub fn new() -> Fixture {
        Fixture {
            dir: tempfile::tempdir().expect("a temporary directory"),
            next: 1,
        }
    }

    /// Adds the next migration, `NNN_name.sql` with `up` and `NNN_name.down.sql` with `down`.
    pub fn migration(mut self, name: &str, up: &str, down: &str) -> Fixture {
        self.add(name, up, down);
        self
    }

    /// [`Fixture::migration`] on a fixture that already exists; returns the up file's name.
    pub fn add(&mut self, name: &str, up: &str, down: &str) -> String {
        let stem = format!("{:03}_{name}", self.next);
        self.next += 1;
        self.write(&format!("{stem}.sql"), up);
        self.write(&format!("{stem}.down.sql"), down);
        format!("{stem}.sql")
    }

    /// The version the next [`Fixture::add`] gets, for a folder whose first files were written
    /// by hand.
    pub fn skip_to(&mut self, version: i64) {
        self.next = version;
    }

    /// A migration creating table `table` (one `id int` column), undone by dropping it.
    pub fn table(self, table: &str) -> Fixture {
        self.migration(
            &format!("create_{table}"),
            &format!("CREATE TABLE {table} (id int);\n"),
            &format!("DROP TABLE {table};\n"),
        )
    }

    /// Writes any file, to make the folder wrong on purpose.
    pub fn write(&self, file_name: &str, text: &str) {
        std::fs::write(self.dir.path().join(file_name), text).expect("writing a fixture file");
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The folder as migrate loads it; panics (with the loader's message) when it has problems.
    pub fn load(&self) -> authdb::Migrations {
        authdb::Migrations::load(self.path()).unwrap_or_else(|e| panic!("{e}"))
    }
}

impl Fixture {
    /// Writes `schema.snapshot` as `cargo xtask snapshot` would: migrates a fresh database of
    /// this binary's server and captures what the migrations created.
    pub async fn with_snapshot(self) -> Fixture {
        let db = crate::empty_database().await;
        let mut client = db.connect().await;
        authdb::migrate(&mut client, &self.load(), &Default::default())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let snapshot = authdb::Snapshot::capture(&client)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        self.write(authdb::snapshot::SNAPSHOT_FILE, &snapshot.to_text());
        self
    }
}
