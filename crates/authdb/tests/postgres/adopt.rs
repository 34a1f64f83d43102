//! adopt on databases built the old way, from SQL in the seed README's style (two hands, rows in
//! every table): the plan changes nothing, --apply keeps every row (NULL arrays aside, which get
//! their default) and leaves a database verify and migrate accept; what cannot be reconciled is
//! refused, named, and changes nothing.

use std::collections::BTreeMap;

use authdb::adopt::{AdoptOptions, AdoptPlan};
use authdb::snapshot::Snapshot;
use serde_json::Value;
use tokio_postgres::Client;

use crate::{load, migrate, tracking_rows};

use testdb::legacy::{MIXED, OBVIOUS};

const TABLES: [&str; 4] = [
    "users",
    "sessions",
    "software_background",
    "hardware_background",
];
const ARRAYS: [&str; 4] = [
    "preferred_languages",
    "preferred_frameworks",
    "preferred_platforms",
    "device_types",
];

async fn legacy(sql: &str) -> testdb::TestDb {
    testdb::legacy::database(sql).await
}

fn repository() -> (authdb::Migrations, Snapshot) {
    let migrations = load(&testdb::migrations_dir());
    let snapshot = Snapshot::load(&migrations.dir).unwrap();
    (migrations, snapshot)
}

async fn plan(client: &Client, options: &AdoptOptions) -> authdb::Result<AdoptPlan> {
    let (migrations, snapshot) = repository();
    authdb::plan_adopt(client, &migrations, &snapshot, options).await
}

async fn apply(client: &Client, options: &AdoptOptions) -> authdb::Result<authdb::Adopted> {
    let (migrations, snapshot) = repository();
    let plan = authdb::plan_adopt(client, &migrations, &snapshot, options).await?;
    authdb::apply_adopt(client, &migrations, &snapshot, options, &plan).await
}

/// Every row of the four tables as JSON, by table, in id order.
async fn rows(client: &Client) -> BTreeMap<&'static str, Vec<Value>> {
    let mut all = BTreeMap::new();
    for table in TABLES {
        let sql = format!("SELECT to_jsonb(t)::text FROM {table} t ORDER BY id");
        let rows = client.query(&sql, &[]).await.unwrap();
        let values = rows
            .iter()
            .map(|r| serde_json::from_str(r.get::<_, &str>(0)).unwrap())
            .collect();
        all.insert(table, values);
    }
    all
}

/// The rows as they must be after adopt: the same, with NULL arrays empty.
fn with_empty_arrays(
    mut before: BTreeMap<&'static str, Vec<Value>>,
) -> BTreeMap<&'static str, Vec<Value>> {
    for rows in before.values_mut() {
        for row in rows {
            for column in ARRAYS {
                if let Some(value) = row.get_mut(column)
                    && value.is_null()
                {
                    *value = Value::Array(Vec::new());
                }
            }
        }
    }
    before
}

/// `after`'s rows with only the columns the same row had in `before`.
fn on_columns_of(
    before: &BTreeMap<&'static str, Vec<Value>>,
    mut after: BTreeMap<&'static str, Vec<Value>>,
) -> BTreeMap<&'static str, Vec<Value>> {
    for (table, rows) in after.iter_mut() {
        let Some(old) = before.get(table) else {
            continue;
        };
        for (row, old) in rows.iter_mut().zip(old) {
            if let (Some(row), Some(old)) = (row.as_object_mut(), old.as_object()) {
                row.retain(|column, _| old.contains_key(column));
            }
        }
    }
    after
}

async fn verify_problems(client: &Client) -> Vec<String> {
    let (migrations, snapshot) = repository();
    authdb::verify(client, &migrations, &snapshot)
        .await
        .unwrap()
        .problems()
}

#[tokio::test]
async fn the_plan_for_the_obvious_legacy_database_is_cheap_and_changes_nothing() {
    let db = legacy(OBVIOUS).await;
    let client = db.connect().await;
    let before = testdb::fingerprint(&client).await;
    let plan = plan(&client, &AdoptOptions::default()).await.unwrap();
    assert_eq!(
        testdb::fingerprint(&client).await,
        before,
        "planning changed the database"
    );
    assert!(plan.refusals.is_empty(), "{:#?}", plan.refusals);
    assert!(plan.kept.is_empty(), "{:#?}", plan.kept);
    let sql: Vec<&str> = plan.statements.iter().map(|s| s.sql.as_str()).collect();
    for expected in [
        "ALTER TABLE users ALTER COLUMN email TYPE text",
        "ALTER TABLE users ALTER COLUMN created_at SET DEFAULT now()",
        "ALTER TABLE users ALTER COLUMN created_at SET NOT NULL",
        "ALTER TABLE software_background DISABLE TRIGGER update_software_background_updated_at",
        "UPDATE software_background SET preferred_languages = '{}'::text[] WHERE preferred_languages IS NULL",
        "ALTER INDEX idx_sessions_user_id RENAME TO sessions_user_id_idx",
        "ALTER INDEX idx_software_background_languages RENAME TO software_background_preferred_languages_idx",
        "ALTER TRIGGER update_users_updated_at ON users RENAME TO users_set_updated_at",
        "CREATE UNIQUE INDEX users_email_lower_key ON users USING btree (lower(email))",
        "DROP INDEX idx_sessions_token",
    ] {
        assert!(sql.contains(&expected), "missing {expected:?} in {sql:#?}");
    }
    assert!(
        sql.iter()
            .any(|s| s.starts_with("CREATE OR REPLACE FUNCTION update_updated_at_column()")),
        "{sql:#?}"
    );
    // The cheapest statement: nothing is dropped and rebuilt that a rename or a metadata change does.
    assert!(
        !sql.iter()
            .any(|s| s.starts_with("DROP INDEX idx_sessions_user_id"))
    );
    assert!(!sql.iter().any(|s| s.contains("DROP TABLE")));
    let backfill = plan
        .statements
        .iter()
        .find(|s| {
            s.sql
                .starts_with("UPDATE software_background SET preferred_languages")
        })
        .unwrap();
    assert_eq!(
        backfill.resolves,
        "column software_background.preferred_languages: 1 row holds NULL, which gets the \
         column's default, '{}'::text[], before NOT NULL"
    );
    assert!(
        plan.script()
            .contains("--    lock: SHARE on users: blocks writes while it builds")
    );
}

#[tokio::test]
async fn applying_keeps_every_row_then_verify_and_migrate_pass() {
    for (name, sql, drop_extra) in [("obvious", OBVIOUS, false), ("mixed", MIXED, true)] {
        let db = legacy(sql).await;
        let mut client = db.connect().await;
        let before = rows(&client).await;
        let options = AdoptOptions {
            drop_extra,
            ..AdoptOptions::default()
        };
        let adopted = apply(&client, &options)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let (migrations, _) = repository();
        assert_eq!(adopted.recorded.len(), migrations.list.len(), "{name}");
        // Compared on the legacy columns: a column a later migration adds is not the old
        // script's, and what it holds is that migration's business.
        let before = with_empty_arrays(before);
        assert_eq!(
            on_columns_of(&before, rows(&client).await),
            before,
            "{name}: rows changed"
        );
        assert_eq!(
            verify_problems(&client).await,
            Vec::<String>::new(),
            "{name}"
        );
        let report = migrate(&mut client, &testdb::migrations_dir())
            .await
            .unwrap();
        assert!(report.steps.is_empty(), "{name}: {report:?}");
        // And the schema behaves: deleting a user cascades, updates bump updated_at.
        client
            .batch_execute(
                "DELETE FROM users WHERE email IN ('ada@example.com', 'mixed@example.com')",
            )
            .await
            .unwrap();
        let orphans: i64 = client
            .query_one(
                "SELECT count(*) FROM sessions s WHERE NOT EXISTS (SELECT FROM users u WHERE u.id = s.user_id)",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(orphans, 0, "{name}");
    }
}

#[tokio::test]
async fn the_mixed_database_renames_adopts_a_unique_index_and_keeps_extras_unless_told() {
    let db = legacy(MIXED).await;
    let client = db.connect().await;
    let plan = plan(&client, &AdoptOptions::default()).await.unwrap();
    assert!(plan.refusals.is_empty(), "{:#?}", plan.refusals);
    let sql: Vec<&str> = plan.statements.iter().map(|s| s.sql.as_str()).collect();
    for expected in [
        "ALTER TABLE users RENAME CONSTRAINT users_pk TO users_pkey",
        "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_unique",
        "ALTER INDEX users_email_ci RENAME TO users_email_lower_key",
        "ALTER TABLE sessions ADD CONSTRAINT sessions_user_id_fkey FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE NOT VALID",
        "ALTER TABLE sessions VALIDATE CONSTRAINT sessions_user_id_fkey",
        "DROP INDEX sessions_token_lookup",
        "ALTER TRIGGER touch_users ON users RENAME TO users_set_updated_at",
    ] {
        assert!(sql.contains(&expected), "missing {expected:?} in {sql:#?}");
    }
    let kept: Vec<String> = plan.kept.iter().map(ToString::to_string).collect();
    assert_eq!(
        kept,
        ["table audit_log", "constraint sessions.fk_sessions_user"]
    );
}

/// A legacy database one change away from the obvious one, which adopt must refuse.
async fn refused(change: (&str, &str), extra: &str) -> (testdb::TestDb, AdoptPlan, String) {
    let sql = OBVIOUS.replace(change.0, change.1);
    assert_ne!(sql, OBVIOUS, "the change {change:?} did not apply");
    let db = legacy(&format!("{sql}\n{extra}")).await;
    let client = db.connect().await;
    let before = testdb::fingerprint(&client).await;
    let plan = plan(&client, &AdoptOptions::default()).await.unwrap();
    let message = apply(&client, &AdoptOptions::default())
        .await
        .unwrap_err()
        .to_string();
    assert_eq!(
        testdb::fingerprint(&client).await,
        before,
        "a refusal changed something"
    );
    assert!(
        tracking_rows_or_none(&client).await,
        "a refusal recorded migrations"
    );
    (db, plan, message)
}

async fn tracking_rows_or_none(client: &Client) -> bool {
    !authdb::tracking::exists(client).await.unwrap() || tracking_rows(client).await.is_empty()
}

#[tokio::test]
async fn a_null_where_not_null_has_no_default_is_refused_with_its_rows() {
    let (_db, plan, message) = refused(
        (
            "expires_at TIMESTAMP WITH TIME ZONE NOT NULL",
            "expires_at TIMESTAMP WITH TIME ZONE",
        ),
        "UPDATE sessions SET expires_at = NULL WHERE token = 'tok-b';",
    )
    .await;
    let refusal = &plan.refusals[0];
    assert_eq!(
        (
            refusal.table.as_deref(),
            refusal.column.as_deref(),
            refusal.rows
        ),
        (Some("sessions"), Some("expires_at"), Some(1))
    );
    assert_eq!(
        refusal.query.as_deref(),
        Some("SELECT * FROM sessions WHERE expires_at IS NULL")
    );
    assert!(
        message.starts_with("adopt cannot reconcile this database automatically, so nothing was changed: column sessions.expires_at must be NOT NULL and has no default, but 1 row holds NULL"),
        "{message}"
    );
}

#[tokio::test]
async fn a_value_outside_the_check_is_refused_with_its_rows() {
    let (_db, plan, _) = refused(
        (
            "experience_level VARCHAR(50) NOT NULL CHECK (experience_level IN ('beginner', 'intermediate', 'advanced', 'expert')),\n    preferred_languages",
            "experience_level VARCHAR(50) NOT NULL,\n    preferred_languages",
        ),
        "UPDATE software_background SET experience_level = 'guru' WHERE experience_level = 'expert';",
    )
    .await;
    let refusal = plan
        .refusals
        .iter()
        .find(|r| r.table.as_deref() == Some("software_background"))
        .unwrap_or_else(|| panic!("{:#?}", plan.refusals));
    assert_eq!(
        (refusal.column.as_deref(), refusal.rows),
        (Some("experience_level"), Some(1))
    );
    assert!(
        refusal
            .reason
            .starts_with("1 row of software_background breaks the schema's CHECK"),
        "{}",
        refusal.reason
    );
    assert!(
        refusal
            .query
            .as_deref()
            .unwrap()
            .starts_with("SELECT * FROM software_background WHERE NOT (")
    );
}

#[tokio::test]
async fn integer_ids_are_refused_as_a_primary_key_of_another_type() {
    let sql = OBVIOUS
        .replace(
            "id UUID PRIMARY KEY DEFAULT gen_random_uuid()",
            "id SERIAL PRIMARY KEY",
        )
        .replace("user_id UUID", "user_id INTEGER");
    let ids = [
        ("'00000000-0000-0000-0000-000000000001'", "1"),
        ("'00000000-0000-0000-0000-000000000002'", "2"),
        ("'00000000-0000-0000-0000-000000000003'", "3"),
        ("'10000000-0000-0000-0000-000000000001'", "1"),
        ("'10000000-0000-0000-0000-000000000002'", "2"),
        ("'20000000-0000-0000-0000-000000000001'", "1"),
        ("'20000000-0000-0000-0000-000000000002'", "2"),
        ("'30000000-0000-0000-0000-000000000001'", "1"),
    ];
    let sql = ids
        .iter()
        .fold(sql, |sql, (from, to)| sql.replace(from, to));
    let db = legacy(&sql).await;
    let client = db.connect().await;
    let before = testdb::fingerprint(&client).await;
    let plan = plan(&client, &AdoptOptions::default()).await.unwrap();
    let refusal = plan
        .refusals
        .iter()
        .find(|r| r.table.as_deref() == Some("users") && r.column.as_deref() == Some("id"))
        .unwrap_or_else(|| panic!("{:#?}", plan.refusals));
    assert_eq!(
        refusal.reason,
        "column users.id is integer, the schema has uuid: a primary key of another type: every \
         row and every reference would change, which only a hand-written migration can do"
    );
    assert!(apply(&client, &AdoptOptions::default()).await.is_err());
    assert_eq!(testdb::fingerprint(&client).await, before);
}

#[tokio::test]
async fn a_plan_the_database_moved_away_from_is_refused() {
    let db = legacy(OBVIOUS).await;
    let client = db.connect().await;
    let (migrations, snapshot) = repository();
    let options = AdoptOptions::default();
    let plan = authdb::plan_adopt(&client, &migrations, &snapshot, &options)
        .await
        .unwrap();
    client
        .batch_execute("CREATE INDEX idx_users_created ON users (created_at)")
        .await
        .unwrap();
    let before = testdb::fingerprint(&client).await;
    let message = authdb::apply_adopt(&client, &migrations, &snapshot, &options, &plan)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        message.starts_with("the database changed between the plan and --apply"),
        "{message}"
    );
    assert_eq!(testdb::fingerprint(&client).await, before);
}

/// A missing table is created empty beside an unknown table that holds rows (the mixed
/// database's audit_log beside BetterAuth's accounts), but not beside one that has its columns:
/// there its rows may be, under another name, and creating it empty would hide them.
#[tokio::test]
async fn a_missing_table_is_refused_only_beside_a_table_with_its_columns_and_rows() {
    let sql = format!("{OBVIOUS}\nALTER TABLE sessions RENAME TO user_sessions;\n");
    let db = legacy(&sql).await;
    let client = db.connect().await;
    let before = testdb::fingerprint(&client).await;
    let plan = plan(&client, &AdoptOptions::default()).await.unwrap();
    let reasons: Vec<(Option<&str>, &str)> = plan
        .refusals
        .iter()
        .map(|r| (r.table.as_deref(), r.reason.as_str()))
        .collect();
    assert_eq!(
        reasons,
        [(
            Some("sessions"),
            "table sessions is missing while tables the schema does not know hold rows \
             (user_sessions (2 rows)): its data may be there under another name; move it by hand \
             (or drop those tables) and plan again"
        )]
    );
    let created: Vec<&str> = plan
        .statements
        .iter()
        .filter(|s| s.sql.starts_with("CREATE TABLE"))
        .map(|s| s.resolves.as_str())
        .collect();
    assert_eq!(
        created,
        [
            "table accounts: missing (created empty)",
            "table verifications: missing (created empty)"
        ]
    );
    assert!(apply(&client, &AdoptOptions::default()).await.is_err());
    assert_eq!(testdb::fingerprint(&client).await, before);
}
