//! The naming convention of migration files: `NNN_snake_case.sql` and its undo
//! `NNN_snake_case.down.sql`. Stricter than migrate, which accepts any digits and underscores:
//! at least three digits so that listings sort, and no empty words in the name.

/// A migration file's name, split into what it says.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct MigrationName {
    pub version: i64,
    /// Up files sort before their down file.
    pub down: bool,
    /// `create_users` in `001_create_users.sql`.
    pub name: String,
}

impl MigrationName {
    pub fn parse(file_name: &str) -> Option<MigrationName> {
        let stem = file_name.strip_suffix(".sql")?;
        let (stem, down) = match stem.strip_suffix(".down") {
            Some(stem) => (stem, true),
            None => (stem, false),
        };
        let (digits, name) = stem.split_once('_')?;
        if digits.len() < 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let word = |w: &str| {
            !w.is_empty()
                && w.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        };
        if !name.split('_').all(word) {
            return None;
        }
        Some(MigrationName {
            version: digits.parse().ok()?,
            down,
            name: name.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_up_and_down_files() {
        let up = MigrationName::parse("001_create_users.sql").unwrap();
        assert_eq!(
            (up.version, up.down, up.name.as_str()),
            (1, false, "create_users")
        );
        let down = MigrationName::parse("1000_add_2fa.down.sql").unwrap();
        assert_eq!(
            (down.version, down.down, down.name.as_str()),
            (1000, true, "add_2fa")
        );
        assert!(up < MigrationName::parse("001_create_users.down.sql").unwrap());
    }

    #[test]
    fn refuses_other_names() {
        for bad in [
            "01_short.sql",
            "001_CamelCase.sql",
            "001-dash.sql",
            "001__double.sql",
            "001_trailing_.sql",
            "001_.sql",
            "001.sql",
            "abc_name.sql",
            "001_name.txt",
            "001_name.up.sql",
            "99999999999999999999_overflow.sql",
        ] {
            assert_eq!(MigrationName::parse(bad), None, "{bad}");
        }
    }
}
