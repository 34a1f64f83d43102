//! The schema the six migrations create: generated ids, cascades, `updated_at` triggers,
//! uniqueness, and GIN indexes that searches can use.

use tokio_postgres::Client;

/// Inserts a user with both backgrounds and two sessions; returns the user's id as text.
async fn user_with_everything(client: &Client, email: &str) -> String {
    let row = client
        .query_one(
            "INSERT INTO users (email, password_hash) VALUES ($1, 'argon2id-hash') RETURNING id::text",
            &[&email],
        )
        .await
        .unwrap();
    let id: String = row.get(0);
    client
        .batch_execute(&format!(
            "INSERT INTO sessions (user_id, token, expires_at)
                 VALUES ('{id}', 'tok-{id}-1', now() + interval '1 day'),
                        ('{id}', 'tok-{id}-2', now() - interval '1 day');
             INSERT INTO software_background (user_id, experience_level, preferred_languages)
                 VALUES ('{id}', 'advanced', ARRAY['rust', 'sql']);
             INSERT INTO hardware_background (user_id, experience_level, device_types)
                 VALUES ('{id}', 'beginner', ARRAY['fpga']);"
        ))
        .await
        .unwrap();
    id
}

async fn count(client: &Client, sql: &str) -> i64 {
    client.query_one(sql, &[]).await.unwrap().get(0)
}

#[tokio::test]
async fn the_database_generates_ids_timestamps_and_empty_arrays() {
    let db = testdb::migrated_database().await;
    let client = db.connect().await;
    let row = client
        .query_one(
            "INSERT INTO users (email, password_hash) VALUES ('a@example.com', 'h')
             RETURNING id IS NOT NULL, created_at = now(), updated_at = now()",
            &[],
        )
        .await
        .unwrap();
    assert_eq!((row.get(0), row.get(1), row.get(2)), (true, true, true));
    let row = client
        .query_one(
            "INSERT INTO software_background (user_id, experience_level)
             SELECT id, 'expert' FROM users RETURNING preferred_languages, preferred_frameworks",
            &[],
        )
        .await
        .unwrap();
    let empty: Vec<String> = Vec::new();
    assert_eq!(
        (row.get::<_, Vec<String>>(0), row.get::<_, Vec<String>>(1)),
        (empty.clone(), empty)
    );
}

#[tokio::test]
async fn deleting_a_user_cascades_to_sessions_and_both_backgrounds() {
    let db = testdb::migrated_database().await;
    let client = db.connect().await;
    let alice = user_with_everything(&client, "alice@example.com").await;
    user_with_everything(&client, "bob@example.com").await;
    assert_eq!(count(&client, "SELECT count(*) FROM sessions").await, 4);

    client
        .execute("DELETE FROM users WHERE id::text = $1", &[&alice])
        .await
        .unwrap();
    for table in ["sessions", "software_background", "hardware_background"] {
        let theirs = count(
            &client,
            &format!("SELECT count(*) FROM {table} WHERE user_id::text = '{alice}'"),
        )
        .await;
        assert_eq!(theirs, 0, "{table} rows of the deleted user remain");
        let others = count(&client, &format!("SELECT count(*) FROM {table}")).await;
        assert!(others > 0, "{table}: bob's rows must stay");
    }
}

#[tokio::test]
async fn update_bumps_updated_at_and_keeps_created_at_on_every_table() {
    let db = testdb::migrated_database().await;
    let client = db.connect().await;
    user_with_everything(&client, "carol@example.com").await;
    let updates = [
        ("users", "email = 'carol@example.org'"),
        ("sessions", "expires_at = expires_at + interval '1 hour'"),
        ("software_background", "experience_level = 'expert'"),
        ("hardware_background", "device_types = ARRAY['fpga', 'mcu']"),
    ];
    for (table, set) in updates {
        // Backdate both columns, so the trigger's now() is certainly later.
        client
            .batch_execute(&format!(
                "ALTER TABLE {table} DISABLE TRIGGER USER;
                 UPDATE {table} SET created_at = '2020-01-01Z', updated_at = '2020-01-01Z';
                 ALTER TABLE {table} ENABLE TRIGGER USER;"
            ))
            .await
            .unwrap();
        let rows = client
            .query(
                &format!(
                    "UPDATE {table} SET {set}
                     RETURNING created_at = '2020-01-01Z', updated_at = now()"
                ),
                &[],
            )
            .await
            .unwrap();
        assert!(!rows.is_empty(), "{table}: nothing updated");
        for row in rows {
            assert!(row.get::<_, bool>(0), "{table}: created_at changed");
            assert!(
                row.get::<_, bool>(1),
                "{table}: updated_at not bumped to now()"
            );
        }
    }
}

#[tokio::test]
async fn email_token_and_one_background_per_user_are_unique() {
    let db = testdb::migrated_database().await;
    let client = db.connect().await;
    let id = user_with_everything(&client, "dave@example.com").await;
    let violations = [
        (
            "INSERT INTO users (email, password_hash) VALUES ('DAVE@example.com', 'h')".to_string(),
            "users_email_lower_key",
        ),
        (
            format!(
                "INSERT INTO sessions (user_id, token, expires_at) VALUES ('{id}', 'tok-{id}-1', now())"
            ),
            "sessions_token_key",
        ),
        (
            format!(
                "INSERT INTO software_background (user_id, experience_level) VALUES ('{id}', 'expert')"
            ),
            "software_background_user_id_key",
        ),
        (
            format!(
                "INSERT INTO hardware_background (user_id, experience_level) VALUES ('{id}', 'expert')"
            ),
            "hardware_background_user_id_key",
        ),
    ];
    for (sql, constraint) in violations {
        let error = client.batch_execute(&sql).await.unwrap_err();
        let db_error = error.as_db_error().expect("a server error");
        assert_eq!(db_error.code().code(), "23505", "{sql}: {db_error}");
        assert_eq!(db_error.constraint(), Some(constraint), "{sql}");
    }
}

#[tokio::test]
async fn required_columns_reject_null_and_unknown_experience_levels() {
    let db = testdb::migrated_database().await;
    let client = db.connect().await;
    let id = user_with_everything(&client, "erin@example.com").await;
    let cases = [
        // password_hash is optional since BetterAuth keeps passwords in accounts; email is not.
        ("INSERT INTO users (password_hash) VALUES ('h')".to_string(), "23502"),
        (format!("INSERT INTO sessions (user_id, token) VALUES ('{id}', 't')"), "23502"),
        ("INSERT INTO sessions (token, expires_at) VALUES ('t', now())".to_string(), "23502"),
        (
            format!("UPDATE software_background SET experience_level = 'guru' WHERE user_id = '{id}'"),
            "23514",
        ),
        (
            "INSERT INTO sessions (user_id, token, expires_at) VALUES (gen_random_uuid(), 't', now())".to_string(),
            "23503",
        ),
    ];
    for (sql, code) in cases {
        let error = client.batch_execute(&sql).await.unwrap_err();
        assert_eq!(error.as_db_error().unwrap().code().code(), code, "{sql}");
    }
}

#[tokio::test]
async fn array_searches_can_use_their_gin_indexes() {
    let db = testdb::migrated_database().await;
    let client = db.connect().await;
    client
        .batch_execute("SET enable_seqscan = off")
        .await
        .unwrap();
    let searches = [
        (
            "software_background",
            "preferred_languages",
            "software_background_preferred_languages_idx",
        ),
        (
            "software_background",
            "preferred_frameworks",
            "software_background_preferred_frameworks_idx",
        ),
        (
            "hardware_background",
            "preferred_platforms",
            "hardware_background_preferred_platforms_idx",
        ),
        (
            "hardware_background",
            "device_types",
            "hardware_background_device_types_idx",
        ),
    ];
    for (table, column, index) in searches {
        let plan: String = client
            .query(
                &format!("EXPLAIN SELECT * FROM {table} WHERE {column} @> ARRAY['rust']"),
                &[],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| r.get::<_, String>(0) + "\n")
            .collect();
        assert!(
            plan.contains(index),
            "{table}.{column} does not use {index}:\n{plan}"
        );
    }
}

#[tokio::test]
async fn sessions_are_indexed_for_user_lookup_and_expiry_cleanup() {
    let db = testdb::migrated_database().await;
    let client = db.connect().await;
    client
        .batch_execute("SET enable_seqscan = off")
        .await
        .unwrap();
    let searches = [
        ("token = 'x'", "sessions_token_key"),
        (
            "user_id = '00000000-0000-0000-0000-000000000000'",
            "sessions_user_id_idx",
        ),
        ("expires_at < now()", "sessions_expires_at_idx"),
    ];
    for (condition, index) in searches {
        let plan: String = client
            .query(
                &format!("EXPLAIN SELECT * FROM sessions WHERE {condition}"),
                &[],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| r.get::<_, String>(0) + "\n")
            .collect();
        assert!(
            plan.contains(index),
            "{condition} does not use {index}:\n{plan}"
        );
    }
}
