//! The statements PostgreSQL refuses inside a transaction block ("cannot run inside a transaction
//! block", SQLSTATE 25001), read from squawk's syntax tree. migrate runs every file inside the
//! run's transaction unless its first line is `-- authdb:no-transaction`, and rollback runs every
//! down file inside one, so such a statement elsewhere fails at deploy time; lint says so first.
//! Each entry is checked against a real server by `tests/no_transaction.rs`.

use squawk_syntax::SyntaxKind;
use squawk_syntax::ast::{self, AstNode};

/// What the statement is, when PostgreSQL refuses it in a transaction block.
pub fn refused(stmt: &ast::Stmt) -> Option<&'static str> {
    let has = |kind: SyntaxKind| {
        stmt.syntax()
            .descendants_with_tokens()
            .any(|element| element.kind() == kind)
    };
    match stmt {
        ast::Stmt::CreateIndex(create) if create.concurrently_token().is_some() => {
            Some("CREATE INDEX CONCURRENTLY")
        }
        ast::Stmt::DropIndex(drop) if drop.concurrently_token().is_some() => {
            Some("DROP INDEX CONCURRENTLY")
        }
        ast::Stmt::Reindex(reindex) => match reindex.reindex_target() {
            Some(ast::ReindexTarget::ReindexTargetSystem(_)) => Some("REINDEX SYSTEM"),
            Some(ast::ReindexTarget::ReindexTargetDatabase(_)) => Some("REINDEX DATABASE"),
            Some(ast::ReindexTarget::ReindexTargetSchema(_)) => Some("REINDEX SCHEMA"),
            _ if has(SyntaxKind::CONCURRENTLY_KW) => Some("REINDEX CONCURRENTLY"),
            _ => None,
        },
        ast::Stmt::AlterTable(_) if has(SyntaxKind::DETACH_CONCURRENTLY) => {
            Some("DETACH PARTITION CONCURRENTLY")
        }
        ast::Stmt::Vacuum(_) => Some("VACUUM"),
        ast::Stmt::CreateDatabase(_) => Some("CREATE DATABASE"),
        ast::Stmt::DropDatabase(_) => Some("DROP DATABASE"),
        ast::Stmt::AlterDatabase(_) if has(SyntaxKind::SET_TABLESPACE) => {
            Some("ALTER DATABASE SET TABLESPACE")
        }
        ast::Stmt::CreateTablespace(_) => Some("CREATE TABLESPACE"),
        ast::Stmt::DropTablespace(_) => Some("DROP TABLESPACE"),
        ast::Stmt::AlterSystem(_) => Some("ALTER SYSTEM"),
        ast::Stmt::Cluster(_) if !has(SyntaxKind::TABLE_NAME_REF) => {
            Some("CLUSTER without a table")
        }
        ast::Stmt::Discard(_) if has(SyntaxKind::DISCARD_ALL) => Some("DISCARD ALL"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use squawk_syntax::SourceFile;

    fn refused_in(sql: &str) -> Option<&'static str> {
        let parse = SourceFile::parse(sql);
        assert!(parse.errors().is_empty(), "{sql}: {:?}", parse.errors());
        refused(&parse.tree().stmts().next().unwrap())
    }

    #[test]
    fn allowed_in_a_transaction() {
        for sql in [
            "CREATE INDEX i ON t (c)",
            "DROP INDEX i",
            "REINDEX TABLE t",
            "ALTER TABLE p DETACH PARTITION p1",
            "ANALYZE t",
            "CLUSTER t USING i",
            "DISCARD PLANS",
            "REFRESH MATERIALIZED VIEW CONCURRENTLY m",
            "ALTER DATABASE d SET work_mem = '1MB'",
        ] {
            assert_eq!(refused_in(sql), None, "{sql}");
        }
    }
}
