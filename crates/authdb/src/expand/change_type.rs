//! The files `cargo xtask new --change-type TABLE.COLUMN TYPE` writes: a column's type changed
//! without `ALTER COLUMN ... TYPE`, whose rewrite holds an ACCESS EXCLUSIVE lock for as long as
//! it takes to copy the table. The column keeps its name: every app version reads and writes it
//! throughout, so only the migrations touch the new column.
//!
//! 1. **expand**: `COLUMN_new` of the new type beside it (its NOT NULL as a `NOT VALID` check),
//!    and a trigger that sets it from the column, cast, on every INSERT and UPDATE. One way is
//!    enough: no app version writes `COLUMN_new`.
//! 2. **indexes**: each index of the column built again on `COLUMN_new`, `CONCURRENTLY`.
//! 3. **backfill**: the rows written before the trigger, in batches. A value the cast refuses
//!    fails the batch, naming the row's value, before anything is swapped.
//! 4. **swap** (`-- authdb:contract`, held for a deliberate moment): the check validated into
//!    NOT NULL, the trigger and the old column dropped, `COLUMN_new` renamed to the column and
//!    its indexes to the old ones' names, default and comment carried over: the schema ends as
//!    `ALTER COLUMN ... TYPE` would leave it, but for the column's place at the end of the
//!    table. An app that caches prepared statements re-prepares them (PostgreSQL says "cached
//!    plan must not change result type" once). Rolled back, the old type comes back at the end
//!    of the table too: `SELECT *` order is the one thing a rollback cannot restore.

use super::{BATCH, Planned, Unique, file_word, find, refuse_shared, replace_word, unique_indexes};
use crate::error::{Error, Result};
use crate::quote::ident;
use crate::snapshot::{Column, Snapshot, Table};

/// The migrations that change `table.column` to `new_type`, in order.
pub fn change_type(
    snapshot: &Snapshot,
    table_name: &str,
    column_name: &str,
    new_type: &str,
) -> Result<Vec<Planned>> {
    let refuse = |reason: String| Error::Expand {
        what: format!("--change-type {table_name}.{column_name} {new_type}"),
        reason,
    };
    let (table, column) = find(snapshot, table_name, column_name).map_err(refuse)?;
    let new_type = new_type.trim();
    if new_type.is_empty() || new_type.contains(';') {
        return Err(refuse("expected a type: bigint, varchar(320), text".into()));
    }
    if column.data_type.eq_ignore_ascii_case(new_type) {
        return Err(refuse(format!(
            "{column_name} is {} already",
            column.data_type
        )));
    }
    let temporary = format!("{column_name}_new");
    if table.columns.iter().any(|c| c.name == temporary) {
        return Err(refuse(format!(
            "table {table_name} already has a column {temporary}, the name the new type is \
             built under"
        )));
    }
    if column.generated.is_some() || column.identity.is_some() {
        return Err(refuse(format!(
            "{column_name} is a generated or identity column: change it by hand"
        )));
    }
    refuse_shared(snapshot, table_name, table, column_name).map_err(refuse)?;
    let n = Names::new(
        table_name,
        column_name,
        &temporary,
        new_type,
        column.not_null,
    );
    let indexes = unique_indexes(table, column_name);
    let mut planned = vec![expand(&n)];
    for (old_index, index) in &indexes {
        planned.push(build_index(&n, old_index, index));
    }
    planned.push(backfill(&n, table));
    planned.push(swap(&n, column, &indexes));
    Ok(planned)
}

/// The SQL spellings of the names involved.
struct Names {
    table: String,
    schema: String,
    /// For the files' names: `counters_hits`.
    stem: String,
    column: String,
    column_bare: String,
    temporary: String,
    new_type: String,
    not_null: bool,
    function: String,
    trigger: String,
    check: String,
}

impl Names {
    fn new(table: &str, column: &str, temporary: &str, new_type: &str, not_null: bool) -> Names {
        let bare_table = table.rsplit('.').next().unwrap_or(table).trim_matches('"');
        let schema = table
            .rsplit_once('.')
            .map_or(String::new(), |(s, _)| format!("{s}."));
        Names {
            table: table.to_string(),
            function: format!(
                "{schema}{}",
                ident(&format!("authdb_retype_{bare_table}_{column}"))
            ),
            schema,
            trigger: ident(&format!("authdb_retype_{column}")),
            check: ident(&format!("{bare_table}_{temporary}_not_null")),
            stem: file_word(&format!("{bare_table}_{column}")),
            column: ident(column),
            column_bare: column.to_string(),
            temporary: ident(temporary),
            new_type: new_type.to_string(),
            not_null,
        }
    }

    /// The check that says the temporary column is filled: NOT NULL for a NOT NULL column (so
    /// that, validated, it lets SET NOT NULL skip its scan), else filled wherever the column is.
    fn filled(&self) -> String {
        match self.not_null {
            true => format!("{} IS NOT NULL", self.temporary),
            false => format!("({} IS NULL) = ({} IS NULL)", self.column, self.temporary),
        }
    }

    /// The name `index` is built under on the temporary column.
    fn index(&self, index: &str) -> String {
        format!("{index}_new")
    }
}

fn function_and_trigger(n: &Names) -> String {
    let Names {
        table,
        column,
        temporary,
        new_type,
        function,
        trigger,
        ..
    } = n;
    format!(
        "-- One way, from the row's own value (no session setting, so it works through a\n\
         -- transaction-mode pooler): every INSERT and UPDATE sets {temporary} from {column}.\n\
         CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $authdb$\n\
         BEGIN\n\
         \x20   NEW.{temporary} := NEW.{column}::{new_type};\n\
         \x20   RETURN NEW;\n\
         END\n\
         $authdb$;\n\
         CREATE TRIGGER {trigger} BEFORE INSERT OR UPDATE ON {table}\n\
         \x20   FOR EACH ROW EXECUTE FUNCTION {function}();\n"
    )
}

fn expand(n: &Names) -> Planned {
    let Names {
        table,
        column,
        temporary,
        new_type,
        function,
        trigger,
        check,
        ..
    } = n;
    let up = format!(
        "-- Expand: {table}.{column} as {new_type}, built as {temporary} beside it and kept in step\n\
         -- by a trigger; the backfill fills the older rows, and the swap puts it in {column}'s place.\n\
         ALTER TABLE {table} ADD COLUMN {temporary} {new_type};\n\
         -- The check holds for new rows now; the swap validates it, which proves the backfill done.\n\
         ALTER TABLE {table} ADD CONSTRAINT {check} CHECK ({}) NOT VALID;\n\
         {}",
        n.filled(),
        function_and_trigger(n)
    );
    let down = format!(
        "DROP TRIGGER {trigger} ON {table};\nDROP FUNCTION {function}();\n\
         ALTER TABLE {table} DROP COLUMN {temporary};\n"
    );
    Planned {
        name: format!("expand_{}_type", n.stem),
        up,
        down,
    }
}

fn build_index(n: &Names, old_index: &str, index: &Unique) -> Planned {
    let name = ident(&n.index(old_index));
    let definition = replace_word(&index.definition, &n.column_bare, &n.temporary);
    let unique = if index.unique { "UNIQUE " } else { "" };
    Planned {
        name: format!("index_{}", file_word(&n.index(old_index))),
        up: format!(
            "-- authdb:no-transaction\n\
             -- {old_index} again, on {temporary}: built without blocking writes.\n\
             CREATE {unique}INDEX CONCURRENTLY {name} ON {table} USING {} {definition};\n",
            index.method,
            temporary = n.temporary,
            table = n.table,
        ),
        down: format!(
            "-- authdb:no-transaction\nDROP INDEX CONCURRENTLY {}{name};\n",
            n.schema
        ),
    }
}

fn backfill(n: &Names, table: &Table) -> Planned {
    let Names {
        table: name,
        column,
        temporary,
        new_type,
        ..
    } = n;
    let key = super::batch_key(table);
    Planned {
        name: format!("backfill_{}_type", n.stem),
        up: format!(
            "-- authdb:no-transaction\n\
             -- authdb:backfill sets {temporary} from {column} for the rows written before the trigger, {BATCH} at a time\n\
             UPDATE {name} SET {temporary} = {column}::{new_type}\n\
             \x20WHERE {key} IN (SELECT {key} FROM {name} WHERE {temporary} IS NULL AND {column} IS NOT NULL LIMIT {BATCH});\n"
        ),
        down: format!(
            "-- Nothing to undo: the expand's down file drops {temporary} with what was set in it.\n\
             SELECT 'nothing to undo';\n"
        ),
    }
}

fn swap(n: &Names, column: &Column, indexes: &[(String, Unique)]) -> Planned {
    let Names {
        table,
        column: name,
        temporary,
        function,
        trigger,
        check,
        ..
    } = n;
    let mut up = format!(
        "-- authdb:contract swaps {temporary} into {name}'s place: run it once the backfill is done\n\
         -- Validated without blocking writes, then a few catalog changes under one short lock.\n\
         ALTER TABLE {table} VALIDATE CONSTRAINT {check};\n\
         {}\
         -- authdb:allow ban-drop-constraint its work is done\n\
         ALTER TABLE {table} DROP CONSTRAINT {check};\n\
         DROP TRIGGER {trigger} ON {table};\n\
         -- authdb:allow ban-drop-function only the trigger dropped above called it\n\
         DROP FUNCTION {function}();\n\
         -- authdb:allow ban-drop-column its values live on, cast, in {temporary}\n\
         ALTER TABLE {table} DROP COLUMN {name};\n\
         -- authdb:allow renaming-column no app version knows {temporary}: they all read {name}\n\
         ALTER TABLE {table} RENAME COLUMN {temporary} TO {name};\n",
        match column.not_null {
            true => format!(
                "-- PostgreSQL 12 and later skip the scan: the validated check proves it.\n\
                 ALTER TABLE {table} ALTER COLUMN {temporary} SET NOT NULL;\n"
            ),
            false => String::new(),
        }
    );
    if let Some(default) = &column.default {
        up.push_str(&format!(
            "ALTER TABLE {table} ALTER COLUMN {name} SET DEFAULT {default};\n"
        ));
    }
    if let Some(comment) = &column.comment {
        up.push_str(&format!(
            "COMMENT ON COLUMN {table}.{name} IS '{}';\n",
            comment.replace('\'', "''")
        ));
    }
    for (old_index, index) in indexes {
        let built = ident(&n.index(old_index));
        let old = ident(old_index);
        up.push_str(&if index.constraint {
            format!("ALTER TABLE {table} ADD CONSTRAINT {old} UNIQUE USING INDEX {built};\n")
        } else {
            format!("ALTER INDEX {}{built} RENAME TO {old};\n", n.schema)
        });
    }

    // The down file puts the old type back in the column's place, the new one beside it as the
    // expand and the indexes left it, and the trigger.
    let old_type = &column.data_type;
    let mut down = String::new();
    for (old_index, index) in indexes {
        let built = ident(&n.index(old_index));
        let old = ident(old_index);
        down.push_str(&if index.constraint {
            format!(
                "ALTER TABLE {table} DROP CONSTRAINT {old};\n\
                 CREATE UNIQUE INDEX {built} ON {table} ({name});\n"
            )
        } else {
            format!("ALTER INDEX {}{old} RENAME TO {built};\n", n.schema)
        });
    }
    let default = column
        .default
        .as_ref()
        .map_or(String::new(), |d| format!(" DEFAULT {d}"));
    down.push_str(&format!(
        "ALTER TABLE {table} ALTER COLUMN {name} DROP DEFAULT;\n\
         ALTER TABLE {table} ALTER COLUMN {name} DROP NOT NULL;\n\
         ALTER TABLE {table} RENAME COLUMN {name} TO {temporary};\n\
         ALTER TABLE {table} ADD COLUMN {name} {old_type}{default};\n\
         UPDATE {table} SET {name} = {temporary}::{old_type};\n"
    ));
    if column.not_null {
        down.push_str(&format!(
            "-- authdb:allow adding-not-nullable-field filled from {temporary} just above, in this transaction\n\
             ALTER TABLE {table} ALTER COLUMN {name} SET NOT NULL;\n"
        ));
    }
    if let Some(comment) = &column.comment {
        down.push_str(&format!(
            "COMMENT ON COLUMN {table}.{temporary} IS NULL;\n\
             COMMENT ON COLUMN {table}.{name} IS '{}';\n",
            comment.replace('\'', "''")
        ));
    }
    down.push_str(&format!(
        "ALTER TABLE {table} ADD CONSTRAINT {check} CHECK ({}) NOT VALID;\n",
        n.filled()
    ));
    for (old_index, index) in indexes {
        let old = ident(old_index);
        down.push_str(&if index.constraint {
            format!(
                "-- authdb:allow constraint-missing-not-valid a rollback: the column is new in this transaction\n\
                 ALTER TABLE {table} ADD CONSTRAINT {old} UNIQUE ({name});\n"
            )
        } else {
            format!(
                "CREATE {}INDEX {old} ON {table} USING {} {};\n",
                if index.unique { "UNIQUE " } else { "" },
                index.method,
                index.definition
            )
        });
    }
    down.push_str(&function_and_trigger(n));
    Planned {
        name: format!("swap_{}_type", n.stem),
        up,
        down,
    }
}
