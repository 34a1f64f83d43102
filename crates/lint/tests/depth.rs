//! A statement nested deeper than the parser can read is a finding with its `file:line:col`, not
//! an abort: 20,000 parentheses overflowed the stack of lint and of rollback's plan (exit 134,
//! no JSON). Every kind of nesting the parser recurses on is generated just within the limit
//! (it parses, on the parser's own stack) and just beyond it (`too-deep`, never parsed).

use authdb_folder::sql::{self, MAX_DEPTH};
use authdb_lint::{Options, lint};

/// A statement nested `n` deep in one way.
fn nested(kind: &str, n: usize) -> String {
    match kind {
        "parentheses" => format!("SELECT {}1{}", "(".repeat(n), ")".repeat(n)),
        "NOT" => format!("SELECT {}true", "NOT ".repeat(n)),
        "unary minus" => format!("SELECT {}1", "- ".repeat(n)),
        "subqueries" => format!("SELECT {}1{}", "(SELECT ".repeat(n), ")".repeat(n)),
        "EXISTS" => format!("SELECT {}1{}", "EXISTS (SELECT ".repeat(n), ")".repeat(n)),
        "arrays" => format!("SELECT ARRAY{}1{}", "[".repeat(n), "]".repeat(n)),
        "OR chain" => format!("SELECT true{}", " OR true".repeat(n)),
        "calls" => format!("SELECT {}1{}", "f(".repeat(n), ")".repeat(n)),
        "CASE" => format!(
            "SELECT {}1{}",
            "CASE WHEN true THEN ".repeat(n),
            " END".repeat(n)
        ),
        "casts" => format!("SELECT 1{}", "::int".repeat(n)),
        "derived tables" => format!(
            "SELECT * FROM {}t{}",
            "(SELECT * FROM ".repeat(n),
            ") x".repeat(n)
        ),
        _ => unreachable!(),
    }
}

const KINDS: &[&str] = &[
    "parentheses",
    "NOT",
    "unary minus",
    "subqueries",
    "EXISTS",
    "arrays",
    "OR chain",
    "calls",
    "CASE",
    "casts",
    "derived tables",
];

fn too_deep(sql: &str) -> Option<usize> {
    sql::statements(sql).next().and_then(|s| s.too_deep)
}

/// The largest `n` within the limit.
fn at_limit(kind: &str) -> usize {
    let (mut low, mut high) = (1, 4 * MAX_DEPTH);
    while low < high {
        let mid = (low + high).div_ceil(2);
        if too_deep(&nested(kind, mid)).is_some() {
            high = mid - 1;
        } else {
            low = mid;
        }
    }
    low
}

fn lint_one(up: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("001_deep.sql"), format!("-- deep\n{up};\n")).unwrap();
    std::fs::write(dir.path().join("001_deep.down.sql"), "SELECT 1;\n").unwrap();
    let report = lint(dir.path(), Options::default()).unwrap();
    report.findings.iter().map(ToString::to_string).collect()
}

#[test]
fn every_kind_of_nesting_parses_within_the_limit_and_is_refused_beyond_it() {
    for kind in KINDS {
        let n = at_limit(kind);
        assert!(n > 500, "{kind}: only {n} levels are accepted");
        let findings = lint_one(&nested(kind, n));
        assert!(
            !findings.iter().any(|f| f.contains("too-deep")),
            "{kind}: {findings:#?}"
        );

        let over = nested(kind, n + 1);
        let offset = too_deep(&over).unwrap();
        let findings = lint_one(&over);
        let deep: Vec<&String> = findings.iter().filter(|f| f.contains("too-deep")).collect();
        assert_eq!(deep.len(), 1, "{kind}: {findings:#?}");
        // Line 2 (after the comment), the column of the token where the limit was passed.
        let expected = format!("001_deep.sql:2:{}: too-deep: ", offset + 1);
        assert!(
            deep[0].contains(&expected),
            "{kind}: {} vs {expected}",
            deep[0]
        );
        let limit = format!("deeper than {MAX_DEPTH}");
        assert!(deep[0].contains(&limit), "{}", deep[0]);
    }
}

/// The issue's own case: 20,000 parentheses, in an up file and in a down file.
#[test]
fn twenty_thousand_parentheses_are_a_finding_not_an_abort() {
    let deep = nested("parentheses", 20_000);
    let findings = lint_one(&deep);
    assert!(
        findings
            .iter()
            .any(|f| f.contains("001_deep.sql:2:") && f.contains("too-deep")),
        "{findings:#?}"
    );
    // What rollback's plan reads: the effects of a down file, on the parser's stack.
    let effects = authdb::effects::effects(&format!("{deep};\nDROP TABLE t;"));
    assert_eq!(effects.len(), 2);
}
