//! The deploy workflow's jobs, run step by step (see `runner`) against a real PostgreSQL with the
//! built binary: a deploy migrates, verifies and keeps its JSON report; a failed one says which
//! migration and what the database holds; a rollback by hand plans, then reverts to its input.
//! The database URL carries a password of its own, which must appear nowhere: not in a step's
//! output, the summary, or a report.

use std::path::Path;

use serde_json::Value;

use crate::runner::{self, Context, Job};

/// A database for one test, reached as a role with a password no other text contains.
struct Production {
    db: testdb::TestDb,
    url: String,
    password: String,
}

async fn production(db: testdb::TestDb) -> Production {
    let role = format!("deployer_{}", db.name);
    let password = format!("Pw-{}-never-printed", db.name.replace('_', "-"));
    db.connect()
        .await
        .batch_execute(&format!(
            "CREATE ROLE {role} LOGIN SUPERUSER PASSWORD '{password}'"
        ))
        .await
        .unwrap();
    let (scheme, rest) = db.url.split_once("://").expect("a URL");
    let (_, host) = rest.split_once('@').expect("a URL with credentials");
    let url = format!("{scheme}://{role}:{password}@{host}");
    Production { db, url, password }
}

/// The highest version recorded in the tracking table, if any.
async fn version(db: &testdb::TestDb) -> Option<i64> {
    db.connect()
        .await
        .query_one("SELECT max(version) FROM authdb_schema_migrations", &[])
        .await
        .unwrap()
        .get(0)
}

fn repository() -> (usize, i64) {
    let migrations = authdb::Migrations::load(&testdb::migrations_dir()).unwrap();
    (migrations.list.len(), migrations.latest_version().unwrap())
}

fn deploy(ctx: &Context, job: &str) -> Job {
    runner::run(&crate::workflow("deploy-migrations.yml"), job, ctx)
}

/// A push to main with the DATABASE_URL secret set to this production database.
fn push(workspace: &Path, url: &str) -> Context {
    let mut ctx = Context::new(workspace, "push");
    ctx.secrets.insert("DATABASE_URL".into(), url.into());
    ctx
}

/// The reports the job's upload step keeps, by file name.
fn artifact(job: &Job, name: &str) -> String {
    let upload = job.action("actions/upload-artifact@");
    let dir = upload.with.get("path").expect("an upload path");
    std::fs::read_to_string(Path::new(dir).join(name))
        .unwrap_or_else(|e| panic!("the artifact has no {name}: {e}\n{}", job.log()))
}

const MIGRATE: &str = "Migrate, then verify/Migrate";
const VERIFY: &str = "Migrate, then verify/Verify";

#[tokio::test]
async fn a_deploy_migrates_verifies_and_keeps_the_json_report() {
    let production = production(testdb::empty_database().await).await;
    let workspace = runner::workspace();
    let (count, latest) = repository();
    let job = deploy(&push(workspace.path(), &production.url), "migrate");
    assert!(!job.failed(), "{}", job.log());
    assert!(job.step(VERIFY).ran);

    let report: Value = serde_json::from_str(&artifact(&job, "migrate.json")).unwrap();
    assert_eq!(report["ok"], true);
    assert_eq!(report["report"]["steps"].as_array().unwrap().len(), count);
    assert_eq!(report["report"]["to_version"], latest);
    assert!(
        job.summary
            .contains(&format!("Applied {count} migrations in "))
            && job.summary.contains(&format!("version none -> {latest}")),
        "{}",
        job.summary
    );
    assert!(
        job.summary.contains(&format!(
            "OK: {count} migrations applied and unchanged; the schema matches"
        )),
        "{}",
        job.summary
    );
    assert_eq!(version(&production.db).await, Some(latest));
    assert!(
        !job.everything().contains(&production.password),
        "{}",
        job.everything()
    );

    // The next push finds nothing to do.
    let again = deploy(&push(workspace.path(), &production.url), "migrate");
    assert!(!again.failed(), "{}", again.log());
    assert!(
        again
            .summary
            .contains(&format!("Already up to date at version {latest}.")),
        "{}",
        again.summary
    );
}

#[tokio::test]
async fn a_failed_deploy_names_the_migration_and_says_nothing_was_applied() {
    let production = production(testdb::empty_database().await).await;
    // A table made by hand where 002 creates one.
    let client = production.db.connect().await;
    client
        .batch_execute("CREATE TABLE sessions (id int)")
        .await
        .unwrap();
    let workspace = runner::workspace();
    let (count, _) = repository();
    let job = deploy(&push(workspace.path(), &production.url), "migrate");

    let migrate = job.step(MIGRATE);
    assert_eq!(migrate.code, 1, "{}", job.log());
    assert!(!job.step(VERIFY).ran, "verify ran after a failed migrate");
    assert!(
        migrate.stdout.contains("::error title=migrate failed::")
            && migrate.stdout.contains("002_create_sessions.sql:"),
        "no annotation naming the migration: {}",
        migrate.stdout
    );
    let summary = &job.summary;
    assert!(summary.contains("**Migrate failed.**"), "{summary}");
    assert!(
        summary.contains("- Migration: `")
            && summary.contains("/migrations/002_create_sessions.sql:"),
        "{summary}"
    );
    assert!(
        summary.contains("relation \"sessions\" already exists"),
        "{summary}"
    );
    assert!(summary.contains("Nothing was applied"), "{summary}");
    assert!(
        summary.contains(&format!(
            "- Now: the database is at version none (0 applied, {count} pending, 0 modified, 0 missing)."
        )),
        "{summary}"
    );
    // The report is kept even though the job failed, and says the same.
    let report: Value = serde_json::from_str(&artifact(&job, "migrate.json")).unwrap();
    assert_eq!(report["ok"], false);
    assert!(
        report["error"]
            .as_str()
            .unwrap()
            .contains("002_create_sessions.sql")
    );
    assert_eq!(testdb::tables(&client).await, ["sessions"]);
    assert!(
        !job.everything().contains(&production.password),
        "{}",
        job.everything()
    );
}

#[tokio::test]
async fn a_deploy_that_fails_after_earlier_runs_says_which_version_the_database_is_at() {
    let production = production(testdb::empty_database().await).await;
    let workspace = runner::workspace();
    let (count, _) = repository();
    // An earlier deploy took the database to version 6; then someone built 007's index by hand.
    let earlier = std::process::Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["migrate", "--to", "6", "--database-url", &production.url])
        .current_dir(workspace.path())
        .output()
        .unwrap();
    assert!(earlier.status.success(), "{earlier:?}");
    production
        .db
        .connect()
        .await
        .batch_execute("CREATE INDEX users_email_key ON users (email)")
        .await
        .unwrap();

    let job = deploy(&push(workspace.path(), &production.url), "migrate");
    assert_eq!(job.step(MIGRATE).code, 1, "{}", job.log());
    let summary = &job.summary;
    assert!(
        summary.contains("/migrations/007_email_unique_index.sql"),
        "{summary}"
    );
    assert!(
        summary.contains(&format!(
            "- Now: the database is at version 6 (6 applied, {} pending, 0 modified, 0 missing).",
            count - 6
        )),
        "{summary}"
    );
    assert!(
        summary.contains("| `006_create_triggers` | applied |"),
        "{summary}"
    );
    assert!(
        summary.contains("| `007_email_unique_index` | pending |"),
        "{summary}"
    );
    assert_eq!(version(&production.db).await, Some(6));
    assert!(!job.everything().contains(&production.password));
}

#[test]
fn a_deploy_without_the_secret_says_to_set_it_and_that_nothing_was_applied() {
    let workspace = runner::workspace();
    let job = deploy(&Context::new(workspace.path(), "push"), "migrate");
    assert_eq!(job.step(MIGRATE).code, 1, "{}", job.log());
    let summary = &job.summary;
    assert!(summary.contains("- Migration: none ran"), "{summary}");
    assert!(summary.contains("- Error: no database URL"), "{summary}");
    assert!(
        summary
            .contains("- Now: nothing was applied: migrate stopped before it ran any migration."),
        "{summary}"
    );
    assert!(
        summary.contains("The `DATABASE_URL` secret is not set for this job"),
        "{summary}"
    );
}

fn rollback_to(workspace: &Path, url: &str, to: &str) -> Context {
    let mut ctx = Context::new(workspace, "workflow_dispatch");
    ctx.secrets.insert("DATABASE_URL".into(), url.into());
    ctx.inputs.insert("command".into(), "rollback".into());
    ctx.inputs.insert("to".into(), to.into());
    ctx
}

#[tokio::test]
async fn a_rollback_by_hand_shows_its_plan_then_reverts_to_the_input_version() {
    let production = production(testdb::migrated_database().await).await;
    let workspace = runner::workspace();
    let (count, latest) = repository();
    let ctx = rollback_to(workspace.path(), &production.url, "6");

    let plan = deploy(&ctx, "rollback-plan");
    assert!(!plan.failed(), "{}", plan.log());
    assert!(
        plan.summary.contains("revert 008_email_unique_constraint"),
        "{}",
        plan.summary
    );
    assert!(
        plan.summary.contains("revert 007_email_unique_index"),
        "{}",
        plan.summary
    );
    assert!(!plan.summary.contains("revert 006"), "{}", plan.summary);
    assert!(
        plan.summary.contains("approve the **rollback** job"),
        "{}",
        plan.summary
    );
    assert_eq!(
        version(&production.db).await,
        Some(latest),
        "the plan changed the database"
    );

    let rollback = deploy(&ctx, "rollback");
    assert!(!rollback.failed(), "{}", rollback.log());
    assert_eq!(version(&production.db).await, Some(6));
    assert!(
        rollback.summary.contains(&format!(
            "Now the database is at version 6 (6 applied, {} pending, 0 modified, 0 missing).",
            count - 6
        )),
        "{}",
        rollback.summary
    );
    assert!(artifact(&rollback, "rollback.txt").contains("reverted 008_email_unique_constraint"));
    for job in [&plan, &rollback] {
        assert!(!job.everything().contains(&production.password));
    }
}

#[test]
fn a_rollback_input_that_is_not_a_version_stops_before_anything_runs() {
    let workspace = runner::workspace();
    let ctx = rollback_to(
        workspace.path(),
        "postgres://nobody@127.0.0.1:1/none",
        "6; DROP TABLE users",
    );
    let plan = deploy(&ctx, "rollback-plan");
    let check = plan.step("Check the input");
    assert_eq!(check.code, 1, "{}", plan.log());
    assert!(
        check.stdout.contains(
            "::error title=rollback::the input 'to' must be a version number (0 reverts everything), not '6; DROP TABLE users': nothing was done"
        ),
        "{}",
        check.stdout
    );
    assert!(!plan.step("Plan").ran, "the plan ran on a bad input");
}
