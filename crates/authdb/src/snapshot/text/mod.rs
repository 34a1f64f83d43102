//! The committed text form of a snapshot, `migrations/schema.snapshot`: meant to be read in a
//! code review. One object per block, its properties indented under it, sorted; definitions as
//! PostgreSQL prints them; bodies and view queries verbatim behind a `|` margin; free text
//! (comments, enum labels) as JSON strings. Every other free-text field is the last thing on its
//! line, so the file parses back (`parse/`) without quoting. What is at its default is not
//! written: an option, an owner that is the migrator (`$migrator`), privileges that are the
//! kind's defaults; so most tables read as their columns and keys only.
//!
//! ```text
//! version 6
//!
//! schema public
//!   owner pg_database_owner
//!
//! table sessions, unlogged
//!   with fillfactor=70
//!   grant app_reader SELECT
//!   column expires_at timestamp with time zone, not null
//!   constraint sessions_user_id_fkey FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE
//!   index sessions_expires_at_idx btree (expires_at)
//!   trigger sessions_set_updated_at enabled BEFORE UPDATE ON sessions FOR EACH ROW EXECUTE FUNCTION f()
//!   policy own_rows for select to app_reader
//!     using (user_id = current_setting('app.user')::uuid)
//! ```

mod objects;
mod relation;

use std::fmt::Write;

use super::Snapshot;
use super::privileges::{GrantKind, MIGRATOR, Privileged, default_grants};

const HEADER: &str = "\
# The schema the migrations in this folder create, as `cargo xtask snapshot` read it from a
# freshly migrated PostgreSQL. Generated: do not edit, run `cargo xtask snapshot` after adding a
# migration. `cargo xtask verify` compares a database with it; a test keeps it current.
";

/// The left margin of a body's or a view query's lines, which keeps their own indentation.
pub(super) const BODY_MARGIN: &str = "    |";

pub(super) use relation::{
    FORCE_ROW_LEVEL_SECURITY, ROW_LEVEL_SECURITY, STATES, UNLOGGED, table_flags,
};

/// Introduces the held boundaries, after the folder's head.
const HELD: &str = "
# At each held boundary: the schema a database has when `cargo xtask migrate` stopped before a
# contract step, which `cargo xtask verify` compares it with during a rollout.
";

pub(super) fn render(snapshot: &Snapshot) -> String {
    let mut out = String::from(HEADER);
    let version = snapshot.version.map_or("none".into(), |v| v.to_string());
    let _ = writeln!(out, "version {version}");
    render_objects(&mut out, snapshot);
    for (version, held) in &snapshot.held {
        out.push_str(HELD);
        let _ = writeln!(out, "{}{version}", super::parse::BOUNDARY);
        render_objects(&mut out, held);
    }
    out
}

fn render_objects(out: &mut String, snapshot: &Snapshot) {
    objects::render_schemas(out, snapshot);
    objects::render_extensions(out, snapshot);
    objects::render_default_privileges(out, snapshot);
    objects::render_types(out, snapshot);
    objects::render_sequences(out, snapshot);
    for (signature, function) in &snapshot.functions {
        objects::render_function(out, signature, function);
    }
    for (name, table) in &snapshot.tables {
        relation::render_table(out, table.kind.word(), name, table);
    }
    objects::render_others(out, snapshot);
    if let Some(tracking) = &snapshot.tracking {
        relation::render_table(out, "tracking table", &tracking_name(), tracking);
    }
}

/// The tracking table's name as the snapshot writes it.
pub(super) fn tracking_name() -> String {
    crate::tracking::QUALIFIED.to_string()
}

/// Owner, privileges and comment, each only when it is not what the kind has by default.
pub(super) fn render_privileged(out: &mut String, privileged: &Privileged, kind: GrantKind) {
    if privileged.owner != MIGRATOR {
        let _ = writeln!(out, "  owner {}", privileged.owner);
    }
    render_grants(out, "", &privileged.grants, &default_grants(kind));
    render_comment(out, "", &privileged.comment);
}

/// `grant GRANTEE PRIVILEGES` lines (after `prefix`, such as `on column email `), unless the
/// grants are `default`; `no grants` when there are none where the default has some.
pub(super) fn render_grants(
    out: &mut String,
    prefix: &str,
    grants: &super::Grants,
    default: &super::Grants,
) {
    if grants == default {
        return;
    }
    if grants.is_empty() {
        out.push_str("  no grants\n");
        return;
    }
    for (grantee, privileges) in grants {
        let _ = writeln!(out, "  grant {prefix}{grantee} {privileges}");
    }
}

/// `comment "TEXT"` (after `prefix`, such as `on column email `), when there is one.
pub(super) fn render_comment(out: &mut String, prefix: &str, comment: &Option<String>) {
    if let Some(comment) = comment {
        let _ = writeln!(out, "  comment {prefix}{}", quoted(comment));
    }
}

/// Free text as one JSON string: quotes, backslashes and line breaks escaped, so it stays on
/// its line and reads back exactly.
pub(super) fn quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_default()
}

/// Lines behind the margin, as a body or a view's query is written.
pub(super) fn render_margin(out: &mut String, text: &str) {
    for line in text.split('\n') {
        out.push_str(BODY_MARGIN);
        if !line.is_empty() {
            let _ = write!(out, " {line}");
        }
        out.push('\n');
    }
}

/// A name as one token: bare when it is one already, else double-quoted as in SQL.
pub(super) fn name(name: &str) -> String {
    let plain = !name.is_empty()
        && !name.starts_with('"')
        && !name.contains(|c: char| c.is_whitespace() || c == ',');
    if plain {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}
