//! The SQL that creates or changes one object of a [`Snapshot`](crate::Snapshot), written from
//! the snapshot's own data (the definitions PostgreSQL printed when the snapshot was taken), so a
//! reconciliation script says exactly what the migrations would have created.

use crate::snapshot::{Column, Function, Index, Trigger};

/// Words PostgreSQL reserves, which must be quoted as identifiers.
const RESERVED: &[&str] = &[
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "both",
    "case",
    "cast",
    "check",
    "collate",
    "column",
    "constraint",
    "create",
    "current_catalog",
    "current_date",
    "current_role",
    "current_time",
    "current_timestamp",
    "current_user",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "false",
    "fetch",
    "for",
    "foreign",
    "from",
    "grant",
    "group",
    "having",
    "in",
    "initially",
    "intersect",
    "into",
    "lateral",
    "leading",
    "limit",
    "localtime",
    "localtimestamp",
    "not",
    "null",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "placing",
    "primary",
    "references",
    "returning",
    "select",
    "session_user",
    "some",
    "symmetric",
    "system_user",
    "table",
    "then",
    "to",
    "trailing",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "variadic",
    "when",
    "where",
    "window",
    "with",
];

/// An identifier as SQL must write it: bare when it is a plain lowercase name, else quoted.
pub fn ident(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain && !RESERVED.contains(&name) {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// `ADD COLUMN` (or the column line of a `CREATE TABLE`): name, type, default, NOT NULL.
pub fn column(column: &Column) -> String {
    let mut text = format!("{} {}", ident(&column.name), column.data_type);
    if let Some(collation) = &column.collation {
        text.push_str(&format!(" COLLATE {}", ident(collation)));
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
        "CREATE {unique}INDEX {} ON {} USING {} {}",
        ident(name),
        ident(table),
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

/// `CREATE OR REPLACE` for a function or procedure, from its signature (`f(a integer)`, as
/// PostgreSQL prints identity arguments) and its properties.
pub fn create_function(signature: &str, function: &Function) -> String {
    let kind = if function.procedure {
        "PROCEDURE"
    } else {
        "FUNCTION"
    };
    let mut text = format!("CREATE OR REPLACE {kind} {signature}");
    if let Some(returns) = &function.returns {
        text.push_str(&format!(" RETURNS {returns}"));
    }
    text.push_str(&format!(" LANGUAGE {}", function.language));
    if !function.procedure {
        text.push_str(&format!(" {}", function.volatility.to_uppercase()));
        if function.strict {
            text.push_str(" STRICT");
        }
    }
    if function.security_definer {
        text.push_str(" SECURITY DEFINER");
    }
    for setting in &function.settings {
        if let Some((name, value)) = setting.split_once('=') {
            text.push_str(&format!(" SET {name} = '{}'", value.replace('\'', "''")));
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
    fn identifiers_are_quoted_only_when_they_must_be() {
        assert_eq!(ident("users"), "users");
        assert_eq!(ident("user"), "\"user\"");
        assert_eq!(ident("Odd Name"), "\"Odd Name\"");
        assert_eq!(ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(ident("_x1"), "_x1");
        assert_eq!(ident("1x"), "\"1x\"");
    }

    #[test]
    fn functions_are_written_whole() {
        let function = Function {
            procedure: false,
            returns: Some("trigger".into()),
            language: "plpgsql".into(),
            volatility: "volatile".into(),
            strict: false,
            security_definer: false,
            settings: vec!["search_path=public".into()],
            body: "\nBEGIN\n  NEW.updated_at = now(); -- $authdb$\n  RETURN NEW;\nEND;\n".into(),
        };
        assert_eq!(
            create_function("touch()", &function),
            "CREATE OR REPLACE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql VOLATILE \
             SET search_path = 'public' AS $xauthdb$\nBEGIN\n  NEW.updated_at = now(); -- \
             $authdb$\n  RETURN NEW;\nEND;\n$xauthdb$"
        );
    }
}
