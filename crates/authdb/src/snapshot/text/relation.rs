//! A relation's block: its yes-or-no options after its name, its other options and owner,
//! privileges and comment before its columns, then the columns with their settings, privileges
//! and comments, constraints, indexes, triggers, policies, and a view's query last.

use std::fmt::Write;

use super::{name, render_comment, render_grants, render_margin, render_privileged};
use crate::snapshot::privileges::GrantKind;
use crate::snapshot::{Column, Grants, Table, TriggerState};

pub(in crate::snapshot) fn render_table(out: &mut String, word: &str, key: &str, table: &Table) {
    let _ = write!(out, "\n{word} {key}");
    for (flag, flag_word) in table_flags(table) {
        if flag {
            let _ = write!(out, ", {flag_word}");
        }
    }
    out.push('\n');
    if let Some(method) = &table.access_method {
        let _ = writeln!(out, "  access method {method}");
    }
    if let Some(identity) = &table.replica_identity {
        let _ = writeln!(out, "  replica identity {identity}");
    }
    if let Some(key) = &table.partition_key {
        let _ = writeln!(out, "  partition by {key}");
    }
    if let Some(partition) = &table.partition_of {
        let _ = writeln!(out, "  partition of {}", partition.parent);
        let _ = writeln!(out, "  partition bound {}", partition.bound);
    }
    for parent in &table.inherits {
        let _ = writeln!(out, "  inherits {parent}");
    }
    for (parameter, value) in &table.storage_parameters {
        let _ = writeln!(out, "  with {parameter}={value}");
    }
    if let Some(index) = &table.clustered_on {
        let _ = writeln!(out, "  clustered on {index}");
    }
    render_privileged(out, &table.privileged, GrantKind::Table);
    for column in &table.columns {
        render_column(out, column);
    }
    for column in &table.columns {
        let on = format!("on column {} ", name(&column.name));
        render_grants(out, &on, &column.grants, &Grants::new());
        render_comment(out, &on, &column.comment);
    }
    for (constraint_name, constraint) in &table.constraints {
        let constraint_name = name(constraint_name);
        let _ = writeln!(
            out,
            "  constraint {constraint_name} {}",
            constraint.definition
        );
        render_comment(
            out,
            &format!("on constraint {constraint_name} "),
            &constraint.comment,
        );
    }
    for (index_name, index) in &table.indexes {
        let index_name = name(index_name);
        let _ = write!(out, "  index {index_name}");
        if !index.valid {
            out.push_str(" invalid");
        }
        if index.unique {
            out.push_str(" unique");
        }
        let _ = writeln!(out, " {} {}", index.method, index.definition);
        if !index.statistics.is_empty() {
            let targets: Vec<String> = index
                .statistics
                .iter()
                .map(|(column, target)| format!("{column}={target}"))
                .collect();
            let _ = writeln!(
                out,
                "  statistics on index {index_name} {}",
                targets.join(" ")
            );
        }
        render_comment(out, &format!("on index {index_name} "), &index.comment);
    }
    for (trigger_name, trigger) in &table.triggers {
        let trigger_name = name(trigger_name);
        let _ = writeln!(
            out,
            "  trigger {trigger_name} {} {}",
            state_word(trigger.state),
            trigger.definition
        );
        render_comment(
            out,
            &format!("on trigger {trigger_name} "),
            &trigger.comment,
        );
    }
    for (policy_name, policy) in &table.policies {
        let policy_name = name(policy_name);
        let _ = write!(out, "  policy {policy_name}");
        if !policy.permissive {
            out.push_str(" restrictive");
        }
        let _ = writeln!(
            out,
            " for {} to {}",
            policy.command,
            policy.roles.join(", ")
        );
        if let Some(using) = &policy.using {
            let _ = writeln!(out, "    using {using}");
        }
        if let Some(check) = &policy.with_check {
            let _ = writeln!(out, "    with check {check}");
        }
        render_comment(out, &format!("on policy {policy_name} "), &policy.comment);
    }
    if let Some(definition) = &table.definition {
        out.push_str("  definition\n");
        render_margin(out, definition);
    }
}

/// `column NAME TYPE[, not null][, collate C][, identity always][, statistics N][, storage S]
/// [, compression C][, options k=v ...][, default EXPR | , generated EXPR]`.
fn render_column(out: &mut String, column: &Column) {
    let _ = write!(out, "  column {} {}", name(&column.name), column.data_type);
    if column.not_null {
        out.push_str(", not null");
    }
    if let Some(collation) = &column.collation {
        let _ = write!(out, ", collate {collation}");
    }
    if let Some(identity) = &column.identity {
        let _ = write!(out, ", identity {identity}");
    }
    if let Some(statistics) = column.statistics {
        let _ = write!(out, ", statistics {statistics}");
    }
    if let Some(storage) = &column.storage {
        let _ = write!(out, ", storage {storage}");
    }
    if let Some(compression) = &column.compression {
        let _ = write!(out, ", compression {compression}");
    }
    if !column.options.is_empty() {
        let options: Vec<String> = column
            .options
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let _ = write!(out, ", options {}", options.join(" "));
    }
    if let Some(default) = &column.default {
        let _ = write!(out, ", default {default}");
    }
    if let Some(generated) = &column.generated {
        let _ = write!(out, ", generated {generated}");
    }
    out.push('\n');
}

/// The table's yes-or-no options after its name, `table sessions, unlogged`, in this order; the
/// default (no) is not written.
pub(in crate::snapshot) fn table_flags(table: &Table) -> [(bool, &'static str); 3] {
    [
        (table.unlogged, UNLOGGED),
        (table.row_level_security, ROW_LEVEL_SECURITY),
        (table.force_row_level_security, FORCE_ROW_LEVEL_SECURITY),
    ]
}

pub(in crate::snapshot) const UNLOGGED: &str = "unlogged";
pub(in crate::snapshot) const ROW_LEVEL_SECURITY: &str = "row level security";
pub(in crate::snapshot) const FORCE_ROW_LEVEL_SECURITY: &str = "force row level security";

/// How each trigger state is written.
pub(in crate::snapshot) const STATES: [(TriggerState, &str); 4] = [
    (TriggerState::Enabled, "enabled"),
    (TriggerState::Disabled, "disabled"),
    (TriggerState::Replica, "replica"),
    (TriggerState::Always, "always"),
];

fn state_word(state: TriggerState) -> &'static str {
    STATES
        .iter()
        .find(|(s, _)| *s == state)
        .map_or("enabled", |(_, word)| word)
}
