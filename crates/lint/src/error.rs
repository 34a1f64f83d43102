//! What stops lint before it can report findings: a folder it cannot read or a lock it cannot
//! write. Everything wrong *in* the folder is a finding instead.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The folder is missing or unreadable: the same words migrate uses.
    #[error(transparent)]
    Folder(#[from] authdb_folder::folder::ReadError),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
