//! Tables, views, materialized views and foreign tables from pg_catalog: one query for the
//! relations and one for each kind of thing they hold (columns, constraints, indexes, triggers,
//! policies), however many relations there are.

use super::sql::{self, SCHEMAS};

/// The relations read: tables (plain and partitioned), views, materialized views and foreign
/// tables of the schemas read, that no extension owns.
fn relations() -> String {
    format!(
        "{SCHEMAS},
        relations AS (
            SELECT c.oid, c.oid::regclass::text AS name
            FROM pg_class c JOIN ns ON ns.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
              AND NOT {}
        )",
        sql::extension_member("pg_class", "c.oid")
    )
}

/// Each relation's own properties; a default is NULL or false, so that the snapshot does not
/// write it. A toast table's storage parameters are the table's `toast.` ones, as `ALTER TABLE`
/// spells them. A partition's parent is its bound's business, not an `INHERITS`.
pub(super) fn relations_sql() -> String {
    sql::rows(
        &relations(),
        &format!(
            "SELECT r.name, c.relkind AS kind, c.relrowsecurity AS rls,
                c.relforcerowsecurity AS force_rls, c.relpersistence = 'u' AS unlogged,
                coalesce(c.reloptions, '{{}}') AS options,
                coalesce(toast.reloptions, '{{}}') AS toast_options,
                CASE WHEN c.relkind NOT IN ('r', 'p', 'm') THEN NULL
                    WHEN c.relreplident = 'f' THEN 'full'
                    WHEN c.relreplident = 'n' THEN 'nothing'
                    WHEN c.relreplident = 'i' THEN coalesce('using index ' || (
                        SELECT quote_ident(i.relname) FROM pg_index x
                        JOIN pg_class i ON i.oid = x.indexrelid
                        WHERE x.indrelid = c.oid AND x.indisreplident), 'nothing')
                END AS replica_identity,
                CASE WHEN am.amname <> 'heap' THEN quote_ident(am.amname) END AS access_method,
                pg_get_partkeydef(c.oid) AS partition_key,
                CASE WHEN c.relispartition THEN (
                    SELECT inhparent::regclass::text FROM pg_inherits WHERE inhrelid = c.oid)
                END AS parent,
                CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END AS bound,
                array(SELECT inhparent::regclass::text FROM pg_inherits
                      WHERE inhrelid = c.oid AND NOT c.relispartition ORDER BY inhseqno) AS inherits,
                (SELECT quote_ident(i.relname) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
                 WHERE x.indrelid = c.oid AND x.indisclustered) AS clustered_on,
                CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid, true)
                     WHEN c.relkind = 'f' THEN (
                         SELECT 'SERVER ' || quote_ident(s.srvname) || coalesce(' OPTIONS (' || (
                             SELECT string_agg(o, ', ' ORDER BY o) FROM unnest(f.ftoptions) o) || ')', '')
                         FROM pg_foreign_table f JOIN pg_foreign_server s ON s.oid = f.ftserver
                         WHERE f.ftrelid = c.oid)
                END AS definition,
                {owner} AS owner, {grants} AS grants,
                obj_description(c.oid, 'pg_class') AS comment
            FROM relations r
            JOIN pg_class c ON c.oid = r.oid
            LEFT JOIN pg_class toast ON toast.oid = c.reltoastrelid
            LEFT JOIN pg_am am ON am.oid = c.relam",
            owner = sql::role("c.relowner"),
            grants = sql::grants("c.relacl", "c.relowner", 'r'),
        ),
    )
}

/// Columns with every setting: a statistics target, storage or compression only when set, and
/// their options.
pub(super) fn columns_sql() -> String {
    sql::rows(
        &relations(),
        &format!(
            "SELECT r.name AS relation, a.attnum AS number, a.attname AS name,
                format_type(a.atttypid, a.atttypmod) AS data_type, a.attnotnull AS not_null,
                CASE WHEN a.attcollation <> ty.typcollation THEN {collation} END AS collation,
                a.attidentity AS identity, a.attgenerated AS generated,
                pg_get_expr(d.adbin, d.adrelid) AS expression,
                nullif(a.attstattarget::int, -1) AS statistics,
                CASE WHEN a.attstorage <> ty.typstorage THEN a.attstorage END AS storage,
                nullif(a.attcompression, '') AS compression,
                coalesce(a.attoptions, '{{}}') AS options,
                CASE WHEN a.attacl IS NOT NULL THEN {grants} END AS grants,
                col_description(a.attrelid, a.attnum) AS comment, {owner} AS owner
            FROM relations r
            JOIN pg_class c ON c.oid = r.oid
            JOIN pg_attribute a ON a.attrelid = r.oid
            JOIN pg_type ty ON ty.oid = a.atttypid
            LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
            WHERE a.attnum > 0 AND NOT a.attisdropped",
            collation = sql::collation("a.attcollation"),
            grants = sql::grants("a.attacl", "c.relowner", 'c'),
            owner = sql::role("c.relowner"),
        ),
    )
}

/// PostgreSQL 18 adds NOT NULL constraints (`n`) to pg_constraint; nullability is a column
/// property here, as in 14 to 17. A partition's copies of its parent's keys (`conparentid`) are
/// the parent's, and their names vary between versions: left out.
///
/// `pg_get_constraintdef` leaves out the storage parameters of a primary key's or unique
/// constraint's index (an exclusion constraint prints them); they are added as `pg_dump` and
/// `pg_get_indexdef` print them: `PRIMARY KEY (id) WITH (fillfactor='70')`.
pub(super) fn constraints_sql() -> String {
    sql::rows(
        &relations(),
        &format!(
            "SELECT r.name AS relation, con.conname AS name, pg_get_constraintdef(con.oid, true)
                || CASE WHEN con.contype IN ('p', 'u') THEN coalesce(' WITH (' || (
                       SELECT string_agg({OPTION}, ', ' ORDER BY n)
                       FROM unnest(i.reloptions) WITH ORDINALITY AS u(o, n)) || ')', '') ELSE '' END
                AS definition,
                obj_description(con.oid, 'pg_constraint') AS comment
            FROM relations r JOIN pg_constraint con ON con.conrelid = r.oid
            LEFT JOIN pg_class i ON i.oid = con.conindid
            WHERE con.contype IN ('p', 'u', 'f', 'c', 'x') AND con.conparentid = 0"
        ),
    )
}

/// A storage parameter `o` (`name=value`) as PostgreSQL's `flatten_reloptions` prints it: the
/// value bare when it is an identifier that needs no quotes, else as a string literal.
const OPTION: &str = "
    quote_ident(split_part(o, '=', 1)) || '=' || CASE
        WHEN quote_ident(substr(o, strpos(o, '=') + 1)) = substr(o, strpos(o, '=') + 1)
        THEN substr(o, strpos(o, '=') + 1)
        ELSE '''' || replace(substr(o, strpos(o, '=') + 1), '''', '''''') || '''' END";

/// A partition's share of its parent's index (attached to it in pg_inherits) is the parent's.
pub(super) fn indexes_sql() -> String {
    sql::rows(
        &relations(),
        "SELECT r.name AS relation, i.relname AS name, x.indisunique AS unique,
            am.amname AS method, pg_get_indexdef(x.indexrelid, 0, true) AS definition,
            x.indisvalid AS valid,
            array(SELECT ia.attnum || '=' || ia.attstattarget FROM pg_attribute ia
                  WHERE ia.attrelid = x.indexrelid AND ia.attstattarget >= 0
                  ORDER BY ia.attnum) AS statistics,
            obj_description(x.indexrelid, 'pg_class') AS comment
        FROM relations r
        JOIN pg_index x ON x.indrelid = r.oid
        JOIN pg_class i ON i.oid = x.indexrelid
        JOIN pg_am am ON am.oid = i.relam
        WHERE NOT EXISTS (SELECT FROM pg_constraint con
                          WHERE con.conindid = x.indexrelid AND con.conrelid = r.oid
                            AND con.contype IN ('p', 'u', 'x'))
          AND NOT EXISTS (SELECT FROM pg_inherits WHERE inhrelid = x.indexrelid)",
    )
}

/// A partition's clone of its parent's trigger (`tgparentid`) is the parent's; PostgreSQL 14
/// marks it internal and 15 does not, so it is left out explicitly.
pub(super) fn triggers_sql() -> String {
    sql::rows(
        &relations(),
        "SELECT r.name AS relation, tg.tgname AS name, tg.tgenabled AS state,
            pg_get_triggerdef(tg.oid, true) AS definition,
            obj_description(tg.oid, 'pg_trigger') AS comment
        FROM relations r JOIN pg_trigger tg ON tg.tgrelid = r.oid
        WHERE NOT tg.tgisinternal AND tg.tgparentid = 0",
    )
}

pub(super) fn policies_sql() -> String {
    sql::rows(
        &relations(),
        "SELECT r.name AS relation, p.polname AS name, p.polpermissive AS permissive,
            p.polcmd AS command, p.polroles::regrole[]::text[] AS roles,
            pg_get_expr(p.polqual, p.polrelid) AS using,
            pg_get_expr(p.polwithcheck, p.polrelid) AS with_check,
            obj_description(p.oid, 'pg_policy') AS comment
        FROM relations r JOIN pg_policy p ON p.polrelid = r.oid",
    )
}
