//! The SQL rules, read from each statement's parse tree. The rules about locks, rewrites and
//! renames apply to tables that may already hold rows: every table the file did not create itself
//! (so, in practice, one created by an earlier migration). A table created earlier in the same
//! file is new and empty, and free to change. The column-type rules apply to every column.
//!
//! They apply to new migrations, those not yet recorded in migrations.lock: a recorded one can
//! no longer change (lint refuses edits), so a finding there could not be acted on. What would
//! make migrate fail (a statement that cannot run in a transaction) is checked everywhere.

use std::collections::HashSet;

use pg_query::NodeEnum;
use pg_query::protobuf::{
    AlterTableCmd, AlterTableType, ColumnDef, ConstrType, Node, ObjectType, RangeVar, TypeName,
};

use crate::finding::Mark;
use crate::parser::Statement;
use crate::rules::Rule;

/// What the rules need to know about the file a statement is in.
#[derive(Debug, Clone, Copy)]
pub struct FileKind {
    /// A down file undoes its migration: dropping and renaming is its job.
    pub down: bool,
    /// The file starts with `-- authdb:no-transaction`.
    pub no_transaction: bool,
    /// Not yet recorded in migrations.lock: the rules about safe changes apply.
    pub new: bool,
}

/// Findings per statement: `marks[i]` belongs to `statements[i]`.
pub fn check(statements: &[Statement], kind: FileKind) -> Vec<Vec<Mark>> {
    let mut created = HashSet::new();
    statements
        .iter()
        .map(|statement| {
            let mut checker = Checker {
                statement,
                kind,
                created: &mut created,
                marks: Vec::new(),
            };
            if let Some(node) = &statement.node {
                checker.statement(node);
            }
            checker.marks
        })
        .collect()
}

struct Checker<'a> {
    statement: &'a Statement,
    kind: FileKind,
    /// Tables created earlier in this file (schema-qualified unless in `public`).
    created: &'a mut HashSet<String>,
    marks: Vec<Mark>,
}

impl Checker<'_> {
    fn statement(&mut self, node: &NodeEnum) {
        if let Some(what) = needs_no_transaction(node)
            && !self.kind.no_transaction
        {
            self.mark(None, Rule::NeedsNoTransaction, what.to_string());
        }
        if !self.kind.new {
            return;
        }
        match node {
            NodeEnum::CreateStmt(create) => {
                for element in &create.table_elts {
                    if let Some(NodeEnum::ColumnDef(column)) = &element.node {
                        self.column_type(column);
                    }
                }
                if let Some(table) = &create.relation {
                    self.created.insert(key(table));
                }
            }
            NodeEnum::CreateTableAsStmt(create) => {
                if let Some(table) = create.into.as_ref().and_then(|into| into.rel.as_ref()) {
                    self.created.insert(key(table));
                }
            }
            NodeEnum::IndexStmt(index) => {
                if let Some(table) = self.existing(index.relation.as_ref())
                    && !index.concurrent
                {
                    let what = format!("CREATE INDEX on {table} without CONCURRENTLY");
                    self.mark(None, Rule::IndexWithoutConcurrently, what);
                }
            }
            NodeEnum::AlterTableStmt(alter) if alter.objtype == ObjectType::ObjectTable as i32 => {
                let table = self.existing(alter.relation.as_ref());
                for cmd in &alter.cmds {
                    if let Some(NodeEnum::AlterTableCmd(cmd)) = &cmd.node {
                        self.alter_table(cmd, table.as_deref());
                    }
                }
            }
            NodeEnum::RenameStmt(rename) if !self.kind.down => {
                let Some(table) = self.existing(rename.relation.as_ref()) else {
                    return;
                };
                if rename.rename_type == ObjectType::ObjectTable as i32 {
                    let what = format!("renames table {table} to {}", rename.newname);
                    self.mark(None, Rule::RenameTable, what);
                } else if rename.rename_type == ObjectType::ObjectColumn as i32
                    && rename.relation_type == ObjectType::ObjectTable as i32
                {
                    let what = format!(
                        "renames column {table}.{} to {}",
                        rename.subname, rename.newname
                    );
                    self.mark(None, Rule::RenameColumn, what);
                }
            }
            NodeEnum::DropStmt(drop)
                if !self.kind.down && drop.remove_type == ObjectType::ObjectTable as i32 =>
            {
                for object in &drop.objects {
                    let Some(NodeEnum::List(list)) = &object.node else {
                        continue;
                    };
                    let table = names(&list.items).join(".");
                    if !self.created.contains(&normalise_key(&table)) {
                        self.mark(None, Rule::DropTable, format!("drops table {table}"));
                    }
                }
            }
            _ => {}
        }
    }

    fn alter_table(&mut self, cmd: &AlterTableCmd, table: Option<&str>) {
        let column = match cmd.def.as_deref().and_then(|def| def.node.as_ref()) {
            Some(NodeEnum::ColumnDef(column)) => Some(column.as_ref()),
            _ => None,
        };
        if let Some(column) = column {
            self.column_type(column);
        }
        // The rest concerns tables that may hold rows.
        let Some(table) = table else { return };
        let subtype = cmd.subtype;
        if subtype == AlterTableType::AtAddColumn as i32
            && let Some(column) = column
        {
            let constraints = constraint_types(&column.constraints);
            let not_null = column.is_not_null
                || constraints.iter().any(|c| {
                    *c == ConstrType::ConstrNotnull as i32 || *c == ConstrType::ConstrPrimary as i32
                });
            let filled = column.raw_default.is_some()
                || constraints.iter().any(|c| {
                    *c == ConstrType::ConstrDefault as i32
                        || *c == ConstrType::ConstrIdentity as i32
                        || *c == ConstrType::ConstrGenerated as i32
                });
            if not_null && !filled {
                let what = format!(
                    "adds NOT NULL column {table}.{} without a default",
                    column.colname
                );
                self.mark(Some(column.location), Rule::NotNullWithoutDefault, what);
            }
            let checked = constraints.iter().any(|c| {
                *c == ConstrType::ConstrForeign as i32 || *c == ConstrType::ConstrCheck as i32
            });
            if checked {
                let what = format!(
                    "adds column {table}.{} with a foreign key or check that is validated at once",
                    column.colname
                );
                self.mark(Some(column.location), Rule::ConstraintWithoutNotValid, what);
            }
        } else if subtype == AlterTableType::AtAlterColumnType as i32 {
            let location = column
                .and_then(|c| c.type_name.as_ref())
                .map(|t| t.location);
            let what = format!("changes the type of {table}.{}", cmd.name);
            self.mark(location, Rule::ColumnTypeChange, what);
        } else if subtype == AlterTableType::AtAddConstraint as i32
            && let Some(NodeEnum::Constraint(constraint)) =
                cmd.def.as_deref().and_then(|def| def.node.as_ref())
            && (constraint.contype == ConstrType::ConstrForeign as i32
                || constraint.contype == ConstrType::ConstrCheck as i32)
            && !constraint.skip_validation
        {
            let kind = if constraint.contype == ConstrType::ConstrForeign as i32 {
                "foreign key"
            } else {
                "check"
            };
            let what = format!("adds a {kind} to {table} without NOT VALID");
            self.mark(
                Some(constraint.location),
                Rule::ConstraintWithoutNotValid,
                what,
            );
        } else if subtype == AlterTableType::AtDropColumn as i32 && !self.kind.down {
            let what = format!("drops column {table}.{}", cmd.name);
            self.mark(None, Rule::DropColumn, what);
        }
    }

    fn column_type(&mut self, column: &ColumnDef) {
        let Some(type_name) = &column.type_name else {
            return;
        };
        let names = names(&type_name.names);
        let name = |n: &str| names.last().is_some_and(|last| *last == n);
        let rule = if name("timestamp") {
            Rule::PreferTimestamptz
        } else if (name("varchar") && !type_name.typmods.is_empty()) || name("bpchar") {
            Rule::PreferText
        } else if names.len() == 1
            && [
                "serial",
                "serial2",
                "serial4",
                "serial8",
                "smallserial",
                "bigserial",
            ]
            .contains(&names[0])
        {
            Rule::PreferIdentity
        } else {
            return;
        };
        let what = format!(
            "column {} is {}",
            column.colname,
            written_type(type_name, &names)
        );
        self.mark(Some(type_name.location), rule, what);
    }

    /// The table's name as written, when the file did not create it.
    fn existing(&self, table: Option<&RangeVar>) -> Option<String> {
        let table = table?;
        (!self.created.contains(&key(table))).then(|| written(table))
    }

    /// A finding at a parse-tree location (a byte offset; -1 when unknown), else at the
    /// statement's first token.
    fn mark(&mut self, location: Option<i32>, rule: Rule, what: String) {
        let offset = location
            .and_then(|l| usize::try_from(l).ok())
            .unwrap_or(self.statement.start);
        self.marks.push(Mark { offset, rule, what });
    }
}

/// Why PostgreSQL refuses this statement inside a transaction block, if it does.
fn needs_no_transaction(node: &NodeEnum) -> Option<&'static str> {
    let concurrently = |options: &[Node]| {
        options.iter().any(|option| {
            matches!(&option.node, Some(NodeEnum::DefElem(e)) if e.defname == "concurrently")
        })
    };
    match node {
        NodeEnum::IndexStmt(index) if index.concurrent => Some("CREATE INDEX CONCURRENTLY"),
        NodeEnum::DropStmt(drop) if drop.concurrent => Some("DROP INDEX CONCURRENTLY"),
        NodeEnum::ReindexStmt(reindex) if concurrently(&reindex.params) => {
            Some("REINDEX CONCURRENTLY")
        }
        NodeEnum::AlterTableStmt(alter) => alter.cmds.iter().find_map(|cmd| {
            let Some(NodeEnum::AlterTableCmd(cmd)) = &cmd.node else {
                return None;
            };
            let Some(NodeEnum::PartitionCmd(partition)) =
                cmd.def.as_deref().and_then(|def| def.node.as_ref())
            else {
                return None;
            };
            partition
                .concurrent
                .then_some("DETACH PARTITION CONCURRENTLY")
        }),
        NodeEnum::VacuumStmt(vacuum) if vacuum.is_vacuumcmd => Some("VACUUM"),
        NodeEnum::CreatedbStmt(_) => Some("CREATE DATABASE"),
        NodeEnum::DropdbStmt(_) => Some("DROP DATABASE"),
        NodeEnum::CreateTableSpaceStmt(_) => Some("CREATE TABLESPACE"),
        NodeEnum::DropTableSpaceStmt(_) => Some("DROP TABLESPACE"),
        NodeEnum::AlterSystemStmt(_) => Some("ALTER SYSTEM"),
        _ => None,
    }
}

fn constraint_types(constraints: &[Node]) -> Vec<i32> {
    constraints
        .iter()
        .filter_map(|c| match &c.node {
            Some(NodeEnum::Constraint(c)) => Some(c.contype),
            _ => None,
        })
        .collect()
}

/// The strings of a name list (`pg_catalog.varchar` is `["pg_catalog", "varchar"]`).
fn names(nodes: &[Node]) -> Vec<&str> {
    nodes
        .iter()
        .filter_map(|n| match &n.node {
            Some(NodeEnum::String(s)) => Some(s.sval.as_str()),
            _ => None,
        })
        .collect()
}

/// How the type reads in SQL, for messages: `varchar(255)`, `timestamp`, `serial`.
fn written_type(type_name: &TypeName, names: &[&str]) -> String {
    let base = match names.last().copied().unwrap_or_default() {
        "bpchar" => "char",
        other => other,
    };
    let modifiers: Vec<String> = type_name
        .typmods
        .iter()
        .filter_map(|m| match &m.node {
            Some(NodeEnum::AConst(c)) => match &c.val {
                Some(pg_query::protobuf::a_const::Val::Ival(i)) => Some(i.ival.to_string()),
                _ => None,
            },
            _ => None,
        })
        .collect();
    if modifiers.is_empty() {
        base.to_string()
    } else {
        format!("{base}({})", modifiers.join(", "))
    }
}

fn written(table: &RangeVar) -> String {
    if table.schemaname.is_empty() {
        table.relname.clone()
    } else {
        format!("{}.{}", table.schemaname, table.relname)
    }
}

/// Tables are compared with `public.` dropped: `users` and `public.users` are one table.
fn key(table: &RangeVar) -> String {
    normalise_key(&written(table))
}

fn normalise_key(name: &str) -> String {
    name.strip_prefix("public.").unwrap_or(name).to_string()
}
