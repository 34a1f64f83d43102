//! A migration that creates one object of every kind plain PostgreSQL 14 to 17 DDL can create
//! (`every_kind.sql`): what the tests of the snapshot's coverage, its determinism across server
//! versions and the drift corpus run on, on top of the repository's own migrations.

use crate::Fixture;

pub const UP: &str = include_str!("every_kind.sql");

/// Undoes [`UP`]; the roles stay, as roles belong to the server.
pub const DOWN: &str = "DROP EVENT TRIGGER authdb_ddl;
DROP PUBLICATION authdb_publication;
DROP SERVER authdb_server CASCADE;
DROP FOREIGN DATA WRAPPER authdb_fdw;
DROP ACCESS METHOD heap2;
DROP LANGUAGE plpgsql2;
DROP SCHEMA app CASCADE;
ALTER DEFAULT PRIVILEGES GRANT EXECUTE ON FUNCTIONS TO PUBLIC;
";

/// Where the snapshot the every-kind migration must give is committed: the same on every
/// server version the tests run on.
pub fn snapshot_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/every_kind.snapshot")
}

/// The every-kind migration alone.
pub fn fixture() -> Fixture {
    Fixture::new().migration("every_kind", UP, DOWN)
}

/// The repository's migrations, then the every-kind one.
pub fn with_repository() -> Fixture {
    let mut fixture = Fixture::new();
    let mut files: Vec<_> = std::fs::read_dir(crate::migrations_dir())
        .expect("the repository's migrations folder")
        .map(|entry| entry.expect("a folder entry").path())
        .filter(|path| path.to_string_lossy().ends_with(".sql"))
        .collect();
    files.sort();
    let mut last = 0;
    for path in files {
        let name = path
            .file_name()
            .expect("a file name")
            .to_string_lossy()
            .to_string();
        fixture.write(&name, &std::fs::read_to_string(&path).expect("a migration"));
        if let Some(version) = name.split('_').next().and_then(|v| v.parse::<i64>().ok()) {
            last = last.max(version);
        }
    }
    fixture.skip_to(last + 1);
    fixture.add("every_kind", UP, DOWN);
    fixture
}
