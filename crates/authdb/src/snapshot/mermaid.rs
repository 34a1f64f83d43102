//! The subset of Mermaid's `erDiagram` that the picture uses, written and read back. Reading it
//! back is how the tests prove that the committed diagram is well formed and says what the
//! snapshot says: a typo in this writer would otherwise only show as a diagram GitHub refuses to
//! draw.
//!
//! ```text
//! erDiagram
//!     users {
//!         uuid id PK
//!         text email
//!     }
//!     sessions {
//!         uuid user_id FK
//!         numeric_10_2_ price "numeric(10,2)"
//!     }
//!     users ||--o{ sessions : "user_id (ON DELETE CASCADE)"
//! ```
//!
//! Mermaid's words (attribute types and names) are a letter or `_`, then letters, digits and
//! `-_[]()`, and not PK, FK or UK in any case; entity names outside that, or that are keywords,
//! are double-quoted; a comment or label is any text without a double quote. This is the
//! grammar of Mermaid's `erDiagram.jison` (version 11), restricted to what version 10 also reads.

use std::fmt::Write;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Diagram {
    pub entities: Vec<Entity>,
    pub relationships: Vec<Relationship>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Entity {
    pub name: String,
    pub attributes: Vec<Attribute>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Attribute {
    /// A Mermaid word.
    pub data_type: String,
    /// A Mermaid word.
    pub name: String,
    /// `PK`, `FK`, `UK`, in that order.
    pub keys: Vec<&'static str>,
    pub comment: Option<String>,
}

/// `parent ||--o{ child : "label"`: each parent row has `child_side` rows in the child, each
/// child row has `parent_side` parents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Relationship {
    pub parent: String,
    pub parent_side: Cardinality,
    pub child: String,
    pub child_side: Cardinality,
    pub label: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Cardinality {
    ExactlyOne,
    ZeroOrOne,
    ZeroOrMore,
}

/// The glyphs of each cardinality: on the left of `--`, and on the right.
const GLYPHS: [(Cardinality, &str, &str); 3] = [
    (Cardinality::ExactlyOne, "||", "||"),
    (Cardinality::ZeroOrOne, "|o", "o|"),
    (Cardinality::ZeroOrMore, "}o", "o{"),
];

pub(super) const KEYS: [&str; 3] = ["PK", "FK", "UK"];

/// Mermaid's keywords, which a bare entity name must not be (its lexer ignores case).
const KEYWORDS: &[&str] = &[
    "erdiagram",
    "one",
    "many",
    "only",
    "zero",
    "to",
    "optionally",
    "style",
    "classdef",
    "class",
    "subgraph",
    "end",
    "direction",
    "u",
    "o",
];

/// Whether `text` is one Mermaid word, usable as an attribute's type or name as it is.
pub(super) fn is_word(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || "-_[]()".contains(c))
        && !KEYS.contains(&text.to_ascii_uppercase().as_str())
}

/// The closest word to `text`: every other character becomes `_`.
pub(super) fn to_word(text: &str) -> String {
    let mut word: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_[]()".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if !is_word(&word) {
        word.insert(0, '_');
    }
    word
}

/// Text as a comment or label: Mermaid has no escape for a double quote inside one, and its
/// lexer reads `~...~` inside an entity's block as a generic type before it sees a comment.
pub(super) fn quotable(text: &str) -> String {
    text.replace('"', "'").replace('~', "-")
}

impl Diagram {
    pub fn render(&self) -> String {
        let mut out = String::from("erDiagram\n");
        for entity in &self.entities {
            let _ = writeln!(out, "    {} {{", entity_name(&entity.name));
            for attribute in &entity.attributes {
                let _ = write!(out, "        {} {}", attribute.data_type, attribute.name);
                if !attribute.keys.is_empty() {
                    let _ = write!(out, " {}", attribute.keys.join(", "));
                }
                if let Some(comment) = &attribute.comment {
                    let _ = write!(out, " \"{comment}\"");
                }
                out.push('\n');
            }
            out.push_str("    }\n");
        }
        for r in &self.relationships {
            let left = GLYPHS.iter().find(|g| g.0 == r.parent_side).map(|g| g.1);
            let right = GLYPHS.iter().find(|g| g.0 == r.child_side).map(|g| g.2);
            let _ = writeln!(
                out,
                "    {} {}--{} {} : \"{}\"",
                entity_name(&r.parent),
                left.unwrap_or("||"),
                right.unwrap_or("o{"),
                entity_name(&r.child),
                r.label
            );
        }
        out
    }

    /// Reads what [`Diagram::render`] writes; an error gives the 1-based line and the fault.
    #[cfg(test)]
    pub fn parse(text: &str) -> Result<Diagram, (usize, String)> {
        let mut diagram = Diagram {
            entities: Vec::new(),
            relationships: Vec::new(),
        };
        let mut lines = text.lines().enumerate().map(|(i, line)| (i + 1, line));
        match lines.next() {
            Some((_, "erDiagram")) => {}
            _ => return Err((1, "expected `erDiagram`".into())),
        }
        let mut open: Option<Entity> = None;
        for (number, line) in lines {
            let fail = |reason: &str| Err((number, format!("`{line}`: {reason}")));
            if let Some(entity) = &mut open {
                if line == "    }" {
                    diagram.entities.extend(open.take());
                } else {
                    match line.strip_prefix("        ").map(attribute) {
                        Some(Ok(a)) => entity.attributes.push(a),
                        Some(Err(reason)) => return fail(&reason),
                        None => return fail("expected an attribute or `}`"),
                    }
                }
                continue;
            }
            let Some(statement) = line.strip_prefix("    ") else {
                return fail("expected an indented entity or relationship");
            };
            let (name, rest) = match entity_token(statement) {
                Some(token) => token,
                None => return fail("expected an entity name"),
            };
            if rest == " {" {
                open = Some(Entity {
                    name,
                    attributes: Vec::new(),
                });
            } else {
                match relationship(name, rest) {
                    Some(r) => diagram.relationships.push(r),
                    None => return fail("expected `{` or `GLYPHS--GLYPHS ENTITY : \"LABEL\"`"),
                }
            }
        }
        if let Some(entity) = open {
            return Err((
                text.lines().count(),
                format!("entity {} is not closed", entity.name),
            ));
        }
        Ok(diagram)
    }
}

/// An entity name: bare when it is a plain identifier and no keyword, else double-quoted.
fn entity_name(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !KEYWORDS.contains(&name.to_ascii_lowercase().as_str());
    if plain {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace(['"', '%', '\\'], "_"))
    }
}

/// An entity name at the start of `text` and what follows it.
#[cfg(test)]
fn entity_token(text: &str) -> Option<(String, &str)> {
    if let Some(quoted) = text.strip_prefix('"') {
        let end = quoted.find('"')?;
        return Some((quoted[..end].to_string(), &quoted[end + 1..]));
    }
    let end = text.find(' ').unwrap_or(text.len());
    (end > 0).then(|| (text[..end].to_string(), &text[end..]))
}

/// `TYPE NAME[ KEY[, KEY]][ "COMMENT"]`.
#[cfg(test)]
fn attribute(line: &str) -> Result<Attribute, String> {
    let (data_type, rest) = line.split_once(' ').ok_or("expected `TYPE NAME`")?;
    let (name, mut rest) = rest.split_once(' ').unwrap_or((rest, ""));
    if !is_word(data_type) || !is_word(name) {
        return Err("the type and the name must be Mermaid words".into());
    }
    let mut keys = Vec::new();
    while let Some(key) = KEYS.iter().find(|k| rest.starts_with(*k)) {
        keys.push(*key);
        rest = &rest[key.len()..];
        rest = rest.strip_prefix(", ").unwrap_or(rest);
        rest = rest.strip_prefix(' ').unwrap_or(rest);
    }
    let comment = match rest {
        "" => None,
        quoted => match quoted.strip_prefix('"').and_then(|q| q.strip_suffix('"')) {
            Some(comment) if !comment.contains('"') => Some(comment.to_string()),
            _ => return Err("expected keys (PK, FK, UK) or a \"comment\" after the name".into()),
        },
    };
    Ok(Attribute {
        data_type: data_type.into(),
        name: name.into(),
        keys,
        comment,
    })
}

/// ` ||--o{ child : "label"` after the parent's name.
#[cfg(test)]
fn relationship(parent: String, rest: &str) -> Option<Relationship> {
    let rest = rest.strip_prefix(' ')?;
    let (glyphs, rest) = rest.split_once(' ')?;
    let (left, right) = glyphs.split_once("--")?;
    let parent_side = GLYPHS.iter().find(|g| g.1 == left)?.0;
    let child_side = GLYPHS.iter().find(|g| g.2 == right)?.0;
    let (child, rest) = entity_token(rest)?;
    let label = rest.strip_prefix(" : \"")?.strip_suffix('"')?;
    (!label.contains('"')).then(|| Relationship {
        parent,
        parent_side,
        child,
        child_side,
        label: label.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_diagram_parses_back_and_errors_name_the_line() {
        let diagram = Diagram {
            entities: vec![
                Entity {
                    name: "users".into(),
                    attributes: vec![Attribute {
                        data_type: "uuid".into(),
                        name: "id".into(),
                        keys: vec!["PK", "UK"],
                        comment: None,
                    }],
                },
                Entity {
                    name: "my table".into(),
                    attributes: vec![Attribute {
                        data_type: "numeric_10_2_".into(),
                        name: "_odd_name".into(),
                        keys: Vec::new(),
                        comment: Some("type: numeric(10,2)".into()),
                    }],
                },
                Entity {
                    name: "end".into(),
                    attributes: Vec::new(),
                },
            ],
            relationships: vec![Relationship {
                parent: "users".into(),
                parent_side: Cardinality::ZeroOrOne,
                child: "my table".into(),
                child_side: Cardinality::ZeroOrMore,
                label: "user_id (ON DELETE CASCADE)".into(),
            }],
        };
        let text = diagram.render();
        assert_eq!(
            text,
            "erDiagram\n    users {\n        uuid id PK, UK\n    }\n    \"my table\" {\n        \
             numeric_10_2_ _odd_name \"type: numeric(10,2)\"\n    }\n    \"end\" {\n    }\n    \
             users |o--o{ \"my table\" : \"user_id (ON DELETE CASCADE)\"\n"
        );
        assert_eq!(Diagram::parse(&text), Ok(diagram));
        let cases = [
            ("graph TD\n", 1, "expected `erDiagram`"),
            (
                "erDiagram\n    t {\n        timestamp with time zone\n    }\n",
                3,
                "`        timestamp with time zone`: expected keys (PK, FK, UK) or a \"comment\" after the name",
            ),
            (
                "erDiagram\n    a ||--x b : \"l\"\n",
                2,
                "`    a ||--x b : \"l\"`: expected `{` or `GLYPHS--GLYPHS ENTITY : \"LABEL\"`",
            ),
            ("erDiagram\n    t {\n", 2, "entity t is not closed"),
        ];
        for (text, line, reason) in cases {
            assert_eq!(
                Diagram::parse(text),
                Err((line, reason.to_string())),
                "{text}"
            );
        }
    }

    #[test]
    fn words_are_what_mermaid_accepts() {
        assert_eq!(quotable("type: \"My~type~\""), "type: 'My-type-'");
        for word in ["uuid", "text[]", "varchar(20)", "_x-1", "timestamptz"] {
            assert!(is_word(word), "{word}");
        }
        for text in [
            "timestamp with time zone",
            "numeric(10,2)",
            "pk",
            "1st",
            "\"char\"",
            "a.b",
            "",
        ] {
            assert!(!is_word(text), "{text}");
            assert!(is_word(&to_word(text)), "{text} -> {}", to_word(text));
        }
    }
}
