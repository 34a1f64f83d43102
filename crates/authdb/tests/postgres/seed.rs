//! Seed data: the demo set is idempotent and has real argon2id hashes; synthetic users are
//! deterministic and complete. (That the benchmark's row-by-row baseline writes the same rows as
//! the COPY seed is tested in crates/bench.)

use argon2::password_hash::{PasswordHash, PasswordVerifier};
use authdb::seed::{self, Counts, DEMO_PASSWORD, Generator, SyntheticRow, SyntheticTable};
use tokio_postgres::Client;

/// A digest of every row the seeds write, ids and timestamps included.
async fn fingerprint(client: &Client) -> String {
    let mut all = String::new();
    for table in [
        "users",
        "accounts",
        "sessions",
        "software_background",
        "hardware_background",
    ] {
        let sql = format!(
            "SELECT coalesce(md5(string_agg(t::text, ',' ORDER BY t::text)), '') FROM {table} t"
        );
        all.push_str(
            &client
                .query_one(&sql, &[])
                .await
                .unwrap()
                .get::<_, String>(0),
        );
    }
    all
}

async fn count(client: &Client, sql: &str) -> i64 {
    client.query_one(sql, &[]).await.unwrap().get(0)
}

#[tokio::test]
async fn demo_seed_is_idempotent_and_complete() {
    let db = testdb::migrated_database().await;
    let mut client = db.connect().await;
    let first = seed::seed_demo(&mut client).await.unwrap();
    let expected = Counts {
        users: 3,
        accounts: 3,
        sessions: 4,
        software_background: 3,
        hardware_background: 3,
    };
    assert_eq!(first, expected);
    let rows = fingerprint(&client).await;

    let second = seed::seed_demo(&mut client).await.unwrap();
    assert_eq!(second, Counts::default());
    assert_eq!(
        fingerprint(&client).await,
        rows,
        "a second seed changed rows"
    );

    assert_eq!(
        count(
            &client,
            "SELECT count(*) FROM sessions WHERE expires_at < now()"
        )
        .await,
        1
    );
    let without_both = count(
        &client,
        "SELECT count(*) FROM users u WHERE NOT EXISTS (SELECT FROM software_background s WHERE s.user_id = u.id)
            OR NOT EXISTS (SELECT FROM hardware_background h WHERE h.user_id = u.id)",
    )
    .await;
    assert_eq!(without_both, 0);
}

#[tokio::test]
async fn demo_passwords_are_real_argon2id_hashes() {
    let db = testdb::migrated_database().await;
    let mut client = db.connect().await;
    seed::seed_demo(&mut client).await.unwrap();
    for row in client
        .query("SELECT password_hash FROM users", &[])
        .await
        .unwrap()
    {
        let stored: String = row.get(0);
        assert!(stored.starts_with("$argon2id$v=19$"), "{stored}");
        let parsed = PasswordHash::new(&stored).unwrap();
        argon2::Argon2::default()
            .verify_password(DEMO_PASSWORD.as_bytes(), &parsed)
            .expect("the demo password verifies");
        assert!(
            argon2::Argon2::default()
                .verify_password(b"wrong", &parsed)
                .is_err()
        );
    }
}

#[tokio::test]
async fn synthetic_users_are_deterministic() {
    let mut fingerprints = Vec::new();
    for seed in [7, 7, 8] {
        let db = testdb::migrated_database().await;
        let mut client = db.connect().await;
        let mut reported = 0;
        let counts = seed::seed_synthetic(&mut client, 2500, seed, &mut |n| reported += n)
            .await
            .unwrap();
        let each = 2500;
        assert_eq!(
            counts,
            Counts {
                users: each,
                accounts: 0,
                sessions: each,
                software_background: each,
                hardware_background: each
            }
        );
        assert_eq!(reported, 10_000, "progress must account for every row");
        fingerprints.push(fingerprint(&client).await);
    }
    assert_eq!(
        fingerprints[0], fingerprints[1],
        "the same seed wrote different rows"
    );
    assert_ne!(
        fingerprints[0], fingerprints[2],
        "another seed must give other rows"
    );
}

#[tokio::test]
async fn the_copy_seed_writes_the_generated_rows_with_their_timestamps() {
    let db = testdb::migrated_database().await;
    let mut client = db.connect().await;
    seed::seed_synthetic(&mut client, 40, 3, &mut |_| {})
        .await
        .unwrap();
    let generator = Generator::new(40, 3).unwrap();
    for index in [0, 39] {
        let SyntheticRow::Session {
            id,
            user_id,
            token,
            expires_at,
            created_at,
        } = generator.row(SyntheticTable::Sessions, index)
        else {
            panic!("a session row");
        };
        let row = client
            .query_one(
                "SELECT s.user_id, s.token, s.expires_at, s.created_at, s.updated_at, u.email
                 FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1",
                &[&id],
            )
            .await
            .unwrap();
        assert_eq!(row.get::<_, uuid::Uuid>(0), user_id);
        assert_eq!(row.get::<_, String>(1), token);
        assert_eq!(row.get::<_, std::time::SystemTime>(2), expires_at);
        assert_eq!(row.get::<_, std::time::SystemTime>(3), created_at);
        assert_eq!(row.get::<_, std::time::SystemTime>(4), created_at);
        assert_eq!(
            row.get::<_, String>(5),
            format!("user{index:07}@{}", seed::SYNTHETIC_DOMAIN)
        );
    }
}

#[tokio::test]
async fn a_synthetic_seed_outside_the_range_changes_nothing() {
    let db = testdb::migrated_database().await;
    let mut client = db.connect().await;
    seed::seed_synthetic(&mut client, 5, 1, &mut |_| {})
        .await
        .unwrap();
    let rows = fingerprint(&client).await;
    for users in [0, seed::MAX_USERS + 1, u64::MAX] {
        let error = seed::seed_synthetic(&mut client, users, 1, &mut |_| {})
            .await
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            format!("cannot seed {users} synthetic users: the number must be from 1 to 100000000")
        );
    }
    assert_eq!(
        fingerprint(&client).await,
        rows,
        "a refused seed changed rows"
    );
}

#[tokio::test]
async fn synthetic_seed_replaces_the_previous_one_and_spares_demo_users() {
    let db = testdb::migrated_database().await;
    let mut client = db.connect().await;
    seed::seed_demo(&mut client).await.unwrap();
    for users in [200, 50] {
        seed::seed_synthetic(&mut client, users, 1, &mut |_| {})
            .await
            .unwrap();
    }
    assert_eq!(count(&client, "SELECT count(*) FROM users").await, 53);
    assert_eq!(count(&client, "SELECT count(*) FROM sessions").await, 54);
    let incomplete = count(
        &client,
        "SELECT count(*) FROM users u WHERE NOT EXISTS (SELECT FROM sessions s WHERE s.user_id = u.id)",
    )
    .await;
    assert_eq!(incomplete, 0);
}

#[test]
fn seeding_a_remote_database_needs_allow_remote() {
    let remote = authdb::Setting {
        value: "postgres://app:s3cret@ep-cool-name-123456.eu-central-1.aws.neon.tech/app".into(),
        origin: "the test".into(),
    };
    let info = authdb::ConnInfo::parse(&remote, false).unwrap();
    let message = seed::check_local(&info, false).unwrap_err().to_string();
    assert_eq!(
        message,
        "refusing to seed postgres://app:***@ep-cool-name-123456.eu-central-1.aws.neon.tech/app: \
         it is not on this machine, and demo accounts with a published password must not reach \
         production by accident. Pass --allow-remote if this database is really meant for test data"
    );
    assert!(seed::check_local(&info, true).is_ok());
    let local = authdb::Setting {
        value: "postgres://app:s3cret@127.0.0.1:5432/app".into(),
        origin: "the test".into(),
    };
    assert!(seed::check_local(&authdb::ConnInfo::parse(&local, false).unwrap(), false).is_ok());
}
