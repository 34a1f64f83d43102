//! Settings from the process environment, overlaid on a `.env` file. The file is parsed with
//! dotenvy but never loaded into the process: the library reads settings, it does not change the
//! environment of whoever embeds it. Real environment variables win over the file, and the file
//! is read only when a setting is needed that the environment does not have: an explicit
//! `--database-url` never reads it, so a broken line in an unrelated `.env` cannot get in its way.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::error::{Error, Result};

/// The process environment on top of the nearest `.env` file, which is read on first need.
#[derive(Debug, Default)]
pub struct Environment {
    /// Where to look for `.env`: this directory, then its parents. `None`: no file.
    dir: Option<PathBuf>,
    dotenv: OnceLock<DotEnv>,
}

#[derive(Debug, Default)]
struct DotEnv {
    settings: HashMap<String, String>,
    path: Option<PathBuf>,
}

/// Where a setting was found, for messages: "DATABASE_URL in /app/.env".
#[derive(Clone, PartialEq, Eq)]
pub struct Setting {
    pub value: String,
    pub origin: String,
}

impl fmt::Debug for Setting {
    /// The value is a database URL more often than not: shown redacted, like everywhere else.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Setting")
            .field("value", &crate::redact::redact(&self.value))
            .field("origin", &self.origin)
            .finish()
    }
}

impl Environment {
    /// The environment, with the first `.env` in `dir` or its parents behind it. Nothing is read
    /// yet.
    pub fn load(dir: &Path) -> Environment {
        Environment {
            dir: Some(dir.to_path_buf()),
            dotenv: OnceLock::new(),
        }
    }

    /// Reads exactly this `.env` file, now.
    pub fn from_file(path: &Path) -> Result<Environment> {
        let dotenv = DotEnv {
            settings: crate::dotenv::read(path)?,
            path: Some(path.to_path_buf()),
        };
        Ok(Environment {
            dir: None,
            dotenv: OnceLock::from(dotenv),
        })
    }

    /// The value of `key`, from the process environment if set there, else from `.env` (read
    /// now if it was not yet). An empty value counts as unset.
    pub fn get(&self, key: &str) -> Result<Option<Setting>> {
        if let Some(value) = std::env::var(key).ok().filter(|v| !v.is_empty()) {
            return Ok(Some(Setting {
                value,
                origin: format!("environment variable {key}"),
            }));
        }
        let dotenv = self.dotenv()?;
        let Some(value) = dotenv.settings.get(key).filter(|v| !v.is_empty()) else {
            return Ok(None);
        };
        let path = dotenv.path.as_deref().unwrap_or(Path::new(".env"));
        Ok(Some(Setting {
            value: value.clone(),
            origin: format!("{key} in {}", path.display()),
        }))
    }

    fn dotenv(&self) -> Result<&DotEnv> {
        if let Some(dotenv) = self.dotenv.get() {
            return Ok(dotenv);
        }
        // The nearest `.env` that is there in any form: a directory, a pipe or a dangling link
        // named `.env` is an error naming it, never skipped for a parent's file.
        let path = self.dir.as_deref().and_then(|dir| {
            dir.ancestors()
                .map(|d| d.join(".env"))
                .find(|p| p.symlink_metadata().is_ok())
        });
        let dotenv = match path {
            Some(path) => DotEnv {
                settings: crate::dotenv::read(&path)?,
                path: Some(path),
            },
            None => DotEnv::default(),
        };
        Ok(self.dotenv.get_or_init(|| dotenv))
    }

    /// The database URL: the flag, else DATABASE_URL, else NEON_DB_URL (the name the original
    /// Python script used). A flag given empty is an error, never a reason to look elsewhere:
    /// the fallback could be production.
    pub fn database_url(&self, flag: Option<&str>) -> Result<Setting> {
        if let Some(value) = flag {
            let origin = "--database-url".to_string();
            if value.trim().is_empty() {
                return Err(Error::EmptyDatabaseUrl { origin });
            }
            return Ok(Setting {
                value: value.to_string(),
                origin,
            });
        }
        match self.get("DATABASE_URL")? {
            Some(url) => Ok(url),
            None => self.get("NEON_DB_URL")?.ok_or(Error::NoDatabaseUrl),
        }
    }

    /// A yes/no setting: `1`, `true`, `yes` and `on` are yes.
    pub fn flag(&self, key: &str) -> Result<bool> {
        Ok(self.get(key)?.is_some_and(|s| {
            matches!(
                s.value.to_ascii_lowercase().as_str(),
                "1" | "true" | "yes" | "on"
            )
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_explicit_url_never_reads_the_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".env"), "this line is broken\n").unwrap();
        let env = Environment::load(dir.path());
        let url = env.database_url(Some("postgres://h/db")).unwrap();
        assert_eq!(url.origin, "--database-url");
        // A setting the process environment lacks does read it, and names the line.
        let message = env.get("AUTHDB_NO_SUCH_SETTING").unwrap_err().to_string();
        assert!(
            message
                .ends_with(".env:1: cannot parse this line of the .env file: expected KEY=value"),
            "{message}"
        );
    }

    /// A `.env` directory was skipped in silence (and a parent's file read instead); a pipe
    /// would have been read for ever.
    #[test]
    fn a_dotenv_that_is_not_a_file_is_an_error_naming_it() {
        let parent = tempfile::tempdir().unwrap();
        std::fs::write(
            parent.path().join(".env"),
            "DATABASE_URL=postgres://parent/db\n",
        )
        .unwrap();
        let dir = parent.path().join("project");
        std::fs::create_dir_all(dir.join(".env")).unwrap();
        let message = Environment::load(&dir)
            .database_url(None)
            .unwrap_err()
            .to_string();
        let path = dir.join(".env");
        assert_eq!(
            message,
            format!(
                "{}: cannot read the .env file: it is a directory, not a file; move it out of the \
                 way, or give the database URL with --database-url",
                path.display()
            )
        );
        std::fs::remove_dir(&path).unwrap();
        std::os::unix::fs::symlink(dir.join("nowhere"), &path).unwrap();
        let message = Environment::load(&dir).get("X").unwrap_err().to_string();
        assert!(message.contains("it is a link to nothing"), "{message}");
        std::fs::remove_file(&path).unwrap();
        let fifo = std::process::Command::new("mkfifo")
            .arg(&path)
            .status()
            .unwrap();
        assert!(fifo.success());
        let message = Environment::load(&dir).get("X").unwrap_err().to_string();
        assert!(message.contains("it is not a regular file"), "{message}");
    }

    #[test]
    fn an_empty_flag_is_an_error_not_a_fallback() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".env"), "DATABASE_URL=postgres://prod/db\n").unwrap();
        let env = Environment::load(dir.path());
        for empty in ["", "  "] {
            let message = env.database_url(Some(empty)).unwrap_err().to_string();
            assert!(message.starts_with("--database-url is empty"), "{message}");
        }
    }

    #[test]
    fn the_debug_form_of_a_setting_hides_the_password() {
        let setting = Setting {
            value: "postgres://u:hunter2@h/db".into(),
            origin: "test".into(),
        };
        let debug = format!("{setting:?}");
        assert!(
            !debug.contains("hunter2") && debug.contains("u:***@h"),
            "{debug}"
        );
    }
}
