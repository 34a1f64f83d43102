//! Backfills (`-- authdb:backfill`): the statement repeated in batches, each committed on its
//! own, until it changes no row; progress on stderr and in `--json`; a run killed mid-way is
//! resumed by the next, and no row is done twice.

use std::time::Duration;

use testdb::Fixture;

use crate::{run_on, xtask};

/// `items` with `rows` rows whose `b` is still empty, `times` counting how often a row was
/// backfilled, and `slow()`, which a batch can call once to widen the window a kill lands in.
fn items(rows: u32) -> Fixture {
    Fixture::new().migration(
        "create_items",
        &format!(
            "CREATE TABLE items (id int PRIMARY KEY, a int NOT NULL, b int, times int NOT NULL DEFAULT 0);\n\
             INSERT INTO items (id, a) SELECT n, n * 2 FROM generate_series(1, {rows}) AS n;\n\
             CREATE FUNCTION slow() RETURNS boolean LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.1); RETURN true; END $$;\n"
        ),
        "DROP FUNCTION slow();\nDROP TABLE items;\n",
    )
}

const BACKFILL: &str = "-- authdb:no-transaction\n\
    -- authdb:backfill copies a into b, a batch at a time\n\
    UPDATE items SET b = a, times = times + 1\n \
    WHERE id IN (SELECT id FROM items WHERE b IS NULL ORDER BY id LIMIT {batch}){slow};\n";

fn backfill(batch: u32, slow: bool) -> String {
    BACKFILL
        .replace("{batch}", &batch.to_string())
        .replace("{slow}", if slow { " AND (SELECT slow())" } else { "" })
}

/// How many rows are backfilled, and the most times any row was.
async fn done(db: &testdb::TestDb) -> (i64, i32) {
    let row = db
        .connect()
        .await
        .query_one(
            "SELECT count(*) FILTER (WHERE b = a), coalesce(max(times), 0) FROM items",
            &[],
        )
        .await
        .unwrap();
    (row.get(0), row.get(1))
}

#[tokio::test]
async fn a_backfill_runs_in_batches_until_no_row_changes_and_says_so() {
    let db = testdb::empty_database().await;
    let fixture = items(2500).migration(
        "copy_a_to_b",
        &backfill(1000, false),
        "UPDATE items SET b = NULL;\n",
    );
    let dir = fixture.path().to_str().unwrap();
    let (code, stdout, stderr) = run_on(&db.url, dir, &["migrate"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains("(backfill: 2500 rows in 4 batches)"),
        "{stdout}"
    );
    let file = format!("{dir}/002_copy_a_to_b.sql");
    for (batch, rows, total) in [
        (1, 1000, 1000),
        (2, 1000, 2000),
        (3, 500, 2500),
        (4, 0, 2500),
    ] {
        let line = format!("{file}: backfill batch {batch}: {rows} rows in ");
        assert!(stderr.contains(&line), "no {line:?} in {stderr}");
        assert!(
            stderr.contains(&format!("; {total} rows so far, ")),
            "{stderr}"
        );
    }
    assert_eq!(done(&db).await, (2500, 1));

    let (code, stdout, _) = run_on(&db.url, dir, &["rollback", "--yes", "--json"]);
    assert_eq!(code, 0, "{stdout}");
    let (code, stdout, _) = run_on(&db.url, dir, &["migrate", "--json"]);
    assert_eq!(code, 0, "{stdout}");
    let body: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        body["report"]["steps"][0]["backfill"],
        serde_json::json!({"batches": 4, "rows": 2500})
    );
}

#[tokio::test]
async fn a_backfill_killed_mid_way_is_resumed_and_no_row_is_done_twice() {
    let db = testdb::empty_database().await;
    let fixture = items(2000).migration(
        "copy_a_to_b",
        &backfill(100, true),
        "UPDATE items SET b = NULL;\n",
    );
    let dir = fixture.path().to_str().unwrap();
    // The table first, so that the kill lands in the backfill's batches (100 ms each at least).
    let (code, stdout, stderr) = run_on(&db.url, dir, &["migrate", "--to", "1"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let cwd = tempfile::tempdir().unwrap();
    let mut child = xtask(cwd.path())
        .args(["migrate", "--database-url", &db.url, "--migrations", dir])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Until some batches have committed, and fewer than all (20 batches of at least 100 ms).
    let mut waited = 0;
    while done(&db).await.0 < 300 && waited < 300 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        waited += 1;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    // The server finishes or cancels the batch it was running once it sees the client gone.
    let client = db.connect().await;
    for _ in 0..300 {
        let others: i64 = client
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        if others == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (committed, times) = done(&db).await;
    assert!((300..2000).contains(&committed), "{committed}");
    assert_eq!(committed % 100, 0, "each batch commits on its own");
    assert_eq!(times, 1);

    let (code, stdout, stderr) = run_on(&db.url, dir, &["migrate"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains(
            "002_copy_a_to_b was started by an earlier run and not seen to finish: a backfill, \
             whose batches leave out the rows already done, leaves the same result when run \
             again; run again"
        ),
        "{stdout}"
    );
    let rest = 2000 - committed;
    assert!(
        stdout.contains(&format!("(backfill: {rest} rows in ")),
        "the rerun does only the rest ({rest} rows): {stdout}"
    );
    assert_eq!(done(&db).await, (2000, 1), "every row once");
}

#[test]
fn a_backfill_that_cannot_run_in_batches_is_refused_where_it_says_so() {
    let cases = [
        (
            "-- authdb:backfill\nUPDATE items SET b = a WHERE id IN (SELECT id FROM items LIMIT 10);\n",
            "002_copy.sql:1:1: backfill: this backfill cannot run: a backfill commits each batch \
             on its own, so it cannot share the run's transaction: make the file's first line \
             `-- authdb:no-transaction`",
        ),
        (
            "-- authdb:no-transaction\n-- authdb:backfill\nUPDATE items SET b = a; -- LIMIT\n",
            "002_copy.sql:2:1: backfill: this backfill cannot run: its statement has no LIMIT",
        ),
    ];
    for (up, says) in cases {
        let fixture = items(1).migration("copy", up, "UPDATE items SET b = NULL;\n");
        let dir = fixture.path().to_str().unwrap();
        let (code, stdout, stderr) =
            run_on("postgres://nobody@127.0.0.1:1/none", dir, &["migrate"]);
        assert_eq!(code, 1, "{stdout}{stderr}");
        assert!(stderr.contains(&format!("{dir}/{says}")), "{stderr}");
    }
}
