//! A finding: one problem at one place, printed `file:line:col: rule-id: message` so that editors
//! and CI logs link straight to it.

use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

use crate::rules::Rule;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub file: PathBuf,
    /// 1-based, counted in lines of the file.
    pub line: usize,
    /// 1-based, counted in characters (not bytes) of the line.
    pub col: usize,
    #[serde(serialize_with = "rule_id")]
    pub rule: Rule,
    /// What is wrong here, why it matters and what to do instead.
    pub message: String,
}

impl Finding {
    /// A finding about a whole file, placed at its start.
    pub fn file(file: PathBuf, rule: Rule, what: impl fmt::Display) -> Finding {
        Finding::at(file, (1, 1), rule, what)
    }

    /// `what` says what was found; the rule adds why it matters and what to do.
    pub fn at(
        file: PathBuf,
        place: (usize, usize),
        rule: Rule,
        what: impl fmt::Display,
    ) -> Finding {
        let message = format!("{what}: {}; {}", rule.reason(), rule.alternative());
        Finding::exact(file, place, rule, message)
    }

    /// A finding whose message is complete as it is, like PostgreSQL's own syntax errors.
    pub fn exact(
        file: PathBuf,
        (line, col): (usize, usize),
        rule: Rule,
        message: String,
    ) -> Finding {
        Finding {
            file,
            line,
            col,
            rule,
            message,
        }
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
    /// What was found, as for [`Finding::at`].
    pub what: String,
}

fn rule_id<S: serde::Serializer>(rule: &Rule, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(rule.id())
}
