//! The workflow files as a tree that remembers where each value was written, so that every
//! finding names its file and line. serde-saphyr reads YAML 1.2 (`on:` stays a key, not `true`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

/// A value and where it is: the line of its first character in the file.
pub type Node = Spanned<Value>;

#[derive(Debug)]
pub enum Value {
    /// A mapping, in the file's order.
    Map(Vec<(String, Node)>),
    Seq(Vec<Node>),
    /// Strings, numbers and booleans, as written.
    Scalar(String),
    Null,
}

impl Value {
    pub fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Value::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// `get` through several keys: `at(&["jobs", "migrate", "steps"])`.
    pub fn at(&self, keys: &[&str]) -> Option<&Node> {
        let (first, rest) = keys.split_first()?;
        let node = self.get(first)?;
        if rest.is_empty() {
            Some(node)
        } else {
            node.value.at(rest)
        }
    }

    pub fn str(&self) -> Option<&str> {
        match self {
            Value::Scalar(s) => Some(s),
            _ => None,
        }
    }

    pub fn entries(&self) -> &[(String, Node)] {
        match self {
            Value::Map(entries) => entries,
            _ => &[],
        }
    }

    pub fn items(&self) -> &[Node] {
        match self {
            Value::Seq(items) => items,
            _ => &[],
        }
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Scalar(v.to_string()))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Scalar(v.to_string()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Scalar(v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Scalar(v.to_string()))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Scalar(v.to_string()))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Node>()? {
            items.push(item);
        }
        Ok(Value::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            entries.push((key, map.next_value::<Node>()?));
        }
        Ok(Value::Map(entries))
    }
}

/// One YAML file of `.github/`.
pub struct File {
    /// Relative to the repository root, as messages show it.
    pub path: PathBuf,
    pub text: String,
    pub root: Node,
}

impl File {
    pub fn parse(path: &Path, text: String) -> File {
        let root = serde_saphyr::from_str::<Node>(&text)
            .unwrap_or_else(|e| panic!("{}: not valid YAML: {e}", path.display()));
        File {
            path: path.to_path_buf(),
            text,
            root,
        }
    }

    /// The line where `needle` is written inside `node`'s text (a `run: |` block spans many
    /// lines), else the node's own line.
    pub fn line_of(&self, node: &Node, needle: &str) -> u64 {
        let start = node
            .referenced
            .span()
            .byte_offset()
            .map(|o| o as usize)
            .filter(|&o| o <= self.text.len());
        match start.and_then(|s| self.text[s..].find(needle).map(|i| s + i)) {
            Some(at) => self.text[..at].matches('\n').count() as u64 + 1,
            None => node.referenced.line(),
        }
    }

    /// Every scalar of the file with its path (`jobs.migrate.steps[3].run`), in file order.
    pub fn scalars(&self) -> Vec<(String, &Node)> {
        let mut out = Vec::new();
        walk(&self.root, String::new(), &mut out);
        out
    }
}

fn walk<'a>(node: &'a Node, path: String, out: &mut Vec<(String, &'a Node)>) {
    match &node.value {
        Value::Map(entries) => {
            for (key, value) in entries {
                let child = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                walk(value, child, out);
            }
        }
        Value::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                let mut child = path.clone();
                let _ = write!(child, "[{i}]");
                walk(item, child, out);
            }
        }
        Value::Scalar(_) => out.push((path, node)),
        Value::Null => {}
    }
}
