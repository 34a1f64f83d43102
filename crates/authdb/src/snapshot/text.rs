//! The committed text form of a snapshot, `migrations/schema.snapshot`: meant to be read in a
//! code review. One object per line, indented under its table, sorted; definitions as
//! PostgreSQL prints them; function bodies verbatim behind a `|` margin. Every free-text field is
//! the last thing on its line, so the file parses back (`parse.rs`) without quoting. A table's
//! yes-or-no options follow its name, its other options come before its columns, and an option at
//! its default is not written, so most tables read as their columns and keys only.
//!
//! ```text
//! version 6
//!
//! table sessions, unlogged
//!   with fillfactor=70
//!   column expires_at timestamp with time zone, not null
//!   constraint sessions_user_id_fkey FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE
//!   index sessions_expires_at_idx btree (expires_at)
//!   trigger sessions_set_updated_at enabled BEFORE UPDATE ON sessions FOR EACH ROW EXECUTE FUNCTION f()
//! ```

use std::fmt::Write;

use super::{Function, Snapshot, Table, TriggerState};

const HEADER: &str = "\
# The schema the migrations in this folder create, as `cargo xtask snapshot` read it from a
# freshly migrated PostgreSQL. Generated: do not edit, run `cargo xtask snapshot` after adding a
# migration. `cargo xtask verify` compares a database with it; a test keeps it current.
";

/// The left margin of a function body's lines, which keeps their own indentation intact.
pub(super) const BODY_MARGIN: &str = "    |";

pub(super) fn render(snapshot: &Snapshot) -> String {
    let mut out = String::from(HEADER);
    let version = snapshot.version.map_or("none".into(), |v| v.to_string());
    let _ = writeln!(out, "version {version}");
    for extension in &snapshot.extensions {
        let _ = write!(out, "\nextension {}\n", name(extension));
    }
    for (signature, function) in &snapshot.functions {
        render_function(&mut out, signature, function);
    }
    for (table_name, table) in &snapshot.tables {
        render_table(&mut out, table_name, table);
    }
    out
}

fn render_function(out: &mut String, signature: &str, function: &Function) {
    let kind = if function.procedure {
        "procedure"
    } else {
        "function"
    };
    let _ = writeln!(out, "\n{kind} {signature}");
    if let Some(returns) = &function.returns {
        let _ = writeln!(out, "  returns {returns}");
    }
    let _ = writeln!(out, "  language {}", function.language);
    let _ = writeln!(out, "  volatility {}", function.volatility);
    if function.strict {
        out.push_str("  strict\n");
    }
    if function.security_definer {
        out.push_str("  security definer\n");
    }
    for setting in &function.settings {
        let _ = writeln!(out, "  set {setting}");
    }
    out.push_str("  body\n");
    for line in function.body.split('\n') {
        out.push_str(BODY_MARGIN);
        if !line.is_empty() {
            let _ = write!(out, " {line}");
        }
        out.push('\n');
    }
}

fn render_table(out: &mut String, table_name: &str, table: &Table) {
    let _ = write!(out, "\ntable {}", name(table_name));
    for (flag, word) in table_flags(table) {
        if flag {
            let _ = write!(out, ", {word}");
        }
    }
    out.push('\n');
    if let Some(method) = &table.access_method {
        let _ = writeln!(out, "  access method {}", name(method));
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
    for column in &table.columns {
        let _ = write!(out, "  column {} {}", name(&column.name), column.data_type);
        if column.not_null {
            out.push_str(", not null");
        }
        if let Some(collation) = &column.collation {
            let _ = write!(out, ", collate {}", name(collation));
        }
        if let Some(identity) = &column.identity {
            let _ = write!(out, ", identity {identity}");
        }
        if let Some(default) = &column.default {
            let _ = write!(out, ", default {default}");
        }
        if let Some(generated) = &column.generated {
            let _ = write!(out, ", generated {generated}");
        }
        out.push('\n');
    }
    for (constraint_name, constraint) in &table.constraints {
        let _ = writeln!(
            out,
            "  constraint {} {}",
            name(constraint_name),
            constraint.definition
        );
    }
    for (index_name, index) in &table.indexes {
        let _ = write!(out, "  index {}", name(index_name));
        if !index.valid {
            out.push_str(" invalid");
        }
        if index.unique {
            out.push_str(" unique");
        }
        let _ = writeln!(out, " {} {}", index.method, index.definition);
    }
    for (trigger_name, trigger) in &table.triggers {
        let _ = writeln!(
            out,
            "  trigger {} {} {}",
            name(trigger_name),
            state_word(trigger.state),
            trigger.definition
        );
    }
}

/// The table's yes-or-no options after its name, `table sessions, unlogged`, in this order; the
/// default (no) is not written.
pub(super) fn table_flags(table: &Table) -> [(bool, &'static str); 3] {
    [
        (table.unlogged, UNLOGGED),
        (table.row_level_security, ROW_LEVEL_SECURITY),
        (table.force_row_level_security, FORCE_ROW_LEVEL_SECURITY),
    ]
}

pub(super) const UNLOGGED: &str = "unlogged";
pub(super) const ROW_LEVEL_SECURITY: &str = "row level security";
pub(super) const FORCE_ROW_LEVEL_SECURITY: &str = "force row level security";

/// How each trigger state is written.
pub(super) const STATES: [(TriggerState, &str); 4] = [
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

/// A name as one token: bare when it is one already, else double-quoted as in SQL.
fn name(name: &str) -> String {
    let plain = !name.is_empty()
        && !name.starts_with('"')
        && !name.contains(|c: char| c.is_whitespace() || c == ',');
    if plain {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::parse::parse;
    use crate::snapshot::{Column, Constraint, Index, Partition, Trigger};

    /// Everything the format can hold, with the awkward cases: quoted names, commas in a
    /// default, a body with blank and indented lines, a procedure.
    fn everything() -> Snapshot {
        let mut snapshot = Snapshot {
            version: Some(12),
            ..Snapshot::default()
        };
        snapshot.extensions.insert("pg_trgm".into());
        snapshot.functions.insert(
            "f(a integer, b text)".into(),
            Function {
                procedure: false,
                returns: Some("TABLE(x integer, y text)".into()),
                language: "sql".into(),
                volatility: "stable".into(),
                strict: true,
                security_definer: true,
                settings: vec!["search_path=pg_catalog, public".into()],
                body: "\n  SELECT 1, 'a'\n\n    -- indented\n".into(),
            },
        );
        snapshot.functions.insert(
            "p()".into(),
            Function {
                procedure: true,
                returns: None,
                language: "plpgsql".into(),
                volatility: "volatile".into(),
                strict: false,
                security_definer: false,
                settings: Vec::new(),
                body: String::new(),
            },
        );
        let mut table = Table {
            row_level_security: true,
            force_row_level_security: true,
            unlogged: true,
            replica_identity: Some("using index t idx".into()),
            access_method: Some("heap2".into()),
            partition_key: Some("RANGE (n, (g * 2))".into()),
            partition_of: Some(Partition {
                parent: "\"odd, parent\"".into(),
                bound: "FOR VALUES IN ('a, b', 'c')".into(),
            }),
            inherits: vec!["a".into(), "\"b b\"".into()],
            ..Table::default()
        };
        table
            .storage_parameters
            .insert("fillfactor".into(), "70".into());
        table
            .storage_parameters
            .insert("toast.autovacuum_enabled".into(), "false".into());
        table.columns = vec![
            Column {
                name: "odd \"name\", really".into(),
                data_type: "numeric(10,2)".into(),
                not_null: true,
                collation: Some("C".into()),
                default: Some("'a, b'::text || 'c'".into()),
                ..Column::default()
            },
            Column {
                name: "n".into(),
                data_type: "bigint".into(),
                not_null: true,
                identity: Some("by default".into()),
                ..Column::default()
            },
            Column {
                name: "g".into(),
                data_type: "integer".into(),
                generated: Some("(n * 2)".into()),
                ..Column::default()
            },
        ];
        table.constraints.insert(
            "t_check".into(),
            Constraint {
                definition: "CHECK (n > 0)".into(),
            },
        );
        table.indexes.insert(
            "t idx".into(),
            Index {
                unique: true,
                method: "btree".into(),
                definition: "(n) WHERE (g > 1)".into(),
                valid: false,
            },
        );
        table.triggers.insert(
            "t_trigger".into(),
            Trigger {
                state: TriggerState::Replica,
                definition: "AFTER INSERT ON \"my table\" FOR EACH ROW EXECUTE FUNCTION f()".into(),
            },
        );
        snapshot.tables.insert("my table".into(), table);
        snapshot
    }

    #[test]
    fn text_parses_back_to_the_same_snapshot() {
        let snapshot = everything();
        let text = render(&snapshot);
        assert_eq!(parse(&text), Ok(snapshot));
        assert!(
            text.contains(
                "\ntable \"my table\", unlogged, row level security, force row level security\n  \
                 access method heap2\n  replica identity using index t idx\n  partition by RANGE \
                 (n, (g * 2))\n  partition of \"odd, parent\"\n  partition bound FOR VALUES IN \
                 ('a, b', 'c')\n  inherits a\n  inherits \"b b\"\n  with fillfactor=70\n  with \
                 toast.autovacuum_enabled=false\n  column "
            ),
            "{text}"
        );
        let plain = Snapshot {
            tables: [("t".to_string(), Table::default())].into(),
            ..Snapshot::default()
        };
        assert!(
            render(&plain).ends_with("\ntable t\n"),
            "defaults are not written"
        );
        assert_eq!(parse(&render(&plain)), Ok(plain));
        assert!(text.contains("  index \"t idx\" invalid unique btree (n) WHERE (g > 1)\n"));
        assert!(
            !text.lines().any(|l| l.ends_with(' ')),
            "no trailing spaces:\n{text}"
        );
    }
}
