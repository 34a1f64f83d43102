//! One migration file's text: parsed by PostgreSQL's grammar, its directives read, the rules run
//! statement by statement, and the `-- authdb:allow` comments applied, into placed findings.

use std::path::Path;

use authdb_folder::position::at_char as line_col;

use crate::checks::{self, FileKind};
use crate::directives::Directives;
use crate::finding::{Finding, Mark};
use crate::parser;
use crate::rules::Rule;

/// The findings of one file, and how many statements it holds. `new`: the file is not yet
/// recorded in migrations.lock, so the rules about safe changes and the allow comments apply.
pub fn check(path: &Path, sql: &str, down: bool, new: bool) -> (Vec<Finding>, usize) {
    let parsed = match parser::parse(sql) {
        Ok(parsed) => parsed,
        Err(error) => {
            let place = line_col(sql, error.position);
            let finding =
                Finding::exact(path.to_path_buf(), place, Rule::SyntaxError, error.message);
            return (vec![finding], 0);
        }
    };
    let mut directives = Directives::read(sql, &parsed.comments);
    if !new {
        directives.marks.clear();
        directives.allows.clear();
    }
    let mut marks = directives.marks;
    let statements = &parsed.statements;
    if directives.no_transaction && statements.len() != 1 {
        let offset = statements.get(1).map_or(0, |s| s.start);
        let what = format!(
            "this no-transaction file holds {} statements",
            statements.len()
        );
        marks.push(Mark {
            offset,
            rule: Rule::NoTransactionStatements,
            what,
        });
    }
    let kind = FileKind {
        down,
        no_transaction: directives.no_transaction,
        new,
    };
    let mut used = vec![false; directives.allows.len()];
    for (statement, found) in statements.iter().zip(checks::check(statements, kind)) {
        for mark in found {
            let allow = directives.allows.iter().position(|allow| {
                allow.rule == mark.rule && statement.span.contains(&allow.offset)
            });
            match allow {
                Some(index) => used[index] = true,
                None => marks.push(mark),
            }
        }
    }
    for (allow, used) in directives.allows.iter().zip(used) {
        if !used {
            marks.push(Mark {
                offset: allow.offset,
                rule: Rule::AllowUnused,
                what: format!("`authdb:allow {}` silences nothing here", allow.rule),
            });
        }
    }
    let findings = marks
        .into_iter()
        .map(|mark| {
            let position = sql[..mark.offset].chars().count() + 1;
            Finding::at(
                path.to_path_buf(),
                line_col(sql, position),
                mark.rule,
                mark.what,
            )
        })
        .collect();
    (findings, statements.len())
}
