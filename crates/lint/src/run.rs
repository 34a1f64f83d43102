//! What earlier statements of a run tell lint about later ones. Statements are parsed one at a
//! time (memory stays one statement's), so the facts squawk would gather from a whole file are
//! kept here instead, in a few names, and across files: every migration not yet recorded in
//! migrations.lock ships in the same run.
//!
//! - Relations created earlier in the run are new: no rows, no client uses them.
//! - A constraint added `NOT VALID` and validated in the same transaction blocks reads while it
//!   is validated (squawk's `constraint-missing-not-valid`); a no-transaction file ends the run's
//!   transaction.
//! - `SET NOT NULL` after a validated `CHECK (col IS NOT NULL)` does not scan (squawk's
//!   `adding-not-nullable-field` knows this within a file; here it holds across the run).

use std::collections::{HashMap, HashSet};

use squawk_syntax::ast::{self, AstNode, NameLike};

use crate::relations::{self, Key};

#[derive(Debug, Default)]
pub struct Run {
    created: HashSet<Key>,
    /// Constraints added `NOT VALID` in the current transaction.
    not_valid: HashSet<String>,
    /// `CHECK (col IS NOT NULL) NOT VALID` constraints: name to table and column.
    not_null_checks: HashMap<String, (Key, String)>,
    validated_not_null: HashSet<(Key, String)>,
    /// Tables with a constraint validated whose `ADD` lint did not see (an earlier, recorded
    /// migration): squawk then trusts a later `SET NOT NULL` on them, and so does lint.
    validated_elsewhere: HashSet<Key>,
}

impl Run {
    /// Whether every one of these relations was created earlier in the run (false for none).
    pub fn all_new(&self, keys: &[Key]) -> bool {
        !keys.is_empty() && keys.iter().all(|key| self.created.contains(key))
    }

    /// A file that runs outside the run's transaction: what was added before it is committed.
    pub fn end_transaction(&mut self) {
        self.not_valid.clear();
    }

    /// Whether `SET NOT NULL` on this column is backed by a validated check.
    pub fn not_null_validated(&self, table: &Key, column: &str) -> bool {
        self.validated_elsewhere.contains(table)
            || self
                .validated_not_null
                .contains(&(table.clone(), column.to_string()))
    }

    /// Takes in one statement (after its findings were decided). Returns the `VALIDATE
    /// CONSTRAINT`s (their offsets) of constraints added `NOT VALID` earlier in the same
    /// transaction.
    pub fn learn(&mut self, stmt: &ast::Stmt) -> Vec<usize> {
        let mut same_transaction = Vec::new();
        if let ast::Stmt::AlterTable(alter) = stmt
            && let Some(table) = relations::changed(stmt).pop()
        {
            for action in alter.actions() {
                match action {
                    ast::AlterTableAction::AddConstraint(add) => {
                        let Some(constraint) = add.constraint() else {
                            continue;
                        };
                        let Some(name) = constraint.constraint_name().map(|n| n.text()) else {
                            continue;
                        };
                        if constraint.is_not_valid() {
                            if let Some(column) = relations::not_null_check(&constraint) {
                                self.not_null_checks
                                    .insert(name.clone(), (table.clone(), column));
                            }
                            self.not_valid.insert(name);
                        }
                    }
                    ast::AlterTableAction::ValidateConstraint(validate) => {
                        let Some(name) = validate
                            .constraint_name_ref()
                            .and_then(|c| c.path_ref())
                            .and_then(|p| p.segment())
                            .map(|s| s.text())
                        else {
                            continue;
                        };
                        if self.not_valid.contains(&name) {
                            same_transaction
                                .push(usize::from(validate.syntax().text_range().start()));
                        }
                        match self.not_null_checks.get(&name) {
                            Some((checked, column)) if *checked == table => {
                                self.validated_not_null
                                    .insert((table.clone(), column.clone()));
                            }
                            _ => {
                                self.validated_elsewhere.insert(table.clone());
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        if let Some(created) = relations::created(stmt) {
            self.created.insert(created);
        }
        same_transaction
    }
}
