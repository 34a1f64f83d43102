//! The catalogue of everything lint reports: one id per check, with the one-line reason it
//! exists and what to do instead. Findings carry a [`Rule`], so ids, reasons and the README's table
//! have a single source.

use std::fmt;

/// One check. The SQL rules (those [`Rule::allowable`]) can be silenced for one statement with
/// `-- authdb:allow <rule-id> <reason>`; the folder, lock and syntax checks cannot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rule {
    // The folder.
    FileName,
    StrayFile,
    NotUtf8,
    EmptyFile,
    DuplicateVersion,
    VersionGap,
    MissingDownFile,
    OrphanDownFile,
    // migrations.lock.
    LockNewFile,
    LockEdited,
    LockMissingFile,
    LockSet,
    LockSyntax,
    // Each file's text.
    SyntaxError,
    UnknownDirective,
    AllowWithoutReason,
    AllowUnused,
    NoTransactionStatements,
    NeedsNoTransaction,
    // Changes to tables that may already hold rows.
    IndexWithoutConcurrently,
    NotNullWithoutDefault,
    ColumnTypeChange,
    ConstraintWithoutNotValid,
    RenameColumn,
    RenameTable,
    DropColumn,
    DropTable,
    // Column types.
    PreferTimestamptz,
    PreferText,
    PreferIdentity,
}

impl Rule {
    pub const ALL: &[Rule] = &[
        Rule::FileName,
        Rule::StrayFile,
        Rule::NotUtf8,
        Rule::EmptyFile,
        Rule::DuplicateVersion,
        Rule::VersionGap,
        Rule::MissingDownFile,
        Rule::OrphanDownFile,
        Rule::LockNewFile,
        Rule::LockEdited,
        Rule::LockMissingFile,
        Rule::LockSet,
        Rule::LockSyntax,
        Rule::SyntaxError,
        Rule::UnknownDirective,
        Rule::AllowWithoutReason,
        Rule::AllowUnused,
        Rule::NoTransactionStatements,
        Rule::NeedsNoTransaction,
        Rule::IndexWithoutConcurrently,
        Rule::NotNullWithoutDefault,
        Rule::ColumnTypeChange,
        Rule::ConstraintWithoutNotValid,
        Rule::RenameColumn,
        Rule::RenameTable,
        Rule::DropColumn,
        Rule::DropTable,
        Rule::PreferTimestamptz,
        Rule::PreferText,
        Rule::PreferIdentity,
    ];

    /// The id printed in findings and written in `-- authdb:allow` comments.
    pub fn id(self) -> &'static str {
        self.describe().0
    }

    /// Why the check exists, in one line.
    pub fn reason(self) -> &'static str {
        self.describe().1
    }

    /// What to do instead.
    pub fn alternative(self) -> &'static str {
        self.describe().2
    }

    /// Whether `-- authdb:allow` may silence it: only the SQL rules, which have legitimate
    /// exceptions (an empty table, a maintenance window). A broken folder or lock never has one.
    pub fn allowable(self) -> bool {
        self >= Rule::IndexWithoutConcurrently
    }

    pub fn from_id(id: &str) -> Option<Rule> {
        Rule::ALL.iter().copied().find(|rule| rule.id() == id)
    }

    fn describe(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Rule::FileName => (
                "file-name",
                "migrate orders files by the number in their name and refuses any other name",
                "name it NNN_snake_case.sql (its undo NNN_snake_case.down.sql), NNN at least 3 digits",
            ),
            Rule::StrayFile => (
                "stray-file",
                "migrate refuses a folder holding anything but migrations, so a mistyped name cannot be skipped silently",
                "move it out of the migrations folder",
            ),
            Rule::NotUtf8 => (
                "not-utf8",
                "migrations are sent to PostgreSQL as UTF-8 text",
                "save the file as UTF-8",
            ),
            Rule::EmptyFile => (
                "empty-file",
                "migrate refuses an empty migration: it is almost always an unsaved file",
                "write the migration, or delete the file",
            ),
            Rule::DuplicateVersion => (
                "duplicate-version",
                "two files with one version run in an order nobody chose, and migrate refuses them",
                "renumber the newer file to the next free version, then run `cargo xtask lint --update-lock`",
            ),
            Rule::VersionGap => (
                "version-gap",
                "a missing version is usually a deleted or not yet merged migration",
                "number migrations consecutively",
            ),
            Rule::MissingDownFile => (
                "missing-down-file",
                "rollback needs the exact undo of every migration",
                "add NNN_name.down.sql beside it",
            ),
            Rule::OrphanDownFile => (
                "orphan-down-file",
                "a down file undoes the up file of the same number and name, and migrate refuses one without it",
                "rename it after its up file, or delete it",
            ),
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
                "PostgreSQL's own parser rejects it, so migrate would fail",
                "fix the SQL",
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
            Rule::NoTransactionStatements => (
                "no-transaction-statements",
                "a file run outside a transaction cannot be rolled back half-way, so it must hold one statement",
                "split it into one file per statement",
            ),
            Rule::NeedsNoTransaction => (
                "needs-no-transaction",
                "PostgreSQL refuses this statement inside a transaction block, and migrate runs files in one",
                "put it alone in a file whose first line is `-- authdb:no-transaction`",
            ),
            Rule::IndexWithoutConcurrently => (
                "index-without-concurrently",
                "CREATE INDEX blocks every write to the table until the index is built",
                "CREATE INDEX CONCURRENTLY, alone in a file whose first line is `-- authdb:no-transaction`",
            ),
            Rule::NotNullWithoutDefault => (
                "not-null-without-default",
                "adding a NOT NULL column without a default fails on a table that has rows",
                "give it a DEFAULT, or add it nullable, backfill it, then add the constraint",
            ),
            Rule::ColumnTypeChange => (
                "column-type-change",
                "changing a column's type usually rewrites the table under an exclusive lock, and breaks code that reads the old type",
                "add a column of the new type, backfill it, move the code over, then drop the old one",
            ),
            Rule::ConstraintWithoutNotValid => (
                "constraint-without-not-valid",
                "adding a foreign key or check scans the whole table while it blocks writes",
                "ADD CONSTRAINT ... NOT VALID, then VALIDATE CONSTRAINT in a later migration (it does not block writes)",
            ),
            Rule::RenameColumn => (
                "rename-column",
                "the running application still uses the old name until it is redeployed",
                "add the new column, write both from the code, backfill, and drop the old one once nothing reads it",
            ),
            Rule::RenameTable => (
                "rename-table",
                "the running application still uses the old name until it is redeployed",
                "create the new table (or a view under the new name), move the code over, then drop the old one",
            ),
            Rule::DropColumn => (
                "drop-column",
                "the running application may still read the column, and its data is gone for good",
                "stop using it in the code first; drop it in a later migration with an allow comment saying so",
            ),
            Rule::DropTable => (
                "drop-table",
                "the running application may still use the table, and its data is gone for good",
                "stop using it in the code first; drop it in a later migration with an allow comment saying so",
            ),
            Rule::PreferTimestamptz => (
                "prefer-timestamptz",
                "timestamp without time zone stores wall-clock time whose meaning depends on the session's zone",
                "use timestamptz",
            ),
            Rule::PreferText => (
                "prefer-text",
                "varchar(n) and char(n) are no faster than text, char(n) pads with spaces, and changing n later locks the table",
                "use text, with a CHECK (length(col) <= n) if the limit is a business rule",
            ),
            Rule::PreferIdentity => (
                "prefer-identity",
                "serial creates a sequence the table does not own cleanly (grants, dumps, copies)",
                "use uuid DEFAULT gen_random_uuid(), or bigint GENERATED ALWAYS AS IDENTITY",
            ),
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
    fn ids_are_unique_and_round_trip() {
        for rule in Rule::ALL {
            assert_eq!(Rule::from_id(rule.id()), Some(*rule), "{rule:?}");
            assert!(!rule.reason().is_empty() && !rule.alternative().is_empty());
        }
        assert_eq!(Rule::from_id("no-such-rule"), None);
    }

    #[test]
    fn all_lists_every_rule_once() {
        assert!(Rule::ALL.windows(2).all(|pair| pair[0] < pair[1]));
        assert_eq!(Rule::ALL.len(), Rule::PreferIdentity as usize + 1);
    }

    #[test]
    fn only_sql_rules_are_allowable() {
        assert!(Rule::IndexWithoutConcurrently.allowable());
        assert!(Rule::PreferIdentity.allowable());
        assert!(!Rule::LockEdited.allowable());
        assert!(!Rule::NeedsNoTransaction.allowable());
    }
}
