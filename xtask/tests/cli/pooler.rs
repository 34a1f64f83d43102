//! `migrate` and `status` through PgBouncer in transaction mode, as behind Neon's `-pooler`
//! endpoints (see `testdb::pooler`): a server connection belongs to a client for one transaction
//! only, so authdb must hold its lock in the transaction and assume no session state.

use std::process::{Output, Stdio};

use crate::{PASSWORD, text, xtask};

/// A Neon-style pooler host name. It does not resolve (`.invalid`), so the URL lists it first
/// and PgBouncer's real address second: the driver tries the hosts in turn, and authdb sees the
/// `-pooler` name as a user's URL would show it.
const POOLER_HOST: &str = "ep-authdb-test-pooler.invalid";

fn pooled_url(database: &str) -> String {
    let port = testdb::pooler::pooler().port;
    format!(
        "postgres://postgres:{PASSWORD}@{POOLER_HOST}:6432,127.0.0.1:{port}/{database}?sslmode=prefer"
    )
}

/// Runs xtask with these arguments and returns stdout, after checking it succeeded and printed
/// no password.
fn run(args: &[&str]) -> String {
    let cwd = tempfile::tempdir().unwrap();
    let output: Output = xtask(cwd.path()).args(args).output().unwrap();
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{args:?}: {stdout}{stderr}");
    assert!(
        !stdout.contains(&format!(":{PASSWORD}@")) && !stderr.contains(&format!(":{PASSWORD}@")),
        "{stdout}{stderr}"
    );
    stdout
}

/// Three plain migrations (a no-transaction one is refused through a pooler: see the library's
/// tests); the table names are the repository's, the folder is the test's own.
fn fixture() -> testdb::Fixture {
    testdb::Fixture::new()
        .table("users")
        .table("sessions")
        .table("software_background")
}

const MIGRATIONS: usize = 3;

/// PgBouncer's own view of its settings, from its admin console.
async fn pooler_setting(name: &str) -> String {
    let url = testdb::pooler::pooler().url("127.0.0.1", "pgbouncer");
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    // The admin console speaks the simple query protocol only.
    for message in client.simple_query("SHOW CONFIG").await.unwrap() {
        if let tokio_postgres::SimpleQueryMessage::Row(row) = message
            && row.get("key") == Some(name)
        {
            return row.get("value").unwrap().to_string();
        }
    }
    panic!("PgBouncer has no setting {name}");
}

/// After the runs: every migration recorded exactly once, and no advisory lock left behind on
/// the server connections that PgBouncer keeps open (a session-level lock would stay there).
async fn check_applied_once(db: &testdb::TestDb) {
    let client = db.connect().await;
    let row = client
        .query_one(
            "SELECT count(*), count(DISTINCT version) FROM authdb_schema_migrations",
            &[],
        )
        .await
        .unwrap();
    let n = MIGRATIONS as i64;
    assert_eq!((row.get::<_, i64>(0), row.get::<_, i64>(1)), (n, n));
    let locks: i64 = client
        .query_one(
            "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database \
             WHERE l.locktype = 'advisory' AND d.datname = current_database()",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(locks, 0, "an advisory lock outlived its run");
}

#[tokio::test]
async fn migrate_and_status_work_through_pgbouncer_in_transaction_mode() {
    assert_eq!(pooler_setting("pool_mode").await, "transaction");
    let db = testdb::empty_database().await;
    let url = pooled_url(&db.name);
    let n = MIGRATIONS;
    let fixture = fixture();
    let dir = fixture.path().to_str().unwrap();

    let first = run(&["migrate", "--database-url", &url, "--migrations", dir]);
    assert!(
        first.contains(&format!("{n} migrations applied")),
        "{first}"
    );
    assert!(
        first.contains(&format!(
            "notice: {POOLER_HOST} is a Neon pooler endpoint; Neon recommends the direct \
             endpoint (without -pooler) for migrations"
        )),
        "{first}"
    );
    let second = run(&["migrate", "--database-url", &url, "--migrations", dir]);
    assert!(
        second.contains(&format!("already up to date at version {n}")),
        "{second}"
    );
    check_applied_once(&db).await;

    // The same pooler under a name without -pooler: no notice.
    let plain = testdb::pooler::pooler().url("127.0.0.1", &db.name);
    let status = run(&["status", "--database-url", &plain, "--migrations", dir]);
    assert!(
        status.contains(&format!("{n} applied, 0 pending, 0 modified, 0 missing")),
        "{status}"
    );
    assert!(!status.contains("notice:"), "{status}");
}

/// More migrators than PgBouncer has server connections, so they take turns on them: each
/// migration is still applied exactly once.
#[tokio::test]
async fn concurrent_migrators_through_pgbouncer_apply_each_migration_once() {
    let migrators = 3 * testdb::pooler::POOL_SIZE;
    let db = testdb::empty_database().await;
    let url = pooled_url(&db.name);
    let cwd = tempfile::tempdir().unwrap();
    let fixture = fixture();
    // All started before any is awaited.
    let children: Vec<_> = (0..migrators)
        .map(|_| {
            xtask(cwd.path())
                .args(["migrate", "--database-url", &url, "--migrations"])
                .arg(fixture.path())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let n = MIGRATIONS;
    let (mut applied, mut up_to_date) = (0, 0);
    for child in children {
        let output = child.wait_with_output().unwrap();
        let (stdout, stderr) = text(&output);
        assert!(output.status.success(), "{stdout}{stderr}");
        if stdout.contains(&format!("{n} migrations applied")) {
            applied += 1;
        } else if stdout.contains(&format!("already up to date at version {n}")) {
            up_to_date += 1;
        }
    }
    assert_eq!((applied, up_to_date), (1, migrators - 1));
    check_applied_once(&db).await;
}
