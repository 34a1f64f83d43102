//! The file-name grammar, the one every command uses: `NNN_snake_case.sql` and its undo
//! `NNN_snake_case.down.sql`, where NNN is at least three digits (so listings sort) and the name is
//! lowercase words of letters and digits joined by single underscores.

use std::fmt;

/// The longest file name, in bytes: NAME_MAX of Linux and macOS file systems, and Windows' limit
/// in UTF-16 units (the same for these ASCII names). A migration made on one system must check
/// out on the others, so it is the limit everywhere.
pub const MAX_FILE_NAME: usize = 255;

/// A migration file's name, split into what it says. Orders by version, the up file first.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileName {
    pub version: i64,
    pub down: bool,
    /// `create_users` in `001_create_users.sql`.
    pub name: String,
    /// How the version is written (`001`): the tracking table and reports use the file stem.
    pub digits: String,
}

impl FileName {
    /// Reads a file name; `Err` says what is wrong with it, for a `.sql` file that is not a
    /// migration name.
    pub fn parse(file_name: &str) -> Result<FileName, &'static str> {
        if file_name.len() > MAX_FILE_NAME {
            return Err(
                "the file name is longer than 255 bytes, the limit of Linux, macOS and Windows file \
                 systems (the down file adds `.down.sql` to the number and name): shorten the name",
            );
        }
        let stem = file_name
            .strip_suffix(".sql")
            .ok_or("a migration ends in .sql (its undo in .down.sql)")?;
        let (stem, down) = match stem.strip_suffix(".down") {
            Some(stem) => (stem, true),
            None => (stem, false),
        };
        let (digits, name) = stem
            .split_once('_')
            .ok_or("the name is a version number, an underscore and a snake_case name")?;
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err("the name starts with a version number, then an underscore");
        }
        if digits.len() < 3 {
            return Err("the version has at least three digits (007, not 7), so that files sort");
        }
        let version: i64 = digits
            .parse()
            .map_err(|_| "the version number is too large")?;
        if version == 0 {
            return Err("versions start at 1 (0 means \"before every migration\")");
        }
        check_name(name)?;
        Ok(FileName {
            version,
            down,
            name: name.to_string(),
            digits: digits.to_string(),
        })
    }

    /// `001_create_users`: what the tracking table records and reports print.
    pub fn stem(&self) -> String {
        format!("{}_{}", self.digits, self.name)
    }

    /// The file name of the other half of the pair.
    pub fn partner(&self) -> String {
        let stem = self.stem();
        if self.down {
            format!("{stem}.sql")
        } else {
            format!("{stem}.down.sql")
        }
    }
}

impl fmt::Display for FileName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let suffix = if self.down { ".down.sql" } else { ".sql" };
        write!(f, "{}{suffix}", self.stem())
    }
}

/// Checks the part after the number, as `cargo xtask new NAME` takes it: lowercase letters and
/// digits in words joined by single underscores (`add_users_2fa`).
pub fn check_name(name: &str) -> Result<(), &'static str> {
    let word = |w: &str| {
        !w.is_empty()
            && w.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    };
    if name.split('_').all(word) {
        Ok(())
    } else {
        Err(
            "the name is lowercase letters and digits, in words joined by single underscores \
             (add_users_display_name)",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn up_and_down_files() {
        let up = FileName::parse("001_create_users.sql").unwrap();
        assert_eq!(
            (up.version, up.down, up.name.as_str()),
            (1, false, "create_users")
        );
        assert_eq!(up.stem(), "001_create_users");
        assert_eq!(up.partner(), "001_create_users.down.sql");
        let down = FileName::parse("1000_add_2fa.down.sql").unwrap();
        assert_eq!((down.version, down.down), (1000, true));
        assert_eq!(down.to_string(), "1000_add_2fa.down.sql");
        assert!(up < FileName::parse("001_create_users.down.sql").unwrap());
    }

    #[test]
    fn every_other_name_is_refused_with_a_reason() {
        for (bad, reason) in [
            ("7_x.sql", "at least three digits"),
            ("01_short.sql", "at least three digits"),
            ("000_zero.sql", "versions start at 1"),
            ("001_CamelCase.sql", "lowercase"),
            ("001-dash.sql", "version number, an underscore"),
            ("001__double.sql", "single underscores"),
            ("001_trailing_.sql", "single underscores"),
            ("001_.sql", "lowercase"),
            ("001.sql", "version number, an underscore"),
            ("abc_name.sql", "starts with a version number"),
            ("001_name.txt", "ends in .sql"),
            ("001_name.SQL", "ends in .sql"),
            ("001_name.up.sql", "lowercase"),
            ("99999999999999999999_overflow.sql", "too large"),
            (
                &format!("001_{}.down.sql", "x".repeat(243)),
                "longer than 255 bytes",
            ),
        ] {
            let error = FileName::parse(bad).unwrap_err();
            assert!(error.contains(reason), "{bad}: {error}");
        }
    }
}
