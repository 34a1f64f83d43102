//! Which relations (tables, indexes, views, sequences: one namespace in PostgreSQL) a statement
//! creates, and which existing ones it changes, by name as PostgreSQL resolves it: unquoted
//! names folded to lower case, `public.` the same as no schema. This is what lets lint tell a
//! table created earlier in the run (empty, unseen by clients) from one that may hold rows.

use squawk_syntax::ast;

/// A relation's name: `users`, or `audit.events` outside `public`.
pub type Key = String;

fn key(schema: Option<String>, name: String) -> Key {
    match schema {
        Some(schema) if schema != "public" => format!("{schema}.{name}"),
        _ => name,
    }
}

fn path_ref(path: Option<ast::PathRef>) -> Option<Key> {
    let path = path?;
    let name = path.segment()?.text();
    let schema = path
        .qualifier()
        .and_then(|q| q.segment())
        .map(|segment| segment.text());
    Some(key(schema, name))
}

fn path(path: Option<ast::Path>) -> Option<Key> {
    let path = path?;
    let name = path.segment()?.text();
    let schema = path
        .qualifier()
        .and_then(|q| q.segment())
        .map(|segment| segment.text());
    Some(key(schema, name))
}

fn table(relation: Option<ast::TableRelationName>) -> Option<Key> {
    path_ref(relation?.table_name_ref()?.path_ref())
}

/// The relation a statement creates, if it creates one.
pub fn created(stmt: &ast::Stmt) -> Option<Key> {
    match stmt {
        ast::Stmt::CreateTable(create) => path(create.table_name()?.path()),
        ast::Stmt::CreateTableAs(create) => path(create.table_name()?.path()),
        ast::Stmt::SelectInto(select) => path(select.into_clause()?.table_name()?.path()),
        ast::Stmt::CreateIndex(create) => path(create.index()?.path()),
        ast::Stmt::CreateView(create) => path(create.view()?.path()),
        ast::Stmt::CreateMaterializedView(create) => path(create.view()?.path()),
        ast::Stmt::CreateSequence(create) => path(create.sequence()?.path()),
        _ => None,
    }
}

/// The existing relations a statement changes or drops: what squawk's rules about locks,
/// rewrites and breaking clients are about. Empty when lint cannot tell.
pub fn changed(stmt: &ast::Stmt) -> Vec<Key> {
    let one = |key: Option<Key>| key.into_iter().collect();
    match stmt {
        ast::Stmt::AlterTable(alter) => one(table(alter.table_relation_name())),
        ast::Stmt::CreateIndex(create) => one(table(create.table_relation_name())),
        ast::Stmt::AlterIndex(alter) => one(path_ref(alter.index_ref().and_then(|i| i.path_ref()))),
        ast::Stmt::DropTable(drop) => drop
            .table_name_refs()
            .filter_map(|t| path_ref(t.path_ref()))
            .collect(),
        ast::Stmt::DropIndex(drop) => drop
            .index_refs()
            .filter_map(|i| path_ref(i.path_ref()))
            .collect(),
        ast::Stmt::DropView(drop) => drop
            .view_refs()
            .filter_map(|v| path_ref(v.path_ref()))
            .collect(),
        ast::Stmt::DropMaterializedView(drop) => drop
            .view_refs()
            .filter_map(|v| path_ref(v.path_ref()))
            .collect(),
        ast::Stmt::DropSequence(drop) => drop
            .sequence_refs()
            .filter_map(|s| path_ref(s.path_ref()))
            .collect(),
        ast::Stmt::Truncate(truncate) => truncate
            .table_list()
            .map(|list| {
                list.table_relation_names()
                    .filter_map(|t| table(Some(t)))
                    .collect()
            })
            .unwrap_or_default(),
        ast::Stmt::Reindex(reindex) => match reindex.reindex_target() {
            Some(ast::ReindexTarget::ReindexTargetTable(target)) => {
                one(path_ref(target.table_name_ref().and_then(|t| t.path_ref())))
            }
            Some(ast::ReindexTarget::ReindexTargetIndex(target)) => {
                one(path_ref(target.index_ref().and_then(|i| i.path_ref())))
            }
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// A `CHECK (column IS NOT NULL)` constraint's column: the PostgreSQL 12+ way to `SET NOT NULL`
/// without a scan, once the check is validated.
pub fn not_null_check(constraint: &ast::Constraint) -> Option<String> {
    let ast::Constraint::CheckConstraint(check) = constraint else {
        return None;
    };
    let ast::Expr::BinExpr(expr) = check.expr()? else {
        return None;
    };
    let ast::BinOp::IsNot(_) = expr.op()? else {
        return None;
    };
    let ast::Expr::Literal(literal) = expr.rhs()? else {
        return None;
    };
    if !matches!(literal.kind(), Some(ast::LitKind::Null(_))) {
        return None;
    }
    match expr.lhs()? {
        ast::Expr::NameRef(name) => Some(name.text()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use squawk_syntax::SourceFile;

    fn first(sql: &str) -> ast::Stmt {
        SourceFile::parse(sql).tree().stmts().next().unwrap()
    }

    #[test]
    fn names_fold_like_postgresql() {
        let created = |sql| created(&first(sql));
        assert_eq!(
            created("CREATE TABLE Users (id int)").as_deref(),
            Some("users")
        );
        assert_eq!(
            created("CREATE TABLE public.\"Users\" (id int)").as_deref(),
            Some("Users")
        );
        assert_eq!(
            created("CREATE TABLE audit.log (id int)").as_deref(),
            Some("audit.log")
        );
        assert_eq!(
            created("CREATE INDEX users_i ON users (id)").as_deref(),
            Some("users_i")
        );
        assert_eq!(created("CREATE TABLE t AS SELECT 1").as_deref(), Some("t"));
        assert_eq!(created("CREATE INDEX ON users (id)"), None);
        assert_eq!(created("ALTER TABLE users ADD COLUMN x int"), None);
    }

    #[test]
    fn what_a_statement_changes() {
        let changed = |sql| changed(&first(sql));
        assert_eq!(
            changed("ALTER TABLE ONLY public.users ADD COLUMN x int"),
            ["users"]
        );
        assert_eq!(changed("CREATE INDEX i ON audit.log (id)"), ["audit.log"]);
        assert_eq!(changed("DROP TABLE a, b"), ["a", "b"]);
        assert_eq!(changed("TRUNCATE a, public.b"), ["a", "b"]);
        assert_eq!(changed("DROP INDEX CONCURRENTLY i"), ["i"]);
        assert_eq!(changed("REINDEX TABLE t"), ["t"]);
        assert_eq!(changed("SELECT 1"), Vec::<String>::new());
    }

    #[test]
    fn not_null_checks() {
        let check = |sql| {
            let ast::Stmt::AlterTable(alter) = first(sql) else {
                panic!()
            };
            let Some(ast::AlterTableAction::AddConstraint(add)) = alter.actions().next() else {
                panic!()
            };
            not_null_check(&add.constraint().unwrap())
        };
        assert_eq!(
            check("ALTER TABLE t ADD CONSTRAINT c CHECK (email IS NOT NULL) NOT VALID").as_deref(),
            Some("email")
        );
        assert_eq!(
            check("ALTER TABLE t ADD CONSTRAINT c CHECK (age > 0)"),
            None
        );
    }
}
