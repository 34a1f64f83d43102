//! `cargo xtask snapshot`: migrate a throwaway PostgreSQL in a container and write what the
//! migrations created to `migrations/schema.snapshot`, the file `verify` and `baseline` compare
//! databases with, and its picture to `migrations/schema.md`. `--check` only says whether both
//! committed files are current.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use authdb::snapshot::{Difference, PICTURE_FILE, SNAPSHOT_FILE, diff};
use authdb::{Migrations, Snapshot};
use serde::Serialize;
use serde_json::json;
use xshell::Shell;

use authdb_server::Docker;

use crate::cli;

/// How a committed file compares with what the migrations create now.
#[derive(Debug, Serialize)]
#[serde(rename_all = "snake_case")]
enum State {
    Current,
    Stale,
    Missing,
}

/// What `--check` found in the committed snapshot.
#[derive(Debug, Serialize)]
struct SnapshotCheck {
    path: PathBuf,
    state: State,
    /// The version the file says, when it differs from the migrations'.
    #[serde(skip_serializing_if = "Option::is_none")]
    file_version: Option<Option<i64>>,
    differences: Vec<Difference>,
    /// How the held boundaries (before each contract step) depart from the file's, one line
    /// each.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    held: Vec<String>,
}

impl cli::Snapshot {
    pub fn run(self, sh: &Shell) -> Result<ExitCode> {
        let dir = crate::migrations_dir(self.migrations.as_deref());
        let migrations = Migrations::load(&dir)?;
        let docker = Docker::connect(sh)?;
        // With --json, stdout holds the one JSON object: progress goes to stderr.
        let json = self.json;
        let mut say = |line: &str| {
            if json {
                errln!("{line}")
            } else {
                outln!("{line}")
            }
        };
        let server = authdb_server::throwaway(&docker, "snapshot", &mut say)?;
        let image = server.image.clone();
        let (fresh, server_version) = crate::block_on(async {
            let (_, mut connection) = server.connect("postgres").await?;
            // Each held boundary on the way up, then the head.
            let mut held = std::collections::BTreeMap::new();
            for boundary in migrations.held_boundaries() {
                let to_boundary = authdb::MigrateOptions {
                    up_to: Some(boundary),
                    ..Default::default()
                };
                connection.migrate(&migrations, &to_boundary).await?;
                held.insert(
                    boundary,
                    Snapshot::capture_migrated(&connection.client).await?,
                );
            }
            connection.migrate(&migrations, &Default::default()).await?;
            let snapshot = Snapshot {
                held,
                ..Snapshot::capture_migrated(&connection.client).await?
            };
            anyhow::Ok((snapshot, connection.server_version))
        })?;
        drop(server);

        let path = dir.join(SNAPSHOT_FILE);
        let picture_path = dir.join(PICTURE_FILE);
        let text = fresh.to_text();
        let picture = fresh.to_picture();
        let about = json!({
            "folder": migrations.dir,
            "version": fresh.version,
            "tables": fresh.tables.len(),
            "functions": fresh.functions.len(),
            "server_version": server_version,
            "image": image,
        });
        if self.check {
            let committed = Snapshot::load(&dir)?;
            let snapshot = if committed.to_text() == text {
                SnapshotCheck {
                    path: SNAPSHOT_FILE.into(),
                    state: State::Current,
                    file_version: None,
                    differences: Vec::new(),
                    held: Vec::new(),
                }
            } else {
                SnapshotCheck {
                    path: SNAPSHOT_FILE.into(),
                    state: State::Stale,
                    file_version: (committed.version != fresh.version).then_some(committed.version),
                    differences: diff(&committed, &fresh),
                    held: held_differences(&committed, &fresh),
                }
            };
            let picture_state = match read_if_there(&picture_path)? {
                Some(committed) if committed == picture => State::Current,
                Some(_) => State::Stale,
                None => State::Missing,
            };
            let current =
                matches!(snapshot.state, State::Current) && matches!(picture_state, State::Current);
            if self.json {
                let mut body = about;
                body["ok"] = current.into();
                body["snapshot"] = serde_json::to_value(&snapshot)?;
                body["picture"] = json!({"path": PICTURE_FILE, "state": picture_state});
                outln!("{body:#}");
            } else {
                print_check(&path, &picture_path, &snapshot, &picture_state, &fresh);
            }
            return Ok(if current {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            });
        }
        std::fs::write(&path, &text).with_context(|| format!("writing {}", path.display()))?;
        std::fs::write(&picture_path, &picture)
            .with_context(|| format!("writing {}", picture_path.display()))?;
        if self.json {
            let mut body = about;
            body["ok"] = true.into();
            body["written"] = json!([SNAPSHOT_FILE, PICTURE_FILE]);
            outln!("{body:#}");
        } else {
            outln!(
                "wrote {} and {} (version {}: {}, {}) from PostgreSQL {server_version} ({image})",
                path.display(),
                picture_path.display(),
                version(fresh.version),
                count(fresh.tables.len(), "table"),
                count(fresh.functions.len(), "function")
            );
        }
        Ok(ExitCode::SUCCESS)
    }
}

fn print_check(
    path: &Path,
    picture_path: &Path,
    snapshot: &SnapshotCheck,
    picture: &State,
    fresh: &Snapshot,
) {
    if let (State::Current, State::Current) = (&snapshot.state, picture) {
        outln!(
            "{} and {} are up to date",
            path.display(),
            picture_path.display()
        );
        return;
    }
    if let State::Stale = snapshot.state {
        outln!(
            "{} is out of date: run `cargo xtask snapshot` and commit it. What the migrations \
             create now, compared with the file:",
            path.display()
        );
        if let Some(file_version) = snapshot.file_version {
            outln!(
                "version: {}, the file says {}",
                version(fresh.version),
                version(file_version)
            );
        }
        for difference in &snapshot.differences {
            outln!("{difference}");
        }
        for line in &snapshot.held {
            outln!("{line}");
        }
    }
    let state = match picture {
        State::Current => return,
        State::Stale => "is out of date",
        State::Missing => "is missing",
    };
    outln!(
        "{} {state}: run `cargo xtask snapshot` and commit it",
        picture_path.display()
    );
}

/// Each held boundary the file lacks, has in excess, or describes otherwise.
fn held_differences(committed: &Snapshot, fresh: &Snapshot) -> Vec<String> {
    let boundaries: std::collections::BTreeSet<i64> = committed
        .held
        .keys()
        .chain(fresh.held.keys())
        .copied()
        .collect();
    let mut lines = Vec::new();
    for boundary in boundaries {
        match (committed.held.get(&boundary), fresh.held.get(&boundary)) {
            (None, Some(_)) => lines.push(format!(
                "boundary {boundary} (before a contract step): missing from the file"
            )),
            (Some(_), None) => lines.push(format!(
                "boundary {boundary}: in the file, but no contract step follows that version now"
            )),
            (Some(old), Some(new)) => lines.extend(
                diff(old, new)
                    .iter()
                    .map(|d| format!("at boundary {boundary}: {d}")),
            ),
            (None, None) => {}
        }
    }
    lines
}

/// The file's text with CRLF read as LF (a Windows checkout is not a change), or none.
fn read_if_there(path: &Path) -> Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text.replace("\r\n", "\n"))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

fn version(v: Option<i64>) -> String {
    crate::human::version(v)
}

fn count(n: usize, noun: &str) -> String {
    let plural = if n == 1 { "" } else { "s" };
    format!("{n} {noun}{plural}")
}
