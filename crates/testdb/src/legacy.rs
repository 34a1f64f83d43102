//! Databases as the old `run_migrations.py` left them, from SQL written to the seed README's own
//! description by two different hands, with rows in every table: what `adopt` is tested on.

/// The obvious choices: VARCHAR(255), nullable timestamps defaulting to CURRENT_TIMESTAMP,
/// nullable TEXT[], `idx_*` indexes, `update_*_updated_at` triggers.
pub const OBVIOUS: &str = include_str!("legacy/obvious.sql");

/// Another hand: constraints named by hand, unique indexes instead of constraints, a foreign key
/// without ON DELETE CASCADE, a redundant index, an extra table with rows.
pub const MIXED: &str = include_str!("legacy/mixed.sql");

/// A database built from `sql`, as the old script would have.
pub async fn database(sql: &str) -> crate::TestDb {
    let db = crate::empty_database().await;
    db.connect()
        .await
        .batch_execute(sql)
        .await
        .unwrap_or_else(|e| panic!("building the legacy database: {e}"));
    db
}
