//! The schema against the manifest, both ways. Forward: every field BetterAuth has is a column of
//! an accepted type, NOT NULL exactly when BetterAuth requires it, unique, indexed and cascading
//! where BetterAuth says, and every table-level index is there under BetterAuth's name. Backward:
//! every NOT NULL column without a default in a table BetterAuth writes is a field of BetterAuth's,
//! or its INSERTs fail (today's `users.password_hash`). Read from pg_catalog, as BetterAuth's CLI
//! reads it: the type by `pg_type.typname`, an index by its key columns, valid and not partial.

use std::collections::BTreeMap;

use tokio_postgres::GenericClient;

use crate::manifest::{self, Manifest, Table};

struct Column {
    typname: String,
    not_null: bool,
    /// A default, an identity or a generated expression: an INSERT that omits it still works.
    filled: bool,
}

struct Index {
    table: String,
    unique: bool,
    /// Valid and without a WHERE: BetterAuth's CLI counts nothing else as its index.
    usable: bool,
    /// Key columns in order; `None` for an expression.
    columns: Vec<Option<String>>,
}

struct ForeignKey {
    table: String,
    column: String,
    referenced: String,
    referenced_column: String,
    /// `pg_constraint.confdeltype`: `c` is CASCADE.
    on_delete: String,
}

/// The current schema as the checks need it.
struct Schema {
    /// By table, then column.
    columns: BTreeMap<String, BTreeMap<String, Column>>,
    /// By name (unique in a schema); unique constraints are here through their indexes.
    indexes: BTreeMap<String, Index>,
    foreign_keys: Vec<ForeignKey>,
    /// (table, column) of every one-column primary key.
    primary_keys: Vec<(String, String)>,
}

async fn read(client: &impl GenericClient) -> Schema {
    let mut columns: BTreeMap<String, BTreeMap<String, Column>> = BTreeMap::new();
    for row in client
        .query(
            "SELECT c.relname::text, a.attname::text, t.typname::text, a.attnotnull,
                    a.atthasdef OR a.attidentity <> '' OR a.attgenerated <> ''
               FROM pg_attribute a
               JOIN pg_class c ON c.oid = a.attrelid
               JOIN pg_type t ON t.oid = a.atttypid
              WHERE c.relnamespace = to_regnamespace(current_schema()) AND c.relkind IN ('r', 'p')
                AND a.attnum > 0 AND NOT a.attisdropped",
            &[],
        )
        .await
        .unwrap()
    {
        columns.entry(row.get(0)).or_default().insert(
            row.get(1),
            Column {
                typname: row.get(2),
                not_null: row.get(3),
                filled: row.get(4),
            },
        );
    }
    let mut indexes = BTreeMap::new();
    for row in client
        .query(
            "SELECT i.relname::text, t.relname::text, x.indisunique,
                    x.indisvalid AND x.indpred IS NULL,
                    array(SELECT a.attname::text
                            FROM unnest(x.indkey) WITH ORDINALITY k(attnum, n)
                            LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
                           WHERE k.n <= x.indnkeyatts ORDER BY k.n)
               FROM pg_index x
               JOIN pg_class i ON i.oid = x.indexrelid
               JOIN pg_class t ON t.oid = x.indrelid
              WHERE t.relnamespace = to_regnamespace(current_schema())",
            &[],
        )
        .await
        .unwrap()
    {
        indexes.insert(
            row.get(0),
            Index {
                table: row.get(1),
                unique: row.get(2),
                usable: row.get(3),
                columns: row.get(4),
            },
        );
    }
    let mut foreign_keys = Vec::new();
    let mut primary_keys = Vec::new();
    for row in client
        .query(
            "SELECT k.contype::text, c.relname::text, a.attname::text,
                    coalesce(r.relname::text, ''), coalesce(ra.attname::text, ''),
                    k.confdeltype::text
               FROM pg_constraint k
               JOIN pg_class c ON c.oid = k.conrelid
               JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]
               LEFT JOIN pg_class r ON r.oid = k.confrelid
               LEFT JOIN pg_attribute ra ON ra.attrelid = k.confrelid AND ra.attnum = k.confkey[1]
              WHERE c.relnamespace = to_regnamespace(current_schema())
                AND k.contype IN ('f', 'p') AND cardinality(k.conkey) = 1",
            &[],
        )
        .await
        .unwrap()
    {
        let (kind, table, column): (String, String, String) = (row.get(0), row.get(1), row.get(2));
        if kind == "p" {
            primary_keys.push((table, column));
        } else {
            foreign_keys.push(ForeignKey {
                table,
                column,
                referenced: row.get(3),
                referenced_column: row.get(4),
                on_delete: row.get(5),
            });
        }
    }
    Schema {
        columns,
        indexes,
        foreign_keys,
        primary_keys,
    }
}

/// Every way the schema falls short of the manifest, one sentence each; empty when it is a
/// BetterAuth database.
pub async fn problems(client: &impl GenericClient, manifest: &Manifest) -> Vec<String> {
    let schema = read(client).await;
    let mut problems = Vec::new();
    for table in &manifest.tables {
        match schema.columns.get(&table.model_name) {
            None => problems.push(format!(
                "table {} (BetterAuth's {}): missing",
                table.model_name, table.model
            )),
            Some(columns) => {
                forward(&schema, manifest, table, columns, &mut problems);
                backward(table, columns, &mut problems);
            }
        }
    }
    problems
}

fn forward(
    schema: &Schema,
    manifest: &Manifest,
    table: &Table,
    columns: &BTreeMap<String, Column>,
    problems: &mut Vec<String>,
) {
    let name = &table.model_name;
    for field in &table.fields {
        let at = format!(
            "column {name}.{} ({}.{})",
            field.column, table.model, field.field
        );
        let Some(column) = columns.get(&field.column) else {
            problems.push(format!("{at}: missing"));
            continue;
        };
        let accepted = &manifest.postgres_types[&field.kind];
        if !accepted.contains(&column.typname) {
            problems.push(format!(
                "{at}: type {}, where BetterAuth's {} takes {}",
                column.typname,
                field.kind,
                accepted.join(", ")
            ));
        }
        match (field.required, column.not_null) {
            (true, false) => problems.push(format!(
                "{at}: nullable, but BetterAuth requires it (NOT NULL expected)"
            )),
            (false, true) => problems.push(format!(
                "{at}: NOT NULL, but BetterAuth leaves it empty (required: false)"
            )),
            _ => {}
        }
        if field.kind == "id" {
            if !schema
                .primary_keys
                .contains(&(name.clone(), field.column.clone()))
            {
                problems.push(format!("{at}: not the primary key"));
            }
            if !column.filled {
                problems.push(format!(
                    "{at}: no default, and with generateId \"uuid\" BetterAuth sends no id"
                ));
            }
        }
        let alone = |index: &Index| {
            index.table == *name && index.usable && index.columns == [Some(field.column.clone())]
        };
        if field.unique && !schema.indexes.values().any(|i| i.unique && alone(i)) {
            problems.push(format!(
                "{at}: no unique index on it alone, but BetterAuth's field is unique"
            ));
        }
        let leads = |index: &Index| {
            index.table == *name
                && index.usable
                && index.columns.first() == Some(&Some(field.column.clone()))
        };
        if field.index && !schema.indexes.values().any(leads) {
            problems.push(format!(
                "{at}: no index leads with it, but BetterAuth's field is indexed"
            ));
        }
        if let Some(reference) = &field.references {
            let target = manifest.table(&reference.model);
            let target_column = target.column(&reference.field);
            let key = schema.foreign_keys.iter().find(|k| {
                k.table == *name
                    && k.column == field.column
                    && k.referenced == target.model_name
                    && k.referenced_column == target_column
            });
            let wanted = format!("{}.{target_column} ON DELETE CASCADE", target.model_name);
            match key {
                None => problems.push(format!("{at}: no foreign key to {wanted}")),
                Some(key) if key.on_delete != "c" => problems.push(format!(
                    "{at}: its foreign key does not cascade, where BetterAuth's references {wanted}"
                )),
                Some(_) => {}
            }
        }
    }
    for wanted in &table.indexes {
        let columns: Vec<Option<String>> = wanted.columns.iter().cloned().map(Some).collect();
        let found = schema.indexes.get(&wanted.name);
        let matches = found.is_some_and(|index| {
            index.table == *name
                && index.unique == wanted.unique
                && index.usable
                && index.columns == columns
        });
        if !matches {
            let unique = if wanted.unique { "UNIQUE " } else { "" };
            let how = if found.is_some() {
                "not as BetterAuth defines it"
            } else {
                "missing"
            };
            problems.push(format!(
                "index {} on {name} ({unique}({})): {how}; BetterAuth's CLI would plan it again",
                wanted.name,
                wanted.columns.join(", ")
            ));
        }
    }
}

fn backward(table: &Table, columns: &BTreeMap<String, Column>, problems: &mut Vec<String>) {
    for (name, column) in columns {
        if column.not_null && !column.filled && !table.fields.iter().any(|f| &f.column == name) {
            problems.push(format!(
                "column {}.{name}: NOT NULL without a default, and BetterAuth's {} has no such \
                 field: every row BetterAuth inserts is refused",
                table.model_name, table.model
            ));
        }
    }
}

#[tokio::test]
async fn the_migrated_schema_is_a_betterauth_database_both_ways() {
    let (_db, client) = crate::migrated().await;
    let manifest = manifest::load();
    assert_eq!(problems(&client, &manifest).await, Vec::<String>::new());
}

/// The check fails on the schema the service had before the BetterAuth migrations, and says
/// why: the required password_hash, the missing tables and columns.
#[tokio::test]
async fn the_schema_before_the_betterauth_migrations_fails_and_says_why() {
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    crate::migrate(&mut client, Some(crate::before_betterauth())).await;
    let found = problems(&client, &manifest::load()).await;
    for expected in [
        "column users.password_hash: NOT NULL without a default, and BetterAuth's user has no \
         such field: every row BetterAuth inserts is refused",
        "table accounts (BetterAuth's account): missing",
        "table verifications (BetterAuth's verification): missing",
        "column users.name (user.name): missing",
        "column users.email_verified (user.emailVerified): missing",
        "column users.image (user.image): missing",
        "column sessions.ip_address (session.ipAddress): missing",
        "column sessions.user_agent (session.userAgent): missing",
    ] {
        assert!(
            found.iter().any(|p| p == expected),
            "{expected}\nnot in {found:#?}"
        );
    }
    assert_eq!(found.len(), 8, "{found:#?}");
}

/// Each kind of shortfall is caught and named: a check that could not fail would prove nothing.
/// Each change runs in a transaction that is rolled back.
#[tokio::test]
async fn every_kind_of_shortfall_is_named() {
    let (_db, mut client) = crate::migrated().await;
    let manifest = manifest::load();
    let cases = [
        (
            "ALTER TABLE accounts DROP COLUMN scope",
            "column accounts.scope (account.scope): missing",
        ),
        (
            "ALTER TABLE verifications ALTER COLUMN expires_at TYPE text",
            "column verifications.expires_at (verification.expiresAt): type text, where \
             BetterAuth's date takes timestamptz, timestamp, date",
        ),
        (
            "ALTER TABLE users ALTER COLUMN name DROP NOT NULL",
            "column users.name (user.name): nullable, but BetterAuth requires it (NOT NULL expected)",
        ),
        (
            "ALTER TABLE users ALTER COLUMN image SET NOT NULL",
            "column users.image (user.image): NOT NULL, but BetterAuth leaves it empty \
             (required: false)",
        ),
        (
            "ALTER TABLE users ALTER COLUMN id DROP DEFAULT",
            "column users.id (user.id): no default, and with generateId \"uuid\" BetterAuth sends \
             no id",
        ),
        (
            "ALTER TABLE sessions DROP CONSTRAINT sessions_token_key",
            "column sessions.token (session.token): no unique index on it alone, but BetterAuth's \
             field is unique",
        ),
        (
            "DROP INDEX verifications_identifier_idx",
            "column verifications.identifier (verification.identifier): no index leads with it, \
             but BetterAuth's field is indexed",
        ),
        (
            "ALTER TABLE accounts DROP CONSTRAINT accounts_user_id_fkey;
             ALTER TABLE accounts ADD FOREIGN KEY (user_id) REFERENCES users (id)",
            "column accounts.user_id (account.userId): its foreign key does not cascade, where \
             BetterAuth's references users.id ON DELETE CASCADE",
        ),
        (
            "ALTER TABLE sessions DROP CONSTRAINT sessions_user_id_fkey",
            "column sessions.user_id (session.userId): no foreign key to users.id ON DELETE CASCADE",
        ),
        (
            "ALTER TABLE accounts RENAME CONSTRAINT accounts_issuer_account_id_uidx TO accounts_key",
            "index accounts_issuer_account_id_uidx on accounts (UNIQUE (issuer, account_id)): \
             missing; BetterAuth's CLI would plan it again",
        ),
        (
            "ALTER TABLE accounts DROP CONSTRAINT accounts_issuer_account_id_uidx;
             CREATE UNIQUE INDEX accounts_issuer_account_id_uidx ON accounts (account_id, issuer)",
            "index accounts_issuer_account_id_uidx on accounts (UNIQUE (issuer, account_id)): not \
             as BetterAuth defines it; BetterAuth's CLI would plan it again",
        ),
        (
            "ALTER TABLE sessions ADD COLUMN device text NOT NULL",
            "column sessions.device: NOT NULL without a default, and BetterAuth's session has no \
             such field: every row BetterAuth inserts is refused",
        ),
    ];
    for (change, expected) in cases {
        let tx = client.transaction().await.unwrap();
        tx.batch_execute(change).await.unwrap();
        let found = problems(&tx, &manifest).await;
        tx.rollback().await.unwrap();
        assert_eq!(found, [expected], "after {change}");
    }
    assert_eq!(problems(&client, &manifest).await, Vec::<String>::new());
}
