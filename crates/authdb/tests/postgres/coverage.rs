//! What the snapshot covers: every object a migration creates, of every kind, counted in
//! pg_catalog against the snapshot's own census, so a kind the snapshot cannot represent fails
//! a test instead of passing verify unseen; and the same snapshot on every server version.

use authdb::Snapshot;
use authdb::snapshot::NOT_COMPARED;

use crate::migrate;

/// A database migrated with `fixture`, and its snapshot.
async fn migrated(fixture: &testdb::Fixture) -> (testdb::TestDb, Snapshot) {
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    migrate(&mut client, fixture.path())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let snapshot = Snapshot::capture_migrated(&client)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    (db, snapshot)
}

/// The objects of `db` the snapshot does not account for, in words.
async fn unaccounted(db: &testdb::TestDb, snapshot: &Snapshot) -> Vec<String> {
    let client = db.connect().await;
    let objects = Snapshot::catalog_objects(&client).await.unwrap();
    snapshot
        .unaccounted(&objects)
        .into_iter()
        .map(|(kind, catalog, held)| {
            let examples: Vec<&String> = objects
                .iter()
                .filter(|(k, _)| *k == kind)
                .map(|(_, identity)| identity)
                .take(3)
                .collect();
            format!(
                "{kind}: {catalog} in pg_catalog ({examples:?}...), {held} in the snapshot. A \
                 migration creates a kind of object the snapshot does not represent: capture it \
                 (snapshot/catalog/), or say why it is not compared in NOT_COMPARED and \
                 docs/verify.md"
            )
        })
        .collect()
}

#[tokio::test]
async fn every_object_the_repository_migrations_create_is_in_the_snapshot() {
    let db = testdb::migrated_database().await;
    let client = db.connect().await;
    let snapshot = Snapshot::capture(&client).await.unwrap();
    assert_eq!(unaccounted(&db, &snapshot).await, Vec::<String>::new());
}

/// One object of every kind plain DDL makes: each is in the snapshot, none unaccounted for.
#[tokio::test]
async fn every_kind_of_object_is_in_the_snapshot() {
    let fixture = testdb::every_kind::fixture();
    let (db, snapshot) = migrated(&fixture).await;
    assert_eq!(unaccounted(&db, &snapshot).await, Vec::<String>::new());
    let census = snapshot.census();
    let kinds = [
        "schema",
        "extension",
        "default acl",
        "type",
        "domain constraint",
        "sequence",
        "function",
        "procedure",
        "aggregate",
        "table",
        "view",
        "materialized view",
        "foreign table",
        "index",
        "table constraint",
        "default value",
        "trigger",
        "policy",
        "rule",
        "statistics object",
        "text search configuration",
        "text search dictionary",
        "text search template",
        "text search parser",
        "collation",
        "conversion",
        "operator",
        "operator family",
        "operator class",
        "cast",
        "foreign-data wrapper",
        "server",
        "user mapping",
        "publication",
        "publication relation",
        "event trigger",
        "access method",
        "language",
    ];
    let missing: Vec<&&str> = kinds.iter().filter(|k| !census.contains_key(**k)).collect();
    assert!(
        missing.is_empty(),
        "the every-kind migration made no {missing:?}: {census:?}"
    );
}

/// The committed snapshot of the every-kind migration is what this server makes of it: CI runs
/// this on PostgreSQL 15 and 17, so both give the same bytes. `AUTHDB_BLESS=1` writes it.
#[tokio::test]
async fn every_kind_gives_the_same_snapshot_on_every_server_version() {
    let fixture = testdb::every_kind::fixture();
    let (_db, snapshot) = migrated(&fixture).await;
    let text = snapshot.to_text();
    let path = testdb::every_kind::snapshot_path();
    if std::env::var_os("AUTHDB_BLESS").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        text == committed,
        "{} is not what this server's snapshot of every_kind.sql is (run with AUTHDB_BLESS=1 \
         on PostgreSQL 17 after changing the format, and check it is the same on 15):\n{}",
        path.display(),
        authdb::snapshot::diff(&Snapshot::parse(&committed).unwrap_or_default(), &snapshot)
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert_eq!(Snapshot::parse(&text).unwrap(), snapshot);
    let picture = snapshot.to_picture();
    for shown in [
        "Row level security policies:",
        "- `p_read`: permissive, for select to PUBLIC, using `(n > 0)`",
        "`authdb_reader` may SELECT on column `id`",
        "## Views",
        "## Types",
    ] {
        assert!(
            picture.contains(shown),
            "the picture lacks {shown:?}:\n{picture}"
        );
    }
}

/// The list of what verify does not compare is the one docs/verify.md gives, reason and all.
#[test]
fn the_not_compared_list_is_the_documented_one() {
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/verify.md"),
    )
    .unwrap();
    let section = doc
        .split("## Not compared")
        .nth(1)
        .expect("docs/verify.md has a `## Not compared` section");
    let section = section.split("\n## ").next().unwrap_or(section);
    let listed: Vec<&str> = section
        .lines()
        .filter_map(|line| line.strip_prefix("| "))
        .filter(|line| !line.starts_with("what ") && !line.starts_with("---"))
        .collect();
    let expected: Vec<String> = NOT_COMPARED
        .iter()
        .map(|(what, why)| format!("{what} | {why} |"))
        .collect();
    assert_eq!(
        listed, expected,
        "docs/verify.md's table and NOT_COMPARED differ"
    );
}
