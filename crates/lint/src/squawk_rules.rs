//! Which of squawk's rules authdb runs, where, and why the others are off: the one table the
//! linter, `-- authdb:allow` and the README's rules table all read. squawk's defaults are the
//! starting point; a rule is off only where authdb already guarantees what it asks for, or where
//! its advice would be wrong for authdb.
//!
//! Two things squawk cannot know decide where a rule applies:
//! - **Down files** undo their migration: dropping and renaming is their job, and rollback runs
//!   them all in one transaction, so advice that needs `CONCURRENTLY` cannot be followed there. A
//!   down file restores an earlier design rather than choosing a new one, so the design rules
//!   (column types, naming) do not apply to it either.
//! - **New relations**: a table created earlier in the same file, or in an earlier migration not
//!   yet recorded in migrations.lock (they ship in the same run), holds no rows and no client
//!   uses it, so the rules about locks, rewrites and breaking clients do not fire on it.

use squawk_linter::Rule;

/// One squawk rule as authdb runs it.
#[derive(Debug, Clone, Copy)]
pub struct SquawkRule {
    pub rule: Rule,
    /// squawk's id, as squawk prints it.
    pub id: &'static str,
    pub state: State,
    /// authdb's advice where it is more specific than squawk's help.
    pub advice: Option<&'static str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    On {
        /// Also checked in down files.
        down_files: bool,
        /// Also checked on relations created earlier in the run.
        new_relations: bool,
    },
    /// Off, and why.
    Off(&'static str),
}

/// Locks, rewrites and scans of a table that may hold rows: up and down files (a down file runs
/// against the live table too), not on new relations.
const LOCKS: State = State::On {
    down_files: true,
    new_relations: false,
};
/// What can break the running application (drops, renames) or needs `CONCURRENTLY`: up files,
/// not on new relations.
const UP_EXISTING: State = State::On {
    down_files: false,
    new_relations: false,
};
/// Design choices (types, enum order): up files, every table.
const DESIGN: State = State::On {
    down_files: false,
    new_relations: true,
};
/// Mistakes wherever they are.
const EVERYWHERE: State = State::On {
    down_files: true,
    new_relations: true,
};

const OPT_IN: &str = "opt-in in squawk, off by default; authdb keeps squawk's default";
const NO_TRANSACTION_ADVICE: &str = "write it alone in a migration whose first line is \
    `-- authdb:no-transaction`, which migrate runs on its own, outside the run's transaction";
const NOT_VALID_ADVICE: &str = "add it `NOT VALID` here, and `VALIDATE CONSTRAINT` in a migration \
    of its own whose first line is `-- authdb:no-transaction`: without that, every pending \
    migration runs in the same transaction as this one, so a later migration is no separate \
    transaction";

const fn rule(
    rule: Rule,
    id: &'static str,
    state: State,
    advice: Option<&'static str>,
) -> SquawkRule {
    SquawkRule {
        rule,
        id,
        state,
        advice,
    }
}

/// Every squawk rule, in squawk's order.
pub const ALL: &[SquawkRule] = &[
    rule(
        Rule::RequireConcurrentIndexCreation,
        "require-concurrent-index-creation",
        UP_EXISTING,
        Some(
            "use `CREATE INDEX CONCURRENTLY`, alone in a migration whose first line is \
             `-- authdb:no-transaction`; if the build fails it leaves an INVALID index: drop it \
             and run the migration again",
        ),
    ),
    rule(
        Rule::RequireConcurrentIndexDeletion,
        "require-concurrent-index-deletion",
        UP_EXISTING,
        Some(
            "use `DROP INDEX CONCURRENTLY`, alone in a migration whose first line is \
             `-- authdb:no-transaction` (its down file recreates the index without CONCURRENTLY)",
        ),
    ),
    rule(
        Rule::ConstraintMissingNotValid,
        "constraint-missing-not-valid",
        LOCKS,
        Some(NOT_VALID_ADVICE),
    ),
    rule(
        Rule::AddingFieldWithDefault,
        "adding-field-with-default",
        LOCKS,
        None,
    ),
    rule(
        Rule::AddingForeignKeyConstraint,
        "adding-foreign-key-constraint",
        LOCKS,
        Some(NOT_VALID_ADVICE),
    ),
    rule(
        Rule::ChangingColumnType,
        "changing-column-type",
        LOCKS,
        Some(
            "add a column of the new type, backfill it, move the code over, then drop the old \
             column in a contract step (`-- authdb:contract`: migrate holds it until `migrate \
             --contract` after the rollout; docs/expand-contract.md)",
        ),
    ),
    rule(
        Rule::AddingNotNullableField,
        "adding-not-nullable-field",
        LOCKS,
        Some(
            "add `CONSTRAINT c CHECK (col IS NOT NULL) NOT VALID`, `VALIDATE CONSTRAINT c` in a \
             `-- authdb:no-transaction` migration, then `SET NOT NULL`, which uses the validated \
             check instead of scanning",
        ),
    ),
    rule(
        Rule::AddingSerialPrimaryKeyField,
        "adding-serial-primary-key-field",
        UP_EXISTING,
        Some(
            "build the index with `CREATE UNIQUE INDEX CONCURRENTLY` in a \
             `-- authdb:no-transaction` migration, then `ADD CONSTRAINT ... PRIMARY KEY USING \
             INDEX` in the next one",
        ),
    ),
    rule(
        Rule::RenamingColumn,
        "renaming-column",
        UP_EXISTING,
        Some(
            "add the new column, write both from the code, backfill, and drop the old one once \
         nothing reads it, in a contract step (`-- authdb:contract`: migrate holds it until \
         `migrate --contract` after the rollout; docs/expand-contract.md)",
        ),
    ),
    rule(
        Rule::RenamingTable,
        "renaming-table",
        UP_EXISTING,
        Some(
            "create the new table (or a view under the new name), move the code over, then drop \
         the old one",
        ),
    ),
    rule(
        Rule::DisallowedUniqueConstraint,
        "disallowed-unique-constraint",
        UP_EXISTING,
        Some(
            "build the index with `CREATE UNIQUE INDEX CONCURRENTLY` in a \
             `-- authdb:no-transaction` migration, then `ADD CONSTRAINT ... UNIQUE USING INDEX` \
             in the next one",
        ),
    ),
    rule(
        Rule::BanDropDatabase,
        "ban-drop-database",
        UP_EXISTING,
        None,
    ),
    rule(
        Rule::PreferBigintOverInt,
        "prefer-bigint-over-int",
        DESIGN,
        None,
    ),
    rule(
        Rule::PreferBigintOverSmallint,
        "prefer-bigint-over-smallint",
        DESIGN,
        None,
    ),
    rule(
        Rule::PreferIdentity,
        "prefer-identity",
        DESIGN,
        Some(
            "authdb's tables use `uuid DEFAULT gen_random_uuid()`; otherwise \
         `bigint GENERATED ALWAYS AS IDENTITY`",
        ),
    ),
    rule(Rule::PreferRepack, "prefer-repack", LOCKS, None),
    rule(
        Rule::PreferRobustStmts,
        "prefer-robust-stmts",
        State::Off(
            "a run is one transaction, so a failed migration leaves nothing to skip on the next \
             run; and `IF NOT EXISTS` would skip the INVALID index a failed `CREATE INDEX \
             CONCURRENTLY` leaves behind, hiding the failure",
        ),
        None,
    ),
    rule(Rule::PreferTextField, "prefer-text-field", DESIGN, None),
    rule(Rule::PreferTimestampTz, "prefer-timestamp-tz", DESIGN, None),
    rule(Rule::BanCharField, "ban-char-field", DESIGN, None),
    rule(
        Rule::BanDropColumn,
        "ban-drop-column",
        UP_EXISTING,
        Some(
            "stop using the column in the code and deploy that first; then drop it with \
         `-- authdb:allow ban-drop-column <why no client reads it>`",
        ),
    ),
    rule(
        Rule::BanDropTable,
        "ban-drop-table",
        UP_EXISTING,
        Some(
            "stop using the table in the code and deploy that first; then drop it with \
         `-- authdb:allow ban-drop-table <why no client uses it>`",
        ),
    ),
    rule(Rule::BanDropNotNull, "ban-drop-not-null", UP_EXISTING, None),
    rule(
        Rule::TransactionNesting,
        "transaction-nesting",
        State::Off(
            "replaced by the folder's `transaction-control`, which migrate and rollback enforce \
             too: no migration or down file may begin, end or cut a transaction",
        ),
        None,
    ),
    rule(
        Rule::AddingRequiredField,
        "adding-required-field",
        LOCKS,
        None,
    ),
    rule(
        Rule::BanConcurrentIndexCreationInTransaction,
        "ban-concurrent-index-creation-in-transaction",
        State::Off(
            "replaced by authdb's `needs-no-transaction`, which covers every statement \
             PostgreSQL refuses in a transaction block and knows the `-- authdb:no-transaction` \
             directive",
        ),
        None,
    ),
    rule(
        Rule::UnusedIgnore,
        "unused-ignore",
        State::Off(
            "about `-- squawk-ignore` comments, which authdb refuses (`squawk-ignore`); an \
             allow that silences nothing is `allow-unused`",
        ),
        None,
    ),
    rule(
        Rule::BanCreateDomainWithConstraint,
        "ban-create-domain-with-constraint",
        DESIGN,
        None,
    ),
    rule(
        Rule::BanAlterDomainWithAddConstraint,
        "ban-alter-domain-with-add-constraint",
        LOCKS,
        None,
    ),
    rule(
        Rule::BanTruncateCascade,
        "ban-truncate-cascade",
        LOCKS,
        None,
    ),
    rule(
        Rule::RequireTimeoutSettings,
        "require-timeout-settings",
        State::Off(
            "migrate sets `lock_timeout` for every run (`--lock-timeout`, 5 s by default) and \
             `statement_timeout` when asked (`--statement-timeout`); a `SET` in a migration \
             would override them for the rest of the run",
        ),
        None,
    ),
    rule(
        Rule::BanUncommittedTransaction,
        "ban-uncommitted-transaction",
        State::Off("replaced by the folder's `transaction-control`: authdb begins and commits"),
        None,
    ),
    rule(
        Rule::RequireEnumValueOrdering,
        "require-enum-value-ordering",
        DESIGN,
        None,
    ),
    rule(
        Rule::RequireTableSchema,
        "require-table-schema",
        State::Off(
            "opt-in in squawk; authdb's migrations create everything in the session's schema \
             (`public`), where verify and the snapshot read it",
        ),
        None,
    ),
    rule(
        Rule::IdentifierTooLong,
        "identifier-too-long",
        EVERYWHERE,
        None,
    ),
    rule(
        Rule::RequireConcurrentPartitionDetach,
        "require-concurrent-partition-detach",
        UP_EXISTING,
        Some(NO_TRANSACTION_ADVICE),
    ),
    rule(
        Rule::RequireConcurrentReindex,
        "require-concurrent-reindex",
        UP_EXISTING,
        Some(NO_TRANSACTION_ADVICE),
    ),
    rule(
        Rule::RequireLockTimeout,
        "require-lock-timeout",
        State::Off(
            "migrate sets `lock_timeout` for every run (`--lock-timeout`, 5 s by default); a \
             `SET` in a migration would override it for the rest of the run",
        ),
        None,
    ),
    rule(
        Rule::RequireStatementTimeout,
        "require-statement-timeout",
        State::Off(
            "migrate sets `statement_timeout` per run when asked (`--statement-timeout`); a \
             `SET` in a migration would override it for the rest of the run",
        ),
        None,
    ),
    rule(
        Rule::BanDuplicateColumnAssignments,
        "ban-duplicate-column-assignments",
        EVERYWHERE,
        None,
    ),
    rule(Rule::BanDropView, "ban-drop-view", UP_EXISTING, None),
    rule(
        Rule::BanDropFunction,
        "ban-drop-function",
        UP_EXISTING,
        None,
    ),
    rule(Rule::BanDropType, "ban-drop-type", UP_EXISTING, None),
    rule(Rule::BanDropDefault, "ban-drop-default", UP_EXISTING, None),
    rule(
        Rule::BanDropTrigger,
        "ban-drop-trigger",
        State::Off(OPT_IN),
        None,
    ),
    rule(Rule::BanDropSchema, "ban-drop-schema", UP_EXISTING, None),
    rule(
        Rule::BanDropSequence,
        "ban-drop-sequence",
        UP_EXISTING,
        None,
    ),
    rule(Rule::BanDropDomain, "ban-drop-domain", UP_EXISTING, None),
    rule(
        Rule::BanDropConstraint,
        "ban-drop-constraint",
        UP_EXISTING,
        None,
    ),
    rule(
        Rule::BanDropGeneratedExpression,
        "ban-drop-generated-expression",
        UP_EXISTING,
        None,
    ),
    rule(Rule::RenamingObject, "renaming-object", UP_EXISTING, None),
    rule(Rule::BanSetSchema, "ban-set-schema", UP_EXISTING, None),
    rule(
        Rule::BanAlterIdentity,
        "ban-alter-identity",
        UP_EXISTING,
        None,
    ),
    rule(
        Rule::BanDropExtension,
        "ban-drop-extension",
        UP_EXISTING,
        None,
    ),
    rule(
        Rule::BanAlterGeneratedExpression,
        "ban-alter-generated-expression",
        State::Off(OPT_IN),
        None,
    ),
    rule(
        Rule::BanDropIndex,
        "ban-drop-index",
        State::Off(OPT_IN),
        None,
    ),
    rule(
        Rule::BanSetDefault,
        "ban-set-default",
        State::Off(OPT_IN),
        None,
    ),
    rule(
        Rule::BanDisableTrigger,
        "ban-disable-trigger",
        State::Off(OPT_IN),
        None,
    ),
    rule(
        Rule::BanReplicaIdentity,
        "ban-replica-identity",
        State::Off(OPT_IN),
        None,
    ),
    rule(
        Rule::BanDropPolicy,
        "ban-drop-policy",
        State::Off(OPT_IN),
        None,
    ),
    rule(Rule::BanRevoke, "ban-revoke", State::Off(OPT_IN), None),
    rule(
        Rule::BanReplaceViewFunction,
        "ban-replace-view-function",
        State::Off(OPT_IN),
        None,
    ),
    rule(
        Rule::BanAlterPolicyCondition,
        "ban-alter-policy-condition",
        State::Off(OPT_IN),
        None,
    ),
    rule(
        Rule::BanAlterPolicyRoles,
        "ban-alter-policy-roles",
        State::Off(OPT_IN),
        None,
    ),
    rule(
        Rule::BanCreatePolicy,
        "ban-create-policy",
        State::Off(OPT_IN),
        None,
    ),
    rule(
        Rule::BanAlterFunctionOptions,
        "ban-alter-function-options",
        State::Off(OPT_IN),
        None,
    ),
    rule(
        Rule::BanAlterViewOptions,
        "ban-alter-view-options",
        State::Off(OPT_IN),
        None,
    ),
    rule(
        Rule::BanAlterRoleOptions,
        "ban-alter-role-options",
        State::Off(OPT_IN),
        None,
    ),
    rule(
        Rule::BanAlterDatabaseOptions,
        "ban-alter-database-options",
        State::Off(OPT_IN),
        None,
    ),
    rule(
        Rule::BanAlterRowLevelSecurity,
        "ban-alter-row-level-security",
        State::Off(OPT_IN),
        None,
    ),
    rule(
        Rule::BanNewWriteRestriction,
        "ban-new-write-restriction",
        State::Off(OPT_IN),
        None,
    ),
    rule(
        Rule::BanAddEnumValue,
        "ban-add-enum-value",
        State::Off(OPT_IN),
        None,
    ),
    rule(
        Rule::BanAddCompositeAttribute,
        "ban-add-composite-attribute",
        State::Off(OPT_IN),
        None,
    ),
    rule(
        Rule::BanAddColumn,
        "ban-add-column",
        State::Off(OPT_IN),
        None,
    ),
    rule(
        Rule::BanDetachInheritance,
        "ban-detach-inheritance",
        State::Off(OPT_IN),
        None,
    ),
    rule(
        Rule::BanAlterSequenceValues,
        "ban-alter-sequence-values",
        State::Off(OPT_IN),
        None,
    ),
    rule(
        Rule::BanAlterSystemOptions,
        "ban-alter-system-options",
        State::Off(OPT_IN),
        None,
    ),
    rule(
        Rule::BanAlterExtension,
        "ban-alter-extension",
        State::Off(OPT_IN),
        None,
    ),
];

/// The entry of a rule. Every squawk rule has one (a test checks it).
pub fn get(rule: Rule) -> &'static SquawkRule {
    ALL.iter()
        .find(|entry| entry.rule == rule)
        .unwrap_or_else(|| panic!("squawk rule {rule} is missing from squawk_rules::ALL"))
}

/// The rules that run on a file: up files get every rule that is on, down files those that
/// apply to down files.
pub fn running(down: bool) -> impl Iterator<Item = Rule> {
    ALL.iter().filter_map(move |entry| match entry.state {
        State::On { down_files, .. } if down_files || !down => Some(entry.rule),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_squawk_rule_is_listed_once_under_squawks_own_id() {
        let listed: Vec<Rule> = ALL.iter().map(|entry| entry.rule).collect();
        let squawk: Vec<Rule> = enum_iterator::all::<Rule>().collect();
        assert_eq!(listed, squawk, "squawk's rules, in squawk's order");
        for entry in ALL {
            assert_eq!(entry.id, entry.rule.to_string());
        }
    }

    #[test]
    fn squawks_defaults_are_on_unless_a_reason_says_why_not() {
        let linter = squawk_linter::Linter::with_default_rules();
        for entry in ALL {
            let default = linter.rules.contains(&entry.rule);
            match entry.state {
                State::On { .. } => assert!(default, "{} is opt-in in squawk", entry.id),
                State::Off(reason) if reason == OPT_IN => {
                    assert!(!default, "{} is a squawk default", entry.id)
                }
                State::Off(reason) => assert!(reason.len() > 40, "{}: {reason}", entry.id),
            }
        }
    }
}
