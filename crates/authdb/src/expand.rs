//! The files `cargo xtask new --rename-column TABLE.COLUMN NEW` writes: a column renamed while
//! two app versions are live, as plain SQL the user reads and commits (and, in
//! [`change_type`], those of `--change-type`, which share the indexes, backfill and refusals). Read from the committed
//! snapshot (the column's type, default, NOT NULL, comment and unique indexes), so nothing here
//! needs a database.
//!
//! 1. **expand**: the new column beside the old one (its NOT NULL as a `NOT VALID` check) and a
//!    trigger that keeps both in step. The trigger compares the row's old and new values, never
//!    a session setting, so it works for both versions through a transaction-mode pooler.
//! 2. **unique indexes**: each unique index or constraint of the old column, built again on the
//!    new one `CONCURRENTLY`, one no-transaction file each.
//! 3. **backfill**: the rows written before the trigger, copied in batches.
//! 4. **contract**: the check validated into NOT NULL, the trigger and the old column dropped
//!    (`-- authdb:contract`: held until the rollout is over).
//!
//! The sync rule, for the docs and the trigger's comment: an INSERT that gives one column fills
//! the other; an UPDATE that changes one column copies it to the other; an UPDATE that changes
//! both keeps the new column's value in both (the new version's write wins); a row whose new
//! column is still empty gets it from the old one whenever it is written.

mod change_type;

pub use change_type::change_type;

use crate::error::{Error, Result};
use crate::quote::ident;
use crate::snapshot::{Column, Snapshot, Table};

/// One migration to write: its name (after the version) and its two files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub name: String,
    pub up: String,
    pub down: String,
}

/// How many rows a backfill batch changes.
pub const BATCH: u32 = 5000;

/// The migrations that rename `table.column` to `new_name`, in order.
pub fn rename_column(
    snapshot: &Snapshot,
    table_name: &str,
    column_name: &str,
    new_name: &str,
) -> Result<Vec<Planned>> {
    let refuse = |reason: String| Error::Expand {
        what: format!("--rename-column {table_name}.{column_name} {new_name}"),
        reason,
    };
    let (table, column) = find(snapshot, table_name, column_name).map_err(refuse)?;
    if table.columns.iter().any(|c| c.name == new_name) {
        return Err(refuse(format!(
            "table {table_name} already has a column {new_name}"
        )));
    }
    if column.generated.is_some() || column.identity.is_some() {
        return Err(refuse(format!(
            "{column_name} is a generated or identity column: its values are the server's, \
             there is nothing to keep in step"
        )));
    }
    refuse_shared(snapshot, table_name, table, column_name).map_err(refuse)?;
    let names = Names::new(table_name, column_name, new_name);
    let mut planned = vec![expand(&names, column)];
    let indexes = unique_indexes(table, column_name);
    for (index, unique) in &indexes {
        planned.push(build_unique(&names, index, unique));
    }
    planned.push(backfill(&names, table));
    planned.push(contract(&names, column, &indexes));
    Ok(planned)
}

/// The table and column as the snapshot has them, or why not.
fn find<'a>(
    snapshot: &'a Snapshot,
    table_name: &str,
    column_name: &str,
) -> std::result::Result<(&'a Table, &'a Column), String> {
    let table = snapshot.tables.get(table_name).ok_or_else(|| {
        format!(
            "the snapshot (version {}) has no table {table_name}: name it as the snapshot does \
             (schema.table outside public), after `cargo xtask snapshot`",
            snapshot.version.map_or("none".into(), |v| v.to_string())
        )
    })?;
    let column = table
        .columns
        .iter()
        .find(|c| c.name == column_name)
        .ok_or_else(|| format!("table {table_name} has no column {column_name}"))?;
    Ok((table, column))
}

/// Refuses a column that a key, a check or an index shares with other columns (or another
/// table's foreign key references): dropping it at the contract would drop them too, and
/// carrying them over is not written here. The reason names the first one.
fn refuse_shared(
    snapshot: &Snapshot,
    table_name: &str,
    table: &Table,
    column: &str,
) -> std::result::Result<(), String> {
    let mentions = |text: &str| words(text).any(|w| w == column);
    let alone = |text: &str| {
        table
            .columns
            .iter()
            .all(|other| other.name == column || !words(text).any(|w| w == other.name))
    };
    let unique_alone = [
        format!("UNIQUE ({column})"),
        format!("UNIQUE ({})", ident(column)),
    ];
    for (name, constraint) in &table.constraints {
        let definition = &constraint.definition;
        if mentions(definition) && !unique_alone.contains(definition) {
            return Err(format!(
                "the constraint {name} ({definition}) involves {column}: dropping {column} at                  the contract would drop it; carry it over by hand (write the phases as                  docs/expand-contract.md shows)"
            ));
        }
    }
    for (name, index) in &table.indexes {
        if mentions(&index.definition) && !alone(&index.definition) {
            return Err(format!(
                "the index {name} covers {column} with other columns: carry it over by hand                  (write the phases as docs/expand-contract.md shows)"
            ));
        }
    }
    let bare = table_name.rsplit('.').next().unwrap_or(table_name);
    for (other_name, other) in &snapshot.tables {
        for (name, constraint) in &other.constraints {
            let definition = &constraint.definition;
            if let Some((_, target)) = definition.split_once(" REFERENCES ")
                && target
                    .split_once('(')
                    .is_some_and(|(t, cols)| (t == table_name || t == bare) && mentions(cols))
            {
                return Err(format!(
                    "the foreign key {name} of {other_name} references {column}: carry it over                      by hand (write the phases as docs/expand-contract.md shows)"
                ));
            }
        }
    }
    Ok(())
}

/// The SQL spellings of the names involved.
struct Names {
    table: String,
    /// For the files' names: `users_email_address`.
    stem: String,
    old: String,
    new: String,
    old_bare: String,
    new_bare: String,
    function: String,
    trigger: String,
    check: String,
}

impl Names {
    fn new(table: &str, old: &str, new: &str) -> Names {
        let bare_table = table.rsplit('.').next().unwrap_or(table).trim_matches('"');
        let schema = table
            .rsplit_once('.')
            .map_or(String::new(), |(s, _)| format!("{s}."));
        let stem = file_word(&format!("{bare_table}_{new}"));
        Names {
            table: table.to_string(),
            function: format!(
                "{schema}{}",
                ident(&format!("authdb_sync_{bare_table}_{new}"))
            ),
            trigger: ident(&format!("authdb_sync_{new}")),
            check: ident(&format!("{bare_table}_{new}_not_null")),
            stem,
            old: ident(old),
            new: ident(new),
            old_bare: old.to_string(),
            new_bare: new.to_string(),
        }
    }
}

fn expand(n: &Names, column: &Column) -> Planned {
    let Names {
        table,
        old,
        new,
        function,
        trigger,
        check,
        ..
    } = n;
    // No default yet: an INSERT of the old version must leave the new column empty, for the
    // trigger to fill; the contract step gives it the old column's default.
    let collate = column
        .collation
        .as_ref()
        .map_or(String::new(), |c| format!(" COLLATE {c}"));
    let mut up = format!(
        "-- Expand: {table}.{new} beside {old}, kept in step by a trigger while the app versions \
         that read\n\
         -- either are live. Then the backfill, and after the rollout the contract step.\n\
         ALTER TABLE {table} ADD COLUMN {new} {}{collate};\n",
        column.data_type
    );
    if column.not_null {
        up.push_str(&format!(
            "-- NOT NULL as a check that new rows meet at once; the contract step validates it.\n\
             ALTER TABLE {table} ADD CONSTRAINT {check} CHECK ({new} IS NOT NULL) NOT VALID;\n"
        ));
    }
    if let Some(comment) = &column.comment {
        up.push_str(&format!(
            "COMMENT ON COLUMN {table}.{new} IS '{}';\n",
            comment.replace('\'', "''")
        ));
    }
    up.push_str(&format!(
        "-- Both ways, from the row's own old and new values (no session setting, so it works\n\
         -- through a transaction-mode pooler): an INSERT that gives one column fills the other;\n\
         -- an UPDATE that changes one copies it to the other; one that changes both keeps {new}'s\n\
         -- value (the new version wins); a row whose {new} is still empty gets it when written.\n\
         CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $authdb$\n\
         BEGIN\n\
         \x20   IF TG_OP = 'INSERT' THEN\n\
         \x20       IF NEW.{new} IS NULL THEN\n\
         \x20           NEW.{new} := NEW.{old};\n\
         \x20       ELSIF NEW.{old} IS NULL OR NEW.{old} IS DISTINCT FROM NEW.{new} THEN\n\
         \x20           NEW.{old} := NEW.{new};\n\
         \x20       END IF;\n\
         \x20   ELSIF NEW.{new} IS DISTINCT FROM OLD.{new} THEN\n\
         \x20       NEW.{old} := NEW.{new};\n\
         \x20   ELSIF NEW.{old} IS DISTINCT FROM OLD.{old} OR NEW.{new} IS NULL THEN\n\
         \x20       NEW.{new} := NEW.{old};\n\
         \x20   END IF;\n\
         \x20   RETURN NEW;\n\
         END\n\
         $authdb$;\n\
         CREATE TRIGGER {trigger} BEFORE INSERT OR UPDATE ON {table}\n\
         \x20   FOR EACH ROW EXECUTE FUNCTION {function}();\n"
    ));
    let mut down = format!("DROP TRIGGER {trigger} ON {table};\nDROP FUNCTION {function}();\n");
    down.push_str(&format!("ALTER TABLE {table} DROP COLUMN {new};\n"));
    Planned {
        name: format!("expand_{}", n.stem),
        up,
        down,
    }
}

/// An index or unique constraint of the old column: what follows `USING method`, and whether it
/// is unique and owned by a constraint.
struct Unique {
    method: String,
    definition: String,
    unique: bool,
    constraint: bool,
}

/// The table's valid indexes on the old column alone (plain or an expression of it), and its
/// unique constraint on it. An index or constraint that involves it with another column is
/// refused by [`refuse_shared`].
fn unique_indexes(table: &Table, column: &str) -> Vec<(String, Unique)> {
    table
        .indexes
        .iter()
        .filter(|(_, index)| index.valid)
        .filter(|(_, index)| words(&index.definition).any(|w| w == column))
        .filter(|(_, index)| {
            table.columns.iter().all(|other| {
                other.name == column || !words(&index.definition).any(|w| w == other.name)
            })
        })
        .map(|(name, index)| {
            (
                name.clone(),
                Unique {
                    method: index.method.clone(),
                    definition: index.definition.clone(),
                    unique: index.unique,
                    constraint: false,
                },
            )
        })
        .chain(table.constraints.iter().filter_map(|(name, constraint)| {
            let only = format!("UNIQUE ({column})");
            (constraint.definition == only
                || constraint.definition == format!("UNIQUE ({})", ident(column)))
            .then(|| {
                (
                    name.clone(),
                    Unique {
                        method: "btree".into(),
                        definition: format!("({})", ident(column)),
                        unique: true,
                        constraint: true,
                    },
                )
            })
        }))
        .collect()
}

/// A name as a file name's part: lowercase letters, digits and underscores.
fn file_word(name: &str) -> String {
    name.to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// The identifier-like words of an index definition.
fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
}

/// `text` with the whole word `old` replaced by `new`.
fn replace_word(text: &str, old: &str, new: &str) -> String {
    let mut out = String::new();
    let mut word = String::new();
    for c in text.chars().chain(std::iter::once('\0')) {
        if c.is_alphanumeric() || c == '_' {
            word.push(c);
            continue;
        }
        out.push_str(if word == old { new } else { &word });
        word.clear();
        if c != '\0' {
            out.push(c);
        }
    }
    out
}

/// The name of the index that takes over from `name`.
fn renamed_index(name: &str, n: &Names) -> String {
    if words(name).any(|w| w.contains(&n.old_bare)) {
        name.replacen(&n.old_bare, &n.new_bare, 1)
    } else {
        format!("{name}_{}", n.new_bare)
    }
}

fn build_unique(n: &Names, old_index: &str, unique: &Unique) -> Planned {
    let name = ident(&renamed_index(old_index, n));
    let definition = replace_word(&unique.definition, &n.old_bare, &n.new);
    let schema = n
        .table
        .rsplit_once('.')
        .map_or(String::new(), |(s, _)| format!("{s}."));
    let kind = if unique.constraint {
        "constraint"
    } else {
        "index"
    };
    Planned {
        name: format!("index_{}", file_word(&renamed_index(old_index, n))),
        up: format!(
            "-- authdb:no-transaction\n\
             -- On {new} as the {kind} {old_index} is on {old}: built without blocking writes.\n\
             CREATE {}INDEX CONCURRENTLY {name} ON {table} USING {} {definition};\n",
            if unique.unique { "UNIQUE " } else { "" },
            unique.method,
            new = n.new,
            old = n.old,
            table = n.table,
        ),
        down: format!("-- authdb:no-transaction\nDROP INDEX CONCURRENTLY {schema}{name};\n"),
    }
}

fn backfill(n: &Names, table: &Table) -> Planned {
    let Names {
        table: name,
        old,
        new,
        ..
    } = n;
    let key = batch_key(table);
    Planned {
        name: format!("backfill_{}", n.stem),
        up: format!(
            "-- authdb:no-transaction\n\
             -- authdb:backfill copies {old} into {new} for the rows written before the trigger, {BATCH} at a time\n\
             UPDATE {name} SET {new} = {old}\n\
             \x20WHERE {key} IN (SELECT {key} FROM {name} WHERE {new} IS NULL AND {old} IS NOT NULL LIMIT {BATCH});\n"
        ),
        down: format!(
            "-- Nothing to undo: the expand's down file drops {new} with what was copied into it.\n\
             SELECT 'nothing to undo';\n"
        ),
    }
}

/// How a backfill batch finds its rows: by a one-column primary key's index, else by their
/// physical address.
fn batch_key(table: &Table) -> String {
    table
        .constraints
        .values()
        .find_map(|c| {
            let inner = c
                .definition
                .strip_prefix("PRIMARY KEY (")?
                .strip_suffix(')')?;
            (!inner.contains(',')).then(|| inner.to_string())
        })
        .unwrap_or_else(|| "ctid".to_string())
}

fn contract(n: &Names, column: &Column, indexes: &[(String, Unique)]) -> Planned {
    let Names {
        table: name,
        old,
        new,
        function,
        trigger,
        check,
        ..
    } = n;
    let mut up = format!(
        "-- authdb:contract the app version before {new} still reads and writes {old}\n\
         -- After the rollout: {new} alone, {old} and the trigger gone.\n"
    );
    if column.not_null {
        up.push_str(&format!(
            "ALTER TABLE {name} VALIDATE CONSTRAINT {check};\n\
             -- PostgreSQL 12 and later skip the scan: the validated check proves it.\n\
             ALTER TABLE {name} ALTER COLUMN {new} SET NOT NULL;\n\
             -- authdb:allow ban-drop-constraint the NOT NULL it stood for is the column's now\n\
             ALTER TABLE {name} DROP CONSTRAINT {check};\n"
        ));
    }
    up.push_str(&format!(
        "DROP TRIGGER {trigger} ON {name};\n\
         -- authdb:allow ban-drop-function only the trigger dropped above called it\n\
         DROP FUNCTION {function}();\n"
    ));
    if let Some(default) = &column.default {
        up.push_str(&format!(
            "ALTER TABLE {name} ALTER COLUMN {new} SET DEFAULT {default};\n"
        ));
    }
    for (old_index, unique) in indexes {
        if unique.constraint {
            let index = ident(&renamed_index(old_index, n));
            up.push_str(&format!(
                "ALTER TABLE {name} ADD CONSTRAINT {index} UNIQUE USING INDEX {index};\n"
            ));
        }
    }
    up.push_str(&format!(
        "-- authdb:allow ban-drop-column held until the rollout is over: no live version reads it\n\
         ALTER TABLE {name} DROP COLUMN {old};\n"
    ));

    // The down file brings the old column back, filled from the new one, and the trigger with it.
    let expand = expand(n, column);
    let default = column
        .default
        .as_ref()
        .map_or(String::new(), |d| format!(" DEFAULT {d}"));
    let mut down = format!(
        "ALTER TABLE {name} ADD COLUMN {old} {}{default};\nUPDATE {name} SET {old} = {new};\n",
        column.data_type
    );
    if column.default.is_some() {
        down.push_str(&format!(
            "ALTER TABLE {name} ALTER COLUMN {new} DROP DEFAULT;\n"
        ));
    }
    if let Some(comment) = &column.comment {
        down.push_str(&format!(
            "COMMENT ON COLUMN {name}.{old} IS '{}';\n",
            comment.replace('\'', "''")
        ));
    }
    if column.not_null {
        down.push_str(&format!(
            "-- authdb:allow adding-not-nullable-field filled from {new} just above, in this transaction\n\
             ALTER TABLE {name} ALTER COLUMN {old} SET NOT NULL;\n\
             ALTER TABLE {name} ALTER COLUMN {new} DROP NOT NULL;\n\
             ALTER TABLE {name} ADD CONSTRAINT {check} CHECK ({new} IS NOT NULL) NOT VALID;\n"
        ));
    }
    for (old_index, unique) in indexes {
        let index = ident(&renamed_index(old_index, n));
        if unique.constraint {
            down.push_str(&format!(
                "ALTER TABLE {name} DROP CONSTRAINT {index};\n\
                 CREATE UNIQUE INDEX {index} ON {name} ({new});\n\
                 -- authdb:allow constraint-missing-not-valid a rollback: the column is new in this transaction\n\
                 ALTER TABLE {name} ADD CONSTRAINT {} UNIQUE ({old});\n",
                ident(old_index)
            ));
        } else {
            down.push_str(&format!(
                "CREATE {}INDEX {} ON {name} USING {} {};\n",
                if unique.unique { "UNIQUE " } else { "" },
                ident(old_index),
                unique.method,
                unique.definition
            ));
        }
    }
    let sync = expand
        .up
        .split_once("CREATE FUNCTION")
        .map(|(_, rest)| format!("CREATE FUNCTION{rest}"))
        .unwrap_or_default();
    down.push_str(&sync);
    Planned {
        name: format!("contract_{}", n.stem),
        up,
        down,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_whole_word_is_replaced_and_nothing_else() {
        assert_eq!(
            replace_word("(lower(email)) WHERE email_x > 0", "email", "email_address"),
            "(lower(email_address)) WHERE email_x > 0"
        );
    }
}
