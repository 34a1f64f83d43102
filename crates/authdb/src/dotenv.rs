//! Reading a `.env` file with dotenvy's syntax (quotes, values over several lines, `export`,
//! comments, `${VAR}`), and, when a line is wrong, finding its number exactly. dotenvy reports
//! the offending text, not where it is, and its text is never repeated here: it may hold a secret.

use std::collections::HashMap;
use std::path::Path;

use crate::error::{Error, Result};

/// Every setting of the file; a key set twice keeps its last value.
pub(crate) fn read(path: &Path) -> Result<HashMap<String, String>> {
    let unreadable = |message: String| Error::DotEnvRead {
        path: path.to_path_buf(),
        message,
    };
    // Not a regular file: a directory cannot be read, and a pipe would be read for ever.
    let kind = match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() => None,
        Ok(meta) if meta.is_dir() => Some("it is a directory, not a file"),
        Ok(_) => Some("it is not a regular file (a pipe, a socket or a device)"),
        Err(_) if path.symlink_metadata().is_ok() => Some("it is a link to nothing"),
        Err(_) => None,
    };
    if let Some(kind) = kind {
        return Err(unreadable(format!(
            "{kind}; move it out of the way, or give the database URL with --database-url"
        )));
    }
    let text = std::fs::read_to_string(path).map_err(|e| unreadable(e.to_string()))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut settings = HashMap::new();
    for item in dotenvy::from_read_iter(text.as_bytes()) {
        match item {
            Ok((key, value)) => {
                settings.insert(key, value);
            }
            Err(_) => {
                return Err(match locate(text) {
                    Some((line, reason)) => Error::DotEnvSyntax {
                        path: path.to_path_buf(),
                        line,
                        reason: reason.to_string(),
                    },
                    None => unreadable("dotenvy cannot read it".into()),
                });
            }
        }
    }
    Ok(settings)
}

/// The first bad line: the file is fed to dotenvy a line at a time, and a line that only
/// continues a quoted value is added to the one that opened it, so a value over several lines
/// counts from its first line.
fn locate(text: &str) -> Option<(usize, &'static str)> {
    let mut entry = String::new();
    let mut first_line = 1;
    for (index, line) in text.split_inclusive('\n').enumerate() {
        if entry.is_empty() {
            first_line = index + 1;
        }
        entry.push_str(line.strip_suffix('\n').unwrap_or(line));
        entry.push('\n');
        match check(&entry) {
            Entry::Complete => entry.clear(),
            Entry::Open => {}
            Entry::Wrong => return Some((first_line, "expected KEY=value")),
        }
    }
    (!entry.is_empty()).then_some((
        first_line,
        "a quoted value starts on this line and is never closed",
    ))
}

enum Entry {
    Complete,
    /// A quote is still open: the next line belongs to this entry.
    Open,
    Wrong,
}

/// dotenvy's verdict on one entry (which ends with a newline). At the end of its input with a
/// quote open, dotenvy returns the whole input unchanged; a line it cannot parse comes back
/// without its newline, so the two cannot be confused.
fn check(entry: &str) -> Entry {
    for item in dotenvy::from_read_iter(entry.as_bytes()) {
        match item {
            Ok(_) => {}
            Err(dotenvy::Error::LineParse(text, _)) if text == entry => return Entry::Open,
            Err(_) => return Entry::Wrong,
        }
    }
    Entry::Complete
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line_of(text: &str) -> Option<(usize, &'static str)> {
        locate(text)
    }

    #[test]
    fn a_bad_line_is_found_by_its_own_number() {
        assert_eq!(line_of("A=1\nB=2\n"), None);
        assert_eq!(
            line_of("A=1\nnot a setting\nB=2\n"),
            Some((2, "expected KEY=value"))
        );
        // The same bad text inside an earlier quoted value does not count.
        let text = "A=\"first\nnot a setting\n\"\n# comment\n\nnot a setting\n";
        assert_eq!(line_of(text), Some((6, "expected KEY=value")));
        // CRLF, a last line without a newline, `export`, single quotes over lines.
        let text = "export A=1\r\nB='x\r\ny'\r\nC=\"unclosed\r\nD=4";
        assert_eq!(
            line_of(text),
            Some((4, "a quoted value starts on this line and is never closed"))
        );
        assert_eq!(
            line_of("A=1\nB = \"two\nlines\" # ok\n=3\n"),
            Some((4, "expected KEY=value"))
        );
    }
}
