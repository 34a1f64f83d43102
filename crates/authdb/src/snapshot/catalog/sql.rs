//! The SQL every catalog query shares: which schemas and objects are the migrations', and how
//! owners, privileges and comments are read in the role-independent form of `privileges.rs`.
//! Only catalog columns that exist in PostgreSQL 14 to 17 are used.

/// The schemas read: all but PostgreSQL's own (`pg_catalog`, `pg_toast*`, `pg_temp*`: a user
/// cannot create a schema whose name starts `pg_`), `information_schema`, and a schema an
/// extension owns.
pub(super) const SCHEMAS: &str = "
    ns AS (
        SELECT n.oid, n.nspname FROM pg_namespace n
        WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
          AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_namespace'::regclass
                          AND d.objid = n.oid AND d.deptype = 'e')
    )";

/// Whether the object `oid` of catalog `catalog` belongs to an extension.
pub(super) fn extension_member(catalog: &str, oid: &str) -> String {
    format!(
        "EXISTS (SELECT FROM pg_depend d WHERE d.classid = '{catalog}'::regclass \
         AND d.objid = {oid} AND d.deptype = 'e')"
    )
}

/// Whether an object goes with an object of an extension (an operator family's members, which
/// depend on the family, not on the extension).
pub(super) fn part_of_extension(catalog: &str, oid: &str) -> String {
    format!(
        "EXISTS (SELECT FROM pg_depend d JOIN pg_depend x ON x.classid = d.refclassid \
         AND x.objid = d.refobjid AND x.deptype = 'e' \
         WHERE d.classid = {catalog} AND d.objid = {oid} AND d.deptype IN ('a', 'i'))"
    )
}

/// A role's raw name, which `acl.rs` writes as the snapshot does (`$migrator`, a name).
pub(super) fn role(oid: &str) -> String {
    format!("pg_get_userbyid({oid})")
}

/// An object's ACL as PostgreSQL prints its items, the defaults (`acldefault`) when it is NULL;
/// `acl.rs` reads it.
pub(super) fn grants(acl: &str, owner: &str, kind: char) -> String {
    grants_of_kind(acl, owner, &format!("'{kind}'"))
}

/// [`grants`] for a kind that is an SQL expression (a column of `"char"`).
pub(super) fn grants_of_kind(acl: &str, owner: &str, kind: &str) -> String {
    format!("coalesce({acl}, acldefault({kind}, {owner}))::text[]")
}

/// A collation `oid` as SQL names it (`regcollation`, PostgreSQL 13+: bare when `search_path`
/// finds it, quoted where needed), or NULL for none.
pub(super) fn collation(oid: &str) -> String {
    format!("nullif({oid}, 0)::regcollation::text")
}

/// Who runs the command (the migrator), and each kind's default ACL for a role: the privileges
/// its owner holds are what `ALL` means on this server.
pub(super) const ROLES: &str = "
    SELECT json_build_object('user', current_user, 'all', (
        SELECT json_object_agg(k, acldefault(k::\"char\", 10)::text[])
        FROM unnest(ARRAY['r', 's', 'f', 'n', 'T', 'l', 'F', 'S']) k))";

/// The batch's first statement: `search_path` set to `public` (PostgreSQL prints every name
/// relative to it) until the last one puts it back, so names do not depend on the session. The
/// planner takes the joins in the order written: catalog queries are cheap to run and costly to
/// plan, and planning is most of their time.
pub(super) const SET_SEARCH_PATH: &str = "
    SELECT set_config('authdb.search_path', current_setting('search_path'), true),
           set_config('authdb.join_collapse_limit', current_setting('join_collapse_limit'), true),
           set_config('authdb.from_collapse_limit', current_setting('from_collapse_limit'), true),
           set_config('search_path', 'public', true),
           set_config('join_collapse_limit', '1', true),
           set_config('from_collapse_limit', '1', true)";
pub(super) const RESET_SEARCH_PATH: &str = "
    SELECT set_config('search_path', current_setting('authdb.search_path'), true),
           set_config('join_collapse_limit', current_setting('authdb.join_collapse_limit'), true),
           set_config('from_collapse_limit', current_setting('authdb.from_collapse_limit'), true)";

/// A JSON array of the rows of `select` (each a JSON object), `[]` for none.
pub(super) fn rows(with: &str, select: &str) -> String {
    let with = if with.is_empty() {
        String::new()
    } else {
        format!("{with},")
    };
    format!("WITH {with} answer AS ({select}) SELECT coalesce(json_agg(answer), '[]') FROM answer")
}
