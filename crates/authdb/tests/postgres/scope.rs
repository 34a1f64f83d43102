//! Where the snapshot reads: every schema, not the session's; nothing when the migrations put
//! their objects where it cannot look (refused, with the reason); and the same snapshot whoever
//! migrates, since roles are written relative to the migrating one.

use authdb::Snapshot;
use testdb::Fixture;

use crate::{load, migrate};

/// A history whose objects live in their own schema, as hosted auth services lay theirs out.
const AUTH: &str = "CREATE SCHEMA auth;
CREATE TABLE auth.users (id uuid PRIMARY KEY, email text NOT NULL, phone text);
CREATE TABLE auth.sso_domains (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
    domain text NOT NULL
);
CREATE INDEX sso_domains_domain_idx ON auth.sso_domains (lower(domain));
CREATE FUNCTION auth.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER users_touch BEFORE UPDATE ON auth.users FOR EACH ROW EXECUTE FUNCTION auth.touch();
DO $$ BEGIN CREATE ROLE authdb_reader; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
GRANT USAGE ON SCHEMA auth TO authdb_reader;
GRANT SELECT ON auth.users TO authdb_reader;
";

async fn auth_fixture() -> Fixture {
    Fixture::new()
        .migration("auth", AUTH, "DROP SCHEMA auth CASCADE;\n")
        .with_snapshot()
        .await
}

/// What verify says about a database migrated with `fixture` after `sql` changed it.
async fn drift(fixture: &Fixture, sql: &str) -> Vec<String> {
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    migrate(&mut client, fixture.path()).await.unwrap();
    client.batch_execute(sql).await.unwrap();
    let snapshot = Snapshot::load(fixture.path()).unwrap();
    authdb::verify(&client, &load(fixture.path()), &snapshot)
        .await
        .unwrap()
        .problems()
}

#[tokio::test]
async fn a_history_in_its_own_schema_is_snapshotted_and_verified() {
    let fixture = auth_fixture().await;
    let snapshot = Snapshot::load(fixture.path()).unwrap();
    let tables: Vec<&String> = snapshot.tables.keys().collect();
    assert_eq!(tables, ["auth.sso_domains", "auth.users"]);
    assert_eq!(
        snapshot.functions.keys().collect::<Vec<_>>(),
        ["auth.touch()"]
    );
    let text = snapshot.to_text();
    for line in [
        "\nschema auth\n  grant $owner ALL\n  grant authdb_reader USAGE\n",
        "\ntable auth.users\n  grant $owner ALL\n  grant authdb_reader SELECT\n",
        "  index sso_domains_domain_idx btree (lower(domain))\n",
        "  constraint sso_domains_user_id_fkey FOREIGN KEY (user_id) REFERENCES auth.users(id) ON DELETE CASCADE\n",
        "  trigger users_touch enabled BEFORE UPDATE ON auth.users FOR EACH ROW EXECUTE FUNCTION auth.touch()\n",
    ] {
        assert!(text.contains(line), "{line:?} is not in:\n{text}");
    }

    assert_eq!(drift(&fixture, "").await, Vec::<String>::new());
    assert_eq!(
        drift(&fixture, "DROP TABLE auth.sso_domains").await,
        ["table auth.sso_domains: missing"]
    );
    assert_eq!(
        drift(&fixture, "ALTER TABLE auth.users DROP COLUMN phone").await,
        ["column auth.users.phone: missing"]
    );
    assert_eq!(
        drift(&fixture, "REVOKE SELECT ON auth.users FROM authdb_reader").await,
        ["table auth.users: authdb_reader has none, expected SELECT"]
    );
    // Another role's default privileges govern what that role creates (Neon keeps some for its
    // administrator in every database): not the migrations' business.
    assert_eq!(
        drift(
            &fixture,
            "ALTER DEFAULT PRIVILEGES FOR ROLE authdb_reader IN SCHEMA auth GRANT SELECT ON TABLES TO PUBLIC"
        )
        .await,
        Vec::<String>::new()
    );
    // A session whose search_path finds auth first reads the same names.
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    migrate(&mut client, fixture.path()).await.unwrap();
    client
        .batch_execute("SET search_path = auth, public")
        .await
        .unwrap();
    assert_eq!(Snapshot::capture(&client).await.unwrap().to_text(), text);
    let path: String = client
        .query_one("SHOW search_path", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        path, "auth, public",
        "the session's search_path is put back"
    );
}

#[tokio::test]
async fn a_snapshot_that_would_hold_nothing_is_refused() {
    let fixture = Fixture::new().migration(
        "hidden",
        "CREATE TABLE information_schema.accounts (id int);\n",
        "DROP TABLE information_schema.accounts;\n",
    );
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    migrate(&mut client, fixture.path()).await.unwrap();
    let error = Snapshot::capture_migrated(&client).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "refusing to write a snapshot that holds nothing: the migrations (up to version 1) \
         created 1 object(s) (table information_schema.accounts), but none where the snapshot \
         reads: every schema except PostgreSQL's own (pg_catalog, information_schema, pg_toast, \
         pg_temp) and objects of extensions. verify would then pass on any database without \
         looking. Create them in a schema of your own (CREATE SCHEMA app; CREATE TABLE app.t \
         ...); nothing was written"
    );
    // Migrations that create nothing at all make an empty snapshot, as they should.
    let empty = Fixture::new().migration("nothing", "SELECT 1;\n", "SELECT 1;\n");
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    migrate(&mut client, empty.path()).await.unwrap();
    assert!(
        Snapshot::capture_migrated(&client)
            .await
            .unwrap()
            .is_empty()
    );
}

/// The migrating role is `$migrator` wherever it runs: the repository's migrations applied by
/// another role (as Neon's `neondb_owner` applies them) give the committed snapshot, and verify
/// as that role passes. Verify as another role names the owner it finds.
#[tokio::test]
async fn the_snapshot_is_the_same_whoever_migrates() {
    let server = testdb::server();
    let admin = server.connect("postgres").await;
    let name = format!("roles_{}", std::process::id());
    admin
        .batch_execute(
            "DO $$ BEGIN CREATE ROLE authdb_deployer LOGIN PASSWORD 'deployer';
             EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$",
        )
        .await
        .unwrap();
    admin
        .batch_execute(&format!("CREATE DATABASE {name} OWNER authdb_deployer"))
        .await
        .unwrap();
    let url = format!(
        "postgres://authdb_deployer:deployer@{}:{}/{name}",
        server.host, server.port
    );
    let (mut deployer, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let dir = testdb::migrations_dir();
    migrate(&mut deployer, &dir).await.unwrap();
    let committed = Snapshot::load(&dir).unwrap();
    let report = authdb::verify(&deployer, &load(&dir), &committed)
        .await
        .unwrap();
    assert_eq!(report.problems(), Vec::<String>::new());
    assert_eq!(
        Snapshot::capture(&deployer).await.unwrap().to_text(),
        committed.to_text()
    );

    let superuser = server.connect(&name).await;
    let problems = authdb::verify(&superuser, &load(&dir), &committed)
        .await
        .unwrap()
        .problems();
    assert!(
        problems.contains(&"table users: owner is authdb_deployer, expected $migrator".to_string()),
        "{problems:?}"
    );
    drop((deployer, superuser));
    admin
        .batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .await
        .unwrap();
}
