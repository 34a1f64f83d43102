//! The `-- authdb:` comments as lint reads them (the folder finds them: line comments, never
//! strings or bodies). `-- authdb:allow <rule-id> <reason>` silences one rule for the statement
//! it stands above (or inside), and must say why; `-- authdb:no-transaction` counts only as the
//! file's first line, as migrate reads it; `-- authdb:contract` marks a contract step and
//! `-- authdb:backfill` a batched statement (the folder checks where they may stand). Anything else that starts with `authdb:` is a typo.
//!
//! squawk's own `-- squawk-ignore` comments are refused, not honoured: they carry no reason, and
//! `-- squawk-disable-assume-in-transaction` would contradict what migrate does with the file.

use authdb_folder::NO_TRANSACTION;
use authdb_folder::directive::directives;
use authdb_folder::sql::tokens;
use squawk_lexer::TokenKind;

use crate::finding::Mark;
use crate::rule::Rule;
use crate::squawk_rules::{self, State};

/// One `-- authdb:allow` comment.
#[derive(Debug)]
pub struct Allow {
    pub rule: Rule,
    /// Byte offset of the comment.
    pub offset: usize,
    pub used: bool,
}

#[derive(Debug, Default)]
pub struct Directives {
    /// In the order of the file.
    pub allows: Vec<Allow>,
    /// Malformed directives.
    pub marks: Vec<Mark>,
}

impl Directives {
    /// The directives of a file whose first line is (or is not) [`NO_TRANSACTION`].
    pub fn read(text: &str, no_transaction: bool) -> Directives {
        let mut found = Directives::default();
        for directive in directives(text) {
            let offset = directive.offset;
            let mut mark = |rule, what: String| found.marks.push(Mark::own(offset, rule, what));
            let body = directive.body;
            let mut words = body.split_whitespace();
            match (body.starts_with(char::is_whitespace), words.next()) {
                (false, Some("no-transaction")) => {
                    if !(offset == 0 && no_transaction) {
                        mark(
                            Rule::UnknownDirective,
                            format!(
                                "`{NO_TRANSACTION}` counts only as the file's first line, written exactly so"
                            ),
                        );
                    }
                }
                (false, Some(authdb_folder::directive::IDEMPOTENT)) => {
                    if !no_transaction {
                        mark(
                            Rule::UnknownDirective,
                            "`authdb:idempotent` means something only in a \
                             `-- authdb:no-transaction` file: any other runs in the run's \
                             transaction, once, with its row"
                                .into(),
                        );
                    } else if words.next().is_none() {
                        mark(
                            Rule::UnknownDirective,
                            "`authdb:idempotent` gives no reason: say why running the statement \
                             twice leaves what running it once does"
                                .into(),
                        );
                    }
                }
                (false, Some(authdb_folder::directive::CONTRACT)) => {}
                (false, Some(authdb_folder::directive::BACKFILL)) => {}
                (false, Some("allow")) => match words.next() {
                    None => mark(
                        Rule::UnknownDirective,
                        "`authdb:allow` names no rule".into(),
                    ),
                    Some(id) => match Rule::from_id(id) {
                        None => mark(Rule::UnknownDirective, format!("there is no rule `{id}`")),
                        Some(Rule::Squawk(rule)) if !Rule::Squawk(rule).allowable() => {
                            let why = match squawk_rules::get(rule).state {
                                State::Off(why) => why,
                                State::On { .. } => "",
                            };
                            mark(
                                Rule::UnknownDirective,
                                format!(
                                    "`{id}` is a squawk rule authdb does not run ({why}), so there is nothing to allow"
                                ),
                            );
                        }
                        Some(rule) if !rule.allowable() => mark(
                            Rule::UnknownDirective,
                            format!("`{id}` is not a rule a comment can silence"),
                        ),
                        Some(rule) => {
                            if words.next().is_none() {
                                mark(
                                    Rule::AllowWithoutReason,
                                    format!("`authdb:allow {id}` gives no reason"),
                                );
                            }
                            found.allows.push(Allow {
                                rule,
                                offset,
                                used: false,
                            });
                        }
                    },
                },
                _ => mark(
                    Rule::UnknownDirective,
                    format!("`{}` is not a directive", directive.comment.trim()),
                ),
            }
        }
        found
    }
}

/// squawk's own comments in `sql` (`squawk-ignore`, `squawk-ignore-file`,
/// `squawk-disable-assume-in-transaction`), as byte ranges of the comment tokens.
pub fn squawk_comments(sql: &str) -> Vec<std::ops::Range<usize>> {
    // Most statements have none: look before lexing.
    if !sql.contains("squawk-") {
        return Vec::new();
    }
    tokens(sql)
        .filter(|t| {
            matches!(
                t.kind,
                TokenKind::LineComment | TokenKind::BlockComment { .. }
            )
        })
        .map(|t| t.start..t.end)
        .filter(|range| {
            let comment = &sql[range.clone()];
            let body = comment
                .strip_prefix("--")
                .or_else(|| comment.strip_prefix("/*"))
                .unwrap_or(comment)
                .trim_start();
            body.starts_with("squawk-ignore")
                || body.starts_with("squawk-disable-assume-in-transaction")
        })
        .collect()
}
