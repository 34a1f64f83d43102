//! The baseline of the seed benchmark: the rows `seed --users N` writes with binary COPY, written
//! instead with one prepared INSERT each, in the same single transaction. The rows come from the
//! library's own generator, so both sides write exactly the same rows (a test below checks it).

use anyhow::{Context, Result};
use authdb::seed::{Generator, SyntheticTable, delete_synthetic};
use tokio_postgres::Client;

/// What `seed --users {users} --seed {seed}` does, one INSERT per row. Returns the rows written.
pub async fn seed(client: &mut Client, users: u64, seed: u64) -> Result<u64> {
    let generator = Generator::new(users, seed)?;
    let tx = client.transaction().await?;
    delete_synthetic(&tx).await?;
    let mut written = 0;
    for table in SyntheticTable::ALL {
        let placeholders: Vec<String> =
            (1..=table.types().len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "INSERT INTO {} ({}) VALUES ({})",
            table.name(),
            table.columns(),
            placeholders.join(", ")
        );
        let statement = tx.prepare_typed(&sql, table.types()).await?;
        for row in generator.rows(table) {
            written += tx
                .execute(&statement, &row.params())
                .await
                .with_context(|| format!("inserting into {}", table.name()))?;
        }
    }
    tx.commit().await?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use authdb::seed;
    use tokio_postgres::Client;

    /// Every row of the four tables as text, in order: ids and timestamps included.
    async fn rows(client: &Client) -> Vec<String> {
        let mut all = Vec::new();
        for table in seed::SyntheticTable::ALL {
            let sql = format!("SELECT t::text FROM {} t ORDER BY 1", table.name());
            for row in client.query(&sql, &[]).await.unwrap() {
                all.push(row.get(0));
            }
        }
        all
    }

    #[tokio::test]
    async fn copy_and_row_by_row_write_the_same_rows() {
        let copied = testdb::migrated_database().await;
        let mut client = copied.connect().await;
        let counts = seed::seed_synthetic(&mut client, 300, 7, &mut |_| {})
            .await
            .unwrap();
        assert_eq!(counts.total(), 1200);
        let by_copy = rows(&client).await;

        let inserted = testdb::migrated_database().await;
        let mut client = inserted.connect().await;
        assert_eq!(super::seed(&mut client, 300, 7).await.unwrap(), 1200);
        let by_insert = rows(&client).await;

        assert_eq!(by_copy.len(), 1200);
        assert!(
            by_copy == by_insert,
            "COPY and row-by-row wrote different rows"
        );
    }
}
