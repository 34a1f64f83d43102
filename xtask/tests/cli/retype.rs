//! `new --change-type TABLE.COLUMN TYPE` walked through expand, backfill and the swap while the
//! app keeps writing the column: every row keeps its value, the schema ends as an in-place
//! `ALTER COLUMN ... TYPE` leaves it, and rolling the swap and the expand back gives back the
//! schema before each. Columns the files cannot carry over are refused, by name.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::{run, run_on};

/// A table whose `external_id` has a unique constraint, an index of its own, a default and a
/// comment: all of what the swap must carry over. `note` shares an index with `id`.
const CREATE: &str = "CREATE TABLE links (\n\
    id integer PRIMARY KEY,\n\
    external_id integer NOT NULL DEFAULT 0,\n\
    note text,\n\
    CONSTRAINT links_external_id_key UNIQUE (external_id)\n\
);\n\
CREATE INDEX links_external_id_desc ON links (external_id DESC);\n\
CREATE INDEX links_note_id ON links (note, id);\n\
COMMENT ON COLUMN links.external_id IS 'the partner''s id';\n";

/// The folder at version 1, recorded in its lock and snapshot as a shipped history is.
fn folder() -> tempfile::TempDir {
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(folder.path().join("001_create_links.sql"), CREATE).unwrap();
    std::fs::write(
        folder.path().join("001_create_links.down.sql"),
        "DROP TABLE links;\n",
    )
    .unwrap();
    let dir = folder.path().to_str().unwrap();
    // lint's findings on the integer columns are the fixture's, not what is under test.
    run(&["lint", "--update-lock", "--migrations", dir]);
    let (code, stdout, stderr) = run(&["snapshot", "--migrations", dir]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    folder
}

/// An app that reads and writes `external_id` all along: inserts and increments until stopped.
fn writer(url: String, stop: Arc<AtomicBool>) -> tokio::task::JoinHandle<i32> {
    tokio::spawn(async move {
        let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(connection);
        let mut id = 100_000;
        while !stop.load(Ordering::Relaxed) {
            id += 1;
            client
                .execute(
                    "INSERT INTO links (id, external_id) VALUES ($1::int, $1::int)",
                    &[&id],
                )
                .await
                .unwrap();
            client
                .execute(
                    "UPDATE links SET external_id = external_id + 1000000 WHERE id = $1::int % 2500 + 1",
                    &[&id],
                )
                .await
                .unwrap();
        }
        id
    })
}

#[tokio::test]
async fn a_type_change_walks_through_expand_backfill_and_swap_while_the_app_writes() {
    let folder = folder();
    let dir = folder.path().to_str().unwrap();
    let (code, stdout, stderr) = run(&[
        "new",
        "--change-type",
        "links.external_id",
        "bigint",
        "--migrations",
        dir,
    ]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    for file in [
        "002_expand_links_external_id_type.sql",
        "003_index_links_external_id_desc_new.sql",
        "004_index_links_external_id_key_new.sql",
        "005_backfill_links_external_id_type.sql",
        "006_swap_links_external_id_type.sql",
    ] {
        assert!(stdout.contains(&format!("{file}\n")), "{file}: {stdout}");
    }
    let (_, lint, _) = run(&["lint", "--json", "--migrations", dir]);
    let lint: serde_json::Value = serde_json::from_str(&lint).unwrap();
    let stray: Vec<&serde_json::Value> = lint["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| !f["file"].as_str().unwrap().starts_with("001_"))
        .filter(|f| f["rule"] != "lock-new-file")
        .collect();
    assert!(
        stray.is_empty(),
        "lint finds nothing in what new wrote: {stray:#?}"
    );
    let (code, stdout, stderr) = run(&["snapshot", "--migrations", dir]);
    assert_eq!(code, 0, "{stdout}{stderr}");

    let db = testdb::empty_database().await;
    let (code, stdout, stderr) = run_on(&db.url, dir, &["migrate", "--to", "1"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let direct = db.connect().await;
    let before = authdb::Snapshot::capture(&direct).await.unwrap();
    // 2,500 rows the backfill fills, some with a value past int's range later.
    direct
        .batch_execute(
            "INSERT INTO links (id, external_id) SELECT n, n FROM generate_series(1, 2500) AS n",
        )
        .await
        .unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let app = writer(db.url.clone(), stop.clone());
    let (code, stdout, stderr) = run_on(&db.url, dir, &["migrate"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains("held back: 006_swap_links_external_id_type is a contract step"),
        "{stdout}"
    );
    let (code, stdout, stderr) = run_on(&db.url, dir, &["verify"]);
    assert_eq!(
        code, 0,
        "the schema at the boundary is the snapshot's: {stdout}{stderr}"
    );
    let boundary = authdb::Snapshot::capture(&direct).await.unwrap();
    let unequal: i64 = direct
        .query_one(
            "SELECT count(*) FROM links WHERE external_id_new IS DISTINCT FROM external_id",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        unequal, 0,
        "every row written before or during the expand is filled"
    );

    let (code, stdout, stderr) = run_on(&db.url, dir, &["migrate", "--contract"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    stop.store(true, Ordering::Relaxed);
    let last = app.await.unwrap();
    let rows: Vec<(i32, i64)> = direct
        .query("SELECT id, external_id FROM links ORDER BY id", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(rows.len() as i32, 2500 + (last - 100_000), "no row lost");
    assert!(
        rows.iter()
            .all(|(id, value)| value % 1_000_000 == *id as i64),
        "every value is the app's last write"
    );
    // The app goes on writing after the swap, a value past int's range now.
    direct
        .execute("INSERT INTO links (id, external_id) VALUES (1, 5000000000) ON CONFLICT (id) DO UPDATE SET external_id = 5000000000", &[])
        .await
        .unwrap();
    let (code, stdout, stderr) = run_on(&db.url, dir, &["verify"]);
    assert_eq!(
        code, 0,
        "after the swap, verify equals the snapshot: {stdout}{stderr}"
    );

    // The schema an in-place ALTER COLUMN TYPE leaves, but for the column's place.
    let in_place = testdb::empty_database().await;
    let other = in_place.connect().await;
    other.batch_execute(CREATE).await.unwrap();
    other
        .batch_execute("ALTER TABLE links ALTER COLUMN external_id TYPE bigint")
        .await
        .unwrap();
    let swapped = authdb::Snapshot::capture(&direct).await.unwrap();
    let expected = authdb::Snapshot::capture(&other).await.unwrap();
    let (ours, theirs) = (&swapped.tables["links"], &expected.tables["links"]);
    let mut columns = ours.columns.clone();
    columns.sort_by(|a, b| a.name.cmp(&b.name));
    let mut expected_columns = theirs.columns.clone();
    expected_columns.sort_by(|a, b| a.name.cmp(&b.name));
    assert_eq!(columns, expected_columns);
    assert_eq!(ours.constraints, theirs.constraints);
    assert_eq!(ours.indexes, theirs.indexes);
    assert_eq!(ours.triggers, theirs.triggers);
    assert!(swapped.functions.is_empty(), "{:?}", swapped.functions);

    // Back: the swap, then the expand.
    direct
        .batch_execute("DELETE FROM links WHERE id = 1")
        .await
        .unwrap();
    let (code, stdout, stderr) = run_on(&db.url, dir, &["rollback", "--to", "5", "--yes"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    // The old type comes back at the end of the table: the column order is all that differs.
    let order = |differences: Vec<authdb::Difference>| -> Vec<Option<String>> {
        differences
            .into_iter()
            .map(|d| match d.change {
                authdb::snapshot::Change::Differs {
                    property: authdb::snapshot::Property::ColumnOrder,
                    actual,
                    ..
                } => actual,
                other => panic!("{} differs: {other:?}", d.name),
            })
            .collect()
    };
    let after = authdb::Snapshot::capture(&direct).await.unwrap();
    assert_eq!(
        order(authdb::snapshot::diff(&boundary, &after)),
        [Some("id, note, external_id_new, external_id".to_string())]
    );
    let (code, stdout, stderr) = run_on(&db.url, dir, &["rollback", "--to", "1", "--yes"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let after = authdb::Snapshot::capture(&direct).await.unwrap();
    assert_eq!(
        order(authdb::snapshot::diff(&before, &after)),
        [Some("id, note, external_id".to_string())]
    );
}

#[test]
fn columns_the_files_cannot_carry_over_are_refused_by_name() {
    let folder = folder();
    let dir = folder.path().to_str().unwrap();
    let files = std::fs::read_dir(folder.path()).unwrap().count();
    let refused = |column: &str, new_type: &str, reason: &str| {
        let target = format!("links.{column}");
        let (code, stdout, stderr) = run(&[
            "new",
            "--change-type",
            &target,
            new_type,
            "--migrations",
            dir,
        ]);
        assert_eq!(code, 1, "{stdout}{stderr}");
        assert!(
            stderr.contains(&format!(
                "--change-type links.{column} {new_type}: {reason}"
            )),
            "{stderr}"
        );
    };
    refused("external_id", "integer", "external_id is integer already");
    refused(
        "note",
        "varchar(50)",
        "the index links_note_id covers note with other columns: carry it over by hand",
    );
    refused(
        "id",
        "bigint",
        "the constraint links_pkey (PRIMARY KEY (id)) involves id",
    );
    refused("nothing", "bigint", "table links has no column nothing");
    let now = std::fs::read_dir(folder.path()).unwrap().count();
    assert_eq!(now, files, "nothing was written");
}
