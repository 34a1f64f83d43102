//! Why a migration that ran could not be recorded. `SET ROLE` inside a migration leaves the run
//! as a role that may not write the tracking table, and the failure read "recording version 9
//! as applied: permission denied", with no file, no line and no word on what was applied. It
//! names the statement that changed the role now, and says what the database holds.

use std::path::Path;

use authdb_folder::{position, sql};

use crate::error::{Error, ROLLED_BACK, describe};
use crate::migrations::Migration;

/// The error for `migration`, whose statements all ran, when its tracking row could not be
/// written. `outcome` is the run's ([`ROLLED_BACK`] unless the runner says otherwise).
pub(crate) fn failed(migration: &Migration, error: tokio_postgres::Error) -> Error {
    let reason = describe(&error);
    let version = migration.version;
    let denied = error.code() == Some(&tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE);
    let (location, message) = match role_change(&migration.path, &migration.sql) {
        Some((location, statement)) if denied => (
            location,
            format!(
                "`{statement}` changes the session's role, and the role it leaves may not write \
                 the tracking table: recording version {version} as applied failed: {reason}. \
                 End the file with RESET ROLE (SET LOCAL ROLE lasts to the end of the run too)"
            ),
        ),
        _ if denied => (
            migration.path.display().to_string(),
            format!(
                "every statement ran, but recording version {version} as applied was refused: \
                 {reason}. The migrating role needs INSERT on public.authdb_schema_migrations: \
                 check what this file grants, revokes or changes owners of"
            ),
        ),
        _ => (
            migration.path.display().to_string(),
            format!(
                "every statement ran, but recording version {version} as applied failed: {reason}"
            ),
        ),
    };
    Error::MigrationFailed {
        location,
        message,
        outcome: ROLLED_BACK.to_string(),
        source: Some(error),
    }
}

/// The error for `migration`, whose statements all ran, when its tracking row was not written
/// and no error said why: a rule on the tracking table swallowed the INSERT.
pub(crate) fn unrecorded(migration: &Migration) -> Error {
    Error::MigrationFailed {
        location: migration.path.display().to_string(),
        message: format!(
            "every statement ran, but recording version {} as applied wrote no row: a rule on \
             public.authdb_schema_migrations changes what authdb writes there, and the history \
             it keeps would not be the truth",
            migration.version
        ),
        outcome: ROLLED_BACK.to_string(),
        source: None,
    }
}

/// The last statement of `sql` that sets the session's role or authorization, as
/// `path:line:col` and its first words.
fn role_change(path: &Path, text: &str) -> Option<(String, String)> {
    first_words(path, text, |words| {
        matches!(
            words,
            ["SET", "ROLE", ..]
                | ["SET", "SESSION" | "LOCAL", "ROLE", ..]
                | ["SET", "SESSION", "AUTHORIZATION", ..]
                | ["SET", "SESSION" | "LOCAL", "SESSION", "AUTHORIZATION"]
        )
    })
}

/// The last statement of `text` whose first words (upper case, up to four) `wanted` accepts, as
/// `path:line:col` and its first 60 characters.
fn first_words(
    path: &Path,
    text: &str,
    wanted: impl Fn(&[&str]) -> bool,
) -> Option<(String, String)> {
    sql::statements(text)
        .filter_map(|statement| {
            let words: Vec<String> = text[statement.range.clone()]
                .split_whitespace()
                .take(4)
                .map(str::to_ascii_uppercase)
                .collect();
            let words: Vec<&str> = words.iter().map(String::as_str).collect();
            wanted(&words).then(|| {
                let (line, col) = position::at_byte(text, statement.range.start);
                let shown: String = text[statement.range.clone()].chars().take(60).collect();
                (format!("{}:{line}:{col}", path.display()), shown)
            })
        })
        .last()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_statement_that_changes_the_role_is_found_in_any_spelling() {
        let path = Path::new("migrations/009_x.sql");
        for (sql, line) in [
            ("CREATE TABLE t (id int);\nset role app;\n", 2),
            ("-- c\nSET  LOCAL\nROLE app;\nSELECT 1;", 2),
            ("SET SESSION AUTHORIZATION app;", 1),
            ("SET ROLE a;\nSELECT 1;\n\nSet Role b;", 4),
        ] {
            let (location, _) = role_change(path, sql).unwrap_or_else(|| panic!("{sql}"));
            assert_eq!(location, format!("migrations/009_x.sql:{line}:1"), "{sql}");
        }
        for sql in [
            "SELECT 'SET ROLE x';",
            "-- SET ROLE x\nSELECT 1;",
            "SET search_path = x;",
        ] {
            assert_eq!(role_change(path, sql), None, "{sql}");
        }
    }
}
