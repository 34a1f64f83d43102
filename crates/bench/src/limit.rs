//! The one-message limit: what the server needs to apply a folder's SQL when it is sent in as
//! few messages as its transactions allow (each group of ordinary files as one simple-query
//! message wrapped in BEGIN and COMMIT, each no-transaction file alone), by a process that
//! connects and does nothing else: no lock, no history, no tracking rows, no error positions.
//! No migrator can be faster and keep its promises; `authdb-bench one-message DIR` is that
//! process, so that both sides of the comparison pay a process start and a connection.

use std::path::Path;

use anyhow::{Context, Result};
use tokio_postgres::NoTls;

/// What separates two files in one message: a file may end in a comment without a newline.
const SEPARATOR: &str = "\n;\n";

/// Applies `dir`'s up files to the database at `url` (read from the environment by the caller,
/// so the password is not on a command line).
pub async fn apply(url: &str, dir: &Path) -> Result<()> {
    let migrations = authdb::Migrations::load(dir)?;
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .context("connecting")?;
    tokio::spawn(connection);
    let mut group = String::new();
    for migration in &migrations.list {
        if migration.no_transaction {
            flush(&client, &mut group).await?;
            client
                .batch_execute(&migration.sql)
                .await
                .with_context(|| migration.path.display().to_string())?;
        } else {
            if group.is_empty() {
                group.push_str("BEGIN");
            }
            group.push_str(SEPARATOR);
            group.push_str(&migration.sql);
        }
    }
    flush(&client, &mut group).await
}

/// Sends the open group, if any, with its COMMIT, as one message.
async fn flush(client: &tokio_postgres::Client, group: &mut String) -> Result<()> {
    if group.is_empty() {
        return Ok(());
    }
    group.push_str(SEPARATOR);
    group.push_str("COMMIT");
    client.batch_execute(group).await.context("a group")?;
    group.clear();
    Ok(())
}
