//! The SQL that creates or changes one object of a [`Snapshot`](crate::Snapshot), written from
//! the snapshot's own data (the definitions PostgreSQL printed when the snapshot was taken), so a
//! reconciliation script says exactly what the migrations would have created.

use crate::snapshot::{Column, Function, Index, RoutineKind, Trigger};

pub use crate::quote::ident;

/// The schema part of a name as the snapshot writes it (`auth` of `auth.users`), if any.
pub fn schema_of(key: &str) -> Option<&str> {
    let mut quoted = false;
    for (at, c) in key.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '.' if !quoted => return Some(&key[..at]),
            _ => {}
        }
    }
    None
}

/// A relation's own name, unquoted: `users` of `auth.users`, `my table` of `"my table"`.
pub fn base_name(key: &str) -> String {
    let last = match schema_of(key) {
        Some(schema) => &key[schema.len() + 1..],
        None => key,
    };
    match last.strip_prefix('"').and_then(|l| l.strip_suffix('"')) {
        Some(inner) => inner.replace("\"\"", "\""),
        None => last.to_string(),
    }
}

/// An object that lives in the schema of `table` (an index), named in SQL: `auth.users_idx`.
pub fn in_schema_of(table: &str, name: &str) -> String {
    match schema_of(table) {
        Some(schema) => format!("{schema}.{}", ident(name)),
        None => ident(name),
    }
}

/// A role of the snapshot (`privileges.rs`) as SQL names it in GRANT, OWNER TO and CREATE
/// POLICY: the migrator is CURRENT_USER, which is who runs the script; `$owner` is `owner`.
pub fn role(role: &str, owner: &str) -> String {
    match role {
        crate::snapshot::MIGRATOR => "CURRENT_USER".to_string(),
        crate::snapshot::OWNER => self::role(owner, crate::snapshot::MIGRATOR),
        other => other.to_string(),
    }
}

/// A string literal (standard_conforming_strings, on since PostgreSQL 9.1).
pub fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// `ADD COLUMN` (or the column line of a `CREATE TABLE`): name, type, default, NOT NULL.
pub fn column(column: &Column) -> String {
    let mut text = format!("{} {}", ident(&column.name), column.data_type);
    if let Some(collation) = &column.collation {
        text.push_str(&format!(" COLLATE {collation}"));
    }
    if let Some(identity) = &column.identity {
        text.push_str(&format!(
            " GENERATED {} AS IDENTITY",
            identity.to_uppercase()
        ));
    }
    if let Some(generated) = &column.generated {
        text.push_str(&format!(" GENERATED ALWAYS AS ({generated}) STORED"));
    }
    if let Some(default) = &column.default {
        text.push_str(&format!(" DEFAULT {default}"));
    }
    if column.not_null {
        text.push_str(" NOT NULL");
    }
    text
}

pub fn create_index(table: &str, name: &str, index: &Index) -> String {
    let unique = if index.unique { "UNIQUE " } else { "" };
    format!(
        "CREATE {unique}INDEX {} ON {table} USING {} {}",
        ident(name),
        index.method,
        index.definition
    )
}

pub fn create_trigger(name: &str, trigger: &Trigger) -> String {
    match trigger.definition.strip_prefix("CONSTRAINT ") {
        Some(rest) => format!("CREATE CONSTRAINT TRIGGER {} {rest}", ident(name)),
        None => format!("CREATE TRIGGER {} {}", ident(name), trigger.definition),
    }
}

/// Settings that take a list: PostgreSQL stores their elements quoted where they need it
/// (`"$user", public`), and a literal would make the whole list one element.
const LIST_SETTINGS: [&str; 5] = [
    "search_path",
    "temp_tablespaces",
    "session_preload_libraries",
    "local_preload_libraries",
    "shared_preload_libraries",
];

/// A `SET name = value` clause's value as `proconfig` holds it, written back as `pg_dump` does.
fn setting_value(name: &str, value: &str) -> String {
    if LIST_SETTINGS.contains(&name.to_ascii_lowercase().as_str()) {
        value.to_string()
    } else {
        literal(value)
    }
}

/// `CREATE OR REPLACE` for a function or procedure, from its signature (`f(a integer)`, as
/// PostgreSQL prints identity arguments) and its properties.
pub fn create_function(signature: &str, function: &Function) -> String {
    let kind = function.kind.sql_word();
    if function.kind == RoutineKind::Aggregate {
        return format!(
            "CREATE OR REPLACE AGGREGATE {signature} ({})",
            function.body
        );
    }
    let signature = match &function.arguments {
        Some(arguments) => match signature.find('(') {
            Some(at) => format!("{}({arguments})", &signature[..at]),
            None => signature.to_string(),
        },
        None => signature.to_string(),
    };
    let mut text = format!("CREATE OR REPLACE {kind} {signature}");
    if let Some(returns) = &function.returns {
        text.push_str(&format!(" RETURNS {returns}"));
    }
    text.push_str(&format!(" LANGUAGE {}", function.language));
    if function.kind == RoutineKind::Function {
        text.push_str(&format!(" {}", function.volatility.to_uppercase()));
        if function.strict {
            text.push_str(" STRICT");
        }
        if function.leakproof {
            text.push_str(" LEAKPROOF");
        }
        if let Some(parallel) = &function.parallel {
            text.push_str(&format!(" PARALLEL {}", parallel.to_uppercase()));
        }
        if let Some(cost) = &function.cost {
            text.push_str(&format!(" COST {cost}"));
        }
        if let Some(rows) = &function.rows {
            text.push_str(&format!(" ROWS {rows}"));
        }
    }
    if function.security_definer {
        text.push_str(" SECURITY DEFINER");
    }
    for setting in &function.settings {
        if let Some((name, value)) = setting.split_once('=') {
            text.push_str(&format!(" SET {name} = {}", setting_value(name, value)));
        }
    }
    let body = function.body.trim_start();
    let standard = function.language == "sql"
        && (body.starts_with("BEGIN ATOMIC") || body.starts_with("RETURN "));
    if standard {
        text.push_str(&format!(" {}", function.body));
    } else {
        let mut tag = "$authdb$".to_string();
        while function.body.contains(&tag) {
            tag.insert(1, 'x');
        }
        text.push_str(&format!(" AS {tag}{}{tag}", function.body));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_split_qualified_and_quoted() {
        assert_eq!(schema_of("auth.\"a.b\""), Some("auth"));
        assert_eq!(schema_of("\"a.b\""), None);
        assert_eq!(base_name("auth.\"my \"\"t\"\"\""), "my \"t\"");
        assert_eq!(in_schema_of("auth.users", "Idx"), "auth.\"Idx\"");
        assert_eq!(in_schema_of("users", "idx"), "idx");
        assert_eq!(role("$owner", "$migrator"), "CURRENT_USER");
        assert_eq!(role("$owner", "app"), "app");
        assert_eq!(literal("it's"), "'it''s'");
    }

    #[test]
    fn functions_are_written_whole() {
        let function = Function {
            returns: Some("trigger".into()),
            language: "plpgsql".into(),
            settings: vec!["search_path=public".into()],
            body: "\nBEGIN\n  NEW.updated_at = now(); -- $authdb$\n  RETURN NEW;\nEND;\n".into(),
            ..Function::default()
        };
        assert_eq!(
            create_function("touch()", &function),
            "CREATE OR REPLACE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql VOLATILE \
             SET search_path = public AS $xauthdb$\nBEGIN\n  NEW.updated_at = now(); -- \
             $authdb$\n  RETURN NEW;\nEND;\n$xauthdb$"
        );
    }
}
