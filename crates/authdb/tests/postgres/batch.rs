//! A group's statements go several to a message, and PostgreSQL holds their answers until the
//! message is done: what that must not cost. Each file's time is its own, measured by the server;
//! a message longer than the client's deadline for an answer, whose statements each finish
//! within `statement_timeout`, completes when a second connection finds the server at work.

use std::time::Duration;

use authdb::{ConnInfo, MigrateOptions, Retry};
use testdb::Fixture;

use crate::tracking_rows;

async fn connection(db: &testdb::TestDb) -> authdb::Connection {
    let info = ConnInfo::parse(&db.setting(), false).unwrap();
    authdb::connect(&info, Retry::default()).await.unwrap()
}

#[tokio::test]
async fn each_file_of_a_message_gets_its_own_time() {
    let db = testdb::empty_database().await;
    let fixture = Fixture::new()
        .migration(
            "quick",
            "CREATE TABLE quick (id int);\n",
            "DROP TABLE quick;\n",
        )
        .migration("slow", "SELECT pg_sleep(0.4);\n", "SELECT 1;\n")
        .migration(
            "after",
            "CREATE TABLE after (id int);\n",
            "DROP TABLE after;\n",
        );
    let report = connection(&db)
        .await
        .migrate(&fixture.load(), &MigrateOptions::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    let ms: Vec<f64> = report.steps.iter().map(|s| s.duration_ms).collect();
    assert!(ms[1] >= 400.0, "the slow file's time: {ms:?}");
    // A client's clock would give the whole message to the first file, whose completion comes
    // back with the rest.
    assert!(ms[0] < 300.0 && ms[2] < 300.0, "{ms:?}");
    let client = db.connect().await;
    let stored: Vec<i64> = client
        .query(
            "SELECT execution_ms FROM authdb_schema_migrations ORDER BY version",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert!(
        stored[1] >= 400 && stored[0] < 300 && stored[2] < 300,
        "{stored:?}"
    );
    assert_eq!(tracking_rows(&client).await.len(), 3);
}

#[tokio::test]
async fn a_message_longer_than_the_deadline_completes_while_the_server_is_at_work() {
    // 16 statements of 0.5 s under a 2 s statement_timeout: each fits with 1.5 s to spare; the
    // message takes 8 s, past the client's 7 s deadline (2 s plus the 5 s grace) for an answer.
    let sleeps = "SELECT pg_sleep(0.5);\n".repeat(16);
    let fixture = Fixture::new().migration("slow", &sleeps, "SELECT 1;\n");
    let options = MigrateOptions {
        statement_timeout: Some(Duration::from_secs(2)),
        ..Default::default()
    };

    // A bare client has no second connection to ask: the silence is taken for a lost server.
    let bare = testdb::empty_database().await;
    let mut client = bare.connect().await;
    let message = authdb::migrate(&mut client, &fixture.load(), &options)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        message.contains(
            "001_slow.sql:1:1: the server did not answer the statements from here to line 16 \
             (sent as one message) within 7 s, so the connection is presumed lost"
        ),
        "{message}"
    );

    let db = testdb::empty_database().await;
    let report = connection(&db)
        .await
        .migrate(&fixture.load(), &options)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.steps.len(), 1);
    assert!(report.steps[0].duration_ms >= 8000.0, "{:?}", report.steps);
}
