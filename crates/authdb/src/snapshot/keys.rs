//! What the definitions in a [`Snapshot`](super::Snapshot) say about keys: which columns a
//! primary key, a unique constraint or a unique index covers, and where a foreign key points.
//! The picture (`picture.rs`) draws its marks and cardinalities from these facts. The
//! definitions are PostgreSQL's own output (`pg_get_constraintdef`, `pg_get_indexdef`), so a
//! small reader of its identifier and parenthesis syntax is enough; whatever it does not
//! recognise gives no fact rather than a wrong one.

use super::{Index, Table};

/// A `FOREIGN KEY (a) REFERENCES t(b) ON DELETE CASCADE` constraint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ForeignKey {
    pub columns: Vec<String>,
    /// The referenced table as a snapshot names it: unquoted, and schema-qualified only when it
    /// lives in another schema.
    pub table: String,
    pub referenced: Vec<String>,
    /// `ON DELETE CASCADE`, `ON UPDATE SET NULL`, ...: the actions that are not NO ACTION.
    pub actions: Vec<String>,
}

/// The columns of a `PRIMARY KEY (...)` constraint.
pub(super) fn primary_key(definition: &str) -> Option<Vec<String>> {
    let rest = definition.strip_prefix("PRIMARY KEY ")?;
    column_list(rest).map(|(columns, _)| columns)
}

/// The columns of a `UNIQUE [NULLS NOT DISTINCT] (...)` constraint.
pub(super) fn unique_constraint(definition: &str) -> Option<Vec<String>> {
    let rest = definition.strip_prefix("UNIQUE ")?;
    let rest = rest.strip_prefix("NULLS NOT DISTINCT ").unwrap_or(rest);
    column_list(rest).map(|(columns, _)| columns)
}

/// The columns of a valid unique index on plain columns without a WHERE clause: an index on an
/// expression or on part of the rows does not make the columns themselves unique.
pub(super) fn unique_index(index: &Index) -> Option<Vec<String>> {
    if !index.unique || !index.valid {
        return None;
    }
    let (columns, rest) = column_list(&index.definition)?;
    (!rest.contains(" WHERE ") && !rest.starts_with("WHERE ")).then_some(columns)
}

pub(super) fn foreign_key(definition: &str) -> Option<ForeignKey> {
    let rest = definition.strip_prefix("FOREIGN KEY ")?;
    let (columns, rest) = column_list(rest)?;
    let rest = rest.strip_prefix("REFERENCES ")?;
    let (table, rest) = qualified_name(rest)?;
    let (referenced, rest) = column_list(rest)?;
    let mut actions = Vec::new();
    for event in ["ON UPDATE ", "ON DELETE "] {
        if let Some(at) = rest.find(event) {
            let after = &rest[at + event.len()..];
            let end = [
                " ON ",
                " DEFERRABLE",
                " NOT DEFERRABLE",
                " INITIALLY",
                " NOT VALID",
            ]
            .iter()
            .filter_map(|keyword| after.find(keyword))
            .min()
            .unwrap_or(after.len());
            actions.push(format!("{event}{}", &after[..end]));
        }
    }
    Some(ForeignKey {
        columns,
        table,
        referenced,
        actions,
    })
}

/// Every column set that the table holds unique: its primary key, unique constraints, and
/// unique indexes on plain columns without a WHERE.
pub(super) fn unique_sets(table: &Table) -> Vec<Vec<String>> {
    let constraints = table
        .constraints
        .values()
        .filter_map(|c| primary_key(&c.definition).or_else(|| unique_constraint(&c.definition)));
    let indexes = table.indexes.values().filter_map(unique_index);
    constraints.chain(indexes).collect()
}

/// `(a, "b c")` at the start of `text`: the unquoted identifiers, and what follows the closing
/// parenthesis and one space. `None` when an element is not a plain column (an expression, a
/// column with an operator class or a sort order).
pub(super) fn column_list(text: &str) -> Option<(Vec<String>, &str)> {
    let mut rest = text.strip_prefix('(')?;
    let mut columns = Vec::new();
    loop {
        let (name, after) = identifier(rest)?;
        columns.push(name);
        if let Some(after) = after.strip_prefix(", ") {
            rest = after;
        } else {
            let after = after.strip_prefix(')')?;
            return Some((columns, after.strip_prefix(' ').unwrap_or(after)));
        }
    }
}

/// A relation's name as the picture shows it: the snapshot's SQL spelling without its quotes
/// (`"my table"` is `my table`, `auth.users` stays).
pub(super) fn display(key: &str) -> String {
    qualified_name(key).map_or_else(|| key.to_string(), |(name, _)| name)
}

/// `name`, `"Odd name"` or `schema.name`: unquoted, and the rest.
fn qualified_name(text: &str) -> Option<(String, &str)> {
    let (first, rest) = identifier(text)?;
    match rest.strip_prefix('.') {
        Some(rest) => {
            let (second, rest) = identifier(rest)?;
            Some((format!("{first}.{second}"), rest))
        }
        None => Some((first, rest)),
    }
}

/// One identifier as PostgreSQL prints it: a bare lower-case word, or double-quoted with `""`
/// for a quote. Its value and what follows it.
fn identifier(text: &str) -> Option<(String, &str)> {
    if let Some(quoted) = text.strip_prefix('"') {
        return unquote(quoted);
    }
    let end = text
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
        .unwrap_or(text.len());
    (end > 0).then(|| (text[..end].to_string(), &text[end..]))
}

/// The rest of a double-quoted identifier, after its opening quote: its value (`""` read as one
/// quote) and what follows the closing quote; `None` when it is not closed.
pub(super) fn unquote(quoted: &str) -> Option<(String, &str)> {
    let mut value = String::new();
    let mut chars = quoted.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c != '"' {
            value.push(c);
        } else if chars.peek().is_some_and(|&(_, next)| next == '"') {
            chars.next();
            value.push('"');
        } else {
            return Some((value, &quoted[i + 1..]));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_read_from_definitions() {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(primary_key("PRIMARY KEY (id)"), Some(names(&["id"])));
        assert_eq!(
            unique_constraint("UNIQUE NULLS NOT DISTINCT (a, \"B \"\"c\"\"\") INCLUDE (d)"),
            Some(names(&["a", "B \"c\""]))
        );
        assert_eq!(
            foreign_key(
                "FOREIGN KEY (user_id, \"Kind\") REFERENCES other.\"User s\"(id, kind) \
                 ON UPDATE CASCADE ON DELETE SET NULL (user_id) DEFERRABLE"
            ),
            Some(ForeignKey {
                columns: names(&["user_id", "Kind"]),
                table: "other.User s".into(),
                referenced: names(&["id", "kind"]),
                actions: names(&["ON UPDATE CASCADE", "ON DELETE SET NULL (user_id)"]),
            })
        );
        let index = |unique, definition: &str| Index {
            unique,
            method: "btree".into(),
            definition: definition.into(),
            valid: true,
            statistics: Default::default(),
            comment: None,
        };
        assert_eq!(
            unique_index(&index(true, "(a, b)")),
            Some(names(&["a", "b"]))
        );
        assert_eq!(unique_index(&index(true, "(lower(email))")), None);
        assert_eq!(unique_index(&index(true, "(a DESC)")), None);
        assert_eq!(unique_index(&index(true, "(a) WHERE (b > 0)")), None);
        assert_eq!(unique_index(&index(false, "(a)")), None);
    }
}
