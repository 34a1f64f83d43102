//! Every rule that reads SQL has a failing and a passing fixture in `tests/fixtures/<rule-id>/`
//! (see its README): the failing one raises exactly the findings its `-- expect:` lines list,
//! the passing one raises nothing. squawk's rules run on squawk's engine here, one statement at
//! a time, with authdb's settings.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use authdb_lint::squawk_rules::{self, State};
use authdb_lint::{Finding, OWN, Options, Rule, lint};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The findings of `sql` as a new migration 002, after the base migration 001 was recorded in
/// migrations.lock (leaving out that 002 is not recorded yet).
fn lint_as_second_migration(sql: &str) -> Vec<Finding> {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
    let base = std::fs::read_to_string(fixtures().join("base.sql")).unwrap();
    write("001_base.sql", &base);
    write(
        "001_base.down.sql",
        "DROP TABLE sessions;\nDROP TABLE users;\n",
    );
    let adopted = lint(dir.path(), Options { update_lock: true }).unwrap();
    assert!(adopted.findings.is_empty(), "{:#?}", adopted.findings);
    write("002_fixture.sql", sql);
    write("002_fixture.down.sql", "SELECT 1;\n");
    let report = lint(dir.path(), Options::default()).unwrap();
    // Relative names make the assertions readable.
    report
        .findings
        .into_iter()
        .filter(|f| f.rule != Rule::LockNewFile)
        .map(|f| Finding {
            file: f.file.strip_prefix(dir.path()).unwrap().to_path_buf(),
            ..f
        })
        .collect()
}

/// `(line, col, rule, text)` from the fixture's `-- expect: LINE:COL RULE text` lines.
fn expectations(sql: &str) -> Vec<(usize, usize, String, String)> {
    sql.lines()
        .filter_map(|line| line.strip_prefix("-- expect: "))
        .map(|rest| {
            let mut words = rest.splitn(3, ' ');
            let place = words.next().expect("LINE:COL");
            let rule = words.next().expect("a rule id").to_string();
            let text = words.next().unwrap_or_default().to_string();
            let (line, col) = place.split_once(':').expect("LINE:COL");
            (line.parse().unwrap(), col.parse().unwrap(), rule, text)
        })
        .collect()
}

/// The rules that read SQL: authdb's checks of a file's text and squawk's rules that run.
/// `prefer-repack` is left out: it is about PostgreSQL 19 and never fires on 14.
fn sql_rules() -> Vec<Rule> {
    let own = OWN.iter().copied().filter(|rule| {
        !matches!(
            rule,
            Rule::LockNewFile
                | Rule::LockEdited
                | Rule::LockMissingFile
                | Rule::LockSet
                | Rule::LockSyntax
        )
    });
    let squawk = squawk_rules::ALL
        .iter()
        .filter(|r| matches!(r.state, State::On { .. }))
        .filter(|r| r.rule != squawk_linter::Rule::PreferRepack)
        .map(|r| Rule::Squawk(r.rule));
    own.chain(squawk).collect()
}

fn fixture(rule: Rule, which: &str) -> (PathBuf, String) {
    let path = fixtures().join(rule.id()).join(which);
    let sql = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (every rule that reads SQL needs one)",
            path.display()
        )
    });
    (path, sql)
}

#[test]
fn every_failing_fixture_raises_exactly_what_it_expects() {
    // All fixtures are checked before failing, so one run shows every mismatch.
    let mut problems = Vec::new();
    for rule in sql_rules() {
        let (path, sql) = fixture(rule, "fail.sql");
        let expected = expectations(&sql);
        if !expected.iter().any(|e| e.2 == rule.id()) {
            problems.push(format!("{}: no -- expect: line for {rule}", path.display()));
        }
        let findings = lint_as_second_migration(&sql);
        let found: BTreeSet<(usize, usize, &str)> = findings
            .iter()
            .map(|f| (f.line, f.col, f.rule.id()))
            .collect();
        let wanted: BTreeSet<(usize, usize, &str)> =
            expected.iter().map(|e| (e.0, e.1, e.2.as_str())).collect();
        if found != wanted || findings.len() != expected.len() {
            let got: Vec<String> = findings.iter().map(ToString::to_string).collect();
            problems.push(format!(
                "{}: expected {wanted:?}, got {got:#?}",
                path.display()
            ));
            continue;
        }
        for (line, col, id, text) in &expected {
            let finding = findings
                .iter()
                .find(|f| (f.line, f.col, f.rule.id()) == (*line, *col, id.as_str()))
                .expect("matched above");
            if finding.file != Path::new("002_fixture.sql")
                || !finding.message.starts_with(text.as_str())
            {
                problems.push(format!(
                    "{}: {finding} does not start with {text:?}",
                    path.display()
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_passing_fixture_raises_nothing() {
    let mut problems = Vec::new();
    for rule in sql_rules() {
        let (path, sql) = fixture(rule, "pass.sql");
        let findings = lint_as_second_migration(&sql);
        if !findings.is_empty() {
            problems.push(format!("{}: {findings:#?}", path.display()));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn no_fixture_is_left_over_from_a_rule_that_is_gone() {
    let ids: Vec<&str> = sql_rules().iter().map(|r| r.id()).collect();
    for entry in std::fs::read_dir(fixtures()).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            let name = entry.file_name().to_string_lossy().into_owned();
            assert!(
                ids.contains(&name.as_str()),
                "tests/fixtures/{name}: no such rule runs"
            );
        }
    }
}

#[test]
fn findings_say_what_why_and_what_to_do() {
    let findings = lint_as_second_migration("CREATE INDEX users_name_idx ON users (name);\n");
    assert_eq!(
        findings[0].to_string(),
        "002_fixture.sql:1:1: require-concurrent-index-creation: During normal index creation, \
         table updates are blocked, but reads are still allowed. Use `concurrently` to avoid \
         blocking writes. With authdb: use `CREATE INDEX CONCURRENTLY`, alone in a migration \
         whose first line is `-- authdb:no-transaction`; if the build fails it leaves an INVALID \
         index: drop it and run the migration again."
    );
}
