//! Schemas, extensions, default privileges, types, sequences and routines from pg_catalog: one
//! query per kind.

use super::sql::{self, SCHEMAS};

/// A schema PostgreSQL created with the database (`public`: it has initial privileges in
/// `pg_init_privs`) reads as a new database has it while its privileges are those it was
/// created with, whichever role PostgreSQL 14 or 15+ gave it to.
pub(super) fn schemas_sql() -> String {
    let initial_owner = "ip.objoid IS NOT NULL \
                         AND (n.nspowner = 10 OR pg_get_userbyid(n.nspowner) = 'pg_database_owner')";
    sql::rows(
        "",
        &format!(
            "SELECT quote_ident(n.nspname) AS name,
                CASE WHEN {initial_owner} THEN 'pg_database_owner' ELSE {owner} END AS owner,
                {owner} AS acl_owner, {grants} AS grants,
                obj_description(n.oid, 'pg_namespace') AS comment
            FROM pg_namespace n
            LEFT JOIN pg_init_privs ip ON ip.objoid = n.oid
                 AND ip.classoid = 'pg_namespace'::regclass AND ip.objsubid = 0
            WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
              AND NOT {member}",
            owner = sql::role("n.nspowner"),
            grants = sql::grants(
                "CASE WHEN n.nspacl IS NOT DISTINCT FROM ip.initprivs THEN NULL ELSE n.nspacl END",
                "n.nspowner",
                'n'
            ),
            member = sql::extension_member("pg_namespace", "n.oid"),
        ),
    )
}

/// Extensions created after the database (`plpgsql` comes with it).
pub(super) const EXTENSIONS_SQL: &str = "
    WITH answer AS (
        SELECT quote_ident(e.extname) AS name, quote_ident(n.nspname) AS schema,
               obj_description(e.oid, 'pg_extension') AS comment
        FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
        WHERE e.oid >= 16384)
    SELECT coalesce(json_agg(answer), '[]') FROM answer";

/// The migrator's own: what other roles' entries say governs what those roles create, not what
/// the migrations create (Neon keeps some for its administrator in every database).
pub(super) fn default_privileges_sql() -> String {
    sql::rows(
        "",
        &format!(
            "SELECT {role} AS role,
                CASE WHEN d.defaclnamespace <> 0 THEN quote_ident(n.nspname) END AS schema,
                d.defaclobjtype AS objtype, d.defaclacl::text[] AS grants
            FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace
            WHERE d.defaclrole = current_user::text::regrole",
            role = sql::role("d.defaclrole"),
        ),
    )
}

/// Enums, domains, standalone composite types and ranges (a table's row type, an array or a
/// range's multirange comes with its owner and is not listed).
pub(super) fn types_sql() -> String {
    sql::rows(
        &format!(
            "{SCHEMAS}, types AS (
                SELECT t.* FROM pg_type t JOIN ns ON ns.oid = t.typnamespace
                WHERE (t.typtype IN ('e', 'd', 'r')
                       OR (t.typtype = 'c' AND (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c'))
                  AND NOT {})",
            sql::extension_member("pg_type", "t.oid")
        ),
        &format!(
            "SELECT format_type(t.oid, NULL) AS name, t.typtype AS kind,
                {owner} AS owner, {grants} AS grants, obj_description(t.oid, 'pg_type') AS comment,
                (SELECT json_agg(enumlabel ORDER BY enumsortorder) FROM pg_enum
                 WHERE enumtypid = t.oid) AS labels,
                CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END AS base,
                t.typnotnull AS not_null, pg_get_expr(t.typdefaultbin, 0) AS default,
                CASE WHEN t.typtype = 'd' AND t.typcollation <> bt.typcollation
                     THEN {type_collation} END AS collation,
                (SELECT coalesce(json_agg(json_build_array(c.conname, pg_get_constraintdef(c.oid, true))
                                 ORDER BY c.conname), '[]')
                 FROM pg_constraint c WHERE c.contypid = t.oid AND c.contype = 'c') AS checks,
                (SELECT json_agg(json_build_array(a.attname, format_type(a.atttypid, a.atttypmod),
                        CASE WHEN a.attcollation <> at.typcollation THEN {attribute_collation} END)
                        ORDER BY a.attnum)
                 FROM pg_attribute a JOIN pg_type at ON at.oid = a.atttypid
                 WHERE t.typtype = 'c' AND a.attrelid = t.typrelid AND a.attnum > 0
                   AND NOT a.attisdropped) AS attributes,
                (SELECT json_build_array(format_type(r.rngsubtype, NULL),
                        CASE WHEN NOT opc.opcdefault THEN quote_ident(opc.opcname) END,
                        {range_collation},
                        nullif(r.rngcanonical::oid, 0)::regproc::text, nullif(r.rngsubdiff::oid, 0)::regproc::text,
                        format_type(r.rngmultitypid, NULL))
                 FROM pg_range r JOIN pg_opclass opc ON opc.oid = r.rngsubopc
                 WHERE r.rngtypid = t.oid) AS range
            FROM types t LEFT JOIN pg_type bt ON bt.oid = t.typbasetype",
            owner = sql::role("t.typowner"),
            grants = sql::grants("t.typacl", "t.typowner", 'T'),
            type_collation = sql::collation("t.typcollation"),
            attribute_collation = sql::collation("a.attcollation"),
            range_collation = sql::collation("r.rngcollation"),
        ),
    )
}

/// Sequences with their options and the column that owns them (`serial`, `OWNED BY`, identity).
pub(super) fn sequences_sql() -> String {
    sql::rows(
        SCHEMAS,
        &format!(
            "SELECT c.oid::regclass::text AS name,
                format('as %s, start %s, increment %s, min %s, max %s, cache %s',
                       format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmin,
                       s.seqmax, s.seqcache) || CASE WHEN s.seqcycle THEN ', cycle' ELSE '' END
                    AS options,
                (SELECT d.refobjid::regclass::text || '.' || quote_ident(a.attname)
                 FROM pg_depend d JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                 WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                   AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
                   AND d.refobjsubid > 0) AS owned_by,
                EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                        AND d.objid = c.oid AND d.deptype = 'i') AS identity,
                {owner} AS owner, {grants} AS grants, obj_description(c.oid, 'pg_class') AS comment
            FROM pg_class c JOIN ns ON ns.oid = c.relnamespace
            JOIN pg_sequence s ON s.seqrelid = c.oid
            WHERE c.relkind = 'S' AND NOT {member}",
            owner = sql::role("c.relowner"),
            grants = sql::grants("c.relacl", "c.relowner", 's'),
            member = sql::extension_member("pg_class", "c.oid"),
        ),
    )
}

/// Functions, procedures and aggregates no extension owns, and that come with no type (a
/// range's constructors do). `prosqlbody` (the SQL-standard `BEGIN ATOMIC` body) exists since
/// PostgreSQL 14. An aggregate's body is its options, as `CREATE AGGREGATE` takes them.
pub(super) fn functions_sql() -> String {
    let aggregate = "(SELECT concat_ws(', ',
            'sfunc = ' || a.aggtransfn::regproc::text,
            'stype = ' || format_type(a.aggtranstype, NULL),
            CASE WHEN a.aggtransspace <> 0 THEN 'sspace = ' || a.aggtransspace END,
            'finalfunc = ' || nullif(a.aggfinalfn::oid, 0)::regproc::text,
            CASE WHEN a.aggfinalextra THEN 'finalfunc_extra' END,
            'combinefunc = ' || nullif(a.aggcombinefn::oid, 0)::regproc::text,
            'serialfunc = ' || nullif(a.aggserialfn::oid, 0)::regproc::text,
            'deserialfunc = ' || nullif(a.aggdeserialfn::oid, 0)::regproc::text,
            'initcond = ' || quote_literal(a.agginitval),
            'msfunc = ' || nullif(a.aggmtransfn::oid, 0)::regproc::text,
            'minvfunc = ' || nullif(a.aggminvtransfn::oid, 0)::regproc::text,
            'mstype = ' || format_type(nullif(a.aggmtranstype, 0), NULL),
            'mfinalfunc = ' || nullif(a.aggmfinalfn::oid, 0)::regproc::text,
            'minitcond = ' || quote_literal(a.aggminitval),
            'sortop = ' || nullif(a.aggsortop, 0)::regoperator::text,
            CASE a.aggkind WHEN 'o' THEN 'ordered-set' WHEN 'h' THEN 'hypothetical' END)
        FROM pg_aggregate a WHERE a.aggfnoid = p.oid)";
    sql::rows(
        SCHEMAS,
        &format!(
            "SELECT CASE WHEN pg_function_is_visible(p.oid) THEN quote_ident(p.proname)
                         ELSE quote_ident(ns.nspname) || '.' || quote_ident(p.proname) END
                    || '(' || pg_get_function_identity_arguments(p.oid) || ')' AS signature,
                p.prokind AS kind,
                nullif(pg_get_function_arguments(p.oid), pg_get_function_identity_arguments(p.oid))
                    AS arguments,
                pg_get_function_result(p.oid) AS returns, l.lanname AS language,
                p.provolatile AS volatility, p.proisstrict AS strict,
                p.prosecdef AS security_definer, p.proleakproof AS leakproof,
                p.proparallel AS parallel,
                CASE WHEN p.procost <> CASE WHEN l.lanname IN ('c', 'internal') THEN 1 ELSE 100 END
                     THEN p.procost::text END AS cost,
                CASE WHEN p.proretset AND p.prorows <> 1000 THEN p.prorows::text END AS rows,
                coalesce(p.proconfig, '{{}}') AS settings,
                CASE WHEN p.prokind = 'a' THEN {aggregate}
                     WHEN p.prosqlbody IS NOT NULL THEN pg_get_function_sqlbody(p.oid)
                     ELSE p.prosrc END AS body,
                {owner} AS owner, {grants} AS grants,
                obj_description(p.oid, 'pg_proc') AS comment
            FROM pg_proc p
            JOIN ns ON ns.oid = p.pronamespace
            JOIN pg_language l ON l.oid = p.prolang
            WHERE NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                              AND d.objid = p.oid AND d.deptype IN ('e', 'i'))",
            owner = sql::role("p.proowner"),
            grants = sql::grants("p.proacl", "p.proowner", 'f'),
        ),
    )
}
