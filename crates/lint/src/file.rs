//! One new migration file: its directives read, its statements split the way psql and migrate
//! split them and checked one at a time, the `-- authdb:allow` comments applied, and the marks
//! placed at `line:col`.

use std::path::Path;

use authdb_folder::position::Lines;
use authdb_folder::sql;

use crate::directives::Directives;
use crate::finding::{Finding, Mark};
use crate::rule::Rule;
use crate::run::Run;
use crate::statement::{self, FileKind};

/// The findings of a file not yet recorded in migrations.lock; `run` carries what earlier
/// statements of the run created.
pub fn check(path: &Path, text: &str, kind: FileKind, run: &mut Run) -> Vec<Finding> {
    let Directives {
        mut allows,
        mut marks,
    } = Directives::read(text, kind.no_transaction);
    let mut found = Vec::new();
    for statement in sql::statements(text) {
        if statement.too_deep.is_some() {
            continue; // a folder problem already, and never parsed
        }
        statement::check(text, &statement, kind, run, &mut found);
        for mark in found.drain(..) {
            let allow = allows
                .iter_mut()
                .find(|allow| allow.rule == mark.rule && statement.span.contains(&allow.offset));
            match allow {
                Some(allow) => allow.used = true,
                None => marks.push(mark),
            }
        }
    }
    for allow in allows.iter().filter(|allow| !allow.used) {
        let what = format!("`authdb:allow {}` silences nothing here", allow.rule);
        marks.push(Mark::own(allow.offset, Rule::AllowUnused, what));
    }
    marks.sort_by_key(|mark| mark.offset);
    let mut lines = Lines::new(text);
    marks
        .into_iter()
        .map(|mark| {
            let (line, col) = lines.at(mark.offset);
            Finding {
                file: path.to_path_buf(),
                line,
                col,
                rule: mark.rule,
                message: mark.message,
            }
        })
        .collect()
}
