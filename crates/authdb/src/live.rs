//! The app versions that may be live while migrate runs, each declared by the SQL it sends: one
//! file per version in a `versions/` folder (`versions/v41.sql`), its statements the version's
//! queries with `$n` parameters. Before each COMMIT of a run, every declared query is prepared
//! in the run's transaction, against the schema as the run leaves it: a query that would fail
//! (a dropped or renamed column, a changed type) refuses the run, which is rolled back, naming
//! the version's file and line and the server's reason. So a contract step cannot land while a
//! version that reads what it removes is still declared; retiring the version is deleting its
//! file. A no-transaction file's own statement commits by itself and is not checked.

use std::path::{Path, PathBuf};

use tokio_postgres::Client;

use crate::error::{Error, ROLLED_BACK, Result, describe};

/// One query of one live version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveQuery {
    /// The file's name without `.sql`: `v41`.
    pub version: String,
    pub path: PathBuf,
    pub line: usize,
    pub sql: String,
}

/// The queries of every `*.sql` file in `dir`, in file then statement order; none when `dir`
/// does not exist.
pub fn load(dir: &Path) -> Result<Vec<LiveQuery>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(Error::Io {
                path: dir.to_path_buf(),
                source,
            });
        }
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|e| e == "sql"))
        .collect();
    files.sort();
    let mut queries = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        let version = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut lines = authdb_folder::position::Lines::new(&text);
        for statement in authdb_folder::sql::statements(&text) {
            let (line, _) = lines.at(statement.range.start);
            queries.push(LiveQuery {
                version: version.clone(),
                path: path.clone(),
                line,
                sql: text[statement.range].trim_end_matches(';').to_string(),
            });
        }
    }
    Ok(queries)
}

/// Prepares every query in the open transaction; the first that fails is the error.
pub(crate) async fn check(client: &Client, queries: &[LiveQuery]) -> Result<()> {
    for query in queries {
        if let Err(error) = client.prepare(&query.sql).await {
            return Err(Error::MigrationFailed {
                location: format!("{}:{}", query.path.display(), query.line),
                message: format!(
                    "app version {} would fail after this run: {}. It is declared live by its \
                     file: keep what it reads until no instance of it runs, then delete {} and \
                     run again",
                    query.version,
                    describe(&error),
                    query.path.display()
                ),
                outcome: ROLLED_BACK.to_string(),
                source: Some(error),
            });
        }
    }
    Ok(())
}
