//! `needs-no-transaction` says what PostgreSQL says: every statement lint flags is refused by a
//! real server inside a transaction block (SQLSTATE 25001), and the look-alikes lint lets pass
//! run inside one. A statement lint missed would fail at deploy time; one it flagged wrongly
//! would send a user to a no-transaction file for nothing.

use authdb_lint::{Options, lint};
use tokio_postgres::Client;
use tokio_postgres::error::SqlState;

/// lint's `needs-no-transaction` findings for `sql` as a new migration, as `what` it names.
fn flagged(sql: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("001_x.sql"), format!("{sql};\n")).unwrap();
    std::fs::write(dir.path().join("001_x.down.sql"), "SELECT 1;\n").unwrap();
    lint(dir.path(), Options::default())
        .unwrap()
        .findings
        .iter()
        .filter(|f| f.rule.id() == "needs-no-transaction")
        .map(|f| f.message.split(':').next().unwrap().to_string())
        .collect()
}

/// Runs `sql` inside a transaction block and returns the SQLSTATE it fails with, if any.
async fn in_a_transaction(client: &Client, sql: &str) -> Option<SqlState> {
    client.batch_execute("BEGIN").await.unwrap();
    let result = client.batch_execute(sql).await;
    client.batch_execute("ROLLBACK").await.unwrap();
    result
        .err()
        .map(|e| e.code().cloned().expect("a server error"))
}

#[tokio::test]
async fn what_lint_flags_postgresql_refuses_in_a_transaction_and_the_rest_it_accepts() {
    let db = testdb::empty_database().await;
    let client = db.connect().await;
    client
        .batch_execute(
            "CREATE TABLE t (id int8 PRIMARY KEY);
             CREATE INDEX t_id_idx ON t (id);
             CREATE TABLE p (id int8) PARTITION BY RANGE (id);
             CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (0) TO (10);
             CREATE MATERIALIZED VIEW m AS SELECT id FROM t;
             CREATE UNIQUE INDEX m_id_idx ON m (id);
             CREATE TYPE mood AS ENUM ('a');",
        )
        .await
        .unwrap();
    let name = &db.name;
    let refused = [
        (
            "CREATE INDEX CONCURRENTLY t_x_idx ON t (id)",
            "CREATE INDEX CONCURRENTLY",
        ),
        (
            "DROP INDEX CONCURRENTLY t_id_idx",
            "DROP INDEX CONCURRENTLY",
        ),
        ("REINDEX TABLE CONCURRENTLY t", "REINDEX CONCURRENTLY"),
        (
            "REINDEX (CONCURRENTLY) INDEX t_id_idx",
            "REINDEX CONCURRENTLY",
        ),
        ("REINDEX SCHEMA public", "REINDEX SCHEMA"),
        (&format!("REINDEX DATABASE {name}"), "REINDEX DATABASE"),
        (&format!("REINDEX SYSTEM {name}"), "REINDEX SYSTEM"),
        (
            "ALTER TABLE p DETACH PARTITION p1 CONCURRENTLY",
            "DETACH PARTITION CONCURRENTLY",
        ),
        ("VACUUM t", "VACUUM"),
        ("VACUUM (ANALYZE) t", "VACUUM"),
        ("CREATE DATABASE lint_never_created", "CREATE DATABASE"),
        (
            "DROP DATABASE IF EXISTS lint_never_created",
            "DROP DATABASE",
        ),
        (
            "CREATE TABLESPACE lint_ts LOCATION '/nowhere'",
            "CREATE TABLESPACE",
        ),
        ("DROP TABLESPACE IF EXISTS lint_ts", "DROP TABLESPACE"),
        ("ALTER SYSTEM SET work_mem = '4MB'", "ALTER SYSTEM"),
        ("CLUSTER", "CLUSTER without a table"),
        ("DISCARD ALL", "DISCARD ALL"),
        (
            &format!("ALTER DATABASE {name} SET TABLESPACE pg_default"),
            "ALTER DATABASE SET TABLESPACE",
        ),
    ];
    for (sql, what) in refused {
        assert_eq!(flagged(sql), [what], "{sql}");
        assert_eq!(
            in_a_transaction(&client, sql).await,
            Some(SqlState::ACTIVE_SQL_TRANSACTION),
            "{sql}: PostgreSQL should refuse it in a transaction block"
        );
    }
    let accepted = [
        "CREATE INDEX t_y_idx ON t (id)",
        "DROP INDEX t_id_idx",
        "REINDEX TABLE t",
        "REINDEX INDEX t_id_idx",
        "ALTER TABLE p DETACH PARTITION p1",
        "ANALYZE t",
        "CLUSTER t USING t_pkey",
        "DISCARD PLANS",
        "REFRESH MATERIALIZED VIEW CONCURRENTLY m",
        // Allowed in a transaction since PostgreSQL 12 (the new value is usable after COMMIT).
        "ALTER TYPE mood ADD VALUE 'b'",
    ];
    for sql in accepted {
        assert_eq!(flagged(sql), Vec::<String>::new(), "{sql}");
        assert_eq!(in_a_transaction(&client, sql).await, None, "{sql}");
    }
}
