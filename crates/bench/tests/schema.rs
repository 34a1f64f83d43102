//! The verify scenario's generated schema, migrated into a real PostgreSQL: it has the shape the
//! benchmark claims, and its snapshot survives the round trip through text.

use authdb::snapshot::{Snapshot, diff};
use authdb_bench::schema::bench_schema_sql;
use testdb::Fixture;

#[tokio::test]
async fn the_benchmark_schema_round_trips() {
    let fixture = Fixture::new().migration("bench", &bench_schema_sql(200), "SELECT 1;\n");
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    authdb::migrate(&mut client, &fixture.load(), &Default::default())
        .await
        .unwrap();
    let snapshot = Snapshot::capture(&client).await.unwrap();
    assert_eq!(snapshot.tables.len(), 200);
    let table = &snapshot.tables["bench_199"];
    assert_eq!(
        (
            table.columns.len(),
            table.constraints.len(),
            table.indexes.len(),
            table.triggers.len()
        ),
        (9, 4, 2, 1)
    );
    let parsed = Snapshot::parse(&snapshot.to_text()).unwrap();
    assert_eq!(parsed, snapshot);
    assert!(diff(&parsed, &snapshot).is_empty());
}
