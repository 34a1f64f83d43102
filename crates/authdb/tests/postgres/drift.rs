//! The drift corpus: one hand-made change per row, of every kind verify compares, each applied
//! to a database migrated with the repository's migrations and the every-kind one. For each,
//! verify must say it in one readable line, `--json` must carry it, and adopt must either plan
//! the SQL that undoes it (and, run, leave the database equal to the snapshot) or refuse with
//! the reason. Adding a kind is adding a row.

use authdb::adopt::{AdoptOptions, plan_adopt};
use authdb::{Snapshot, VerifyReport};
use testdb::{Fixture, TestDb};
use tokio::sync::OnceCell;

/// What adopt must do about a change.
enum Adopt {
    /// Plan a statement containing this text, and succeed when run.
    Plans(&'static str),
    /// Refuse, with a reason containing this text.
    Refuses(&'static str),
}
use Adopt::{Plans, Refuses};

/// (what, the change, a line verify prints, what adopt does): one row per kind of change.
#[rustfmt::skip]
const CORPUS: &[(&str, &str, &str, Adopt)] = &[
    // The 25 hand changes tried on the repository's schema.
    ("privilege to PUBLIC", "GRANT ALL ON users TO PUBLIC", "table users: PUBLIC has ALL, expected none", Plans("REVOKE ALL ON TABLE users FROM PUBLIC")),
    ("owner's privileges revoked", "REVOKE ALL ON users FROM CURRENT_USER", "table users: $owner has none, expected ALL", Plans("GRANT ALL ON TABLE users TO CURRENT_USER")),
    ("owner", "ALTER TABLE users OWNER TO authdb_other", "table users: owner is authdb_other, expected $migrator", Plans("ALTER TABLE users OWNER TO CURRENT_USER")),
    ("policy added", "CREATE POLICY p ON users USING (true)", "policy users.p: not in the snapshot", Plans("DROP POLICY p ON users")),
    ("view added", "CREATE VIEW active_sessions AS SELECT * FROM sessions", "view active_sessions: not in the snapshot", Plans("DROP VIEW active_sessions")),
    ("enum added", "CREATE TYPE mood AS ENUM ('sad', 'happy')", "type mood: not in the snapshot", Plans("DROP TYPE mood")),
    ("sequence added", "CREATE SEQUENCE stray_seq", "sequence stray_seq: not in the snapshot", Plans("DROP SEQUENCE stray_seq")),
    ("schema added", "CREATE SCHEMA stray_schema", "schema stray_schema: not in the snapshot", Plans("DROP SCHEMA stray_schema")),
    ("table comment", "COMMENT ON TABLE users IS 'who signs in'", "table users: comment is \"who signs in\", expected none", Plans("COMMENT ON TABLE users IS NULL")),
    ("column statistics", "ALTER TABLE users ALTER COLUMN email SET STATISTICS 1000", "column users.email: statistics target is 1000, expected the default", Plans("ALTER TABLE users ALTER COLUMN email SET STATISTICS -1")),
    ("column storage", "ALTER TABLE users ALTER COLUMN email SET STORAGE EXTERNAL", "column users.email: storage is external, expected the type's", Plans("ALTER TABLE users ALTER COLUMN email SET STORAGE EXTENDED")),
    ("missing table", "DROP TABLE hardware_background", "table hardware_background: missing", Plans("CREATE TABLE hardware_background (")),
    ("column type", "ALTER TABLE sessions ALTER COLUMN expires_at TYPE timestamp", "column sessions.expires_at: type is timestamp without time zone, expected timestamp with time zone", Refuses("only conversions PostgreSQL makes without rewriting the table")),
    ("nullability", "ALTER TABLE sessions ALTER COLUMN token DROP NOT NULL", "column sessions.token: nullable, expected NOT NULL", Plans("ALTER TABLE sessions ALTER COLUMN token SET NOT NULL")),
    ("default", "ALTER TABLE users ALTER COLUMN created_at SET DEFAULT clock_timestamp()", "column users.created_at: default is clock_timestamp(), expected now()", Plans("ALTER TABLE users ALTER COLUMN created_at SET DEFAULT now()")),
    ("missing index", "DROP INDEX software_background_preferred_languages_idx", "index software_background_preferred_languages_idx: missing", Plans("CREATE INDEX software_background_preferred_languages_idx")),
    ("index method", "DROP INDEX sessions_expires_at_idx; CREATE INDEX sessions_expires_at_idx ON sessions USING brin (expires_at)", "index sessions_expires_at_idx: method is brin, expected btree", Plans("CREATE INDEX sessions_expires_at_idx ON sessions USING btree (expires_at)")),
    ("foreign key action", "ALTER TABLE sessions DROP CONSTRAINT sessions_user_id_fkey, ADD CONSTRAINT sessions_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE SET NULL", "constraint sessions.sessions_user_id_fkey: ON DELETE action is SET NULL, expected CASCADE", Plans("ON DELETE CASCADE NOT VALID")),
    ("check constraint", "ALTER TABLE hardware_background DROP CONSTRAINT hardware_background_experience_level_check, ADD CONSTRAINT hardware_background_experience_level_check CHECK (experience_level IN ('beginner', 'expert'))", "constraint hardware_background.hardware_background_experience_level_check: definition is CHECK (experience_level = ANY (ARRAY['beginner'::text, 'expert'::text])), expected CHECK (experience_level = ANY (ARRAY['beginner'::text, 'intermediate'::text, 'advanced'::text, 'expert'::text]))", Plans("ADD CONSTRAINT hardware_background_experience_level_check CHECK")),
    ("missing trigger", "DROP TRIGGER users_set_updated_at ON users", "trigger users.users_set_updated_at: missing", Plans("CREATE TRIGGER users_set_updated_at")),
    ("disabled trigger", "ALTER TABLE sessions DISABLE TRIGGER sessions_set_updated_at", "trigger sessions.sessions_set_updated_at: disabled, expected enabled", Plans("ALTER TABLE sessions ENABLE TRIGGER sessions_set_updated_at")),
    ("function body", "CREATE OR REPLACE FUNCTION update_updated_at_column() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END; $$", "function update_updated_at_column(): the body differs from the snapshot's", Plans("CREATE OR REPLACE FUNCTION update_updated_at_column()")),
    ("extra table", "CREATE TABLE audit_log (id bigint)", "table audit_log: not in the snapshot", Plans("DROP TABLE audit_log")),
    ("extra column", "ALTER TABLE users ADD COLUMN nickname text", "column users.nickname: not in the snapshot", Plans("ALTER TABLE users DROP COLUMN nickname")),
    ("extra index", "CREATE INDEX users_created_at_idx ON users (created_at)", "index users_created_at_idx: not in the snapshot", Plans("DROP INDEX users_created_at_idx")),
    ("unlogged", "ALTER TABLE sessions SET UNLOGGED", "table sessions: unlogged (emptied after a crash), expected logged", Plans("ALTER TABLE sessions SET LOGGED")),
    ("storage parameter", "ALTER TABLE users SET (fillfactor = 50)", "storage parameter users.fillfactor: 50, expected the default", Plans("ALTER TABLE users RESET (fillfactor)")),
    ("replica identity", "ALTER TABLE users REPLICA IDENTITY FULL", "table users: replica identity is full, expected default", Plans("ALTER TABLE users REPLICA IDENTITY DEFAULT")),
    ("row level security", "ALTER TABLE sessions ENABLE ROW LEVEL SECURITY", "table sessions: row level security is on, expected row level security is off", Plans("ALTER TABLE sessions DISABLE ROW LEVEL SECURITY")),
    // Every other kind of object and property, on the every-kind migration's objects.
    ("schema owner", "ALTER SCHEMA app OWNER TO authdb_other", "schema app: owner is authdb_other, expected $migrator", Plans("ALTER SCHEMA app OWNER TO CURRENT_USER")),
    ("schema privilege", "GRANT CREATE ON SCHEMA app TO PUBLIC", "schema app: PUBLIC has CREATE, expected none", Plans("REVOKE ALL ON SCHEMA app FROM PUBLIC")),
    ("schema comment", "COMMENT ON SCHEMA app IS NULL", "schema app: comment is none, expected \"the application's own schema\"", Plans("COMMENT ON SCHEMA app IS 'the application''s own schema'")),
    ("column privilege", "GRANT UPDATE (id) ON app.things TO authdb_reader", "column app.things.id: authdb_reader has SELECT, UPDATE, expected SELECT", Plans("GRANT SELECT (id) ON TABLE app.things TO authdb_reader")),
    ("column comment", "COMMENT ON COLUMN app.things.m IS 'the feeling'", "column app.things.m: comment is \"the feeling\", expected \"the mood\"", Plans("COMMENT ON COLUMN app.things.m IS 'the mood'")),
    ("column compression", "ALTER TABLE app.things ALTER COLUMN e SET COMPRESSION default", "column app.things.e: compression is the default, expected pglz", Plans("ALTER TABLE app.things ALTER COLUMN e SET COMPRESSION PGLZ")),
    ("column options", "ALTER TABLE app.things ALTER COLUMN n RESET (n_distinct)", "column app.things.n: no options, expected n_distinct=100", Plans("ALTER TABLE app.things ALTER COLUMN n SET (n_distinct = 100)")),
    ("identity dropped", "ALTER TABLE app.things ALTER COLUMN id DROP IDENTITY", "column app.things.id: no identity, expected always", Refuses("its collation, identity or generated expression differs")),
    ("cluster index", "ALTER TABLE app.things SET WITHOUT CLUSTER", "table app.things: no CLUSTER index, expected things_pkey", Plans("ALTER TABLE app.things CLUSTER ON things_pkey")),
    ("index statistics", "ALTER INDEX app.things_lower_e_idx ALTER COLUMN 1 SET STATISTICS 80", "index things_lower_e_idx: statistics target is column 1: 80, expected column 1: 50", Plans("ALTER INDEX app.things_lower_e_idx ALTER COLUMN 1 SET STATISTICS 50")),
    ("index comment", "COMMENT ON INDEX app.things_lower_e_idx IS NULL", "index things_lower_e_idx: comment is none, expected \"case-blind\"", Plans("COMMENT ON INDEX app.things_lower_e_idx IS 'case-blind'")),
    ("constraint comment", "COMMENT ON CONSTRAINT things_n_check ON app.things IS NULL", "constraint app.things.things_n_check: comment is none, expected \"positive\"", Plans("COMMENT ON CONSTRAINT things_n_check ON app.things IS 'positive'")),
    ("exclusion constraint", "ALTER TABLE app.things DROP CONSTRAINT things_no_overlap", "constraint app.things.things_no_overlap: missing", Plans("ADD CONSTRAINT things_no_overlap EXCLUDE USING gist")),
    ("trigger enabled always", "ALTER TABLE app.things ENABLE ALWAYS TRIGGER things_touch", "trigger app.things.things_touch: enabled always, expected enabled", Plans("ALTER TABLE app.things ENABLE TRIGGER things_touch")),
    ("trigger comment", "COMMENT ON TRIGGER things_touch ON app.things IS NULL", "trigger app.things.things_touch: comment is none, expected \"touches\"", Plans("COMMENT ON TRIGGER things_touch ON app.things IS 'touches'")),
    ("forced row level security", "ALTER TABLE app.things NO FORCE ROW LEVEL SECURITY", "table app.things: row level security is not forced on the owner, expected row level security is forced on the owner", Plans("ALTER TABLE app.things FORCE ROW LEVEL SECURITY")),
    ("policy expression", "ALTER POLICY p_read ON app.things USING (n > 5)", "policy app.things.p_read: USING is (n > 5), expected (n > 0)", Plans("CREATE POLICY p_read ON app.things FOR SELECT TO PUBLIC USING ((n > 0))")),
    ("policy roles", "ALTER POLICY p_read ON app.things TO authdb_reader", "policy app.things.p_read: roles are authdb_reader, expected PUBLIC", Plans("CREATE POLICY p_read ON app.things FOR SELECT TO PUBLIC")),
    ("missing policy", "DROP POLICY p_write ON app.things", "policy app.things.p_write: missing", Plans( "CREATE POLICY p_write ON app.things AS RESTRICTIVE FOR INSERT TO authdb_reader WITH CHECK ((n < 1000))"),
    ),
    ("view query", "CREATE OR REPLACE VIEW app.thing_view AS SELECT id, m FROM app.things WHERE n > 2", "view app.thing_view: definition is SELECT id, m FROM app.things WHERE n > 2, expected SELECT id, m FROM app.things WHERE n > 1", Plans("CREATE OR REPLACE VIEW app.thing_view WITH (security_barrier=true) AS")),
    ("view option", "ALTER VIEW app.thing_view RESET (security_barrier)", "storage parameter app.thing_view.security_barrier: the default, expected true", Plans("ALTER VIEW app.thing_view SET (security_barrier = true)")),
    ("view privilege", "REVOKE GRANT OPTION FOR SELECT ON app.thing_view FROM authdb_reader", "view app.thing_view: authdb_reader has SELECT, expected SELECT with grant option", Plans("GRANT SELECT ON TABLE app.thing_view TO authdb_reader WITH GRANT OPTION")),
    ("view owner", "ALTER VIEW app.thing_view OWNER TO authdb_other", "view app.thing_view: owner is authdb_other, expected $migrator", Plans("ALTER VIEW app.thing_view OWNER TO CURRENT_USER")),
    ("missing view", "DROP VIEW app.thing_view", "view app.thing_view: missing", Plans("CREATE VIEW app.thing_view WITH (security_barrier=true) AS")),
    ("materialized view query", "DROP MATERIALIZED VIEW app.thing_counts; CREATE MATERIALIZED VIEW app.thing_counts AS SELECT m, count(*) FROM app.things WHERE n > 0 GROUP BY m; CREATE INDEX thing_counts_m_idx ON app.thing_counts (m)", "materialized view app.thing_counts: definition is SELECT m, count(*) AS count FROM app.things WHERE n > 0 GROUP BY m, expected SELECT m, count(*) AS count FROM app.things GROUP BY m", Plans("DROP MATERIALIZED VIEW app.thing_counts")),
    ("materialized view index", "DROP INDEX app.thing_counts_m_idx", "index thing_counts_m_idx: missing", Plans("CREATE INDEX thing_counts_m_idx ON app.thing_counts USING btree (m)")),
    ("sequence options", "ALTER SEQUENCE app.counter INCREMENT BY 7", "sequence app.counter: options are as integer, start 10, increment 7, min 1, max 100000, cache 2, cycle, expected as integer, start 10, increment 5, min 1, max 100000, cache 2, cycle", Plans("ALTER SEQUENCE app.counter AS integer START WITH 10 INCREMENT BY 5")),
    ("sequence owner column", "ALTER SEQUENCE app.counter OWNED BY NONE", "sequence app.counter: no owner column, expected app.things.n", Plans("ALTER SEQUENCE app.counter OWNED BY app.things.n")),
    ("sequence privilege", "REVOKE SELECT ON SEQUENCE app.counter FROM authdb_reader", "sequence app.counter: authdb_reader has USAGE, expected SELECT, USAGE", Plans("GRANT SELECT, USAGE ON SEQUENCE app.counter TO authdb_reader")),
    ("enum label", "ALTER TYPE app.mood ADD VALUE 'meh' BEFORE 'ok'", "type app.mood: labels are 'sad', 'meh', 'ok', 'happy', expected 'sad', 'ok', 'happy'", Refuses("its labels or their order")),
    ("domain constraint", "ALTER DOMAIN app.email DROP CONSTRAINT email_check", "constraint app.email.email_check: missing", Plans("ALTER DOMAIN app.email ADD CONSTRAINT email_check CHECK")),
    ("domain default", "ALTER DOMAIN app.email DROP DEFAULT", "type app.email: no default, expected 'nobody@example.com'::text", Plans("ALTER DOMAIN app.email SET DEFAULT 'nobody@example.com'::text")),
    ("composite attribute", "ALTER TYPE app.pair ADD ATTRIBUTE c integer", "type app.pair: attributes are a integer, b text COLLATE \"C\", c integer, expected a integer, b text COLLATE \"C\"", Refuses("its kind or its composite definition")),
    ("type owner", "ALTER TYPE app.floatrange OWNER TO authdb_other", "type app.floatrange: owner is authdb_other, expected $migrator", Plans("ALTER TYPE app.floatrange OWNER TO CURRENT_USER")),
    ("type privilege", "REVOKE USAGE ON TYPE app.mood FROM PUBLIC", "type app.mood: PUBLIC has none, expected USAGE", Plans("GRANT USAGE ON TYPE app.mood TO PUBLIC")),
    ("security definer", "ALTER FUNCTION app.secure() SECURITY INVOKER", "function app.secure(): security invoker, expected security definer", Plans("SECURITY DEFINER SET search_path = pg_catalog, app")),
    ("function search_path", "ALTER FUNCTION app.secure() RESET search_path", "function app.secure(): no settings, expected search_path=pg_catalog, app", Plans("CREATE OR REPLACE FUNCTION app.secure()")),
    ("function privilege", "GRANT EXECUTE ON FUNCTION app.secure() TO PUBLIC", "function app.secure(): PUBLIC has EXECUTE, expected none", Plans("REVOKE ALL ON FUNCTION app.secure() FROM PUBLIC")),
    ("function comment", "COMMENT ON FUNCTION app.secure() IS NULL", "function app.secure(): comment is none, expected \"runs as its owner\"", Plans("COMMENT ON FUNCTION app.secure() IS 'runs as its owner'")),
    ("missing function", "DROP FUNCTION app.secure()", "function app.secure(): missing", Plans("CREATE OR REPLACE FUNCTION app.secure()")),
    ("procedure body", "CREATE OR REPLACE PROCEDURE app.bump(by_how_much integer) LANGUAGE plpgsql AS $$ BEGIN NULL; END $$", "procedure app.bump(IN by_how_much integer): the body differs from the snapshot's", Plans("CREATE OR REPLACE PROCEDURE app.bump(IN by_how_much integer)")),
    ("aggregate owner", "ALTER AGGREGATE app.sum2(integer) OWNER TO authdb_other", "aggregate app.sum2(integer): owner is authdb_other, expected $migrator", Plans("ALTER AGGREGATE app.sum2(integer) OWNER TO CURRENT_USER")),
    ("default privileges", "ALTER DEFAULT PRIVILEGES IN SCHEMA app REVOKE SELECT ON TABLES FROM authdb_reader", "default privileges for $migrator in schema app on tables: authdb_reader has none, expected SELECT", Plans( "ALTER DEFAULT PRIVILEGES FOR ROLE CURRENT_USER IN SCHEMA app GRANT SELECT ON TABLES TO authdb_reader"),
    ),
    ("extension schema", "ALTER EXTENSION pg_trgm SET SCHEMA public", "extension pg_trgm: schema is public, expected app", Plans("ALTER EXTENSION pg_trgm SET SCHEMA app")),
    ("missing rule", "DROP RULE no_delete ON app.notes", "rule no_delete on app.notes: missing", Refuses("rule no_delete on app.notes is missing: adopt does not write the definition")),
    ("extra statistics", "CREATE STATISTICS app.extra_stats ON m, n FROM app.things", "statistics object app.extra_stats: not in the snapshot", Plans("DROP STATISTICS app.extra_stats")),
    ("event trigger disabled", "ALTER EVENT TRIGGER authdb_ddl DISABLE", "event trigger authdb_ddl: definition is on ddl_command_end, function app.on_ddl, disabled, expected on ddl_command_end, function app.on_ddl, enabled", Refuses("event trigger authdb_ddl: its definition is")),
    ("text search owner", "ALTER TEXT SEARCH CONFIGURATION app.cfg OWNER TO authdb_other", "text search configuration app.cfg: owner is authdb_other, expected $migrator", Plans("ALTER TEXT SEARCH CONFIGURATION app.cfg OWNER TO CURRENT_USER")),
    ("text search comment", "COMMENT ON TEXT SEARCH DICTIONARY app.dict IS 'other words'", "text search dictionary app.dict: comment is \"other words\", expected \"plain words\"", Plans("COMMENT ON TEXT SEARCH DICTIONARY app.dict IS 'plain words'")),
    ("extra collation", "CREATE COLLATION app.coll2 (locale = 'C')", "collation app.coll2: not in the snapshot", Plans("DROP COLLATION app.coll2")),
    ("missing cast", "DROP CAST (app.pair AS text)", "cast (app.pair AS pg_catalog.text): missing", Refuses("is missing: adopt does not write the definition")),
    ("server privilege", "GRANT USAGE ON FOREIGN SERVER authdb_server TO authdb_reader", "server authdb_server: authdb_reader has USAGE, expected none", Plans("REVOKE ALL ON FOREIGN SERVER authdb_server FROM authdb_reader")),
    ("foreign table options", "ALTER FOREIGN TABLE app.remote OPTIONS (SET table_name 'elsewhere')", "foreign table app.remote: definition is SERVER authdb_server OPTIONS (table_name=elsewhere), expected SERVER authdb_server OPTIONS (table_name=remote)", Refuses("foreign table app.remote: its server or options differ")),
    ("publication tables", "ALTER PUBLICATION authdb_publication ADD TABLE app.notes", "publication relation app.notes in publication authdb_publication: not in the snapshot", Refuses("publication authdb_publication: its definition is")),
];

/// A database migrated with the repository's migrations and the every-kind one, cloned from a
/// template made once, and the folder with its snapshot.
async fn base() -> (&'static Fixture, TestDb) {
    static BASE: OnceCell<(Fixture, TestDb)> = OnceCell::const_new();
    let (fixture, template) = BASE
        .get_or_init(|| async {
            let fixture = testdb::every_kind::with_repository().with_snapshot().await;
            let template = testdb::empty_database().await;
            let mut client = template.connect().await;
            crate::migrate(&mut client, fixture.path()).await.unwrap();
            (fixture, template)
        })
        .await;
    (fixture, testdb::database_from(template).await)
}

/// What is wrong with verify's and adopt's answer to one change; nothing when both are right.
async fn check(change: &str, says: &str, adopt: &Adopt) -> Vec<String> {
    let (fixture, db) = base().await;
    let mut failures = Vec::new();
    let client = db.connect().await;
    if let Err(e) = client.batch_execute(change).await {
        return vec![format!("the change itself fails: {e}")];
    }
    let migrations = crate::load(fixture.path());
    let snapshot = Snapshot::load(fixture.path()).unwrap();
    let report: VerifyReport = authdb::verify(&client, &migrations, &snapshot)
        .await
        .unwrap();
    let problems = report.problems();
    if !problems.iter().any(|p| p == says) {
        failures.push(format!(
            "verify does not say {says:?}; it says {problems:?}"
        ));
    }
    if let Some(long) = problems.iter().find(|p| p.contains('\n')) {
        failures.push(format!("a line that is not one line: {long:?}"));
    }
    let difference = report.differences.iter().find(|d| d.to_string() == says);
    let json = serde_json::to_value(&report).unwrap();
    match difference {
        Some(d)
            if json["differences"]
                .as_array()
                .is_some_and(|all| all.contains(&serde_json::to_value(d).unwrap())) => {}
        _ => failures.push(format!("--json does not carry {says:?}")),
    }

    // Adopt sees the same database as one the old script left: no tracking table.
    client
        .batch_execute("DROP TABLE public.authdb_schema_migrations")
        .await
        .unwrap();
    let options = AdoptOptions {
        drop_extra: true,
        ..AdoptOptions::default()
    };
    let plan = match plan_adopt(&client, &migrations, &snapshot, &options).await {
        Ok(plan) => plan,
        Err(e) => return [failures, vec![format!("adopt cannot plan: {e}")]].concat(),
    };
    let reasons: Vec<&String> = plan.refusals.iter().map(|r| &r.reason).collect();
    let sql: Vec<&String> = plan.statements.iter().map(|s| &s.sql).collect();
    match adopt {
        Refuses(reason) => {
            if !reasons.iter().any(|r| r.contains(reason)) {
                failures.push(format!(
                    "adopt does not refuse with {reason:?}: {reasons:?} {sql:?}"
                ));
            }
        }
        Plans(statement) => {
            if !reasons.is_empty() {
                failures.push(format!("adopt refuses: {reasons:?}"));
            } else if !sql.iter().any(|s| s.contains(statement)) {
                failures.push(format!("adopt's plan has no {statement:?}: {sql:?}"));
            } else if let Err(e) =
                authdb::apply_adopt(&client, &migrations, &snapshot, &options, &plan).await
            {
                failures.push(format!("adopt's plan does not apply: {e}"));
            } else {
                let after = authdb::verify(&client, &migrations, &snapshot)
                    .await
                    .unwrap();
                if !after.ok() {
                    failures.push(format!("verify after adopt: {:?}", after.problems()));
                }
            }
        }
    }
    failures
}

#[tokio::test]
async fn every_hand_change_is_named_carried_and_undone_or_refused() {
    use futures_util::StreamExt;
    // Each row has a database of its own: a few at a time keep the server busy.
    let failures: Vec<String> = futures_util::stream::iter(CORPUS)
        .map(|(what, change, says, adopt)| async move {
            check(change, says, adopt)
                .await
                .into_iter()
                .map(|failure| format!("{what}: {failure}"))
                .collect::<Vec<_>>()
        })
        .buffer_unordered(4)
        .concat()
        .await;
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// An emptied tracking table of another shape is refused by adopt, which would record into it.
#[tokio::test]
async fn the_tracking_table_shape_is_compared() {
    let (fixture, db) = base().await;
    let client = db.connect().await;
    client
        .batch_execute("ALTER TABLE public.authdb_schema_migrations ADD COLUMN note text")
        .await
        .unwrap();
    let migrations = crate::load(fixture.path());
    let snapshot = Snapshot::load(fixture.path()).unwrap();
    let problems = authdb::verify(&client, &migrations, &snapshot)
        .await
        .unwrap()
        .problems();
    assert_eq!(
        problems,
        ["column public.authdb_schema_migrations.note: not in the snapshot"]
    );
    client
        .batch_execute("DELETE FROM public.authdb_schema_migrations")
        .await
        .unwrap();
    let plan = plan_adopt(&client, &migrations, &snapshot, &AdoptOptions::default())
        .await
        .unwrap();
    let reasons: Vec<&String> = plan.refusals.iter().map(|r| &r.reason).collect();
    assert_eq!(
        reasons,
        [
            "the tracking table public.authdb_schema_migrations exists, empty, but not in the \
          shape this authdb creates: drop it (it holds no row) and plan again"
        ]
    );
}
