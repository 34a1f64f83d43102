//! Tables, views, materialized views and foreign tables from pg_catalog: one query for the
//! relations and one for each kind of thing they hold (columns, constraints, indexes, triggers,
//! policies), however many relations there are.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::acl::Roles;
use super::normalise::{squeeze, trigger_definition, view_definition};
use super::sql::{self, SCHEMAS};
use crate::snapshot::privileges::{GrantKind, Privileged};
use crate::snapshot::{
    Column, Constraint, Index, Partition, Policy, RelationKind, Table, Trigger, TriggerState,
};

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

#[derive(Deserialize)]
pub(super) struct RelationRow {
    name: String,
    kind: String,
    rls: bool,
    force_rls: bool,
    unlogged: bool,
    options: Vec<String>,
    toast_options: Vec<String>,
    replica_identity: Option<String>,
    access_method: Option<String>,
    partition_key: Option<String>,
    parent: Option<String>,
    bound: Option<String>,
    inherits: Vec<String>,
    clustered_on: Option<String>,
    definition: Option<String>,
    owner: String,
    grants: Vec<String>,
    comment: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct ColumnRow {
    relation: String,
    number: i32,
    name: String,
    data_type: String,
    not_null: bool,
    collation: Option<String>,
    identity: String,
    generated: String,
    expression: Option<String>,
    statistics: Option<i32>,
    storage: Option<String>,
    compression: Option<String>,
    options: Vec<String>,
    grants: Option<Vec<String>>,
    owner: String,
    comment: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct ConstraintRow {
    relation: String,
    name: String,
    definition: String,
    comment: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct IndexRow {
    relation: String,
    name: String,
    unique: bool,
    method: String,
    definition: String,
    valid: bool,
    statistics: Vec<String>,
    comment: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct TriggerRow {
    relation: String,
    name: String,
    state: String,
    definition: String,
    comment: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct PolicyRow {
    relation: String,
    name: String,
    permissive: bool,
    command: String,
    roles: Vec<String>,
    using: Option<String>,
    with_check: Option<String>,
    comment: Option<String>,
}

/// What the relation queries returned, put together.
pub(super) struct RelationRows {
    pub relations: Vec<RelationRow>,
    pub columns: Vec<ColumnRow>,
    pub constraints: Vec<ConstraintRow>,
    pub indexes: Vec<IndexRow>,
    pub triggers: Vec<TriggerRow>,
    pub policies: Vec<PolicyRow>,
}

/// `name=value` pairs into a map.
pub(super) fn options(list: Vec<String>) -> BTreeMap<String, String> {
    list.into_iter()
        .map(|option| match option.split_once('=') {
            Some((name, value)) => (name.to_string(), value.to_string()),
            None => (option, String::new()),
        })
        .collect()
}

pub(super) fn assemble(rows: RelationRows, all: &Roles) -> BTreeMap<String, Table> {
    let mut tables = BTreeMap::new();
    for row in rows.relations {
        let kind = match row.kind.as_str() {
            "v" => RelationKind::View,
            "m" => RelationKind::MaterializedView,
            "f" => RelationKind::ForeignTable,
            _ => RelationKind::Table,
        };
        let definition = match kind {
            RelationKind::View | RelationKind::MaterializedView => {
                row.definition.as_deref().map(view_definition)
            }
            _ => row.definition,
        };
        let partition_of = match (row.parent, row.bound) {
            (Some(parent), Some(bound)) => Some(Partition { parent, bound }),
            _ => None,
        };
        let table = Table {
            kind,
            row_level_security: row.rls,
            force_row_level_security: row.force_rls,
            unlogged: row.unlogged,
            storage_parameters: options(
                row.options
                    .into_iter()
                    .chain(row.toast_options.iter().map(|o| format!("toast.{o}")))
                    .collect(),
            ),
            replica_identity: row.replica_identity,
            access_method: row.access_method,
            partition_key: row.partition_key,
            partition_of,
            inherits: row.inherits,
            clustered_on: row.clustered_on,
            definition,
            privileged: Privileged {
                grants: all.grants(&row.grants, &row.owner, GrantKind::Table),
                owner: all.owner(&row.owner),
                comment: row.comment,
            },
            ..Table::default()
        };
        tables.insert(row.name, table);
    }
    let mut columns = rows.columns;
    columns.sort_by(|a, b| (&a.relation, a.number).cmp(&(&b.relation, b.number)));
    for row in columns {
        let Some(table) = tables.get_mut(&row.relation) else {
            continue;
        };
        table.columns.push(column(row, all));
    }
    for row in rows.constraints {
        if let Some(table) = tables.get_mut(&row.relation) {
            let constraint = Constraint {
                definition: squeeze(&row.definition),
                comment: row.comment,
            };
            table.constraints.insert(row.name, constraint);
        }
    }
    for row in rows.indexes {
        if let Some(table) = tables.get_mut(&row.relation) {
            table.indexes.insert(row.name.clone(), index(row));
        }
    }
    for row in rows.triggers {
        if let Some(table) = tables.get_mut(&row.relation) {
            let state = match row.state.as_str() {
                "D" => TriggerState::Disabled,
                "R" => TriggerState::Replica,
                "A" => TriggerState::Always,
                _ => TriggerState::Enabled,
            };
            let trigger = Trigger {
                state,
                definition: trigger_definition(&row.definition),
                comment: row.comment,
            };
            table.triggers.insert(row.name, trigger);
        }
    }
    for row in rows.policies {
        if let Some(table) = tables.get_mut(&row.relation) {
            table.policies.insert(row.name.clone(), policy(row, all));
        }
    }
    tables
}

fn column(row: ColumnRow, all: &Roles) -> Column {
    let identity = match row.identity.as_str() {
        "a" => Some("always".to_string()),
        "d" => Some("by default".to_string()),
        _ => None,
    };
    let generated = row.generated == "s";
    let expression = row.expression.as_deref().map(squeeze);
    let storage = row.storage.map(|s| {
        match s.as_str() {
            "p" => "plain",
            "e" => "external",
            "m" => "main",
            _ => "extended",
        }
        .to_string()
    });
    let compression = row.compression.map(|c| {
        match c.as_str() {
            "p" => "pglz",
            "l" => "lz4",
            other => other,
        }
        .to_string()
    });
    Column {
        name: row.name,
        data_type: row.data_type,
        not_null: row.not_null,
        collation: row.collation,
        identity,
        default: expression.clone().filter(|_| !generated),
        generated: expression.filter(|_| generated),
        statistics: row.statistics,
        storage,
        compression,
        // Some builds stamp their own `pg_` entries on every column; a migration can only set
        // `n_distinct` and `n_distinct_inherited`.
        options: options(
            row.options
                .into_iter()
                .filter(|o| !o.starts_with("pg_"))
                .collect(),
        ),
        grants: row
            .grants
            .map(|g| all.grants(&g, &row.owner, GrantKind::Column))
            .unwrap_or_default(),
        comment: row.comment,
    }
}

fn index(row: IndexRow) -> Index {
    let full = squeeze(&row.definition);
    let using = format!(" USING {} ", row.method);
    let definition = match full.find(&using) {
        Some(at) => full[at + using.len()..].to_string(),
        None => full,
    };
    let statistics = row
        .statistics
        .iter()
        .filter_map(|pair| {
            let (column, target) = pair.split_once('=')?;
            Some((column.parse().ok()?, target.parse().ok()?))
        })
        .collect();
    Index {
        unique: row.unique,
        method: row.method,
        definition,
        valid: row.valid,
        statistics,
        comment: row.comment,
    }
}

fn policy(row: PolicyRow, all: &Roles) -> Policy {
    let command = match row.command.as_str() {
        "r" => "select",
        "a" => "insert",
        "w" => "update",
        "d" => "delete",
        _ => "all",
    };
    Policy {
        permissive: row.permissive,
        command: command.to_string(),
        roles: {
            let mut roles: Vec<String> = row.roles.iter().map(|r| all.policy_role(r)).collect();
            roles.sort();
            roles
        },
        using: row.using.as_deref().map(squeeze),
        with_check: row.with_check.as_deref().map(squeeze),
        comment: row.comment,
    }
}
