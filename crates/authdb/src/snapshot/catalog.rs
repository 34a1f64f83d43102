//! Reading a [`Snapshot`] from pg_catalog. Set-based: one query per kind of object for the whole
//! schema, sent together so they share the round trips, whatever the number of tables. Only
//! catalog columns that exist in PostgreSQL 14 to 17 are used, and the printed definitions are
//! normalised where those versions print them differently.

use tokio_postgres::types::ToSql;
use tokio_postgres::{GenericClient, Row};

use super::{
    Column, Constraint, Function, Index, Partition, Snapshot, Table, Trigger, TriggerState,
};
use crate::error::{Result, database};
use crate::tracking;

/// The tables of the snapshot: ordinary and partitioned tables of the current schema, minus the
/// tracking table and tables that belong to an extension. `$1` is the tracking table's name.
const TABLES: &str = "
    WITH tables AS (
        SELECT c.oid, c.relname::text AS relname
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND c.relname <> $1
          AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                          AND d.objid = c.oid AND d.deptype = 'e')
    )";

/// Each table's options; a default is NULL or false, so that the snapshot does not write it. A
/// toast table's storage parameters are the table's `toast.` ones, as `ALTER TABLE` spells them.
/// A partition's parent is its bound's business, not an `INHERITS`.
fn tables_sql() -> String {
    format!(
        "{TABLES}
        SELECT t.relname, c.relrowsecurity, c.relforcerowsecurity, c.relpersistence = 'u',
               coalesce(c.reloptions, '{{}}')
                   || coalesce(array(SELECT 'toast.' || o FROM unnest(toast.reloptions) o), '{{}}'),
               CASE c.relreplident
                   WHEN 'f' THEN 'full'
                   WHEN 'n' THEN 'nothing'
                   WHEN 'i' THEN coalesce('using index ' || (
                       SELECT i.relname::text FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
                       WHERE x.indrelid = c.oid AND x.indisreplident), 'nothing')
               END,
               CASE WHEN am.amname <> 'heap' THEN am.amname::text END,
               pg_get_partkeydef(c.oid),
               CASE WHEN c.relispartition THEN (
                   SELECT inhparent::regclass::text FROM pg_inherits WHERE inhrelid = c.oid) END,
               CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END,
               array(SELECT inhparent::regclass::text FROM pg_inherits
                     WHERE inhrelid = c.oid AND NOT c.relispartition ORDER BY inhseqno)
        FROM tables t
        JOIN pg_class c ON c.oid = t.oid
        LEFT JOIN pg_class toast ON toast.oid = c.reltoastrelid
        LEFT JOIN pg_am am ON am.oid = c.relam"
    )
}

fn columns_sql() -> String {
    format!(
        "{TABLES}
        SELECT t.relname, a.attname::text, format_type(a.atttypid, a.atttypmod), a.attnotnull,
               CASE WHEN a.attcollation <> ty.typcollation THEN co.collname::text END,
               a.attidentity::text, a.attgenerated::text, pg_get_expr(d.adbin, d.adrelid)
        FROM tables t
        JOIN pg_attribute a ON a.attrelid = t.oid
        JOIN pg_type ty ON ty.oid = a.atttypid
        LEFT JOIN pg_collation co ON co.oid = a.attcollation
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE a.attnum > 0 AND NOT a.attisdropped
        ORDER BY t.relname, a.attnum"
    )
}

/// PostgreSQL 18 adds NOT NULL constraints (`n`) to pg_constraint; nullability is a column
/// property here, as in 14 to 17. A partition's copies of its parent's keys (`conparentid`) are
/// the parent's, and their names vary between versions: left out.
///
/// `pg_get_constraintdef` leaves out the storage parameters of a primary key's or unique
/// constraint's index (an exclusion constraint prints them); they are added as `pg_dump` and
/// `pg_get_indexdef` print them: `PRIMARY KEY (id) WITH (fillfactor='70')`.
fn constraints_sql() -> String {
    format!(
        "{TABLES}
        SELECT t.relname, con.conname::text, pg_get_constraintdef(con.oid, true)
               || CASE WHEN con.contype IN ('p', 'u') THEN coalesce(' WITH (' || (
                      SELECT string_agg({OPTION}, ', ' ORDER BY n)
                      FROM unnest(i.reloptions) WITH ORDINALITY AS u(o, n)) || ')', '') ELSE '' END
        FROM tables t JOIN pg_constraint con ON con.conrelid = t.oid
        LEFT JOIN pg_class i ON i.oid = con.conindid
        WHERE con.contype IN ('p', 'u', 'f', 'c', 'x') AND con.conparentid = 0"
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
fn indexes_sql() -> String {
    format!(
        "{TABLES}
        SELECT t.relname, i.relname::text, x.indisunique, am.amname::text,
               pg_get_indexdef(x.indexrelid, 0, true), x.indisvalid
        FROM tables t
        JOIN pg_index x ON x.indrelid = t.oid
        JOIN pg_class i ON i.oid = x.indexrelid
        JOIN pg_am am ON am.oid = i.relam
        WHERE NOT EXISTS (SELECT FROM pg_constraint con
                          WHERE con.conindid = x.indexrelid AND con.conrelid = t.oid
                            AND con.contype IN ('p', 'u', 'x'))
          AND NOT EXISTS (SELECT FROM pg_inherits WHERE inhrelid = x.indexrelid)"
    )
}

/// A partition's clone of its parent's trigger (`tgparentid`) is the parent's; PostgreSQL 14
/// marks it internal and 15 does not, so it is left out explicitly.
fn triggers_sql() -> String {
    format!(
        "{TABLES}
        SELECT t.relname, tg.tgname::text, tg.tgenabled::text, pg_get_triggerdef(tg.oid, true)
        FROM tables t JOIN pg_trigger tg ON tg.tgrelid = t.oid
        WHERE NOT tg.tgisinternal AND tg.tgparentid = 0"
    )
}

/// Functions and procedures of the current schema that no extension owns. `prosqlbody` (the
/// SQL-standard `BEGIN ATOMIC` body) exists since PostgreSQL 14.
const FUNCTIONS: &str = "
    SELECT p.proname::text || '(' || pg_get_function_identity_arguments(p.oid) || ')',
           p.prokind = 'p', pg_get_function_result(p.oid), l.lanname::text, p.provolatile::text,
           p.proisstrict, p.prosecdef, coalesce(p.proconfig, '{}'),
           CASE WHEN p.prosqlbody IS NOT NULL THEN pg_get_function_sqlbody(p.oid) ELSE p.prosrc END
    FROM pg_proc p
    JOIN pg_namespace n ON n.oid = p.pronamespace
    JOIN pg_language l ON l.oid = p.prolang
    WHERE n.nspname = current_schema() AND p.prokind IN ('f', 'p')
      AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                      AND d.objid = p.oid AND d.deptype = 'e')";

/// Extensions installed into the current schema (`plpgsql` lives in pg_catalog, and is not one).
const EXTENSIONS: &str = "
    SELECT e.extname::text FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
    WHERE n.nspname = current_schema()";

pub(super) async fn capture(client: &impl GenericClient) -> Result<Snapshot> {
    let tracking: &(dyn ToSql + Sync) = &tracking::TABLE;
    let (tables, columns, constraints, indexes, triggers, functions, extensions, applied) = tokio::try_join!(
        rows(client, tables_sql(), vec![tracking]),
        rows(client, columns_sql(), vec![tracking]),
        rows(client, constraints_sql(), vec![tracking]),
        rows(client, indexes_sql(), vec![tracking]),
        rows(client, triggers_sql(), vec![tracking]),
        rows(client, FUNCTIONS.into(), Vec::new()),
        rows(client, EXTENSIONS.into(), Vec::new()),
        tracking::read(client),
    )?;

    let mut snapshot = Snapshot {
        version: applied.iter().map(|a| a.version).max(),
        extensions: extensions.iter().map(|row| row.get(0)).collect(),
        ..Snapshot::default()
    };
    for row in &tables {
        snapshot.tables.insert(row.get(0), table_options(row));
    }
    for row in &columns {
        table(&mut snapshot, row).columns.push(column(row));
    }
    for row in &constraints {
        let definition = squeeze(row.get(2));
        table(&mut snapshot, row)
            .constraints
            .insert(row.get(1), Constraint { definition });
    }
    for row in &indexes {
        let index = index(row);
        table(&mut snapshot, row).indexes.insert(row.get(1), index);
    }
    for row in &triggers {
        let trigger = trigger(row);
        table(&mut snapshot, row)
            .triggers
            .insert(row.get(1), trigger);
    }
    for row in &functions {
        snapshot.functions.insert(row.get(0), function(row));
    }
    Ok(snapshot)
}

async fn rows(
    client: &impl GenericClient,
    sql: String,
    params: Vec<&(dyn ToSql + Sync)>,
) -> Result<Vec<Row>> {
    client
        .query(&sql, &params)
        .await
        .map_err(database("reading the schema from pg_catalog"))
}

/// The table a row of a per-table query belongs to (its first column).
fn table<'a>(snapshot: &'a mut Snapshot, row: &Row) -> &'a mut Table {
    snapshot.tables.entry(row.get(0)).or_default()
}

/// A table without its columns and the rest: the options of `tables_sql`.
fn table_options(row: &Row) -> Table {
    let storage_parameters = row
        .get::<_, Vec<String>>(4)
        .into_iter()
        .map(|option| match option.split_once('=') {
            Some((name, value)) => (name.to_string(), value.to_string()),
            None => (option, String::new()),
        })
        .collect();
    let partition_of = match (row.get(8), row.get(9)) {
        (Some(parent), Some(bound)) => Some(Partition { parent, bound }),
        _ => None,
    };
    Table {
        row_level_security: row.get(1),
        force_row_level_security: row.get(2),
        unlogged: row.get(3),
        storage_parameters,
        replica_identity: row.get(5),
        access_method: row.get(6),
        partition_key: row.get(7),
        partition_of,
        inherits: row.get(10),
        ..Table::default()
    }
}

fn column(row: &Row) -> Column {
    let identity = match row.get::<_, String>(5).as_str() {
        "a" => Some("always".to_string()),
        "d" => Some("by default".to_string()),
        _ => None,
    };
    let generated = row.get::<_, String>(6) == "s";
    let expression: Option<String> = row.get::<_, Option<&str>>(7).map(squeeze);
    Column {
        name: row.get(1),
        data_type: row.get(2),
        not_null: row.get(3),
        collation: row.get(4),
        identity,
        default: expression.clone().filter(|_| !generated),
        generated: expression.filter(|_| generated),
    }
}

fn index(row: &Row) -> Index {
    let method: String = row.get(3);
    let full = squeeze(row.get(4));
    let using = format!(" USING {method} ");
    let definition = match full.find(&using) {
        Some(at) => full[at + using.len()..].to_string(),
        None => full,
    };
    Index {
        unique: row.get(2),
        method,
        definition,
        valid: row.get(5),
    }
}

fn trigger(row: &Row) -> Trigger {
    let state = match row.get::<_, &str>(2) {
        "D" => TriggerState::Disabled,
        "R" => TriggerState::Replica,
        "A" => TriggerState::Always,
        _ => TriggerState::Enabled,
    };
    Trigger {
        state,
        definition: trigger_definition(row.get(3)),
    }
}

/// `CREATE [CONSTRAINT] TRIGGER name BEFORE ...` without the verb and the name (which are the
/// key), and in the spelling of PostgreSQL 11 and later (`EXECUTE FUNCTION`, not `PROCEDURE`).
fn trigger_definition(full: &str) -> String {
    let full = squeeze(full).replace(" EXECUTE PROCEDURE ", " EXECUTE FUNCTION ");
    let (constraint, rest) = match full.strip_prefix("CREATE CONSTRAINT TRIGGER ") {
        Some(rest) => (true, rest),
        None => (false, full.strip_prefix("CREATE TRIGGER ").unwrap_or(&full)),
    };
    let rest = skip_identifier(rest);
    if constraint {
        format!("CONSTRAINT {rest}")
    } else {
        rest.to_string()
    }
}

/// What follows a (possibly quoted) identifier and the space after it.
fn skip_identifier(text: &str) -> &str {
    if let Some(quoted) = text.strip_prefix('"') {
        let mut chars = quoted.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c == '"' {
                if chars.peek().is_some_and(|&(_, next)| next == '"') {
                    chars.next();
                    continue;
                }
                return quoted[i + 1..].trim_start();
            }
        }
        return "";
    }
    text.split_once(' ').map_or("", |(_, rest)| rest)
}

fn function(row: &Row) -> Function {
    let volatility = match row.get::<_, &str>(4) {
        "i" => "immutable",
        "s" => "stable",
        _ => "volatile",
    };
    Function {
        procedure: row.get(1),
        returns: row.get(2),
        language: row.get(3),
        volatility: volatility.to_string(),
        strict: row.get(5),
        security_definer: row.get(6),
        settings: row.get(7),
        body: row.get::<_, Option<String>>(8).unwrap_or_default(),
    }
}

/// One space for every run of whitespace outside string literals: long definitions may be
/// wrapped differently by different versions' pretty-printers.
pub(super) fn squeeze(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_literal = false;
    let mut pending_space = false;
    for c in text.trim().chars() {
        if !in_literal && c.is_whitespace() {
            pending_space = true;
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        if c == '\'' {
            in_literal = !in_literal;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trigger_definitions_lose_the_name_and_the_old_spelling() {
        assert_eq!(
            trigger_definition(
                "CREATE TRIGGER users_set_updated_at BEFORE UPDATE ON users FOR EACH ROW EXECUTE PROCEDURE f()"
            ),
            "BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION f()"
        );
        assert_eq!(
            trigger_definition(
                "CREATE CONSTRAINT TRIGGER \"odd \"\" name\" AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()"
            ),
            "CONSTRAINT AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()"
        );
    }

    #[test]
    fn squeeze_keeps_string_literals() {
        assert_eq!(
            squeeze("  CHECK ((a =\n    'x  y'::text))\n"),
            "CHECK ((a = 'x  y'::text))"
        );
    }
}
