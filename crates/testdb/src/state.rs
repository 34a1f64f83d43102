//! What a test means by "the database is unchanged": every relation of every user schema with
//! its kind and persistence, every column, every row of every table, every sequence's position,
//! every function. Two equal fingerprints mean nothing a migration or a plan could touch moved.

use tokio_postgres::Client;

/// A text that changes whenever anything in the database's user schemas changes.
pub async fn fingerprint(client: &Client) -> String {
    let catalog = client
        .query(
            "SELECT n.nspname::text, c.relname::text, c.relkind::text, c.relpersistence::text,
                    coalesce(array_to_string(c.reloptions, ','), ''),
                    coalesce((SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
                                                || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END,
                                                ', ' ORDER BY a.attnum)
                                FROM pg_attribute a
                               WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '')
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
                AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'
              ORDER BY 1, 2",
            &[],
        )
        .await
        .expect("reading the catalog");
    let mut text = String::new();
    for row in &catalog {
        let (schema, name, kind): (String, String, String) = (row.get(0), row.get(1), row.get(2));
        let persistence: String = row.get(3);
        let options: String = row.get(4);
        let columns: String = row.get(5);
        text.push_str(&format!(
            "{schema}.{name} {kind} {persistence} [{options}] ({columns})\n"
        ));
        let qualified = format!("\"{schema}\".\"{name}\"");
        let contents = match kind.as_str() {
            "r" | "p" => format!(
                "SELECT coalesce(md5(string_agg(t::text, E'\\n' ORDER BY t::text)), '')
                   FROM {qualified} t"
            ),
            "S" => format!("SELECT last_value::text || ' ' || is_called::text FROM {qualified}"),
            _ => continue,
        };
        let value: String = client
            .query_one(&contents, &[])
            .await
            .expect("reading a relation's contents")
            .get(0);
        text.push_str(&format!("  {value}\n"));
    }
    let functions = client
        .query(
            "SELECT p.oid::regprocedure::text || ' ' || md5(p.prosrc)
               FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
              WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
              ORDER BY 1",
            &[],
        )
        .await
        .expect("reading the functions");
    for row in &functions {
        text.push_str(&format!("function {}\n", row.get::<_, String>(0)));
    }
    let triggers = client
        .query(
            "SELECT tgname::text || ' ' || tgrelid::regclass::text || ' ' || tgenabled::text
               FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1",
            &[],
        )
        .await
        .expect("reading the triggers");
    for row in &triggers {
        text.push_str(&format!("trigger {}\n", row.get::<_, String>(0)));
    }
    text
}
