//! Every rule that reads SQL has a failing and a passing fixture in `tests/fixtures/<rule-id>/`;
//! this runs each as migration 002 after `base.sql` and checks that the failing one raises that
//! rule, and nothing else, exactly where its `-- expect: LINE:COL text` lines say, and that the
//! passing one raises nothing.

use std::path::{Path, PathBuf};

use authdb_lint::{Finding, Options, Rule, lint};

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

/// `(line, col, text)` from the fixture's `-- expect: LINE:COL text` lines.
fn expectations(sql: &str) -> Vec<(usize, usize, String)> {
    sql.lines()
        .filter_map(|line| line.strip_prefix("-- expect: "))
        .map(|rest| {
            let (place, text) = rest.split_once(' ').expect("-- expect: LINE:COL text");
            let (line, col) = place.split_once(':').expect("LINE:COL");
            (
                line.parse().unwrap(),
                col.parse().unwrap(),
                text.to_string(),
            )
        })
        .collect()
}

fn sql_rules() -> impl Iterator<Item = Rule> {
    Rule::ALL
        .iter()
        .copied()
        .filter(|rule| *rule >= Rule::SyntaxError)
}

#[test]
fn every_sql_rule_fails_its_failing_fixture_where_it_expects() {
    // All fixtures are checked before failing, so one run shows every mismatch.
    let mut problems = Vec::new();
    for rule in sql_rules() {
        let path = fixtures().join(rule.id()).join("fail.sql");
        let sql = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (every rule needs one)", path.display()));
        let mut expected = expectations(&sql);
        expected.sort();
        if expected.is_empty() {
            problems.push(format!("{}: no -- expect: line", path.display()));
        }
        let findings = lint_as_second_migration(&sql);
        let found: Vec<(usize, usize)> = findings.iter().map(|f| (f.line, f.col)).collect();
        let wanted: Vec<(usize, usize)> = expected.iter().map(|e| (e.0, e.1)).collect();
        if found != wanted {
            let at = |f: &Finding| {
                let line = sql.lines().nth(f.line - 1).unwrap_or_default();
                line.chars().skip(f.col - 1).collect::<String>()
            };
            let got: Vec<String> = findings
                .iter()
                .map(|f| format!("{f} <at> {}", at(f)))
                .collect();
            problems.push(format!(
                "{}: expected {wanted:?}, got {got:#?}",
                path.display()
            ));
            continue;
        }
        for (finding, (_, _, text)) in findings.iter().zip(&expected) {
            if finding.rule != rule || finding.file != Path::new("002_fixture.sql") {
                problems.push(format!("{}: unexpected {finding}", path.display()));
            }
            if !finding.message.contains(text.as_str()) {
                problems.push(format!(
                    "{}: {finding} does not say {text:?}",
                    path.display()
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_sql_rule_passes_its_passing_fixture() {
    for rule in sql_rules() {
        let path = fixtures().join(rule.id()).join("pass.sql");
        let sql = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (every rule needs one)", path.display()));
        let findings = lint_as_second_migration(&sql);
        assert!(findings.is_empty(), "{}: {findings:#?}", path.display());
    }
}

#[test]
fn findings_say_why_and_what_to_do() {
    let findings = lint_as_second_migration("CREATE INDEX users_name_idx ON users (name);\n");
    assert_eq!(
        findings[0].to_string(),
        "002_fixture.sql:1:1: index-without-concurrently: CREATE INDEX on users without \
         CONCURRENTLY: CREATE INDEX blocks every write to the table until the index is built; \
         CREATE INDEX CONCURRENTLY, alone in a file whose first line is `-- authdb:no-transaction`"
    );
}
