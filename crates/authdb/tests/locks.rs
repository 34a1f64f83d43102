//! A rollback too large for one transaction: every object its down files drop stays locked to
//! the COMMIT, and the server's lock table (`max_locks_per_transaction`) runs out. `rollback --to
//! 0` of 2,000 migrations failed with "out of shared memory" and no advice; it says how to do it
//! in steps now, and the steps it gives work. This binary has its own server with the smallest
//! lock table PostgreSQL allows, so a few hundred migrations show it and no other test's server
//! runs short of locks.

use std::sync::OnceLock;

use authdb::{MigrateOptions, RollbackOptions, RollbackTo};
use testdb::{Fixture, Server};

const MIGRATIONS: usize = 300;

fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        std::thread::spawn(|| {
            testdb::start_with(
                "locks",
                &["max_locks_per_transaction=10", "max_connections=20"],
            )
        })
        .join()
        .expect("the container start thread panicked")
    })
}

#[tokio::test]
async fn a_rollback_too_large_for_one_transaction_says_how_to_do_it_in_steps_which_work() {
    let server = server();
    let admin = server.connect("postgres").await;
    admin.batch_execute("CREATE DATABASE locks").await.unwrap();
    let mut client = server.connect("locks").await;

    let mut fixture = Fixture::new();
    for i in 1..=MIGRATIONS {
        fixture.add(
            &format!("create_t{i}"),
            &format!("CREATE TABLE t{i} (id int PRIMARY KEY);\n"),
            &format!("DROP TABLE t{i};\n"),
        );
    }
    let migrations = fixture.load();
    // Up in steps too: creating them all in one transaction runs out of locks as well.
    for up_to in (25..=MIGRATIONS).step_by(25) {
        let options = MigrateOptions {
            up_to: Some(up_to as i64),
            ..Default::default()
        };
        authdb::migrate(&mut client, &migrations, &options)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }

    let all = RollbackOptions::new(RollbackTo::Version(0));
    let plan = authdb::plan_rollback(&client, &migrations, &all)
        .await
        .unwrap();
    let error = authdb::rollback(&client, &migrations, &all, &plan)
        .await
        .expect_err("the server's lock table is too small for this rollback");
    let message = error.to_string();
    assert_eq!(error.sqlstate(), Some("53200"), "{message}");
    assert!(
        message.contains(&format!(
            "Rolling back {MIGRATIONS} migrations in one transaction takes more locks than the \
             server lets one transaction hold (max_locks_per_transaction)"
        )),
        "{message}"
    );
    // The server's own hint comes first; PostgreSQL 17 quotes the setting's name, 15 does not.
    assert!(
        message.contains("max_locks_per_transaction\". Rolling back")
            || message.contains("max_locks_per_transaction. Rolling back"),
        "{message}"
    );
    assert!(message.contains("Nothing was rolled back"), "{message}");
    let authdb::Error::RollbackTooLarge { targets, done, .. } = &error else {
        panic!("{message}");
    };
    assert!(message.contains("`cargo xtask rollback --to "), "{message}");
    assert_eq!(*targets.last().unwrap(), 0);
    let tables = testdb::tables(&client).await;
    assert_eq!(tables.len(), MIGRATIONS + 1, "nothing was rolled back");

    // The steps, as the message gives them.
    let step = (done / 2).max(1);
    assert!(
        message.contains(&format!("Roll back in steps of at most {step} migrations")),
        "{message}"
    );
    for &to in targets.iter() {
        let options = RollbackOptions::new(RollbackTo::Version(to));
        let plan = authdb::plan_rollback(&client, &migrations, &options)
            .await
            .unwrap();
        assert!(plan.steps.len() <= step, "{to}: {}", plan.steps.len());
        authdb::rollback(&client, &migrations, &options, &plan)
            .await
            .unwrap_or_else(|e| panic!("--to {to}: {e}"));
    }
    let tables = testdb::tables(&client).await;
    assert_eq!(tables, ["authdb_schema_migrations"]);
}
