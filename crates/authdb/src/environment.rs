//! Settings from the process environment, overlaid on a `.env` file. The file is parsed with
//! dotenvy but never loaded into the process: the library reads settings, it does not change the
//! environment of whoever embeds it. Real environment variables win over the file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The process environment on top of the nearest `.env` file.
#[derive(Debug, Clone, Default)]
pub struct Environment {
    dotenv: HashMap<String, String>,
    dotenv_path: Option<PathBuf>,
}

/// Where a setting was found, for messages: "DATABASE_URL in /app/.env".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    pub value: String,
    pub origin: String,
}

impl Environment {
    /// Reads the first `.env` found in `dir` or its parents, if any.
    pub fn load(dir: &Path) -> Result<Environment> {
        match dir
            .ancestors()
            .map(|d| d.join(".env"))
            .find(|p| p.is_file())
        {
            Some(path) => Environment::from_file(&path),
            None => Ok(Environment::default()),
        }
    }

    /// Reads exactly this `.env` file.
    pub fn from_file(path: &Path) -> Result<Environment> {
        let read_error = |message: String| Error::DotEnvRead {
            path: path.to_path_buf(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| read_error(e.to_string()))?;
        let iter = dotenvy::from_path_iter(path).map_err(|e| read_error(e.to_string()))?;
        let mut dotenv = HashMap::new();
        for item in iter {
            match item {
                Ok((key, value)) => {
                    dotenv.insert(key, value);
                }
                Err(dotenvy::Error::LineParse(line, _)) => {
                    return Err(Error::DotEnvSyntax {
                        path: path.to_path_buf(),
                        line: line_number(&text, &line),
                    });
                }
                // Other errors can quote values, which may be secrets: say only where.
                Err(_) => return Err(read_error("the file is not valid".into())),
            }
        }
        Ok(Environment {
            dotenv,
            dotenv_path: Some(path.to_path_buf()),
        })
    }

    /// The value of `key`, from the process environment if set there, else from `.env`.
    /// An empty value counts as unset.
    pub fn get(&self, key: &str) -> Option<Setting> {
        if let Some(value) = std::env::var(key).ok().filter(|v| !v.is_empty()) {
            return Some(Setting {
                value,
                origin: format!("environment variable {key}"),
            });
        }
        let value = self.dotenv.get(key).filter(|v| !v.is_empty())?;
        let path = self.dotenv_path.as_deref().unwrap_or(Path::new(".env"));
        Some(Setting {
            value: value.clone(),
            origin: format!("{key} in {}", path.display()),
        })
    }

    /// The database URL: the flag, else DATABASE_URL, else NEON_DB_URL (the name the original
    /// Python script used).
    pub fn database_url(&self, flag: Option<&str>) -> Result<Setting> {
        if let Some(value) = flag.filter(|v| !v.is_empty()) {
            return Ok(Setting {
                value: value.to_string(),
                origin: "--database-url".to_string(),
            });
        }
        self.get("DATABASE_URL")
            .or_else(|| self.get("NEON_DB_URL"))
            .ok_or(Error::NoDatabaseUrl)
    }

    /// A yes/no setting: `1`, `true`, `yes` and `on` are yes.
    pub fn flag(&self, key: &str) -> bool {
        self.get(key).is_some_and(|s| {
            matches!(
                s.value.to_ascii_lowercase().as_str(),
                "1" | "true" | "yes" | "on"
            )
        })
    }
}

/// dotenvy reports the offending line's text; find its number in the file.
fn line_number(text: &str, line: &str) -> usize {
    let first = line.lines().next().unwrap_or(line);
    text.lines()
        .position(|l| !first.is_empty() && l.contains(first))
        .map_or(1, |i| i + 1)
}
