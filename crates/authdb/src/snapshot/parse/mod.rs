//! Reading `schema.snapshot` back: a line-by-line parser of what `text/` writes, with errors
//! that give the line and what was expected there, since a hand edit or a merge conflict is the
//! way such a file goes wrong. What the writer leaves out is read as its default: an owner as
//! the migrator, privileges as the kind's defaults.

mod objects;
mod relation;

use super::text::BODY_MARGIN;
use super::{Grants, Privileged, Snapshot};

/// A parse failure: the 1-based line and what is wrong with it.
pub(super) type ParseError = (usize, String);

/// The object the indented lines belong to.
#[derive(Clone)]
enum Open {
    Nothing,
    Schema(String),
    Extension(String),
    DefaultPrivileges(String),
    Type(String),
    Sequence(String),
    Function(String),
    /// A relation (`None`: the tracking table), and the last policy read, for its clauses.
    Table(Option<String>, Option<String>),
    Other(String),
}

/// The parser's state between lines.
struct Parser {
    snapshot: Snapshot,
    open: Open,
    /// The lines behind the margin so far, when a body or a view's query is being read.
    margin: Option<Vec<String>>,
    /// Whether the open object's grants were written (so they replace its defaults).
    grants_written: bool,
}

/// What starts a held boundary's section (`boundary 11`); the head's objects come before the
/// first.
pub(super) const BOUNDARY: &str = "boundary ";

/// The head, then each held boundary's section, each read as a snapshot of its own.
pub(super) fn parse(text: &str) -> Result<Snapshot, ParseError> {
    let lines: Vec<&str> = text.split('\n').collect();
    let starts: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].starts_with(BOUNDARY))
        .collect();
    let head_end = starts.first().copied().unwrap_or(lines.len());
    let mut snapshot = parse_one(&lines[..head_end].join("\n"))?;
    for (n, &start) in starts.iter().enumerate() {
        let end = starts.get(n + 1).copied().unwrap_or(lines.len());
        let number = start + 1;
        let version: i64 = lines[start][BOUNDARY.len()..]
            .parse()
            .map_err(|_| (number, "expected `boundary N`".to_string()))?;
        if snapshot.version.is_none_or(|head| version >= head) {
            return Err((
                number,
                "a held boundary comes before the folder's latest version".to_string(),
            ));
        }
        // The section read as a snapshot of its own, its first line standing for `version N`, so
        // that its line numbers are the file's shifted by where it starts.
        let section = std::iter::once(format!("version {version}"))
            .chain(lines[start + 1..end].iter().map(|l| l.to_string()))
            .collect::<Vec<_>>()
            .join("\n");
        let held = parse_one(&section).map_err(|(line, reason)| (start + line, reason))?;
        if snapshot.held.insert(version, held).is_some() {
            return Err((number, format!("boundary {version} is given twice")));
        }
    }
    Ok(snapshot)
}

fn parse_one(text: &str) -> Result<Snapshot, ParseError> {
    let mut parser = Parser {
        snapshot: Snapshot::default(),
        open: Open::Nothing,
        margin: None,
        grants_written: false,
    };
    let mut version_seen = false;
    for (index, line) in text.split('\n').enumerate() {
        let number = index + 1;
        if let Some(lines) = &mut parser.margin {
            if let Some(rest) = line.strip_prefix(BODY_MARGIN) {
                lines.push(rest.strip_prefix(' ').unwrap_or(rest).to_string());
                continue;
            }
            parser.close_margin();
        }
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let result = if let Some(rest) = line.strip_prefix("    ") {
            parser.clause(rest)
        } else if let Some(rest) = line.strip_prefix("  ") {
            parser.property(rest)
        } else if let Some(rest) = line.strip_prefix("version ") {
            if version_seen {
                Err("`version` is given twice".to_string())
            } else {
                version_seen = true;
                parser.open = Open::Nothing;
                match rest {
                    "none" => Ok(()),
                    number_text => match number_text.parse() {
                        Ok(version) => {
                            parser.snapshot.version = Some(version);
                            Ok(())
                        }
                        Err(_) => Err("expected `version N` or `version none`".to_string()),
                    },
                }
            }
        } else {
            parser.header(line)
        };
        result.map_err(|reason| (number, reason))?;
    }
    parser.close_margin();
    if !version_seen {
        return Err((1, "no `version N` line".to_string()));
    }
    relation::check_partitions(&parser.snapshot, text.lines().count())?;
    Ok(parser.snapshot)
}

impl Parser {
    /// A line at the left margin: a new object.
    fn header(&mut self, line: &str) -> Result<(), String> {
        self.grants_written = false;
        self.open = objects::header(&mut self.snapshot, line)
            .or_else(|| relation::header(&mut self.snapshot, line).transpose())
            .transpose()?
            .ok_or_else(|| {
                "expected `version`, `schema`, `extension`, `default privileges`, `type`, \
                 `sequence`, `function`, `procedure`, `aggregate`, `table`, `view`, \
                 `materialized view`, `foreign table`, `object` or `tracking table` at the start \
                 of a line"
                    .to_string()
            })?;
        Ok(())
    }

    /// A line indented by two: a property of the open object.
    fn property(&mut self, line: &str) -> Result<(), String> {
        match self.open.clone() {
            Open::Nothing => Err("an indented line outside an object".to_string()),
            Open::Table(key, _) => {
                let table = relation::table_mut(&mut self.snapshot, &key);
                match relation::line(table, line, &mut self.grants_written)? {
                    relation::Read::Done => {}
                    relation::Read::Policy(name) => self.open = Open::Table(key, Some(name)),
                    relation::Read::Definition => self.margin = Some(Vec::new()),
                }
                Ok(())
            }
            Open::Function(_) if line == "body" => {
                self.margin = Some(Vec::new());
                Ok(())
            }
            open => objects::line(&mut self.snapshot, &open, line, &mut self.grants_written),
        }
    }

    /// A line indented by four: a clause of the open table's last policy.
    fn clause(&mut self, line: &str) -> Result<(), String> {
        match &self.open {
            Open::Table(key, Some(policy)) => {
                let table = relation::table_mut(&mut self.snapshot, key);
                relation::policy_clause(table, policy, line)
            }
            _ => Err("a line indented by four outside a policy or a body".to_string()),
        }
    }

    /// Stores a finished body or view query in its object.
    fn close_margin(&mut self) {
        let Some(lines) = self.margin.take() else {
            return;
        };
        let text = lines.join("\n");
        match &self.open {
            Open::Function(key) => {
                if let Some(function) = self.snapshot.functions.get_mut(key) {
                    function.body = text;
                }
            }
            Open::Table(key, _) => {
                relation::table_mut(&mut self.snapshot, key).definition = Some(text);
            }
            _ => {}
        }
    }
}

/// `owner`, `grant`, `no grants` and `comment` lines, which every owned object may have; `None`
/// when the line is none of them.
fn privileged_line(
    privileged: &mut Privileged,
    line: &str,
    grants_written: &mut bool,
) -> Option<Result<(), String>> {
    if let Some(owner) = line.strip_prefix("owner ") {
        privileged.owner = owner.to_string();
        return Some(Ok(()));
    }
    if let Some(result) = grant_line(&mut privileged.grants, line, grants_written) {
        return Some(result);
    }
    let comment = line.strip_prefix("comment ")?;
    Some(unquoted(comment).map(|text| privileged.comment = Some(text)))
}

/// `grant GRANTEE PRIVILEGES` or `no grants`: the first one replaces the defaults.
fn grant_line(grants: &mut Grants, line: &str, written: &mut bool) -> Option<Result<(), String>> {
    if line == "no grants" {
        grants.clear();
        *written = true;
        return Some(Ok(()));
    }
    let grant = line.strip_prefix("grant ")?;
    if !*written {
        grants.clear();
        *written = true;
    }
    Some(match grant.split_once(' ') {
        Some((grantee, privileges)) if !privileges.is_empty() => {
            grants.insert(grantee.to_string(), privileges.to_string());
            Ok(())
        }
        _ => Err(format!("`{line}`: expected `grant GRANTEE PRIVILEGES`")),
    })
}

/// A JSON string, as comments and labels are written.
fn unquoted(text: &str) -> Result<String, String> {
    serde_json::from_str(text).map_err(|_| format!("`{text}`: expected a quoted string"))
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

/// A name as SQL writes it (`users`, `auth."Odd name"`), kept as written, and what follows it.
fn sql_name(text: &str) -> Result<(String, &str), String> {
    let mut end = 0;
    let bytes = text.as_bytes();
    let mut quoted = false;
    while end < bytes.len() {
        match bytes[end] {
            b'"' => quoted = !quoted,
            b' ' | b',' if !quoted => break,
            _ => {}
        }
        end += 1;
    }
    if end == 0 || quoted {
        return Err(format!("`{text}`: expected a name"));
    }
    let rest = &text[end..];
    Ok((
        text[..end].to_string(),
        rest.strip_prefix(' ').unwrap_or(rest),
    ))
}

#[cfg(test)]
mod tests;
