//! What the picture's Mermaid diagram says, read from a [`Snapshot`]: one entity per table with
//! its columns, types and PK/FK/UK marks, one relationship per foreign key.
//!
//! Cardinality comes from the catalog's facts: a child row has exactly one parent when the
//! foreign key's columns are NOT NULL (else at most one), and a parent has at most one child when
//! the child holds exactly those columns unique (a primary key, unique constraint or unique
//! index on plain columns without WHERE), else any number. A type is written as one word where
//! PostgreSQL has an exact alias for it (`timestamptz`), else approximated and given in full in
//! the column's comment, as a name Mermaid cannot spell is.

use std::fmt::Write;

use super::keys::{self, ForeignKey};
use super::mermaid::{self, Attribute, Cardinality, Diagram, Entity, Relationship};
use super::{Column, RelationKind, Snapshot, Table};

/// The diagram: one entity per table, one relationship per foreign key.
pub(super) fn diagram(snapshot: &Snapshot) -> Diagram {
    let mut relationships = Vec::new();
    let entities = snapshot
        .tables
        .iter()
        .filter(|(_, table)| table.kind == RelationKind::Table)
        .map(|(key, table)| {
            let name = &keys::display(key);
            let foreign_keys: Vec<ForeignKey> = table
                .constraints
                .values()
                .filter_map(|c| keys::foreign_key(&c.definition))
                .collect();
            for fk in &foreign_keys {
                relationships.push(relationship(name, table, fk));
            }
            Entity {
                name: name.clone(),
                attributes: table
                    .columns
                    .iter()
                    .map(|c| attribute(table, &foreign_keys, c))
                    .collect(),
            }
        })
        .collect();
    relationships.sort_by(|a: &Relationship, b| (&a.parent, &a.child).cmp(&(&b.parent, &b.child)));
    Diagram {
        entities,
        relationships,
    }
}

fn attribute(table: &Table, foreign_keys: &[ForeignKey], column: &Column) -> Attribute {
    let name = &column.name;
    let primary = table
        .constraints
        .values()
        .filter_map(|c| keys::primary_key(&c.definition))
        .any(|columns| columns.contains(name));
    let foreign = foreign_keys.iter().any(|fk| fk.columns.contains(name));
    let unique = table
        .constraints
        .values()
        .filter_map(|c| keys::unique_constraint(&c.definition))
        .chain(table.indexes.values().filter_map(keys::unique_index))
        .any(|columns| columns.contains(name));
    let marks = [primary, foreign, unique];
    let mut comment = Vec::new();
    let word = if mermaid::is_word(name) {
        name.clone()
    } else {
        comment.push(format!("name: {name}"));
        mermaid::to_word(name)
    };
    let data_type = type_word(&column.data_type).unwrap_or_else(|| {
        comment.push(format!("type: {}", column.data_type));
        mermaid::to_word(&column.data_type)
    });
    Attribute {
        data_type,
        name: word,
        keys: mermaid::KEYS
            .iter()
            .zip(marks)
            .filter_map(|(key, on)| on.then_some(*key))
            .collect(),
        comment: (!comment.is_empty()).then(|| mermaid::quotable(&comment.join("; "))),
    }
}

fn relationship(child: &str, table: &Table, fk: &ForeignKey) -> Relationship {
    let not_null = fk
        .columns
        .iter()
        .all(|name| table.columns.iter().any(|c| &c.name == name && c.not_null));
    let mut columns = fk.columns.clone();
    columns.sort();
    let one_child = keys::unique_sets(table).into_iter().any(|mut set| {
        set.sort();
        set == columns
    });
    let mut label = fk.columns.join(", ");
    if !fk.actions.is_empty() {
        let _ = write!(label, " ({})", fk.actions.join(", "));
    }
    Relationship {
        parent: fk.table.clone(),
        parent_side: if not_null {
            Cardinality::ExactlyOne
        } else {
            Cardinality::ZeroOrOne
        },
        child: child.to_string(),
        child_side: if one_child {
            Cardinality::ZeroOrOne
        } else {
            Cardinality::ZeroOrMore
        },
        label: mermaid::quotable(&label),
    }
}

/// The spellings `format_type` prints with spaces, and the one-word aliases PostgreSQL accepts
/// for them; `(n)` and `[]` carry over.
const ALIASES: [(&str, &str, &str); 4] = [
    ("timestamp", " with time zone", "timestamptz"),
    ("timestamp", " without time zone", "timestamp"),
    ("time", " with time zone", "timetz"),
    ("time", " without time zone", "time"),
];
const RENAMES: [(&str, &str); 4] = [
    ("character varying", "varchar"),
    ("character", "char"),
    ("bit varying", "varbit"),
    ("double precision", "float8"),
];

/// The type as one Mermaid word, when an alias says it exactly: `timestamptz`, `varchar(20)[]`.
pub(super) fn type_word(data_type: &str) -> Option<String> {
    let (base, array) = match data_type.strip_suffix("[]") {
        Some(base) => (base, "[]"),
        None => (data_type, ""),
    };
    let mut word = base.to_string();
    for (name, zone, alias) in ALIASES {
        if let Some(rest) = base.strip_prefix(name).and_then(|r| r.strip_suffix(zone))
            && (rest.is_empty() || (rest.starts_with('(') && rest.ends_with(')')))
        {
            word = format!("{alias}{rest}");
            break;
        }
    }
    for (name, alias) in RENAMES {
        if let Some(rest) = base.strip_prefix(name)
            && (rest.is_empty() || rest.starts_with('('))
        {
            word = format!("{alias}{rest}");
            break;
        }
    }
    word.push_str(array);
    (mermaid::is_word(&word) && sql_type(&word) == data_type).then_some(word)
}

/// The type a word of [`type_word`] stands for.
pub(super) fn sql_type(word: &str) -> String {
    let (base, array) = match word.strip_suffix("[]") {
        Some(base) => (base, "[]"),
        None => (word, ""),
    };
    let (name, modifier) = match base.find('(') {
        Some(at) => base.split_at(at),
        None => (base, ""),
    };
    let spelled = match ALIASES.iter().find(|(_, _, alias)| *alias == name) {
        Some((sql, zone, _)) => format!("{sql}{modifier}{zone}"),
        None => match RENAMES.iter().find(|(_, alias)| *alias == name) {
            Some((sql, _)) => format!("{sql}{modifier}"),
            None => base.to_string(),
        },
    };
    format!("{spelled}{array}")
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::snapshot::picture::render;
    use crate::snapshot::{Constraint, Index};

    fn migrations_dir() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../migrations")
    }

    /// The Mermaid block of a picture, read back.
    fn read_diagram(picture: &str) -> Diagram {
        let start = picture.find("```mermaid\n").expect("a mermaid block") + 11;
        let end = start + picture[start..].find("```\n").expect("the block's end");
        Diagram::parse(&picture[start..end])
            .unwrap_or_else(|(line, reason)| panic!("line {line} of the diagram: {reason}"))
    }

    /// A column as the picture says it: its name and type, from the comment where the words
    /// could not say them.
    fn column_of(attribute: &Attribute) -> (String, String) {
        let comment = attribute.comment.as_deref().unwrap_or("");
        let item = |key: &str| {
            comment
                .split("; ")
                .find_map(|item| item.strip_prefix(key).map(str::to_string))
        };
        let name = item("name: ").unwrap_or_else(|| attribute.name.clone());
        let data_type = item("type: ").unwrap_or_else(|| sql_type(&attribute.data_type));
        (name, data_type)
    }

    /// Tables, columns with their types and keys, and relationships with their cardinality, as
    /// the committed diagram draws them, against the committed snapshot.
    #[test]
    fn the_committed_diagram_draws_the_committed_snapshot() {
        let dir = migrations_dir();
        let read = |name: &str| {
            std::fs::read_to_string(dir.join(name))
                .unwrap()
                .replace("\r\n", "\n")
        };
        let snapshot = Snapshot::parse(&read("schema.snapshot")).unwrap();
        let picture = read("schema.md");
        assert!(
            render(&snapshot) == picture,
            "migrations/schema.md is not the picture of migrations/schema.snapshot: run `cargo xtask snapshot`"
        );
        let diagram = read_diagram(&picture);

        let tables: Vec<&String> = diagram.entities.iter().map(|e| &e.name).collect();
        let drawn_tables: Vec<&String> = snapshot
            .tables
            .iter()
            .filter(|(_, t)| t.kind == crate::snapshot::RelationKind::Table)
            .map(|(name, _)| name)
            .collect();
        assert_eq!(tables, drawn_tables);
        for entity in &diagram.entities {
            let drawn: Vec<(String, String)> = entity.attributes.iter().map(column_of).collect();
            let columns: Vec<(String, String)> = snapshot.tables[&entity.name]
                .columns
                .iter()
                .map(|c| (c.name.clone(), c.data_type.clone()))
                .collect();
            assert_eq!(drawn, columns, "table {}", entity.name);
        }
        let marks = |table: &str, column: &str| {
            let entity = diagram.entities.iter().find(|e| e.name == table).unwrap();
            entity
                .attributes
                .iter()
                .find(|a| a.name == column)
                .unwrap()
                .keys
                .clone()
        };
        assert_eq!(marks("users", "id"), ["PK"]);
        // UK exactly when a unique constraint covers the column alone (since migration 008).
        let unique_email = snapshot.tables["users"]
            .constraints
            .values()
            .any(|c| c.definition == "UNIQUE (email)");
        assert_eq!(
            marks("users", "email"),
            if unique_email { vec!["UK"] } else { vec![] }
        );
        assert_eq!(marks("sessions", "user_id"), ["FK"]);
        assert_eq!(marks("sessions", "token"), ["UK"]);
        assert_eq!(marks("software_background", "user_id"), ["FK", "UK"]);

        // One user to many sessions and many (BetterAuth) accounts, to at most one background of
        // each kind; each of them has exactly one user (user_id is NOT NULL).
        let relationships: Vec<(&str, Cardinality, &str, Cardinality, &str)> = diagram
            .relationships
            .iter()
            .map(|r| {
                (
                    r.parent.as_str(),
                    r.parent_side,
                    r.child.as_str(),
                    r.child_side,
                    r.label.as_str(),
                )
            })
            .collect();
        let cascade = "user_id (ON DELETE CASCADE)";
        use Cardinality::*;
        assert_eq!(
            relationships,
            [
                ("users", ExactlyOne, "accounts", ZeroOrMore, cascade),
                (
                    "users",
                    ExactlyOne,
                    "hardware_background",
                    ZeroOrOne,
                    cascade
                ),
                ("users", ExactlyOne, "sessions", ZeroOrMore, cascade),
                (
                    "users",
                    ExactlyOne,
                    "software_background",
                    ZeroOrOne,
                    cascade
                ),
            ]
        );
        let foreign_keys: usize = snapshot
            .tables
            .values()
            .flat_map(|t| t.constraints.values())
            .filter(|c| c.definition.starts_with("FOREIGN KEY"))
            .count();
        assert_eq!(diagram.relationships.len(), foreign_keys);
    }

    /// What the repository's schema does not show: names and types Mermaid cannot spell, a
    /// nullable and a composite foreign key, a partial unique index, an expression index.
    #[test]
    fn odd_schemas_are_drawn_exactly_and_cardinality_follows_the_keys() {
        let column = |name: &str, data_type: &str, not_null: bool| Column {
            name: name.into(),
            data_type: data_type.into(),
            not_null,
            ..Column::default()
        };
        let constraint = |definition: &str| Constraint {
            definition: definition.into(),
            comment: None,
        };
        let mut snapshot = Snapshot::default();
        let mut parent = Table {
            columns: vec![
                column("id", "bigint", true),
                column("kind", "text", true),
                column("Price", "numeric(10,2)", false),
                column("pk", "timestamp(3) with time zone[]", false),
                column("at", "time without time zone", false),
            ],
            ..Table::default()
        };
        parent
            .constraints
            .insert("p_pkey".into(), constraint("PRIMARY KEY (id)"));
        parent
            .constraints
            .insert("p_id_kind_key".into(), constraint("UNIQUE (id, kind)"));
        snapshot.tables.insert("\"my parent\"".into(), parent);
        let mut child = Table {
            columns: vec![
                column("parent_id", "bigint", false),
                column("kind", "text", true),
                column("other_id", "bigint", true),
            ],
            ..Table::default()
        };
        child.constraints.insert(
            "a_fkey".into(),
            constraint("FOREIGN KEY (parent_id) REFERENCES \"my parent\"(id) ON DELETE SET NULL"),
        );
        child.constraints.insert(
            "b_fkey".into(),
            constraint("FOREIGN KEY (other_id, kind) REFERENCES \"my parent\"(id, kind)"),
        );
        let index = |definition: &str| Index {
            unique: true,
            method: "btree".into(),
            definition: definition.into(),
            valid: true,
            statistics: Default::default(),
            comment: None,
        };
        // Unique only where kind = 'x': the parent may still have many children through a_fkey.
        child.indexes.insert(
            "c_partial".into(),
            index("(parent_id) WHERE (kind = 'x'::text)"),
        );
        // Unique on exactly (kind, other_id), in another order: at most one child through b_fkey.
        child
            .indexes
            .insert("c_pair".into(), index("(kind, other_id)"));
        snapshot.tables.insert("\"end\"".into(), child);

        let picture = render(&snapshot);
        let drawn = read_diagram(&picture);
        assert_eq!(drawn, diagram(&snapshot));
        let parent = &drawn.entities[1];
        assert_eq!(parent.name, "my parent");
        let drawn: Vec<(String, String)> = parent.attributes.iter().map(column_of).collect();
        assert_eq!(
            drawn,
            [
                ("id".to_string(), "bigint".to_string()),
                ("kind".into(), "text".into()),
                ("Price".into(), "numeric(10,2)".into()),
                ("pk".into(), "timestamp(3) with time zone[]".into()),
                ("at".into(), "time without time zone".into()),
            ]
        );
        assert!(
            picture.contains(
                "    \"my parent\" {\n        bigint id PK, UK\n        text kind UK\n        \
                 numeric(10_2) Price \"type: numeric(10,2)\"\n        timestamptz(3)[] _pk \
                 \"name: pk\"\n        time at\n    }\n"
            ),
            "{picture}"
        );
        assert!(
            picture.contains(
                "    \"my parent\" |o--o{ \"end\" : \"parent_id (ON DELETE SET NULL)\"\n    \
                 \"my parent\" ||--o| \"end\" : \"other_id, kind\"\n"
            ),
            "{picture}"
        );
        assert!(
            picture
                .contains("| `c_partial` | btree | `parent_id` | yes | `(kind = 'x'::text)` |\n"),
            "{picture}"
        );
    }

    #[test]
    fn types_have_one_word_aliases_only_where_they_are_exact() {
        let cases = [
            ("timestamp with time zone", Some("timestamptz")),
            ("timestamp(6) without time zone[]", Some("timestamp(6)")),
            ("time with time zone", Some("timetz")),
            ("character varying(20)", Some("varchar(20)")),
            ("character(1)[]", Some("char(1)[]")),
            ("bit varying", Some("varbit")),
            ("double precision", Some("float8")),
            ("text[]", Some("text[]")),
            ("numeric(10,2)", None),
            ("interval year to month", None),
            ("\"char\"", None),
            ("public.my_type", None),
        ];
        for (data_type, word) in cases {
            let expected = word.map(|w| {
                if data_type.ends_with("[]") && !w.ends_with("[]") {
                    format!("{w}[]")
                } else {
                    w.to_string()
                }
            });
            assert_eq!(type_word(data_type), expected, "{data_type}");
            if let Some(word) = expected {
                assert_eq!(sql_type(&word), data_type);
            }
        }
    }
}
