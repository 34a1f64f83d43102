//! A finding: one problem at one place, printed `file:line:col: rule-id: message` so that editors
//! and CI logs link straight to it. The message says what is wrong, why it matters and what to do.

use std::fmt;
use std::path::PathBuf;

use authdb_folder::Problem;
use serde::Serialize;

use crate::rule::Rule;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// In JSON, relative to the migrations folder (every file lint reads is directly in it),
    /// which the report gives once as `folder`.
    #[serde(serialize_with = "in_folder")]
    pub file: PathBuf,
    /// 1-based, counted in lines of the file.
    pub line: usize,
    /// 1-based, counted in characters (not bytes) of the line.
    pub col: usize,
    #[serde(serialize_with = "rule_id")]
    pub rule: Rule,
    pub message: String,
}

impl Finding {
    /// A finding of authdb's own: `what` was found; the rule adds why it matters and what to do.
    pub fn own(
        file: PathBuf,
        (line, col): (usize, usize),
        rule: Rule,
        what: impl fmt::Display,
    ) -> Finding {
        Finding {
            file,
            line,
            col,
            rule,
            message: own_message(rule, what),
        }
    }

    /// The folder's problem, with the folder's id and text (migrate prints the same).
    pub fn problem(problem: &Problem) -> Finding {
        Finding {
            file: problem.path.clone(),
            line: problem.line,
            col: problem.col,
            rule: Rule::Folder(problem.kind.id()),
            message: problem.kind.message(),
        }
    }
}

/// `what: why; what to do` for authdb's own rules.
pub fn own_message(rule: Rule, what: impl fmt::Display) -> String {
    match rule.explain() {
        Some((why, what_to_do)) => format!("{what}: {why}; {what_to_do}"),
        None => what.to_string(),
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}: {}",
            self.file.display(),
            self.line,
            self.col,
            self.rule,
            self.message
        )
    }
}

/// A finding in a file's text, still at a byte offset: the file's checker places it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    pub offset: usize,
    pub rule: Rule,
    /// The whole message.
    pub message: String,
}

impl Mark {
    /// One of authdb's own rules: `what` was found, and the rule says why and what to do.
    pub fn own(offset: usize, rule: Rule, what: impl fmt::Display) -> Mark {
        Mark {
            offset,
            rule,
            message: own_message(rule, what),
        }
    }
}

fn rule_id<S: serde::Serializer>(rule: &Rule, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(rule.id())
}

fn in_folder<S: serde::Serializer>(
    path: &std::path::Path,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let name = path.file_name().map_or(path, std::path::Path::new);
    name.serialize(serializer)
}
