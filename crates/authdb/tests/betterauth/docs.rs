//! docs/betterauth.md says what the manifest and the migrations say: its configuration maps every
//! model and field to the manifest's table and column (and nothing else), and the statement it
//! gives for switching over is that of the migration that copies passwords and lowercases
//! addresses. The configuration is read from the page's TypeScript with a reader of object
//! literals just large enough for it: keys, strings, nested objects, other values skipped.

use std::collections::BTreeMap;

use crate::manifest;

/// A value of an object literal, as far as the check needs it.
#[derive(Debug)]
enum Value {
    String(String),
    Object(BTreeMap<String, Value>),
    /// A call, a number, a boolean, an identifier: not read.
    Other,
}

impl Value {
    fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(map) => map.get(key),
            _ => None,
        }
    }

    fn string(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
}

/// TypeScript's tokens, as far as object literals go: identifiers, strings, and single
/// punctuation characters.
fn tokens(text: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '"' || c == '\'' {
            chars.next();
            let mut s = String::from('"');
            for d in chars.by_ref() {
                if d == c {
                    break;
                }
                s.push(d);
            }
            tokens.push(s);
        } else if c.is_alphanumeric() || c == '_' || c == '$' || c == '.' {
            let mut word = String::new();
            while let Some(&d) = chars.peek() {
                if !(d.is_alphanumeric() || d == '_' || d == '$' || d == '.') {
                    break;
                }
                word.push(d);
                chars.next();
            }
            tokens.push(word);
        } else {
            tokens.push(c.to_string());
            chars.next();
        }
    }
    tokens
}

/// The object literal starting at `tokens[*at]` (an `{`), leaving `at` after its `}`.
fn object(tokens: &[String], at: &mut usize) -> Value {
    assert_eq!(tokens[*at], "{");
    *at += 1;
    let mut map = BTreeMap::new();
    while tokens[*at] != "}" {
        let key = tokens[*at].trim_start_matches('"').to_string();
        assert_eq!(tokens[*at + 1], ":", "after key {key}");
        *at += 2;
        let value = value(tokens, at);
        assert!(map.insert(key.clone(), value).is_none(), "{key} twice");
        if tokens[*at] == "," {
            *at += 1;
        }
    }
    *at += 1;
    Value::Object(map)
}

fn value(tokens: &[String], at: &mut usize) -> Value {
    if tokens[*at] == "{" {
        return object(tokens, at);
    }
    if let Some(s) = tokens[*at].strip_prefix('"')
        && matches!(tokens[*at + 1].as_str(), "," | "}")
    {
        *at += 1;
        return Value::String(s.to_string());
    }
    // Anything else runs to the next `,` or `}` outside brackets.
    let mut depth = 0;
    loop {
        match tokens[*at].as_str() {
            "(" | "[" | "{" => depth += 1,
            ")" | "]" | "}" if depth > 0 => depth -= 1,
            "," | "}" if depth == 0 => return Value::Other,
            _ => {}
        }
        *at += 1;
    }
}

fn page() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/betterauth.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The fenced blocks of `language` in the page.
fn blocks(page: &str, language: &str) -> Vec<String> {
    let fence = format!("```{language}\n");
    page.split(&fence)
        .skip(1)
        .map(|rest| rest.split("```").next().unwrap().to_string())
        .collect()
}

/// The object passed to `betterAuth(...)` in the page's configuration.
fn configuration() -> Value {
    let block = blocks(&page(), "ts")
        .into_iter()
        .find(|b| b.contains("betterAuth({"))
        .expect("docs/betterauth.md has a ```ts block calling betterAuth({ ... })");
    let tokens = tokens(&block);
    let mut at = tokens
        .windows(2)
        .position(|w| w[0] == "betterAuth" && w[1] == "(")
        .unwrap()
        + 2;
    object(&tokens, &mut at)
}

#[test]
fn the_configuration_in_the_docs_is_the_manifest_s_mapping() {
    let manifest = manifest::load();
    let config = configuration();
    let setting = |path: &[&str]| {
        path.iter()
            .try_fold(&config, |v, key| v.get(key))
            .and_then(Value::string)
            .map(str::to_string)
    };
    assert_eq!(
        setting(&["advanced", "database", "generateId"]).as_deref(),
        Some("uuid")
    );
    assert_eq!(setting(&["database", "type"]).as_deref(), Some("postgres"));
    for table in &manifest.tables {
        let section = config
            .get(&table.model)
            .unwrap_or_else(|| panic!("the docs configure no `{}`", table.model));
        assert_eq!(
            section.get("modelName").and_then(Value::string),
            Some(table.model_name.as_str()),
            "{}.modelName",
            table.model
        );
        let mapped: BTreeMap<String, String> = match section.get("fields") {
            None => BTreeMap::new(),
            Some(Value::Object(fields)) => fields
                .iter()
                .map(|(field, column)| {
                    let column = column
                        .string()
                        .unwrap_or_else(|| panic!("{}.fields.{field}: not a string", table.model));
                    (field.clone(), column.to_string())
                })
                .collect(),
            Some(other) => panic!("{}.fields: {other:?}", table.model),
        };
        for field in &table.fields {
            let column = mapped.get(&field.field).unwrap_or(&field.field);
            assert_eq!(
                column, &field.column,
                "{}.{}: the docs map it to {column}, the manifest's column is {}",
                table.model, field.field, field.column
            );
        }
        for field in mapped.keys() {
            assert!(
                table.fields.iter().any(|f| &f.field == field),
                "{}.fields.{field}: not a field of the manifest",
                table.model
            );
        }
    }
}

/// The statement the page gives for switching over is the migration's own, word for word
/// (comments and layout aside).
#[test]
fn the_switch_over_statements_are_the_migrations_own() {
    let words = |sql: &str| -> Vec<String> {
        authdb_folder::sql::statements(sql)
            .map(|s| {
                sql[s.range]
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    };
    let page = page();
    let block = blocks(&page, "sql")
        .into_iter()
        .find(|b| b.contains("INSERT INTO accounts"))
        .expect("docs/betterauth.md gives the copy statement in a ```sql block");
    let migrations = crate::repository();
    let statements_of = |name: &str| {
        words(
            &migrations
                .list
                .iter()
                .find(|m| m.name == name)
                .unwrap_or_else(|| panic!("no migration {name}"))
                .sql,
        )
    };
    assert_eq!(
        words(&block),
        statements_of("copy_passwords_and_lowercase_addresses")
    );
}
