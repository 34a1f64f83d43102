//! `new --rename-column users.email email_address` on a copy of the repository's folder, walked
//! through expand, backfill and contract while an old-version and a new-version client sign
//! users up and in through PgBouncer in transaction mode: every account reachable through both versions at every phase, a race for one
//! address won exactly once, and rollback of the expand giving back the schema before it.

use testdb::TestDb;
use tokio_postgres::Client;

use crate::{run, run_on};

/// How each app version finds and writes a user's address.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Version {
    Old,
    New,
}

impl Version {
    pub(crate) fn column(self) -> &'static str {
        match self {
            Version::Old => "email",
            Version::New => "email_address",
        }
    }

    pub(crate) async fn sign_up(
        self,
        client: &Client,
        address: &str,
    ) -> Result<(), tokio_postgres::Error> {
        let sql = format!("INSERT INTO users ({}) VALUES ($1)", self.column());
        client.execute(&sql, &[&address]).await.map(drop)
    }

    pub(crate) async fn sign_in(self, client: &Client, address: &str) -> i64 {
        let sql = format!(
            "SELECT count(*) FROM users WHERE lower({}) = lower($1)",
            self.column()
        );
        client.query_one(&sql, &[&address]).await.unwrap().get(0)
    }

    pub(crate) async fn change(self, client: &Client, from: &str, to: &str) {
        let sql = format!("UPDATE users SET {0} = $2 WHERE {0} = $1", self.column());
        assert_eq!(client.execute(&sql, &[&from, &to]).await.unwrap(), 1);
    }
}

/// Every address signs in once through each version.
pub(crate) async fn both_find(client: &Client, addresses: &[String], phase: &str) {
    for address in addresses {
        for version in [Version::Old, Version::New] {
            assert_eq!(
                version.sign_in(client, address).await,
                1,
                "{phase}: {version:?} does not find {address}"
            );
        }
    }
}

/// A copy of the repository's folder, snapshot and lock included.
fn repository() -> tempfile::TempDir {
    let folder = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(testdb::migrations_dir()).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, folder.path().join(path.file_name().unwrap())).unwrap();
    }
    folder
}

/// The repository's folder with the rename written by `new`, and its snapshot made again.
pub(crate) fn folder() -> tempfile::TempDir {
    let folder = repository();
    let dir = folder.path().to_str().unwrap();
    let (code, stdout, stderr) = run(&[
        "new",
        "--rename-column",
        "users.email",
        "email_address",
        "--migrations",
        dir,
    ]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains("_contract_users_email_address.sql\n"),
        "{stdout}"
    );
    let (code, stdout, stderr) = run(&["lint", "--update-lock", "--migrations", dir]);
    assert_eq!(
        code, 0,
        "lint finds nothing in what new wrote: {stdout}{stderr}"
    );
    let (code, stdout, stderr) = run(&["snapshot", "--migrations", dir]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    folder
}

/// A client of the app: through PgBouncer in transaction mode, as Neon's `-pooler` endpoints
/// serve the app, so nothing may rest on session state.
pub(crate) async fn app(db: &TestDb) -> Client {
    let url = testdb::pooler::pooler().url("127.0.0.1", &db.name);
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
}

async fn users(db: &TestDb) -> i64 {
    db.connect()
        .await
        .query_one("SELECT count(*) FROM users", &[])
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn a_rename_walks_through_expand_backfill_and_contract_with_both_versions_live() {
    let folder = folder();
    let dir = folder.path().to_str().unwrap();
    let latest = authdb::Migrations::load(&testdb::migrations_dir())
        .unwrap()
        .latest_version()
        .unwrap();
    let db = testdb::empty_database().await;
    let (code, stdout, stderr) = run_on(&db.url, dir, &["migrate", "--to", &latest.to_string()]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let direct = db.connect().await;
    let before = authdb::Snapshot::capture(&direct).await.unwrap();
    let client = app(&db).await;
    // Accounts of the old version, before the expand: the backfill's work.
    client
        .batch_execute(
            "INSERT INTO users (email) SELECT 'user' || n || '@example.com' FROM generate_series(1, 2500) AS n",
        )
        .await
        .unwrap();
    let mut addresses: Vec<String> = ["user1@example.com", "user2500@example.com"]
        .map(String::from)
        .to_vec();

    // Expand, indexes and backfill; the contract step is held.
    let (code, stdout, stderr) = run_on(&db.url, dir, &["migrate"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains("(backfill: 2500 rows in 2 batches)"),
        "{stdout}"
    );
    assert!(stdout.contains("held back: "), "{stdout}");
    let empty: i64 = client
        .query_one(
            "SELECT count(*) FROM users WHERE email_address IS DISTINCT FROM email",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(empty, 0, "the backfill copied every address");
    both_find(&client, &addresses, "after the backfill").await;

    // Both versions live: each signs up and changes addresses; both see every change.
    Version::Old
        .sign_up(&client, "old@example.com")
        .await
        .unwrap();
    Version::New
        .sign_up(&client, "new@example.com")
        .await
        .unwrap();
    Version::Old
        .change(&client, "new@example.com", "new2@example.com")
        .await;
    Version::New
        .change(&client, "old@example.com", "old2@example.com")
        .await;
    Version::New
        .change(&client, "user1@example.com", "first@example.com")
        .await;
    addresses = [
        "first@example.com",
        "user2500@example.com",
        "new2@example.com",
        "old2@example.com",
    ]
    .map(String::from)
    .to_vec();
    both_find(&client, &addresses, "both versions live").await;

    // Old and new race for one address: exactly one wins, the other gets 23505.
    for n in 0..20 {
        let address = format!("race{n}@example.com");
        let (old, new) = (app(&db).await, app(&db).await);
        let (a, b) = tokio::join!(
            Version::Old.sign_up(&old, &address),
            Version::New.sign_up(&new, &address)
        );
        let lost: Vec<_> = [a, b].into_iter().filter_map(Result::err).collect();
        assert_eq!(lost.len(), 1, "{address}: {lost:?}");
        assert_eq!(
            lost[0].code(),
            Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION)
        );
        both_find(&client, std::slice::from_ref(&address), "after a race").await;
    }

    let (code, stdout, _) = run_on(&db.url, dir, &["verify"]);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("OK: held at version "), "{stdout}");

    // Rolling the expand back gives back the schema before it, every account still there.
    let (code, stdout, stderr) = run_on(
        &db.url,
        dir,
        &["rollback", "--yes", "--to", &latest.to_string()],
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    let after = authdb::Snapshot::capture(&direct).await.unwrap();
    assert_eq!(
        authdb::snapshot::diff(&before, &after),
        Vec::new(),
        "rolling back the expand gives back the schema before it"
    );
    for address in &addresses {
        assert_eq!(Version::Old.sign_in(&client, address).await, 1, "{address}");
    }
    let (code, stdout, stderr) = run_on(&db.url, dir, &["migrate"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    both_find(&client, &addresses, "expanded again").await;

    // While the old version is declared live, the contract step is refused and nothing changes.
    let versions = tempfile::tempdir().unwrap();
    let v1 = versions.path().join("v1.sql");
    std::fs::write(
        &v1,
        "-- the old version\nSELECT id FROM users WHERE lower(email) = lower($1);\n\
         INSERT INTO users (email) VALUES ($1);\n",
    )
    .unwrap();
    std::fs::write(
        versions.path().join("v2.sql"),
        "SELECT id FROM users WHERE lower(email_address) = lower($1);\n\
         INSERT INTO users (email_address) VALUES ($1);\n",
    )
    .unwrap();
    let live = versions.path().to_str().unwrap();
    let (code, stdout, stderr) =
        run_on(&db.url, dir, &["migrate", "--contract", "--versions", live]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stderr.contains(&format!(
            "{}:2: app version v1 would fail after this run: column \"email\" does not exist",
            v1.display()
        )),
        "{stderr}"
    );
    assert!(stderr.contains("Nothing was applied"), "{stderr}");
    let (_, stdout, _) = run_on(&db.url, dir, &["status"]);
    assert!(
        stdout.contains("(1 a contract step)"),
        "still held: {stdout}"
    );
    let (code, _, stderr) = run(&["migrate", "--versions", "/nonexistent"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("'/nonexistent' for '--versions <DIR>': no such folder"),
        "{stderr}"
    );

    // After the rollout: v1 retired, the contract step; the new version alone, every account
    // there.
    std::fs::remove_file(&v1).unwrap();
    let count = users(&db).await;
    let (code, stdout, stderr) =
        run_on(&db.url, dir, &["migrate", "--contract", "--versions", live]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    for address in &addresses {
        assert_eq!(Version::New.sign_in(&client, address).await, 1, "{address}");
    }
    assert_eq!(users(&db).await, count);
    let (code, stdout, _) = run_on(&db.url, dir, &["verify"]);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("OK: "), "{stdout}");

    // The contract's down file brings the old column back, in step with the new one.
    let (code, stdout, stderr) = run_on(
        &db.url,
        dir,
        &["rollback", "--yes", "--to", &(latest + 4).to_string()],
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    both_find(&client, &addresses, "after rolling the contract back").await;
    Version::Old
        .sign_up(&client, "late@example.com")
        .await
        .unwrap();
    both_find(
        &client,
        &["late@example.com".to_string()],
        "signed up after",
    )
    .await;
}

#[test]
fn a_rename_the_snapshot_cannot_plan_is_refused_and_writes_nothing() {
    let folder = repository();
    let dir = folder.path().to_str().unwrap();
    let files = || std::fs::read_dir(folder.path()).unwrap().count();
    let before = files();
    for (args, says) in [
        (["users.mail", "address"], "table users has no column mail"),
        (["people.email", "address"], "has no table people"),
        (
            ["users.email", "name"],
            "table users already has a column name",
        ),
        (["email", "address"], "expected TABLE.COLUMN first"),
    ] {
        let (code, stdout, stderr) = run(&[
            "new",
            "--rename-column",
            args[0],
            args[1],
            "--migrations",
            dir,
        ]);
        assert_eq!(code, 1, "{stdout}{stderr}");
        assert!(stderr.contains(says), "{stderr}");
        assert_eq!(files(), before, "nothing written");
    }
}
