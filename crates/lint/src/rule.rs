//! Every id lint reports, in one enum: the folder's problems (ids and texts from `authdb-folder`,
//! shared with migrate), the lock's checks, authdb's own checks of a file's text, and squawk's
//! rules under squawk's own ids, so that users can look them up in squawk's documentation.

use std::fmt;

use authdb_folder::ProblemKind;

use crate::squawk_rules::{self, State};

/// One check. A finding carries one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rule {
    /// A problem of the folder, by its id (`file-name`, `transaction-control`, ...).
    Folder(&'static str),
    LockNewFile,
    LockEdited,
    LockMissingFile,
    LockSet,
    LockSyntax,
    SyntaxError,
    UnknownDirective,
    AllowWithoutReason,
    AllowUnused,
    SquawkIgnore,
    NeedsNoTransaction,
    /// One of squawk's rules that authdb runs.
    Squawk(squawk_linter::Rule),
}

/// authdb's own checks (not the folder's), in the order the README lists them.
pub const OWN: &[Rule] = &[
    Rule::LockNewFile,
    Rule::LockEdited,
    Rule::LockMissingFile,
    Rule::LockSet,
    Rule::LockSyntax,
    Rule::SyntaxError,
    Rule::UnknownDirective,
    Rule::AllowWithoutReason,
    Rule::AllowUnused,
    Rule::SquawkIgnore,
    Rule::NeedsNoTransaction,
];

impl Rule {
    /// The id printed in findings and written in `-- authdb:allow` comments.
    pub fn id(self) -> &'static str {
        match self {
            Rule::Folder(id) => id,
            Rule::Squawk(rule) => squawk_rules::get(rule).id,
            own => own.describe().0,
        }
    }

    /// Reads an id as `-- authdb:allow` names it: any of lint's ids, and squawk's ids (also the
    /// ones authdb turns off, so that allowing one can be refused with the reason).
    pub fn from_id(id: &str) -> Option<Rule> {
        if let Some(folder) = ProblemKind::IDS.iter().find(|known| **known == id) {
            return Some(Rule::Folder(folder));
        }
        if let Some(own) = OWN.iter().find(|rule| rule.id() == id) {
            return Some(*own);
        }
        if let Some(entry) = squawk_rules::ALL.iter().find(|entry| entry.id == id) {
            return Some(Rule::Squawk(entry.rule));
        }
        // squawk accepts `prefer-timestamptz` for its `prefer-timestamp-tz`: so do we.
        let rule = squawk_linter::Rule::try_from(id).ok()?;
        Some(Rule::Squawk(rule))
    }

    /// Whether `-- authdb:allow` may silence it: squawk's rules that authdb runs, which have
    /// legitimate exceptions (an empty table, a maintenance window), and a syntax error from
    /// squawk's parser on SQL that PostgreSQL accepts. A broken folder, lock or directive never
    /// has one, and a statement that needs no transaction has its own way out (the directive).
    pub fn allowable(self) -> bool {
        match self {
            Rule::SyntaxError => true,
            Rule::Squawk(rule) => matches!(squawk_rules::get(rule).state, State::On { .. }),
            _ => false,
        }
    }

    /// Why authdb's own check exists, and what to do: the finding's message after what was
    /// found. `None` for the folder's and squawk's rules, whose messages come whole.
    pub fn explain(self) -> Option<(&'static str, &'static str)> {
        match self {
            Rule::Folder(_) | Rule::Squawk(_) => None,
            own => {
                let (_, why, what_to_do) = own.describe();
                Some((why, what_to_do))
            }
        }
    }

    fn describe(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Rule::LockNewFile => (
                "lock-new-file",
                "migrations.lock records every migration, so later edits and merge collisions are caught",
                "run `cargo xtask lint --update-lock` once the migration is final, and commit migrations.lock with it",
            ),
            Rule::LockEdited => (
                "lock-edited",
                "a migration may already be applied somewhere, where migrate then refuses to run",
                "restore the recorded text (e.g. `git checkout` the file) and write the change as a new migration",
            ),
            Rule::LockMissingFile => (
                "lock-missing-file",
                "a migration that may be applied somewhere must keep its file",
                "restore the file (only one renumbered before it was applied anywhere may have its line deleted here)",
            ),
            Rule::LockSet => (
                "lock-set",
                "the set hash changes whenever two branches each add migrations, so merged versions are checked by a person",
                "check that the merged migrations are numbered in the order they must run, then run `cargo xtask lint --update-lock`",
            ),
            Rule::LockSyntax => (
                "lock-syntax",
                "migrations.lock is written by `cargo xtask lint --update-lock`, and a merge conflict leaves markers in it",
                "keep the target branch's version (or restore it from git), renumber new migrations after its last one, then run `cargo xtask lint --update-lock`",
            ),
            Rule::SyntaxError => (
                "syntax-error",
                "squawk's parser rejects this statement, so PostgreSQL most likely does too, and the rules cannot check it",
                "fix the SQL; if PostgreSQL does accept it (squawk's parser is not PostgreSQL's), write `-- authdb:allow syntax-error <why>` above it, and the rules skip that statement",
            ),
            Rule::UnknownDirective => (
                "unknown-directive",
                "a mistyped `-- authdb:` comment would silently do nothing",
                "write `-- authdb:allow <rule-id> <reason>` above a statement, or `-- authdb:no-transaction` as the first line",
            ),
            Rule::AllowWithoutReason => (
                "allow-without-reason",
                "a silenced rule must say why it is safe here, for the reviewer and for the next reader",
                "write `-- authdb:allow <rule-id> <why this is safe>`",
            ),
            Rule::AllowUnused => (
                "allow-unused",
                "an allow that silences nothing is misplaced or stale",
                "put it on the lines just above the statement it is for, or delete it",
            ),
            Rule::SquawkIgnore => (
                "squawk-ignore",
                "authdb does not honour squawk's own comments: an exception must say why it is safe, and whether a file runs in a transaction is decided by `-- authdb:no-transaction`",
                "write `-- authdb:allow <rule-id> <why this is safe>` above the statement instead",
            ),
            Rule::NeedsNoTransaction => (
                "needs-no-transaction",
                "PostgreSQL refuses it inside a transaction block, and migrate runs this file inside the run's transaction",
                "put it alone in a migration whose first line is `-- authdb:no-transaction`, which migrate runs on its own, outside any transaction",
            ),
            Rule::Folder(_) | Rule::Squawk(_) => unreachable!("described elsewhere"),
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        let folder = ProblemKind::IDS.iter().map(|id| Rule::Folder(id));
        let squawk = squawk_rules::ALL.iter().map(|r| Rule::Squawk(r.rule));
        for rule in folder.chain(OWN.iter().copied()).chain(squawk) {
            assert_eq!(Rule::from_id(rule.id()), Some(rule), "{rule:?}");
        }
        assert_eq!(Rule::from_id("no-such-rule"), None);
        assert_eq!(
            Rule::from_id("prefer-timestamptz"),
            Some(Rule::Squawk(squawk_linter::Rule::PreferTimestampTz))
        );
    }

    #[test]
    fn only_squawk_rules_that_run_and_syntax_errors_are_allowable() {
        use squawk_linter::Rule as S;
        assert!(Rule::SyntaxError.allowable());
        assert!(Rule::Squawk(S::RequireConcurrentIndexCreation).allowable());
        assert!(!Rule::Squawk(S::PreferRobustStmts).allowable());
        assert!(!Rule::Squawk(S::TransactionNesting).allowable());
        assert!(!Rule::LockEdited.allowable());
        assert!(!Rule::NeedsNoTransaction.allowable());
        assert!(!Rule::Folder("transaction-control").allowable());
    }
}
