//! `betterauth/manifest.json`, BetterAuth's schema as data: the one file a newer BetterAuth
//! changes. Read strictly (an unknown key is a typo that would silently check nothing).

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    #[allow(dead_code, reason = "read by people: what the manifest is")]
    pub about: String,
    pub betterauth: Source,
    #[allow(dead_code, reason = "read by people: the configuration it assumes")]
    pub configuration: BTreeMap<String, String>,
    /// BetterAuth's field types to the PostgreSQL type names (`pg_type.typname`) it accepts.
    pub postgres_types: BTreeMap<String, Vec<String>>,
    pub tables: Vec<Table>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub version: String,
    pub repository: String,
    pub tag: String,
    pub commit: String,
    #[allow(dead_code, reason = "read by people: where each part was read")]
    pub sources: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Table {
    /// BetterAuth's name for it: `user`, `session`, `account`, `verification`.
    pub model: String,
    /// The table: what `modelName` must say.
    #[serde(rename = "modelName")]
    pub model_name: String,
    #[allow(dead_code, reason = "read by people: the lines it was read from")]
    pub source: String,
    pub fields: Vec<Field>,
    /// Table-level indexes, under the names BetterAuth derives (its CLI looks them up by name).
    pub indexes: Vec<Index>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Field {
    /// BetterAuth's name: `emailVerified`.
    pub field: String,
    /// The column: `email_verified`, what `fields` must map it to.
    pub column: String,
    /// A key of `postgres_types`.
    #[serde(rename = "type")]
    pub kind: String,
    pub required: bool,
    #[serde(default)]
    pub unique: bool,
    #[serde(default)]
    pub index: bool,
    pub references: Option<Reference>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reference {
    pub model: String,
    pub field: String,
    #[serde(rename = "onDelete")]
    pub on_delete: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Index {
    pub name: String,
    pub columns: Vec<String>,
    pub unique: bool,
}

pub fn path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../betterauth/manifest.json")
}

pub fn load() -> Manifest {
    let path = path();
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

impl Manifest {
    pub fn table(&self, model: &str) -> &Table {
        self.tables
            .iter()
            .find(|t| t.model == model)
            .unwrap_or_else(|| panic!("the manifest has no model {model}"))
    }
}

impl Table {
    pub fn field(&self, field: &str) -> &Field {
        self.fields
            .iter()
            .find(|f| f.field == field)
            .unwrap_or_else(|| panic!("the manifest's {} has no field {field}", self.model))
    }

    pub fn column(&self, field: &str) -> &str {
        &self.field(field).column
    }
}

/// The manifest is coherent on its own: it names a BetterAuth release and commit, every type
/// and reference resolves, every index names columns of its table, and a column is listed once.
#[test]
fn the_manifest_names_its_source_and_holds_together() {
    let manifest = load();
    let source = &manifest.betterauth;
    assert_eq!(source.repository, "better-auth/better-auth");
    assert_eq!(source.tag, format!("v{}", source.version));
    assert_eq!(source.commit.len(), 40, "a full commit hash");
    assert!(source.commit.chars().all(|c| c.is_ascii_hexdigit()));
    for model in ["user", "session", "account", "verification"] {
        let table = manifest.table(model);
        let id = table.field("id");
        assert_eq!((id.column.as_str(), id.kind.as_str()), ("id", "id"));
    }
    for table in &manifest.tables {
        let mut columns: Vec<&str> = table.fields.iter().map(|f| f.column.as_str()).collect();
        columns.sort();
        columns.dedup();
        assert_eq!(
            columns.len(),
            table.fields.len(),
            "{}: a column twice",
            table.model
        );
        for field in &table.fields {
            assert!(
                manifest.postgres_types.contains_key(&field.kind),
                "{}.{}: type {} has no PostgreSQL types",
                table.model,
                field.field,
                field.kind
            );
            if let Some(reference) = &field.references {
                manifest.table(&reference.model).field(&reference.field);
                assert_eq!(reference.on_delete, "cascade");
            }
        }
        for index in &table.indexes {
            for column in &index.columns {
                assert!(
                    table.fields.iter().any(|f| &f.column == column),
                    "index {}: {column} is not a column of {}",
                    index.name,
                    table.model_name
                );
            }
            // BetterAuth's generated name (database-index.ts): <table>_<columns>_uidx / _idx.
            let kind = if index.unique { "uidx" } else { "idx" };
            assert_eq!(
                index.name,
                format!("{}_{}_{kind}", table.model_name, index.columns.join("_"))
            );
        }
    }
}
