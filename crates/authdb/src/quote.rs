//! How SQL writes a name: bare when it is a plain lowercase word that is no reserved keyword,
//! else double-quoted, as PostgreSQL's `quote_ident` does. The snapshot names roles this way, and
//! adopt's SQL every identifier.

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

/// A string as an SQL literal, as PostgreSQL's `quote_literal` writes it: quotes doubled, and
/// in the escape form with backslashes doubled when there are any, so that it reads the same
/// whatever `standard_conforming_strings` says. For simple queries, where parameters would cost
/// a round trip to prepare.
pub fn literal(text: &str) -> String {
    let quoted = text.replace('\'', "''");
    match quoted.contains('\\') {
        true => format!("E'{}'", quoted.replace('\\', "\\\\")),
        false => format!("'{quoted}'"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_read_back_as_the_text_whatever_the_server_settings() {
        assert_eq!(literal("users"), "'users'");
        assert_eq!(literal("o'brien"), "'o''brien'");
        assert_eq!(literal("a\\b"), "E'a\\\\b'");
        assert_eq!(literal("it's a\\b"), "E'it''s a\\\\b'");
    }

    #[test]
    fn identifiers_are_quoted_only_when_they_must_be() {
        assert_eq!(ident("users"), "users");
        assert_eq!(ident("user"), "\"user\"");
        assert_eq!(ident("Odd Name"), "\"Odd Name\"");
        assert_eq!(ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(ident("_x1"), "_x1");
        assert_eq!(ident("1x"), "\"1x\"");
    }
}
