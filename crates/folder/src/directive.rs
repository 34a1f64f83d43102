//! The `-- authdb:` comments. `-- authdb:no-transaction`, written exactly so as a file's first
//! line, makes migrate run the file on its own, outside the run's transaction (for `CREATE INDEX
//! CONCURRENTLY`); `-- authdb:idempotent <reason>` in such a file says that running its
//! statement twice leaves what running it once does, so a run killed during it may simply run
//! it again; `-- authdb:contract <reason>` makes the file a contract step, which migrate holds
//! back until the rollout is over (`migrate --contract`), because it removes what the app
//! version still running reads; `-- authdb:backfill` in a no-transaction file repeats its one
//! statement in short transactions until it changes no row, so no batch holds a hot table long; `-- authdb:allow <rule> <reason>` is lint's, read there. Directives are line
//! comments found by the lexer, so the same words inside a string or a function body are not one.

use crate::sql::tokens;
use squawk_lexer::TokenKind;

/// The first line of a migration that runs outside the run's transaction.
pub const NO_TRANSACTION: &str = "-- authdb:no-transaction";

/// Whether the file's first line is [`NO_TRANSACTION`], exactly (trailing blanks aside).
pub fn is_no_transaction(text: &str) -> bool {
    text.lines().next().map(str::trim_end) == Some(NO_TRANSACTION)
}

/// The directive word of [`declares_idempotent`].
pub const IDEMPOTENT: &str = "idempotent";

/// Whether the file says `-- authdb:idempotent ...`: its statement may run twice.
pub fn declares_idempotent(text: &str) -> bool {
    said(text, IDEMPOTENT).is_some()
}

/// The directive word of [`declares_contract`].
pub const CONTRACT: &str = "contract";

/// Whether the file says `-- authdb:contract ...`: a contract step, held back by a plain migrate.
pub fn declares_contract(text: &str) -> bool {
    said(text, CONTRACT).is_some()
}

/// The directive word of [`declares_backfill`].
pub const BACKFILL: &str = "backfill";

/// Whether the file says `-- authdb:backfill ...`: its one statement is repeated in batches,
/// each its own transaction, until it changes no row.
pub fn declares_backfill(text: &str) -> bool {
    said(text, BACKFILL).is_some()
}

/// The first `-- authdb:<word> ...` comment of `text`.
pub fn said<'a>(text: &'a str, word: &str) -> Option<Directive<'a>> {
    directives(text).find(|d| d.body.split_whitespace().next() == Some(word))
}

/// One `-- authdb:...` comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive<'a> {
    /// Byte offset of its `--`.
    pub offset: usize,
    /// What follows `authdb:` (`allow drop-table why`), as written.
    pub body: &'a str,
    /// The whole comment, for messages.
    pub comment: &'a str,
}

/// Every line comment of `text` whose words start with `authdb:`.
pub fn directives(text: &str) -> impl Iterator<Item = Directive<'_>> {
    tokens(text)
        .filter(|t| t.kind == TokenKind::LineComment)
        .filter_map(move |t| {
            let comment = &text[t.start..t.end];
            let body = comment.trim_start_matches('-').trim_start();
            let body = body.strip_prefix("authdb:")?;
            Some(Directive {
                offset: t.start,
                body,
                comment: comment.trim_end(),
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_first_line_makes_a_no_transaction_file() {
        assert!(is_no_transaction(
            "-- authdb:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (c);"
        ));
        assert!(is_no_transaction("-- authdb:no-transaction  \r\nX"));
        assert!(!is_no_transaction("\n-- authdb:no-transaction\nX"));
        assert!(!is_no_transaction("--authdb:no-transaction\nX"));
    }

    #[test]
    fn a_contract_step_is_declared_by_a_comment_anywhere_not_by_a_string() {
        assert!(declares_contract(
            "-- authdb:no-transaction\n-- authdb:contract the old app reads it\nDROP INDEX CONCURRENTLY i;"
        ));
        assert!(declares_contract(
            "ALTER TABLE t DROP c;\n-- authdb:contract"
        ));
        assert!(!declares_contract("SELECT '-- authdb:contract';"));
        assert!(!declares_contract("-- authdb:contracted\nSELECT 1;"));
    }

    #[test]
    fn directives_are_comments_not_strings() {
        let sql = "-- authdb:allow drop-table gone\nSELECT '-- authdb:allow x', $$ -- authdb:y $$;\n--   authdb:no-transaction";
        let found: Vec<(usize, &str)> = directives(sql).map(|d| (d.offset, d.body)).collect();
        let last = sql.rfind("--").unwrap();
        assert_eq!(
            found,
            [(0, "allow drop-table gone"), (last, "no-transaction")]
        );
    }
}
