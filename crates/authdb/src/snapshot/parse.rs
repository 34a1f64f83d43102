//! Reading `schema.snapshot` back: a line-by-line parser of what `text.rs` writes, with errors
//! that give the line and what was expected there, since a hand edit or a merge conflict is the
//! way such a file goes wrong.

use super::text::{BODY_MARGIN, FORCE_ROW_LEVEL_SECURITY, ROW_LEVEL_SECURITY, STATES, UNLOGGED};
use super::{Column, Constraint, Function, Index, Partition, Snapshot, Table, Trigger};

/// A parse failure: the 1-based line and what is wrong with it.
pub(super) type ParseError = (usize, String);

/// Where the parser is: which object the indented lines belong to.
enum Open {
    Nothing,
    Function(String),
    /// A function's body, line by line so far.
    Body(String, Vec<String>),
    Table(String),
}

pub(super) fn parse(text: &str) -> Result<Snapshot, ParseError> {
    let mut snapshot = Snapshot::default();
    let mut version_seen = false;
    let mut open = Open::Nothing;
    for (index, line) in text.split('\n').enumerate() {
        let number = index + 1;
        let fail = |reason: &str| Err((number, reason.to_string()));
        if let Open::Body(_, lines) = &mut open {
            if let Some(rest) = line.strip_prefix(BODY_MARGIN) {
                lines.push(rest.strip_prefix(' ').unwrap_or(rest).to_string());
                continue;
            }
            open = close_body(&mut snapshot, open);
        }
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(rest) = line.strip_prefix("  ") {
            match &open {
                Open::Table(table_name) => {
                    let table = snapshot.tables.get_mut(table_name).expect("opened");
                    table_line(table, rest).map_err(|reason| (number, reason))?;
                }
                Open::Function(signature) if rest == "body" => {
                    open = Open::Body(signature.clone(), Vec::new());
                }
                Open::Function(signature) => {
                    let function = snapshot.functions.get_mut(signature).expect("opened");
                    function_line(function, rest).map_err(|reason| (number, reason))?;
                }
                _ => return fail("an indented line outside a table or function"),
            }
            continue;
        }
        let (keyword, rest) = line.split_once(' ').unwrap_or((line, ""));
        open = match keyword {
            "version" if !version_seen => {
                version_seen = true;
                snapshot.version = match rest {
                    "none" => None,
                    number_text => match number_text.parse() {
                        Ok(version) => Some(version),
                        Err(_) => return fail("expected `version N` or `version none`"),
                    },
                };
                Open::Nothing
            }
            "extension" => {
                let (extension, _) = token(rest).map_err(|reason| (number, reason))?;
                snapshot.extensions.insert(extension);
                Open::Nothing
            }
            "function" | "procedure" if !rest.is_empty() => {
                let function = Function {
                    procedure: keyword == "procedure",
                    returns: None,
                    language: String::new(),
                    volatility: String::new(),
                    strict: false,
                    security_definer: false,
                    settings: Vec::new(),
                    body: String::new(),
                };
                snapshot.functions.insert(rest.to_string(), function);
                Open::Function(rest.to_string())
            }
            "table" => {
                let (table_name, flags) = token(rest).map_err(|reason| (number, reason))?;
                let table = table_header(flags).map_err(|reason| (number, reason))?;
                snapshot.tables.insert(table_name.clone(), table);
                Open::Table(table_name)
            }
            _ => {
                return fail(
                    "expected `version`, `extension`, `function`, `procedure` or `table` at the start of a line",
                );
            }
        };
    }
    close_body(&mut snapshot, open);
    if !version_seen {
        return Err((1, "no `version N` line".to_string()));
    }
    if let Some(table_name) = snapshot
        .tables
        .iter()
        .find_map(|(n, t)| unbounded(t).then_some(n))
    {
        let line = text.lines().count();
        let reason = format!("table {table_name}: `partition of` without `partition bound`");
        return Err((line, reason));
    }
    Ok(snapshot)
}

/// The flags after a table's name: `, unlogged, row level security`, each at most once, in the
/// order `text.rs` writes them.
fn table_header(flags: &str) -> Result<Table, String> {
    let mut table = Table::default();
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
        token(method).and_then(|(method, _)| set(&mut table.access_method, &method))
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

/// Stores a finished body in its function; the function stays open for further properties.
fn close_body(snapshot: &mut Snapshot, open: Open) -> Open {
    let Open::Body(signature, lines) = open else {
        return open;
    };
    if let Some(function) = snapshot.functions.get_mut(&signature) {
        function.body = lines.join("\n");
    }
    Open::Function(signature)
}

fn function_line(function: &mut Function, line: &str) -> Result<(), String> {
    let (keyword, rest) = line.split_once(' ').unwrap_or((line, ""));
    match (keyword, rest) {
        ("returns", returns) if !returns.is_empty() => function.returns = Some(returns.into()),
        ("language", language) if !language.is_empty() => function.language = language.into(),
        ("volatility", v @ ("immutable" | "stable" | "volatile")) => function.volatility = v.into(),
        ("strict", "") => function.strict = true,
        ("security", "definer") => function.security_definer = true,
        ("set", setting) if !setting.is_empty() => function.settings.push(setting.into()),
        _ => {
            return Err(format!(
                "`{line}`: expected returns, language, volatility, strict, security definer, set or body"
            ));
        }
    }
    Ok(())
}

fn table_line(table: &mut Table, line: &str) -> Result<(), String> {
    if unbounded(table) && !line.starts_with("partition bound ") {
        return Err(format!(
            "`{line}`: expected `partition bound` after `partition of`"
        ));
    }
    if let Some(result) = option_line(table, line) {
        return result;
    }
    let (keyword, rest) = line.split_once(' ').unwrap_or((line, ""));
    let (object_name, rest) = token(rest)?;
    let missing = |what: &str| format!("`{line}`: the {what} is missing");
    match keyword {
        "column" => table.columns.push(column(object_name, rest)?),
        "constraint" if !rest.is_empty() => {
            let definition = rest.to_string();
            table
                .constraints
                .insert(object_name, Constraint { definition });
        }
        "constraint" => return Err(missing("definition")),
        "index" => {
            let (valid, rest) = flag(rest, "invalid ");
            let (unique, rest) = flag(rest, "unique ");
            let Some((method, definition)) = rest.split_once(' ') else {
                return Err(missing("method or the definition"));
            };
            let index = Index {
                unique,
                method: method.into(),
                definition: definition.into(),
                valid: !valid,
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
            let definition = definition.into();
            table
                .triggers
                .insert(object_name, Trigger { state, definition });
        }
        _ => {
            return Err(format!(
                "`{line}`: expected column, constraint, index or trigger"
            ));
        }
    }
    Ok(())
}

/// `TYPE[, not null][, collate C][, identity always][, default EXPR | , generated EXPR]`.
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
            column.collation = Some(token(collation)?.0);
        } else {
            return Err(format!(
                "column {}: `{item}` is not one of not null, collate, identity, default, generated",
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

/// The first token of `text` (a bare word or a double-quoted name) and what follows it, without
/// the separating space.
fn token(text: &str) -> Result<(String, &str), String> {
    let Some(quoted) = text.strip_prefix('"') else {
        let end = text.find([' ', ',']).unwrap_or(text.len());
        if end == 0 {
            return Err("a name is missing".into());
        }
        let rest = &text[end..];
        return Ok((text[..end].into(), rest.strip_prefix(' ').unwrap_or(rest)));
    };
    let (value, rest) = super::keys::unquote(quoted)
        .ok_or_else(|| format!("`{text}`: the quoted name is not closed"))?;
    Ok((value, rest.strip_prefix(' ').unwrap_or(rest)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_give_the_line_and_what_was_expected() {
        let cases = [
            ("table t\n", 1, "no `version N` line"),
            ("version x\n", 1, "expected `version N` or `version none`"),
            (
                "version 1\n  column a int\n",
                2,
                "an indented line outside a table or function",
            ),
            (
                "version 1\ntable t\n  index i\n",
                3,
                "`index i`: the method or the definition is missing",
            ),
            (
                "version 1\ntable t\n  column a int, nullable\n",
                3,
                "column a: `nullable` is not one of not null, collate, identity, default, generated",
            ),
            (
                "version 1\ntable t, logged\n",
                2,
                "`logged`: expected unlogged, row level security or force row level security, \
                 once each and in that order",
            ),
            (
                "version 1\ntable t, row level security, unlogged\n",
                2,
                "`unlogged`: expected unlogged, row level security or force row level security, \
                 once each and in that order",
            ),
            (
                "version 1\ntable t\n  with fillfactor\n",
                3,
                "`with fillfactor`: expected `with NAME=VALUE`",
            ),
            (
                "version 1\ntable t\n  replica identity full\n  replica identity nothing\n",
                4,
                "`replica identity nothing`: given twice",
            ),
            (
                "version 1\ntable t\n  partition of p\n  column a int\n",
                4,
                "`column a int`: expected `partition bound` after `partition of`",
            ),
            (
                "version 1\ntable t\n  partition bound DEFAULT\n",
                3,
                "`partition bound DEFAULT`: expected right after `partition of PARENT`",
            ),
            (
                "version 1\ntable t\n  partition of p\n",
                3,
                "table t: `partition of` without `partition bound`",
            ),
            (
                "version 1\nview v\n",
                2,
                "expected `version`, `extension`, `function`, `procedure` or `table` at the start of a line",
            ),
        ];
        for (text, line, reason) in cases {
            assert_eq!(parse(text), Err((line, reason.to_string())), "{text}");
        }
    }
}
