//! PostgreSQL's table lock modes, in the order of their strength, so that a report can say which
//! lock a migration took on each table and a reader can tell a brief `SHARE UPDATE EXCLUSIVE`
//! (reads and writes go on) from an `ACCESS EXCLUSIVE` (nothing goes on).

use std::fmt;

use serde::{Serialize, Serializer};

/// As `pg_locks.mode` names them, weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LockMode {
    AccessShare,
    RowShare,
    RowExclusive,
    ShareUpdateExclusive,
    Share,
    ShareRowExclusive,
    Exclusive,
    AccessExclusive,
}

impl LockMode {
    /// `pg_locks.mode` (`AccessExclusiveLock`); `None` for a mode that is not a table lock's.
    pub fn parse(mode: &str) -> Option<LockMode> {
        Some(match mode {
            "AccessShareLock" => LockMode::AccessShare,
            "RowShareLock" => LockMode::RowShare,
            "RowExclusiveLock" => LockMode::RowExclusive,
            "ShareUpdateExclusiveLock" => LockMode::ShareUpdateExclusive,
            "ShareLock" => LockMode::Share,
            "ShareRowExclusiveLock" => LockMode::ShareRowExclusive,
            "ExclusiveLock" => LockMode::Exclusive,
            "AccessExclusiveLock" => LockMode::AccessExclusive,
            _ => return None,
        })
    }

    /// As the documentation and `LOCK TABLE` spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            LockMode::AccessShare => "ACCESS SHARE",
            LockMode::RowShare => "ROW SHARE",
            LockMode::RowExclusive => "ROW EXCLUSIVE",
            LockMode::ShareUpdateExclusive => "SHARE UPDATE EXCLUSIVE",
            LockMode::Share => "SHARE",
            LockMode::ShareRowExclusive => "SHARE ROW EXCLUSIVE",
            LockMode::Exclusive => "EXCLUSIVE",
            LockMode::AccessExclusive => "ACCESS EXCLUSIVE",
        }
    }
}

impl fmt::Display for LockMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for LockMode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::LockMode;

    #[test]
    fn modes_read_from_pg_locks_order_by_strength() {
        let share = LockMode::parse("ShareLock").unwrap();
        let exclusive = LockMode::parse("AccessExclusiveLock").unwrap();
        assert!(LockMode::parse("RowExclusiveLock").unwrap() < share);
        assert!(share < exclusive);
        assert_eq!(exclusive.to_string(), "ACCESS EXCLUSIVE");
        assert_eq!(LockMode::parse("SIReadLock"), None);
    }
}
