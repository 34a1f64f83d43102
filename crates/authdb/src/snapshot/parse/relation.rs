//! A relation's block read back: the header with its flags, the options, owner, privileges and
//! comment lines, columns, constraints, indexes, triggers and policies.

use super::{Open, ParseError, grant_line, privileged_line, sql_name, token, unquoted};
use crate::snapshot::text::{FORCE_ROW_LEVEL_SECURITY, ROW_LEVEL_SECURITY, STATES, UNLOGGED};
use crate::snapshot::{
    Column, Constraint, Index, Partition, Policy, RelationKind, Snapshot, Table, Trigger,
};

/// What a property line opened.
pub(super) enum Read {
    Done,
    /// A policy, whose clauses may follow indented by four.
    Policy(String),
    /// A view's query, which follows behind the margin.
    Definition,
}

/// `table NAME[, FLAG...]` and the other relation headers; `None` when the line is none.
pub(super) fn header(snapshot: &mut Snapshot, line: &str) -> Result<Option<Open>, String> {
    if let Some(rest) = line.strip_prefix("tracking table ") {
        let (_, flags) = sql_name(rest)?;
        snapshot.tracking = Some(table_header(RelationKind::Table, flags)?);
        return Ok(Some(Open::Table(None, None)));
    }
    let Some((kind, rest)) = RelationKind::ALL.iter().find_map(|kind| {
        line.strip_prefix(kind.word())
            .and_then(|rest| rest.strip_prefix(' '))
            .map(|rest| (*kind, rest))
    }) else {
        return Ok(None);
    };
    let (key, flags) = sql_name(rest)?;
    let table = table_header(kind, flags)?;
    snapshot.tables.insert(key.clone(), table);
    Ok(Some(Open::Table(Some(key), None)))
}

/// The relation a line belongs to: `None` is the tracking table.
pub(super) fn table_mut<'a>(snapshot: &'a mut Snapshot, key: &Option<String>) -> &'a mut Table {
    match key {
        Some(key) => snapshot.tables.get_mut(key).expect("opened"),
        None => snapshot.tracking.as_mut().expect("opened"),
    }
}

/// The flags after a table's name: `, unlogged, row level security`, each at most once, in the
/// order `text/` writes them.
fn table_header(kind: RelationKind, flags: &str) -> Result<Table, String> {
    let mut table = Table {
        kind,
        ..Table::default()
    };
    let mut rest = flags;
    let mut order = 0;
    while !rest.is_empty() {
        let Some(after_comma) = rest.strip_prefix(", ") else {
            return Err(format!(
                "`{flags}`: expected `, FLAG` after the table's name"
            ));
        };
        let (word, after) = after_comma
            .split_once(", ")
            .map_or((after_comma, ""), |(w, _)| (w, &after_comma[w.len()..]));
        let position = [UNLOGGED, ROW_LEVEL_SECURITY, FORCE_ROW_LEVEL_SECURITY]
            .iter()
            .position(|flag| *flag == word);
        match position {
            Some(index) if index >= order => {
                order = index + 1;
                match index {
                    0 => table.unlogged = true,
                    1 => table.row_level_security = true,
                    _ => table.force_row_level_security = true,
                }
            }
            _ => {
                return Err(format!(
                    "`{word}`: expected {UNLOGGED}, {ROW_LEVEL_SECURITY} or {FORCE_ROW_LEVEL_SECURITY}, once each and in that order"
                ));
            }
        }
        rest = after;
    }
    Ok(table)
}

/// A partition whose bound has not been read (yet).
fn unbounded(table: &Table) -> bool {
    table
        .partition_of
        .as_ref()
        .is_some_and(|p| p.bound.is_empty())
}

/// Every `partition of` has its bound.
pub(super) fn check_partitions(snapshot: &Snapshot, lines: usize) -> Result<(), ParseError> {
    match snapshot
        .tables
        .iter()
        .find_map(|(n, t)| unbounded(t).then_some(n))
    {
        Some(name) => Err((
            lines,
            format!("table {name}: `partition of` without `partition bound`"),
        )),
        None => Ok(()),
    }
}

/// A table's options, on the lines between its name and its columns.
fn option_line(table: &mut Table, line: &str) -> Option<Result<(), String>> {
    let value = |prefix: &str| line.strip_prefix(prefix).filter(|v| !v.is_empty());
    let set = |slot: &mut Option<String>, value: &str| match slot {
        Some(_) => Err(format!("`{line}`: given twice")),
        None => {
            *slot = Some(value.to_string());
            Ok(())
        }
    };
    let result = if let Some(method) = value("access method ") {
        set(&mut table.access_method, method)
    } else if let Some(identity) = value("replica identity ") {
        set(&mut table.replica_identity, identity)
    } else if let Some(key) = value("partition by ") {
        set(&mut table.partition_key, key)
    } else if let Some(parent) = value("partition of ") {
        match table.partition_of {
            Some(_) => Err(format!("`{line}`: given twice")),
            None => {
                table.partition_of = Some(Partition {
                    parent: parent.into(),
                    bound: String::new(),
                });
                Ok(())
            }
        }
    } else if let Some(bound) = value("partition bound ") {
        match &mut table.partition_of {
            Some(partition) if partition.bound.is_empty() => {
                partition.bound = bound.into();
                Ok(())
            }
            _ => Err(format!(
                "`{line}`: expected right after `partition of PARENT`"
            )),
        }
    } else if let Some(parent) = value("inherits ") {
        table.inherits.push(parent.into());
        Ok(())
    } else if let Some(index) = value("clustered on ") {
        set(&mut table.clustered_on, index)
    } else if let Some(parameter) = value("with ") {
        match parameter.split_once('=') {
            Some((name, value)) if !name.is_empty() => {
                table.storage_parameters.insert(name.into(), value.into());
                Ok(())
            }
            _ => Err(format!("`{line}`: expected `with NAME=VALUE`")),
        }
    } else {
        return None;
    };
    Some(result)
}

pub(super) fn line(
    table: &mut Table,
    line: &str,
    grants_written: &mut bool,
) -> Result<Read, String> {
    if unbounded(table) && !line.starts_with("partition bound ") {
        return Err(format!(
            "`{line}`: expected `partition bound` after `partition of`"
        ));
    }
    if line == "definition" {
        return Ok(Read::Definition);
    }
    if let Some(result) = option_line(table, line) {
        return result.map(|()| Read::Done);
    }
    if let Some(rest) = line.strip_prefix("grant on column ") {
        let (column, grant) = token(rest)?;
        let column = column_mut(table, &column)?;
        let mut written = true;
        return grant_line(&mut column.grants, &format!("grant {grant}"), &mut written)
            .unwrap_or(Ok(()))
            .map(|()| Read::Done);
    }
    if let Some(rest) = line.strip_prefix("comment on ") {
        return sub_comment(table, rest).map(|()| Read::Done);
    }
    if let Some(rest) = line.strip_prefix("statistics on index ") {
        let (index, targets) = token(rest)?;
        let index = table
            .indexes
            .get_mut(&index)
            .ok_or_else(|| format!("`{line}`: no index {index} above"))?;
        for pair in targets.split(' ') {
            let parsed = pair
                .split_once('=')
                .and_then(|(c, t)| Some((c.parse().ok()?, t.parse().ok()?)));
            let Some((column, target)) = parsed else {
                return Err(format!("`{line}`: expected `COLUMN=TARGET` pairs"));
            };
            index.statistics.insert(column, target);
        }
        return Ok(Read::Done);
    }
    if let Some(result) = privileged_line(&mut table.privileged, line, grants_written) {
        return result.map(|()| Read::Done);
    }
    let (keyword, rest) = line.split_once(' ').unwrap_or((line, ""));
    let (object_name, rest) = token(rest)?;
    let missing = |what: &str| format!("`{line}`: the {what} is missing");
    match keyword {
        "column" => table.columns.push(column(object_name, rest)?),
        "constraint" if !rest.is_empty() => {
            let constraint = Constraint {
                definition: rest.to_string(),
                comment: None,
            };
            table.constraints.insert(object_name, constraint);
        }
        "constraint" => return Err(missing("definition")),
        "index" => {
            let (invalid, rest) = flag(rest, "invalid ");
            let (unique, rest) = flag(rest, "unique ");
            let Some((method, definition)) = rest.split_once(' ') else {
                return Err(missing("method or the definition"));
            };
            let index = Index {
                unique,
                method: method.into(),
                definition: definition.into(),
                valid: !invalid,
                statistics: Default::default(),
                comment: None,
            };
            table.indexes.insert(object_name, index);
        }
        "trigger" => {
            let (state, definition) = rest.split_once(' ').ok_or_else(|| missing("definition"))?;
            let state = match STATES.iter().find(|(_, word)| *word == state) {
                Some((state, _)) => *state,
                None => {
                    return Err(format!(
                        "`{line}`: the state is not enabled, disabled, replica or always"
                    ));
                }
            };
            let trigger = Trigger {
                state,
                definition: definition.into(),
                comment: None,
            };
            table.triggers.insert(object_name, trigger);
        }
        "policy" => {
            table.policies.insert(
                object_name.clone(),
                policy(rest).map_err(|e| format!("`{line}`: {e}"))?,
            );
            return Ok(Read::Policy(object_name));
        }
        _ => {
            return Err(format!(
                "`{line}`: expected column, constraint, index, trigger, policy, an option, \
                 owner, grant or comment"
            ));
        }
    }
    Ok(Read::Done)
}

/// `[restrictive ]for COMMAND to ROLE[, ROLE...]`.
fn policy(text: &str) -> Result<Policy, String> {
    let (permissive, rest) = match text.strip_prefix("restrictive ") {
        Some(rest) => (false, rest),
        None => (true, text),
    };
    let rest = rest
        .strip_prefix("for ")
        .ok_or("expected `for COMMAND to ROLES`")?;
    let (command, roles) = rest
        .split_once(" to ")
        .ok_or("expected `for COMMAND to ROLES`")?;
    Ok(Policy {
        permissive,
        command: command.to_string(),
        roles: roles.split(", ").map(str::to_string).collect(),
        using: None,
        with_check: None,
        comment: None,
    })
}

/// `using EXPR` or `with check EXPR` under a policy.
pub(super) fn policy_clause(table: &mut Table, policy: &str, line: &str) -> Result<(), String> {
    let policy = table.policies.get_mut(policy).expect("opened");
    if let Some(using) = line.strip_prefix("using ") {
        policy.using = Some(using.to_string());
    } else if let Some(check) = line.strip_prefix("with check ") {
        policy.with_check = Some(check.to_string());
    } else {
        return Err(format!(
            "`{line}`: expected `using EXPR` or `with check EXPR`"
        ));
    }
    Ok(())
}

/// `comment on KIND NAME "TEXT"` for a column, constraint, index, trigger or policy.
fn sub_comment(table: &mut Table, text: &str) -> Result<(), String> {
    let (kind, rest) = text.split_once(' ').unwrap_or((text, ""));
    let (name, comment) = token(rest)?;
    let comment = Some(unquoted(comment)?);
    let unknown = || format!("`comment on {text}`: no {kind} {name} above");
    match kind {
        "column" => column_mut(table, &name)?.comment = comment,
        "constraint" => {
            table
                .constraints
                .get_mut(&name)
                .ok_or_else(unknown)?
                .comment = comment
        }
        "index" => table.indexes.get_mut(&name).ok_or_else(unknown)?.comment = comment,
        "trigger" => table.triggers.get_mut(&name).ok_or_else(unknown)?.comment = comment,
        "policy" => table.policies.get_mut(&name).ok_or_else(unknown)?.comment = comment,
        _ => {
            return Err(format!(
                "`comment on {text}`: expected a column, constraint, index, trigger or policy"
            ));
        }
    }
    Ok(())
}

fn column_mut<'a>(table: &'a mut Table, name: &str) -> Result<&'a mut Column, String> {
    table
        .columns
        .iter_mut()
        .find(|c| c.name == name)
        .ok_or_else(|| format!("no column {name} above"))
}

/// `TYPE[, not null][, collate C][, identity always][, statistics N][, storage S]
/// [, compression C][, options k=v ...][, default EXPR | , generated EXPR]`.
fn column(name: String, rest: &str) -> Result<Column, String> {
    let (data_type, mut rest) = rest.split_once(", ").unwrap_or((rest, ""));
    if data_type.is_empty() {
        return Err(format!("column {name}: the type is missing"));
    }
    let mut column = Column {
        name,
        data_type: data_type.into(),
        ..Column::default()
    };
    while !rest.is_empty() {
        let (item, after) = rest.split_once(", ").unwrap_or((rest, ""));
        if let Some(default) = rest.strip_prefix("default ") {
            column.default = Some(default.into());
            break;
        }
        if let Some(generated) = rest.strip_prefix("generated ") {
            column.generated = Some(generated.into());
            break;
        }
        if item == "not null" {
            column.not_null = true;
        } else if let Some(identity) = item.strip_prefix("identity ") {
            column.identity = Some(identity.into());
        } else if let Some(collation) = item.strip_prefix("collate ") {
            column.collation = Some(collation.into());
        } else if let Some(target) = item.strip_prefix("statistics ") {
            let target = target
                .parse()
                .map_err(|_| format!("column {}: `{item}` is not a number", column.name))?;
            column.statistics = Some(target);
        } else if let Some(storage) = item.strip_prefix("storage ") {
            column.storage = Some(storage.into());
        } else if let Some(compression) = item.strip_prefix("compression ") {
            column.compression = Some(compression.into());
        } else if let Some(options) = item.strip_prefix("options ") {
            for option in options.split(' ') {
                let (key, value) = option.split_once('=').unwrap_or((option, ""));
                column.options.insert(key.into(), value.into());
            }
        } else {
            return Err(format!(
                "column {}: `{item}` is not one of not null, collate, identity, statistics, \
                 storage, compression, options, default, generated",
                column.name
            ));
        }
        rest = after;
    }
    Ok(column)
}

fn flag<'a>(text: &'a str, word: &str) -> (bool, &'a str) {
    match text.strip_prefix(word) {
        Some(rest) => (true, rest),
        None => (false, text),
    }
}
