//! The `-- authdb:` comments. `-- authdb:allow <rule-id> <reason>` silences one rule for the
//! statement it stands above (or inside); `-- authdb:no-transaction` as the file's first line
//! makes migrate run the file on its own, outside the run's transaction. Anything else that
//! starts with `authdb:` is a typo, and reported as one.

use authdb::migrations::NO_TRANSACTION;

use crate::finding::Mark;
use crate::parser::Comment;
use crate::rules::Rule;

/// One `-- authdb:allow` comment.
#[derive(Debug)]
pub struct Allow {
    pub rule: Rule,
    /// Byte offset of the comment.
    pub offset: usize,
}

#[derive(Debug, Default)]
pub struct Directives {
    /// The file's first line is exactly [`NO_TRANSACTION`], as migrate reads it.
    pub no_transaction: bool,
    pub allows: Vec<Allow>,
    /// Malformed directives.
    pub marks: Vec<Mark>,
}

impl Directives {
    pub fn read(sql: &str, comments: &[Comment]) -> Directives {
        let mut directives = Directives {
            no_transaction: sql.lines().next().map(str::trim_end) == Some(NO_TRANSACTION),
            ..Directives::default()
        };
        for comment in comments {
            let body = comment.text.trim_start_matches('-').trim();
            let Some(directive) = body.strip_prefix("authdb:") else {
                continue;
            };
            let mut mark = |rule, what: String| {
                directives.marks.push(Mark {
                    offset: comment.start,
                    rule,
                    what,
                })
            };
            let mut words = directive.split_whitespace();
            match (directive.starts_with(char::is_whitespace), words.next()) {
                (false, Some("no-transaction")) => {
                    let first_line = comment.start == 0 && directives.no_transaction;
                    if !first_line {
                        let what = format!(
                            "`{NO_TRANSACTION}` counts only as the file's first line, written exactly so"
                        );
                        mark(Rule::UnknownDirective, what);
                    }
                }
                (false, Some("allow")) => match words.next().map(|id| (id, Rule::from_id(id))) {
                    None => mark(
                        Rule::UnknownDirective,
                        "`authdb:allow` names no rule".into(),
                    ),
                    Some((id, None)) => {
                        mark(Rule::UnknownDirective, format!("there is no rule `{id}`"))
                    }
                    Some((id, Some(rule))) if !rule.allowable() => mark(
                        Rule::UnknownDirective,
                        format!("`{id}` is a check of the folder, which no comment can silence"),
                    ),
                    Some((id, Some(rule))) => {
                        if words.next().is_none() {
                            mark(
                                Rule::AllowWithoutReason,
                                format!("`authdb:allow {id}` gives no reason"),
                            );
                        }
                        directives.allows.push(Allow {
                            rule,
                            offset: comment.start,
                        });
                    }
                },
                _ => mark(
                    Rule::UnknownDirective,
                    format!("`{}` is not a directive", body.trim()),
                ),
            }
        }
        directives
    }
}
