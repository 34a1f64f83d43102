//! Every object of the database that PostgreSQL did not make itself (an OID from 16384 on), no
//! extension owns, and that is not part of another object (a table's row type, an index behind
//! a constraint, a partition's copy of its parent's index), read from every catalog that holds
//! objects, whatever the server version has. Named as `pg_identify_object` names them. What the
//! snapshot cannot represent shows as a kind whose count differs from the snapshot's census.

use tokio_postgres::GenericClient;

use crate::error::{Result, database};

/// The catalogs with an OID column whose rows are objects; enum labels (part of their type)
/// and large objects (data, not schema: `pg_identify_object` cannot name them) aside.
const CATALOGS: &str = "
    SELECT c.oid::regclass::text FROM pg_class c
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'oid'
    WHERE c.relnamespace = 'pg_catalog'::regnamespace AND c.relkind = 'r' AND NOT c.relisshared
      AND c.relname NOT IN ('pg_enum', 'pg_largeobject_metadata')
    ORDER BY 1";

/// (kind, identity) of each object, sorted.
pub(in crate::snapshot) async fn catalog_objects(
    client: &impl GenericClient,
) -> Result<Vec<(String, String)>> {
    let context = "listing the objects of pg_catalog";
    let catalogs: Vec<String> = client
        .query(CATALOGS, &[])
        .await
        .map_err(database(context))?
        .iter()
        .map(|row| row.get(0))
        .collect();
    let branches: Vec<String> = catalogs
        .iter()
        .map(|catalog| match catalog.as_str() {
            // Only superusers read it (it holds credentials); the view shows the mappings.
            "pg_user_mapping" => "SELECT 'pg_user_mapping'::regclass AS classid, umid AS oid \
                                  FROM pg_user_mappings WHERE umid >= 16384"
                .to_string(),
            _ => format!(
                "SELECT '{catalog}'::regclass AS classid, oid FROM {catalog} WHERE oid >= 16384"
            ),
        })
        .collect();
    let sql = format!(
        "WITH objects AS ({})
        SELECT i.type, i.identity
        FROM objects o, pg_identify_object(o.classid, o.oid, 0) i
        WHERE NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = o.classid AND d.objid = o.oid
                          AND d.objsubid = 0 AND d.deptype IN ('e', 'i', 'P'))
          AND NOT {part_of_extension}
          AND coalesce(i.schema, '') !~ '^pg_(temp|toast)'
          AND NOT (o.classid = 'pg_namespace'::regclass AND i.identity ~ '^pg_(temp|toast)')
          -- A NOT NULL constraint (PostgreSQL 17 makes one for a domain's, 18 for a column's)
          -- is a property of its column or domain.
          AND NOT (o.classid = 'pg_constraint'::regclass
                   AND (SELECT contype FROM pg_constraint WHERE oid = o.oid) = 'n')
        ORDER BY 1, 2",
        branches.join(" UNION ALL "),
        part_of_extension = super::sql::part_of_extension("o.classid", "o.oid"),
    );
    let rows = client.query(&sql, &[]).await.map_err(database(context))?;
    Ok(rows.iter().map(|row| (row.get(0), row.get(1))).collect())
}
