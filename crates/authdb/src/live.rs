//! The app versions that may be live while migrate runs, each declared by the SQL it sends: one
//! file per version in a `versions/` folder (`versions/v41.sql`), its statements the version's
//! queries with `$n` parameters. Before each COMMIT of a run, every declared query is prepared
//! in the run's transaction, against the schema as the run leaves it: a query that would fail
//! (a dropped or renamed column, a changed type) refuses the run, which is rolled back, naming
//! the version's file and line and the server's reason. So a contract step cannot land while a
//! version that reads what it removes is still declared; retiring the version is deleting its
//! file. A no-transaction file's own statement commits by itself and is not checked.
//!
//! `rehearse` also plays each version's queries under load. A query with `$n` parameters says
//! where their values come from in a comment above it, `-- authdb:args user.email new.token`,
//! one [`Arg`] per parameter in order; one that does not is prepared, never played.

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
    /// Its parameters' values when rehearse plays it (`-- authdb:args`); `None`: prepared only,
    /// unless it has no parameters.
    pub args: Option<Vec<Arg>>,
}

/// Where a played query's parameter comes from: the accounts the rehearsal's probe acts as, or a
/// fresh value per query (so an INSERT never collides with itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Arg {
    /// `user.id`: an account's id (uuid).
    UserId,
    /// `user.email`: its address, lowercased, as the app looks it up.
    UserEmail,
    /// `session.token`: one of its session tokens.
    SessionToken,
    /// `new.email`: an address nobody has.
    NewEmail,
    /// `new.token`: a token nobody has.
    NewToken,
    /// `now`: the current time (timestamptz).
    Now,
}

impl Arg {
    const NAMES: [(&'static str, Arg); 6] = [
        ("user.id", Arg::UserId),
        ("user.email", Arg::UserEmail),
        ("session.token", Arg::SessionToken),
        ("new.email", Arg::NewEmail),
        ("new.token", Arg::NewToken),
        ("now", Arg::Now),
    ];
}

/// The directive above a statement that gives its parameters' values.
const ARGS: &str = "-- authdb:args";

/// The `-- authdb:args` of a statement's leading comments, checked against its `$n`.
fn args(comments: &str, sql: &str) -> std::result::Result<Option<Vec<Arg>>, String> {
    let Some(line) = comments.lines().find_map(|l| l.trim().strip_prefix(ARGS)) else {
        return Ok(None);
    };
    let mut args = Vec::new();
    for word in line.split([' ', ',']).filter(|w| !w.is_empty()) {
        let arg = Arg::NAMES
            .iter()
            .find(|(name, _)| *name == word)
            .map(|(_, arg)| *arg)
            .ok_or_else(|| {
                let known: Vec<&str> = Arg::NAMES.iter().map(|(name, _)| *name).collect();
                format!(
                    "{ARGS}: unknown value {word:?}; one of {}",
                    known.join(", ")
                )
            })?;
        args.push(arg);
    }
    let parameters = parameters(sql);
    if parameters != args.len() {
        return Err(format!(
            "{ARGS} gives {} values and the query takes {parameters} parameters",
            args.len()
        ));
    }
    Ok(Some(args))
}

/// The highest `$n` in `sql`: how many parameters it takes.
pub(crate) fn parameters(sql: &str) -> usize {
    let bytes = sql.as_bytes();
    let mut highest = 0;
    for (i, _) in sql.match_indices('$') {
        let digits: String = bytes[i + 1..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .map(|&b| b as char)
            .collect();
        if let Ok(n) = digits.parse::<usize>() {
            highest = highest.max(n);
        }
    }
    highest
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
            let sql = text[statement.range.clone()]
                .trim_end_matches(';')
                .to_string();
            let comments = &text[statement.span.start..statement.range.start];
            let args = args(comments, &sql).map_err(|reason| Error::LiveArgs {
                location: format!("{}:{line}", path.display()),
                reason,
            })?;
            queries.push(LiveQuery {
                version: version.clone(),
                path: path.clone(),
                line,
                sql,
                args,
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
