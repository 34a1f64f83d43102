//! The email contract of migrations 007 and 008: `users.email` carries a UNIQUE constraint, so
//! the lookup BetterAuth's adapter makes (`WHERE email = $1`, the address lowercased) uses an
//! index and `ON CONFLICT (email)` works, while case-variant addresses are still one account.

use crate::migrate_repository;

#[tokio::test]
async fn the_equality_lookup_uses_the_unique_index() {
    let db = testdb::migrated_database().await;
    let mut client = db.connect().await;
    let mut quiet = |_| {};
    authdb::seed::seed_synthetic(&mut client, 5_000, 42, &mut quiet)
        .await
        .unwrap();
    client.batch_execute("ANALYZE users").await.unwrap();
    let plan: Vec<String> = client
        .query(
            "EXPLAIN SELECT id, password_hash FROM users WHERE email = $1",
            &[&"user0000042@synthetic.authdb.invalid"],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let plan = plan.join("\n");
    assert!(plan.contains("using users_email_key"), "{plan}");
    assert!(!plan.contains("Seq Scan"), "{plan}");
}

#[tokio::test]
async fn sign_up_with_on_conflict_email_do_nothing_works() {
    let db = testdb::migrated_database().await;
    let client = db.connect().await;
    let sign_up = "INSERT INTO users (email, password_hash) VALUES ($1, 'h')
                   ON CONFLICT (email) DO NOTHING RETURNING id";
    let first = client.query(sign_up, &[&"ada@example.com"]).await.unwrap();
    assert_eq!(first.len(), 1);
    let again = client.query(sign_up, &[&"ada@example.com"]).await.unwrap();
    assert!(again.is_empty(), "the second sign-up inserted a row");
}

#[tokio::test]
async fn case_variant_addresses_are_still_one_account() {
    let db = testdb::migrated_database().await;
    let client = db.connect().await;
    client
        .execute(
            "INSERT INTO users (email, password_hash) VALUES ('ada@example.com', 'h')",
            &[],
        )
        .await
        .unwrap();
    for email in ["Ada@example.com", "ADA@EXAMPLE.COM", "ada@example.com"] {
        let error = client
            .execute(
                "INSERT INTO users (email, password_hash) VALUES ($1, 'h')",
                &[&email],
            )
            .await
            .unwrap_err();
        let db_error = error.as_db_error().expect("a server error");
        assert_eq!(db_error.code().code(), "23505", "{email}: {db_error}");
    }
}

#[tokio::test]
async fn the_constraint_is_added_to_a_database_that_already_has_users() {
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    migrate_repository(&mut client, Some(6)).await;
    client
        .batch_execute(
            "INSERT INTO users (email, password_hash) VALUES ('ada@example.com', 'h'), ('Grace@example.com', 'h')",
        )
        .await
        .unwrap();
    // Up to 008, whose constraint this is: a later migration lowercases the stored addresses
    // for BetterAuth (tested with the other BetterAuth migrations, tests/betterauth).
    let constraint_version = crate::load(&testdb::migrations_dir())
        .list
        .iter()
        .find(|m| m.name == "email_unique_constraint")
        .expect("the repository has its email constraint migration")
        .version;
    migrate_repository(&mut client, Some(constraint_version)).await;
    let constraint: String = client
        .query_one(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'users_email_key'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(constraint, "UNIQUE (email)");
    let emails: Vec<String> = client
        .query("SELECT email FROM users ORDER BY email", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(emails, ["Grace@example.com", "ada@example.com"]);
}
