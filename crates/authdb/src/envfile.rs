//! Adding a setting to a `.env` file without disturbing it: every existing line is kept byte for
//! byte, a missing final newline is supplied (so the new line never glues onto the last one), the
//! file's line ending is followed, an existing key is never touched, and the new file replaces the
//! old in one rename, so an interrupted write leaves the old file whole.

use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};

/// What [`add`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Added {
    /// The line was appended (the file was created if there was none).
    Written,
    /// The key is already set in the file: nothing was changed.
    AlreadySet,
}

/// Appends `key=value` to the `.env` file at `path` unless the key is already set there.
pub fn add(path: &Path, key: &str, value: &str) -> Result<Added> {
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let existing = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(io(e)),
    };
    if sets(&existing, key) {
        return Ok(Added::AlreadySet);
    }
    let crlf = existing.windows(2).any(|w| w == b"\r\n");
    let newline: &[u8] = if crlf { b"\r\n" } else { b"\n" };
    let mut text = existing.clone();
    if !text.is_empty() && !text.ends_with(b"\n") {
        text.extend_from_slice(newline);
    }
    text.extend_from_slice(format!("{key}={}", quoted(value)).as_bytes());
    text.extend_from_slice(newline);

    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or(".env");
    let temporary = dir.join(format!(".{name}.authdb-{}.tmp", std::process::id()));
    let written = (|| {
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(&text)?;
        file.sync_all()?;
        if let Ok(metadata) = std::fs::metadata(path) {
            std::fs::set_permissions(&temporary, metadata.permissions())?;
        }
        std::fs::rename(&temporary, path)
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temporary);
        return Err(io(e));
    }
    Ok(Added::Written)
}

/// Whether a line of the file sets `key` (as `KEY=...` or `export KEY=...`, any spacing).
fn sets(text: &[u8], key: &str) -> bool {
    String::from_utf8_lossy(text).lines().any(|line| {
        let line = line.trim_start();
        let line = line.strip_prefix("export ").map_or(line, str::trim_start);
        line.strip_prefix(key)
            .is_some_and(|rest| rest.trim_start().starts_with('='))
    })
}

/// The value, single-quoted when it holds anything a `.env` parser would read differently.
fn quoted(value: &str) -> String {
    let plain = value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "@:/._-+?=&%,".contains(c));
    if plain || value.contains('\'') {
        value.to_string()
    } else {
        format!("'{value}'")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "postgres://postgres:authdb-dev@127.0.0.1:54329/authdb";

    fn after(before: &[u8]) -> (Added, Vec<u8>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".env");
        std::fs::write(&path, before).unwrap();
        let added = add(&path, "DATABASE_URL", URL).unwrap();
        (added, std::fs::read(&path).unwrap())
    }

    #[test]
    fn a_file_without_a_final_newline_gets_one_before_the_new_line() {
        let (added, text) = after(b"SECRET_KEY=abc123");
        assert_eq!(added, Added::Written);
        assert_eq!(
            text,
            format!("SECRET_KEY=abc123\nDATABASE_URL={URL}\n").as_bytes()
        );
        let parsed: Vec<(String, String)> = dotenvy::from_read_iter(&text[..])
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(parsed[1], ("DATABASE_URL".to_string(), URL.to_string()));
    }

    #[test]
    fn every_existing_byte_is_kept_and_crlf_files_stay_crlf() {
        let before = b"# comment\r\nexport A=\"quoted value\"\r\nB='single'\r\n\r\n";
        let (_, text) = after(before);
        assert!(text.starts_with(before));
        assert_eq!(
            &text[before.len()..],
            format!("DATABASE_URL={URL}\r\n").as_bytes()
        );
    }

    #[test]
    fn an_existing_key_is_never_touched() {
        for before in [
            &b"DATABASE_URL=postgres://prod/db\n"[..],
            b"export DATABASE_URL = 'x'",
            b"  DATABASE_URL=",
        ] {
            let (added, text) = after(before);
            assert_eq!(
                added,
                Added::AlreadySet,
                "{}",
                String::from_utf8_lossy(before)
            );
            assert_eq!(text, before);
        }
        // A key that merely starts the same way is another key.
        let (added, _) = after(b"DATABASE_URL_OLD=x\n");
        assert_eq!(added, Added::Written);
    }

    #[test]
    fn a_missing_file_is_created_and_no_temporary_file_is_left() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".env");
        assert_eq!(add(&path, "DATABASE_URL", URL).unwrap(), Added::Written);
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            format!("DATABASE_URL={URL}\n")
        );
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, [".env"]);
    }
}
