//! Where squawk's rules apply under authdb: what earlier statements of the run tell lint (a
//! relation created in the run is new; `NOT VALID` and `VALIDATE` in one transaction; a
//! validated check before `SET NOT NULL`), down files, no-transaction files, the allow comment
//! for every allowable rule, and squawk's own comments, refused.

use std::path::Path;

use authdb_lint::{Options, lint};
use tempfile::TempDir;

const UPDATE: Options = Options { update_lock: true };

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

/// A folder whose recorded migration 001 creates `users` (which may hold rows by now).
fn recorded() -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "001_users.sql",
        "CREATE TABLE users (id uuid PRIMARY KEY, name text, age int8);\n",
    );
    write(dir.path(), "001_users.down.sql", "DROP TABLE users;\n");
    let report = lint(dir.path(), UPDATE).unwrap();
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
    dir
}

/// Adds migration `stem` with these up and down texts.
fn add(dir: &TempDir, stem: &str, up: &str, down: &str) {
    write(dir.path(), &format!("{stem}.sql"), up);
    write(dir.path(), &format!("{stem}.down.sql"), down);
}

/// `file:line:col: rule` of every finding but `lock-new-file`.
fn findings(dir: &TempDir) -> Vec<String> {
    lint(dir.path(), Options::default())
        .unwrap()
        .findings
        .iter()
        .filter(|f| f.rule.id() != "lock-new-file")
        .map(|f| {
            let name = f.file.strip_prefix(dir.path()).unwrap().display();
            format!("{name}:{}:{}: {}", f.line, f.col, f.rule)
        })
        .collect()
}

fn messages(dir: &TempDir) -> Vec<String> {
    lint(dir.path(), Options::default())
        .unwrap()
        .findings
        .iter()
        .filter(|f| f.rule.id() != "lock-new-file")
        .map(|f| f.message.clone())
        .collect()
}

#[test]
fn a_table_created_earlier_in_the_run_is_new_until_it_is_recorded() {
    let dir = recorded();
    add(
        &dir,
        "002_teams",
        "CREATE TABLE teams (id uuid PRIMARY KEY, name text);\n",
        "DROP TABLE teams;\n",
    );
    add(
        &dir,
        "003_indexes",
        "CREATE INDEX teams_name_idx ON teams (name);\n\
         ALTER TABLE teams ADD CONSTRAINT teams_name_key UNIQUE (name);\n\
         ALTER TABLE public.teams ALTER COLUMN name SET NOT NULL;\n\
         CREATE INDEX users_name_idx ON users (name);\n",
        "DROP INDEX users_name_idx;\nALTER TABLE teams DROP CONSTRAINT teams_name_key;\nDROP INDEX teams_name_idx;\n",
    );
    // teams ships in the same run, empty: only the index on users may block anyone.
    assert_eq!(
        findings(&dir),
        ["003_indexes.sql:4:1: require-concurrent-index-creation"]
    );

    // Once 002 is recorded (deployed), teams may hold rows: the same statements now count.
    std::fs::remove_file(dir.path().join("003_indexes.sql")).unwrap();
    std::fs::remove_file(dir.path().join("003_indexes.down.sql")).unwrap();
    assert_eq!(lint(dir.path(), UPDATE).unwrap().recorded.len(), 2);
    add(
        &dir,
        "003_indexes",
        "CREATE INDEX teams_name_idx ON teams (name);\n",
        "DROP INDEX teams_name_idx;\n",
    );
    assert_eq!(
        findings(&dir),
        ["003_indexes.sql:1:1: require-concurrent-index-creation"]
    );
}

#[test]
fn design_rules_apply_to_new_tables_too() {
    let dir = recorded();
    add(
        &dir,
        "002_audit",
        "CREATE TABLE audit (id uuid, at timestamp);\nALTER TABLE audit ADD COLUMN code char(2);\n",
        "DROP TABLE audit;\n",
    );
    assert_eq!(
        findings(&dir),
        [
            "002_audit.sql:1:33: prefer-timestamp-tz",
            "002_audit.sql:2:35: ban-char-field"
        ]
    );
}

#[test]
fn not_valid_and_validate_in_one_run_share_its_transaction_unless_a_no_transaction_file_splits_it()
{
    let dir = recorded();
    add(
        &dir,
        "002_check",
        "ALTER TABLE users ADD CONSTRAINT users_age_check CHECK (age >= 0) NOT VALID;\n",
        "ALTER TABLE users DROP CONSTRAINT users_age_check;\n",
    );
    add(
        &dir,
        "003_validate",
        "ALTER TABLE users VALIDATE CONSTRAINT users_age_check;\n",
        "SELECT 1;\n",
    );
    // Both pending: migrate runs them in one transaction.
    assert_eq!(
        findings(&dir),
        ["003_validate.sql:1:19: constraint-missing-not-valid"]
    );
    assert!(
        messages(&dir).iter().any(|m| m
            .starts_with("Using `NOT VALID` and `VALIDATE CONSTRAINT` in the same transaction")
            && m.contains("`-- authdb:no-transaction`")),
        "{:#?}",
        messages(&dir)
    );
    // authdb's advice: validate in a file of its own that runs outside the run's transaction.
    write(
        dir.path(),
        "003_validate.sql",
        "-- authdb:no-transaction\nALTER TABLE users VALIDATE CONSTRAINT users_age_check;\n",
    );
    assert_eq!(findings(&dir), Vec::<String>::new());
}

#[test]
fn set_not_null_after_a_validated_check_in_the_run_is_fine() {
    let dir = recorded();
    add(
        &dir,
        "002_check",
        "ALTER TABLE users ADD CONSTRAINT users_name_not_null CHECK (name IS NOT NULL) NOT VALID;\n",
        "ALTER TABLE users DROP CONSTRAINT users_name_not_null;\n",
    );
    add(
        &dir,
        "003_validate",
        "-- authdb:no-transaction\nALTER TABLE users VALIDATE CONSTRAINT users_name_not_null;\n",
        "SELECT 1;\n",
    );
    add(
        &dir,
        "004_not_null",
        "ALTER TABLE users ALTER COLUMN name SET NOT NULL;\nALTER TABLE users ALTER COLUMN age SET NOT NULL;\n",
        "ALTER TABLE users ALTER COLUMN age DROP NOT NULL;\nALTER TABLE users ALTER COLUMN name DROP NOT NULL;\n",
    );
    // name is backed by the validated check; age is not.
    assert_eq!(
        findings(&dir),
        ["004_not_null.sql:2:36: adding-not-nullable-field"]
    );
}

#[test]
fn down_files_may_drop_and_rename_and_run_in_one_transaction() {
    let dir = recorded();
    add(
        &dir,
        "002_names",
        "ALTER TABLE users ADD COLUMN nickname text;\n",
        "ALTER TABLE users DROP COLUMN nickname;\n\
         ALTER TABLE users RENAME COLUMN name TO full_name;\n\
         DROP INDEX users_name_idx;\n\
         CREATE INDEX users_age_idx ON users (age);\n\
         ALTER TABLE users ADD COLUMN seen timestamp;\n\
         DROP TABLE users;\n",
    );
    // Dropping, renaming, a plain DROP/CREATE INDEX (CONCURRENTLY cannot run in rollback's
    // transaction) and restoring an old design are a down file's job.
    assert_eq!(findings(&dir), Vec::<String>::new());

    // What locks or rewrites a live table still counts, and so does what cannot run in rollback.
    write(
        dir.path(),
        "002_names.down.sql",
        "ALTER TABLE users ALTER COLUMN age TYPE int4;\nDROP INDEX CONCURRENTLY users_name_idx;\n",
    );
    assert_eq!(
        findings(&dir),
        [
            "002_names.down.sql:1:36: changing-column-type",
            "002_names.down.sql:2:1: needs-no-transaction"
        ]
    );
    assert!(
        messages(&dir)
            .iter()
            .any(|m| m.contains("put the statement alone in such a down file")),
        "{:#?}",
        messages(&dir)
    );
}

#[test]
fn a_no_transaction_file_may_hold_what_postgresql_refuses_in_a_transaction() {
    let dir = recorded();
    add(
        &dir,
        "002_index",
        "-- authdb:no-transaction\nCREATE INDEX CONCURRENTLY users_name_idx ON users (name);\n",
        "DROP INDEX users_name_idx;\n",
    );
    assert_eq!(findings(&dir), Vec::<String>::new());
    write(
        dir.path(),
        "002_index.sql",
        "CREATE INDEX CONCURRENTLY users_name_idx ON users (name);\n",
    );
    assert_eq!(findings(&dir), ["002_index.sql:1:1: needs-no-transaction"]);
}

/// `-- authdb:idempotent` says a no-transaction statement may run twice (migrate runs it again
/// after an interrupted run); it must say why.
#[test]
fn a_no_transaction_file_may_declare_itself_idempotent_with_a_reason() {
    let dir = recorded();
    add(
        &dir,
        "002_copy",
        "-- authdb:no-transaction\n-- authdb:idempotent it skips the rows already there\n\
         INSERT INTO users (id) SELECT 1 WHERE NOT EXISTS (SELECT FROM users WHERE id = 1);\n",
        "DELETE FROM users WHERE id = 1;\n",
    );
    assert_eq!(findings(&dir), Vec::<String>::new());
    write(
        dir.path(),
        "002_copy.sql",
        "-- authdb:no-transaction\n-- authdb:idempotent\n\
         INSERT INTO users (id) SELECT 1 WHERE NOT EXISTS (SELECT FROM users WHERE id = 1);\n",
    );
    assert_eq!(findings(&dir), ["002_copy.sql:2:1: unknown-directive"]);
    assert!(
        messages(&dir)
            .iter()
            .any(|m| m.contains("`authdb:idempotent` gives no reason")),
        "{:#?}",
        messages(&dir)
    );
}

#[test]
fn every_allowable_rule_is_allowed_with_a_reason_only_for_its_statement() {
    let dir = recorded();
    add(
        &dir,
        "002_mixed",
        "-- authdb:allow prefer-timestamptz legacy column mirrored from the billing system\n\
         ALTER TABLE users ADD COLUMN billed_at timestamp;\n\
         -- authdb:allow ban-drop-column unused since release 41\n\
         SELECT 1;\n\
         ALTER TABLE users DROP COLUMN age;\n",
        "ALTER TABLE users ADD COLUMN age int8;\nALTER TABLE users DROP COLUMN billed_at;\n",
    );
    // squawk's alias `prefer-timestamptz` names its `prefer-timestamp-tz`; an allow above another
    // statement silences nothing where it is and nothing where it was meant.
    assert_eq!(
        findings(&dir),
        [
            "002_mixed.sql:3:1: allow-unused",
            "002_mixed.sql:5:19: ban-drop-column"
        ]
    );
}

#[test]
fn a_syntax_error_can_be_allowed_with_a_reason_and_the_rules_then_skip_the_statement() {
    let dir = recorded();
    add(
        &dir,
        "002_odd",
        "CREATE INDEX users_name_idx ON users (name) WITH BOGUS GRAMMAR;\n",
        "DROP INDEX users_name_idx;\n",
    );
    let found = findings(&dir);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(found[0].ends_with(": syntax-error"), "{found:#?}");
    let message = &messages(&dir)[0];
    assert!(
        message.contains("write `-- authdb:allow syntax-error <why>` above it"),
        "{message}"
    );
    write(
        dir.path(),
        "002_odd.sql",
        "-- authdb:allow syntax-error PostgreSQL 17 accepts it (checked by hand); squawk does not yet\n\
         CREATE INDEX users_name_idx ON users (name) WITH BOGUS GRAMMAR;\n",
    );
    assert_eq!(findings(&dir), Vec::<String>::new());
}

#[test]
fn squawk_s_own_comments_are_refused_and_not_honoured() {
    let dir = recorded();
    add(
        &dir,
        "002_index",
        "-- squawk-ignore-file\n\
         /* squawk-ignore require-concurrent-index-creation */\n\
         CREATE INDEX users_name_idx ON users (name);\n\
         -- squawk-disable-assume-in-transaction\n\
         SELECT 1;\n",
        "DROP INDEX users_name_idx;\n",
    );
    assert_eq!(
        findings(&dir),
        [
            "002_index.sql:1:1: squawk-ignore",
            "002_index.sql:2:1: squawk-ignore",
            "002_index.sql:3:1: require-concurrent-index-creation",
            "002_index.sql:4:1: squawk-ignore"
        ]
    );
    let message = &messages(&dir)[0];
    assert!(
        message.contains(
            "write `-- authdb:allow <rule-id> <why this is safe>` above the statement instead"
        ),
        "{message}"
    );
}
