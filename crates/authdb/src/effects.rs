//! What a script does, read from its SQL rather than learned by running it. Rollback's plan (what
//! the down files will drop, delete or change, shown before anyone confirms) and `--dry-run` are
//! built from this and from read-only catalog queries, so planning never executes a line of user
//! SQL on the database: some effects (a sequence's `setval`, a `COMMIT`) could not be undone.
//!
//! Statements are found by the folder's splitter and parsed one at a time by squawk's parser.

use serde::Serialize;
use squawk_syntax::SourceFile;
use squawk_syntax::ast::{self, AstNode};

use authdb_folder::{position, sql};

/// One statement's effect, with the line it starts on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Effect {
    pub line: usize,
    pub action: Action,
}

/// What a statement does to what the database holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// `DROP TABLE`: its rows go with it.
    DropTable { name: String, cascade: bool },
    /// `DROP INDEX|VIEW|FUNCTION|TRIGGER|SEQUENCE|TYPE|SCHEMA|...`: `kind` as written, lowercase.
    Drop {
        kind: String,
        name: String,
        cascade: bool,
    },
    /// `ALTER TABLE ... DROP COLUMN`: the column's values go with it.
    DropColumn { table: String, column: String },
    /// `ALTER TABLE ... DROP CONSTRAINT`.
    DropConstraint { table: String, name: String },
    /// `DELETE FROM`, with or without a WHERE.
    Delete { table: String, all_rows: bool },
    /// `TRUNCATE`.
    Truncate { table: String },
    /// `UPDATE`.
    Update { table: String, all_rows: bool },
    /// Anything else (a CREATE, an ALTER that adds, a SELECT): its first words.
    Other { statement: String },
}

/// The effects of every statement of `script`, in order, read on the parser's own stack (see
/// `authdb_folder::sql::on_parser_stack`). A statement too deep to parse (the folder refuses it
/// anyway) is listed as written.
pub fn effects(script: &str) -> Vec<Effect> {
    sql::on_parser_stack(|| effects_here(script))
}

fn effects_here(script: &str) -> Vec<Effect> {
    let mut found = Vec::new();
    let mut lines = position::Lines::new(script);
    for statement in sql::statements(script) {
        let text = &script[statement.range.clone()];
        let line = lines.at(statement.range.start).0;
        let mut actions: Vec<Action> = match statement.too_deep {
            None => SourceFile::parse(text)
                .tree()
                .stmts()
                .flat_map(|s| actions(&s))
                .collect(),
            Some(_) => Vec::new(),
        };
        if actions.is_empty() {
            actions.push(Action::Other {
                statement: summary(text),
            });
        }
        found.extend(actions.into_iter().map(|action| Effect { line, action }));
    }
    found
}

/// An identifier as the catalog stores it: unquoted and case-folded unless it was quoted.
pub(crate) fn identifier(written: &str) -> String {
    match written
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
    {
        Some(quoted) => quoted.replace("\"\"", "\""),
        None => written.to_lowercase(),
    }
}

fn actions(statement: &ast::Stmt) -> Vec<Action> {
    let text = |node: &dyn AstNode| node.syntax().text().to_string().trim().to_string();
    let cascade = |behavior: Option<ast::DropBehavior>| {
        matches!(behavior, Some(ast::DropBehavior::Cascade(_)))
    };
    let drop = |kind: &str, names: Vec<String>, cascade: bool| -> Vec<Action> {
        names
            .into_iter()
            .map(|name| Action::Drop {
                kind: kind.to_string(),
                name,
                cascade,
            })
            .collect()
    };
    match statement {
        ast::Stmt::DropTable(s) => {
            let cascade = cascade(s.drop_behavior());
            s.table_name_refs()
                .map(|t| Action::DropTable {
                    name: text(&t),
                    cascade,
                })
                .collect()
        }
        ast::Stmt::DropIndex(s) => drop(
            "index",
            s.index_refs().map(|r| text(&r)).collect(),
            cascade(s.drop_behavior()),
        ),
        ast::Stmt::DropView(s) => drop(
            "view",
            s.view_refs().map(|r| text(&r)).collect(),
            cascade(s.drop_behavior()),
        ),
        ast::Stmt::DropSequence(s) => drop(
            "sequence",
            s.sequence_refs().map(|r| text(&r)).collect(),
            cascade(s.drop_behavior()),
        ),
        ast::Stmt::DropType(s) => drop(
            "type",
            s.type_name_refs().map(|r| text(&r)).collect(),
            cascade(s.drop_behavior()),
        ),
        ast::Stmt::DropSchema(s) => drop(
            "schema",
            s.schema_refs().map(|r| text(&r)).collect(),
            cascade(s.drop_behavior()),
        ),
        ast::Stmt::DropFunction(s) => drop(
            "function",
            s.function_sig_list()
                .map(|l| l.function_sigs().map(|f| text(&f)).collect())
                .unwrap_or_default(),
            cascade(s.drop_behavior()),
        ),
        ast::Stmt::DropTrigger(s) => {
            let trigger = s.trigger_ref().map(|t| text(&t)).unwrap_or_default();
            let table = s
                .on_relation()
                .and_then(|o| o.relation_name_ref())
                .map(|t| text(&t))
                .unwrap_or_default();
            drop(
                "trigger",
                vec![format!("{trigger} on {table}")],
                cascade(s.drop_behavior()),
            )
        }
        ast::Stmt::AlterTable(s) => {
            let table = s
                .table_relation_name()
                .and_then(|t| t.table_name_ref())
                .map(|t| text(&t))
                .unwrap_or_default();
            s.actions()
                .filter_map(|action| match action {
                    ast::AlterTableAction::DropColumn(c) => Some(Action::DropColumn {
                        table: table.clone(),
                        column: c.column_name_ref().map(|c| text(&c)).unwrap_or_default(),
                    }),
                    ast::AlterTableAction::DropConstraint(c) => Some(Action::DropConstraint {
                        table: table.clone(),
                        name: c
                            .constraint_name_ref()
                            .map(|c| text(&c))
                            .unwrap_or_default(),
                    }),
                    _ => None,
                })
                .collect()
        }
        ast::Stmt::Delete(s) => vec![Action::Delete {
            table: s
                .relation_name()
                .and_then(|r| r.relation_name_ref())
                .map(|t| text(&t))
                .unwrap_or_default(),
            all_rows: s.where_clause_or_current_of().is_none(),
        }],
        ast::Stmt::Update(s) => vec![Action::Update {
            table: s
                .relation_name()
                .and_then(|r| r.relation_name_ref())
                .map(|t| text(&t))
                .unwrap_or_default(),
            all_rows: s.where_clause_or_current_of().is_none(),
        }],
        ast::Stmt::Truncate(s) => s
            .table_list()
            .map(|l| {
                l.table_relation_names()
                    .filter_map(|t| t.table_name_ref())
                    .map(|t| Action::Truncate { table: text(&t) })
                    .collect()
            })
            .unwrap_or_default(),
        other => generic_drop(other).into_iter().collect(),
    }
}

/// The other `DROP <kind> name` statements (extension, policy, domain...), by their words.
fn generic_drop(statement: &ast::Stmt) -> Option<Action> {
    let text = statement.syntax().text().to_string();
    let words: Vec<&str> = text.split_whitespace().collect();
    if !words.first()?.eq_ignore_ascii_case("drop") {
        return None;
    }
    let kind_end = words
        .iter()
        .position(|w| w.eq_ignore_ascii_case("if"))
        .unwrap_or(2)
        .min(words.len());
    Some(Action::Drop {
        kind: words[1..kind_end].join(" ").to_lowercase(),
        name: summary(&text),
        cascade: words.iter().any(|w| w.eq_ignore_ascii_case("cascade")),
    })
}

/// A statement's first line, shortened: enough to recognise it in a plan.
fn summary(text: &str) -> String {
    let first = text.lines().next().unwrap_or_default().trim();
    if first.chars().count() > 80 {
        format!("{}...", first.chars().take(77).collect::<String>())
    } else if text.trim().lines().count() > 1 {
        format!("{first} ...")
    } else {
        first.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actions_of(sql: &str) -> Vec<Action> {
        effects(sql).into_iter().map(|e| e.action).collect()
    }

    #[test]
    fn drops_deletes_and_updates_are_read_from_the_sql() {
        let sql = "-- undo 007\nDROP TABLE IF EXISTS audit, public.\"Odd\" CASCADE;\n\
                   DROP INDEX CONCURRENTLY IF EXISTS users_email_key;\n\
                   DROP TRIGGER users_set_updated_at ON users;\n\
                   DROP FUNCTION update_updated_at_column();\n\
                   ALTER TABLE users DROP COLUMN display_name, DROP CONSTRAINT users_email_key, ADD COLUMN x int;\n\
                   DELETE FROM sessions WHERE expires_at < now();\nDELETE FROM sessions;\n\
                   UPDATE users SET email = lower(email);\nTRUNCATE sessions, software_background;\n\
                   SELECT setval('s', 1);\nDROP EXTENSION IF EXISTS pgcrypto;";
        assert_eq!(
            actions_of(sql),
            [
                Action::DropTable {
                    name: "audit".into(),
                    cascade: true
                },
                Action::DropTable {
                    name: "public.\"Odd\"".into(),
                    cascade: true
                },
                Action::Drop {
                    kind: "index".into(),
                    name: "users_email_key".into(),
                    cascade: false
                },
                Action::Drop {
                    kind: "trigger".into(),
                    name: "users_set_updated_at on users".into(),
                    cascade: false
                },
                Action::Drop {
                    kind: "function".into(),
                    name: "update_updated_at_column()".into(),
                    cascade: false
                },
                Action::DropColumn {
                    table: "users".into(),
                    column: "display_name".into()
                },
                Action::DropConstraint {
                    table: "users".into(),
                    name: "users_email_key".into()
                },
                Action::Delete {
                    table: "sessions".into(),
                    all_rows: false
                },
                Action::Delete {
                    table: "sessions".into(),
                    all_rows: true
                },
                Action::Update {
                    table: "users".into(),
                    all_rows: true
                },
                Action::Truncate {
                    table: "sessions".into()
                },
                Action::Truncate {
                    table: "software_background".into()
                },
                Action::Other {
                    statement: "SELECT setval('s', 1)".into()
                },
                Action::Drop {
                    kind: "extension".into(),
                    name: "DROP EXTENSION IF EXISTS pgcrypto".into(),
                    cascade: false
                },
            ]
        );
        let lines: Vec<usize> = effects(sql).iter().map(|e| e.line).collect();
        assert_eq!(lines[..3], [2, 2, 3]);
    }
}
