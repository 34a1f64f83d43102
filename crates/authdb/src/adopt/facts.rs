//! What the plan needs to know about the rows, asked read-only: how many NULLs a column holds,
//! how many rows a CHECK or a foreign key would refuse, how many duplicates a unique rule would
//! meet. Each answer comes with the query that lists the rows, for the refusal message.

use std::collections::BTreeSet;
use std::sync::Mutex;

use tokio_postgres::Client;

use super::ddl::ident;
use crate::error::{Result, database};

/// Read-only questions about one database's rows. Tables are named as the snapshot names them
/// (SQL, `search_path = public`).
pub struct Facts<'a> {
    pub client: &'a Client,
    /// Tables the plan creates: they are not there to ask, and will hold no row.
    absent: Mutex<BTreeSet<String>>,
}

/// A count of offending rows and the query that lists them.
pub struct Offenders {
    pub rows: i64,
    pub query: String,
}

impl<'a> Facts<'a> {
    pub fn new(client: &'a Client) -> Facts<'a> {
        Facts {
            client,
            absent: Mutex::new(BTreeSet::new()),
        }
    }

    /// A table the plan creates: every question about its rows has the answer "none".
    pub fn created(&self, table: &str) {
        self.absent
            .lock()
            .expect("not poisoned")
            .insert(table.to_string());
    }

    fn absent(&self, table: &str) -> bool {
        self.absent.lock().expect("not poisoned").contains(table)
    }

    /// The roles of `names` that do not exist on this server.
    pub async fn missing_roles(&self, names: &[String]) -> Result<Vec<String>> {
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let rows = self
            .client
            .query(
                "SELECT n FROM unnest($1::text[]) n WHERE to_regrole(n) IS NULL ORDER BY n",
                &[&names],
            )
            .await
            .map_err(database("looking up roles"))?;
        Ok(rows.iter().map(|row| row.get(0)).collect())
    }

    /// How a type stores its values by default (`extended`, `plain`...): what a column's
    /// `SET STORAGE` goes back to.
    pub async fn type_storage(&self, data_type: &str) -> Result<String> {
        let row = self
            .client
            .query_one(
                "SELECT CASE typstorage WHEN 'p' THEN 'plain' WHEN 'e' THEN 'external' \
                 WHEN 'm' THEN 'main' ELSE 'extended' END FROM pg_type WHERE oid = $1::text::regtype",
                &[&data_type],
            )
            .await
            .map_err(database(format!("reading how {data_type} is stored")))?;
        Ok(row.get(0))
    }

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
        if self.absent(table) {
            return Ok(0);
        }
        self.count(&format!("SELECT count(*) FROM {table}")).await
    }

    /// The planner's estimate of the rows (pg_class.reltuples; 0 when never analysed).
    pub async fn estimate(&self, table: &str) -> Result<f64> {
        if self.absent(table) {
            return Ok(0.0);
        }
        let row = self
            .client
            .query_one(
                "SELECT greatest(reltuples, 0)::float8 FROM pg_class WHERE oid = to_regclass($1)",
                &[&table],
            )
            .await
            .map_err(database(format!("estimating the rows of {table}")))?;
        Ok(row.get(0))
    }

    pub async fn nulls(&self, table: &str, column: &str) -> Result<Offenders> {
        let query = format!("SELECT * FROM {table} WHERE {} IS NULL", ident(column));
        self.offenders(table, query).await
    }

    /// Rows a `CHECK (expr)` would refuse (NULL passes a CHECK, as in PostgreSQL).
    pub async fn check_violations(&self, table: &str, expression: &str) -> Result<Offenders> {
        let query = format!("SELECT * FROM {table} WHERE NOT ({expression})");
        self.offenders(table, query).await
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
            "SELECT {columns}, count(*) FROM {table}{filter} GROUP BY {columns} HAVING count(*) > 1"
        );
        if self.absent(table) {
            return Ok(Offenders { rows: 0, query });
        }
        let rows = self
            .count(&format!(
                "SELECT coalesce(sum(count), 0)::bigint FROM ({query}) d"
            ))
            .await?;
        Ok(Offenders { rows, query })
    }

    /// Rows whose foreign key points at no row of the referenced table (every row with a key,
    /// when the plan creates the referenced table).
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
        let query = if self.absent(referenced) {
            format!("SELECT t.* FROM {table} t WHERE {}", present.join(" AND "))
        } else {
            format!(
                "SELECT t.* FROM {table} t WHERE {} AND NOT EXISTS (SELECT FROM {referenced} r WHERE {})",
                present.join(" AND "),
                matches.join(" AND ")
            )
        };
        self.offenders(table, query).await
    }

    async fn offenders(&self, table: &str, query: String) -> Result<Offenders> {
        if self.absent(table) {
            return Ok(Offenders { rows: 0, query });
        }
        let rows = self
            .count(&format!("SELECT count(*) FROM ({query}) o"))
            .await?;
        Ok(Offenders { rows, query })
    }
}
