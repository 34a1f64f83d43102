//! What the plan needs to know about the rows, asked read-only: how many NULLs a column holds,
//! how many rows a CHECK or a foreign key would refuse, how many duplicates a unique rule would
//! meet. Each answer comes with the query that lists the rows, for the refusal message.

use tokio_postgres::Client;

use super::ddl::ident;
use crate::error::{Result, database};

/// Read-only questions about one database's rows.
pub struct Facts<'a> {
    pub client: &'a Client,
}

/// A count of offending rows and the query that lists them.
pub struct Offenders {
    pub rows: i64,
    pub query: String,
}

impl Facts<'_> {
    async fn count(&self, sql: &str) -> Result<i64> {
        let row = self
            .client
            .query_one(sql, &[])
            .await
            .map_err(database(format!("counting rows: {sql}")))?;
        Ok(row.get(0))
    }

    /// Rows of the table, exactly.
    pub async fn rows(&self, table: &str) -> Result<i64> {
        self.count(&format!("SELECT count(*) FROM {}", ident(table)))
            .await
    }

    /// The planner's estimate of the rows (pg_class.reltuples; 0 when never analysed).
    pub async fn estimate(&self, table: &str) -> Result<f64> {
        let row = self
            .client
            .query_one(
                "SELECT greatest(reltuples, 0)::float8 FROM pg_class WHERE oid = to_regclass($1)",
                &[&ident(table)],
            )
            .await
            .map_err(database(format!("estimating the rows of {table}")))?;
        Ok(row.get(0))
    }

    pub async fn nulls(&self, table: &str, column: &str) -> Result<Offenders> {
        let query = format!(
            "SELECT * FROM {} WHERE {} IS NULL",
            ident(table),
            ident(column)
        );
        self.offenders(query).await
    }

    /// Rows a `CHECK (expr)` would refuse (NULL passes a CHECK, as in PostgreSQL).
    pub async fn check_violations(&self, table: &str, expression: &str) -> Result<Offenders> {
        let query = format!("SELECT * FROM {} WHERE NOT ({expression})", ident(table));
        self.offenders(query).await
    }

    /// Rows whose `columns` (an expression list, as an index or UNIQUE prints it) repeat,
    /// under the optional partial-index predicate.
    pub async fn duplicates(
        &self,
        table: &str,
        columns: &str,
        predicate: Option<&str>,
    ) -> Result<Offenders> {
        let filter = predicate.map_or(String::new(), |p| format!(" WHERE {p}"));
        let query = format!(
            "SELECT {columns}, count(*) FROM {}{filter} GROUP BY {columns} HAVING count(*) > 1",
            ident(table)
        );
        let rows = self
            .count(&format!(
                "SELECT coalesce(sum(count), 0)::bigint FROM ({query}) d"
            ))
            .await?;
        Ok(Offenders { rows, query })
    }

    /// Rows whose foreign key points at no row of the referenced table.
    pub async fn orphans(
        &self,
        table: &str,
        columns: &[String],
        referenced: &str,
        referenced_columns: &[String],
    ) -> Result<Offenders> {
        let matches: Vec<String> = columns
            .iter()
            .zip(referenced_columns)
            .map(|(c, r)| format!("r.{} = t.{}", ident(r), ident(c)))
            .collect();
        let present: Vec<String> = columns
            .iter()
            .map(|c| format!("t.{} IS NOT NULL", ident(c)))
            .collect();
        let query = format!(
            "SELECT t.* FROM {} t WHERE {} AND NOT EXISTS (SELECT FROM {} r WHERE {})",
            ident(table),
            present.join(" AND "),
            ident(referenced),
            matches.join(" AND ")
        );
        self.offenders(query).await
    }

    async fn offenders(&self, query: String) -> Result<Offenders> {
        let rows = self
            .count(&format!("SELECT count(*) FROM ({query}) o"))
            .await?;
        Ok(Offenders { rows, query })
    }
}
