//! Every other kind of object, in one query over the catalogs that hold them: named by
//! `pg_identify_object`, with an owner, privileges and comment where the kind has them, and a
//! definition where PostgreSQL can print one. Objects made by initdb (OIDs below 16384), by an
//! extension, or as part of another object (an operator class's members, a view's `_RETURN`
//! rule) are left out.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::acl::Roles;
use super::normalise::squeeze;
use super::sql::{self, SCHEMAS};
use crate::snapshot::Other;
use crate::snapshot::privileges::GrantKind;

/// One query per catalog: (catalog, oid, owner, ACL, ACL kind, definition) of its objects
/// made after initdb.
const BRANCHES: &[&str] = &[
    "SELECT 'pg_collation', oid, collowner, NULL, NULL,
       concat_ws(', ', 'provider ' || collprovider::text,
                 CASE WHEN NOT collisdeterministic THEN 'nondeterministic' END,
                 'collate ' || quote_literal(collcollate), 'ctype ' || quote_literal(collctype),
                 'locale ' || quote_literal(coalesce(to_jsonb(c) ->> 'colllocale',
                                                     to_jsonb(c) ->> 'colliculocale')))
FROM pg_collation c WHERE oid >= 16384",
    "SELECT 'pg_conversion', oid, conowner, NULL, NULL,
       format('%s to %s, function %s', pg_encoding_to_char(conforencoding),
              pg_encoding_to_char(contoencoding), conproc::regproc)
       || CASE WHEN condefault THEN ', default' ELSE '' END
FROM pg_conversion WHERE oid >= 16384",
    "SELECT 'pg_operator', oid, oprowner, NULL, NULL,
       concat_ws(', ', 'function ' || oprcode::regproc::text,
                 'commutator ' || nullif(oprcom, 0)::regoperator::text,
                 'negator ' || nullif(oprnegate, 0)::regoperator::text,
                 'restrict ' || nullif(oprrest::oid, 0)::regproc::text,
                 'join ' || nullif(oprjoin::oid, 0)::regproc::text,
                 CASE WHEN oprcanmerge THEN 'merges' END, CASE WHEN oprcanhash THEN 'hashes' END)
FROM pg_operator WHERE oid >= 16384",
    "SELECT 'pg_opclass', c.oid, c.opcowner, NULL, NULL,
       concat_ws(', ', 'for type ' || format_type(c.opcintype, NULL),
                 'family ' || quote_ident(f.opfname), CASE WHEN c.opcdefault THEN 'default' END,
                 'storage ' || format_type(nullif(c.opckeytype, 0), NULL))
FROM pg_opclass c JOIN pg_opfamily f ON f.oid = c.opcfamily WHERE c.oid >= 16384",
    "SELECT 'pg_opfamily', f.oid, f.opfowner, NULL, NULL,
       concat_ws(', ',
           (SELECT string_agg(format('operator %s %s', amopstrategy, amopopr::regoperator), ', '
                              ORDER BY amopstrategy, amopopr::regoperator::text)
            FROM pg_amop WHERE amopfamily = f.oid),
           (SELECT string_agg(format('function %s %s', amprocnum, amproc::regprocedure), ', '
                              ORDER BY amprocnum, amproc::regprocedure::text)
            FROM pg_amproc WHERE amprocfamily = f.oid))
FROM pg_opfamily f WHERE f.oid >= 16384",
    "SELECT 'pg_amop', oid, NULL, NULL, NULL, NULL FROM pg_amop WHERE oid >= 16384",
    "SELECT 'pg_amproc', oid, NULL, NULL, NULL, NULL FROM pg_amproc WHERE oid >= 16384",
    "SELECT 'pg_cast', oid, NULL, NULL, NULL,
       CASE castmethod WHEN 'f' THEN 'with function ' || castfunc::regprocedure::text
                       WHEN 'i' THEN 'with inout' ELSE 'without function' END
       || CASE castcontext WHEN 'i' THEN ', implicit' WHEN 'a' THEN ', assignment' ELSE '' END
FROM pg_cast WHERE oid >= 16384",
    "SELECT 'pg_ts_config', c.oid, c.cfgowner, NULL, NULL,
       'parser ' || quote_ident(p.prsname) || coalesce(', mapping ' || (
           SELECT string_agg(m.maptokentype || ' ' || m.mapdict::regdictionary::text, ', '
                             ORDER BY m.maptokentype, m.mapseqno)
           FROM pg_ts_config_map m WHERE m.mapcfg = c.oid), '')
FROM pg_ts_config c JOIN pg_ts_parser p ON p.oid = c.cfgparser WHERE c.oid >= 16384",
    "SELECT 'pg_ts_dict', d.oid, d.dictowner, NULL, NULL,
       'template ' || quote_ident(t.tmplname) || coalesce(', options ' || d.dictinitoption, '')
FROM pg_ts_dict d JOIN pg_ts_template t ON t.oid = d.dicttemplate WHERE d.oid >= 16384",
    "SELECT 'pg_ts_parser', oid, NULL, NULL, NULL,
       concat_ws(', ', 'start ' || prsstart::regproc::text, 'gettoken ' || prstoken::regproc::text,
                 'end ' || prsend::regproc::text, 'lextypes ' || prslextype::regproc::text,
                 'headline ' || nullif(prsheadline::oid, 0)::regproc::text)
FROM pg_ts_parser WHERE oid >= 16384",
    "SELECT 'pg_ts_template', oid, NULL, NULL, NULL,
       concat_ws(', ', 'init ' || nullif(tmplinit::oid, 0)::regproc::text,
                 'lexize ' || tmpllexize::regproc::text)
FROM pg_ts_template WHERE oid >= 16384",
    "SELECT 'pg_foreign_data_wrapper', oid, fdwowner, fdwacl, 'F',
       concat_ws(', ', 'handler ' || nullif(fdwhandler, 0)::regproc::text,
                 'validator ' || nullif(fdwvalidator, 0)::regproc::text,
                 'options ' || array_to_string(fdwoptions, ', '))
FROM pg_foreign_data_wrapper WHERE oid >= 16384",
    "SELECT 'pg_foreign_server', s.oid, s.srvowner, s.srvacl, 'S',
       concat_ws(', ', 'wrapper ' || quote_ident(w.fdwname), 'type ' || quote_literal(s.srvtype),
                 'version ' || quote_literal(s.srvversion),
                 'options ' || array_to_string(s.srvoptions, ', '))
FROM pg_foreign_server s JOIN pg_foreign_data_wrapper w ON w.oid = s.srvfdw
WHERE s.oid >= 16384",
    // pg_user_mapping holds credentials and only superusers read it; the view hides them.
    "SELECT 'pg_user_mapping', umid, NULL, NULL, NULL, NULL FROM pg_user_mappings WHERE umid >= 16384",
    "SELECT 'pg_publication', p.oid, p.pubowner, NULL, NULL,
       concat_ws(', ', CASE WHEN p.puballtables THEN 'all tables' END,
                 'publishes ' || concat_ws('/', CASE WHEN p.pubinsert THEN 'insert' END,
                                           CASE WHEN p.pubupdate THEN 'update' END,
                                           CASE WHEN p.pubdelete THEN 'delete' END,
                                           CASE WHEN p.pubtruncate THEN 'truncate' END),
                 CASE WHEN p.pubviaroot THEN 'via root' END,
                 'tables ' || (SELECT string_agg(format('%I.%I', t.schemaname, t.tablename), ', '
                                                 ORDER BY t.schemaname, t.tablename)
                               FROM pg_publication_tables t WHERE t.pubname = p.pubname))
FROM pg_publication p WHERE p.oid >= 16384",
    "SELECT 'pg_publication_rel', oid, NULL, NULL, NULL, NULL FROM pg_publication_rel WHERE oid >= 16384",
    "SELECT 'pg_language', oid, lanowner, lanacl, 'l',
       concat_ws(', ', CASE WHEN lanpltrusted THEN 'trusted' END,
                 'handler ' || nullif(lanplcallfoid, 0)::regproc::text,
                 'inline ' || nullif(laninline, 0)::regproc::text,
                 'validator ' || nullif(lanvalidator, 0)::regproc::text)
FROM pg_language WHERE oid >= 16384",
    "SELECT 'pg_transform', oid, NULL, NULL, NULL,
       concat_ws(', ', 'from sql ' || nullif(trffromsql::oid, 0)::regprocedure::text,
                 'to sql ' || nullif(trftosql::oid, 0)::regprocedure::text)
FROM pg_transform WHERE oid >= 16384",
    "SELECT 'pg_am', oid, NULL, NULL, NULL,
       format('type %s, handler %s', CASE amtype WHEN 't' THEN 'table' ELSE 'index' END,
              amhandler::regproc)
FROM pg_am WHERE oid >= 16384",
    "SELECT 'pg_event_trigger', oid, evtowner, NULL, NULL,
       concat_ws(', ', 'on ' || evtevent,
                 'tags ' || array_to_string(evttags, ', '),
                 'function ' || evtfoid::regproc::text,
                 CASE evtenabled WHEN 'D' THEN 'disabled' WHEN 'R' THEN 'replica'
                                 WHEN 'A' THEN 'always' ELSE 'enabled' END)
FROM pg_event_trigger WHERE oid >= 16384",
    "SELECT 'pg_statistic_ext', oid, stxowner, NULL, NULL,
       pg_get_statisticsobjdef(oid)
       || coalesce(' (statistics ' || nullif(stxstattarget::int, -1) || ')', '')
FROM pg_statistic_ext WHERE oid >= 16384",
    "SELECT 'pg_rewrite', oid, NULL, NULL, NULL,
       pg_get_ruledef(oid, true)
       || CASE ev_enabled WHEN 'D' THEN ' (disabled)' WHEN 'R' THEN ' (replica)'
                          WHEN 'A' THEN ' (always)' ELSE '' END
FROM pg_rewrite WHERE oid >= 16384",
];

/// The catalog a branch reads, as its first column names it.
fn catalog(branch: &str) -> &str {
    branch.split('\'').nth(1).unwrap_or_default()
}

/// Which catalogs of these kinds hold an object made after initdb: cheap to ask, and most
/// databases have none, so the detailed query (whose plan is costly) runs only for those that
/// do. `more` are other probes (`(SELECT 'name' WHERE ...)`) for the same UNION: nested in
/// another expression, it costs the planner eight times as much.
pub(super) fn present_with(more: &[&str]) -> String {
    let probes: Vec<String> = BRANCHES
        .iter()
        .map(|branch| {
            let catalog = catalog(branch);
            let rows = match catalog {
                "pg_user_mapping" => "pg_user_mappings WHERE umid >= 16384".to_string(),
                _ => format!("{catalog} WHERE oid >= 16384"),
            };
            format!("(SELECT '{catalog}' AS c FROM {rows} LIMIT 1)")
        })
        .chain(more.iter().map(|probe| probe.to_string()))
        .collect();
    format!(
        "SELECT coalesce(json_agg(c), '[]') FROM ({}) present",
        probes.join(" UNION ALL ")
    )
}

/// The objects of the `catalogs` [`present_with`] found.
pub(super) fn others_sql(catalogs: &[String]) -> String {
    let typed = "SELECT NULL::name, NULL::oid, NULL::oid, NULL::aclitem[], NULL::\"char\", NULL::text \
                 WHERE false";
    let branches: Vec<&str> = std::iter::once(typed)
        .chain(
            BRANCHES
                .iter()
                .copied()
                .filter(|branch| catalogs.iter().any(|c| c == catalog(branch))),
        )
        .collect();
    let objects = format!(
        "objects(catalog, objid, owner, acl, aclkind, definition) AS ({})",
        branches.join(" UNION ALL ")
    );
    sql::rows(
        &format!("{SCHEMAS}, {objects}"),
        &format!(
            "SELECT i.type AS kind, i.identity,
                CASE WHEN o.owner IS NOT NULL THEN {owner} END AS owner,
                CASE WHEN o.aclkind IS NOT NULL THEN {grants} END AS grants,
                o.definition, obj_description(o.objid, o.catalog) AS comment
            FROM objects o, pg_identify_object(o.catalog::regclass, o.objid, 0) i
            WHERE (i.schema IS NULL OR i.schema IN (SELECT nspname FROM ns))
              AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = o.catalog::regclass
                              AND d.objid = o.objid AND d.objsubid = 0 AND d.deptype IN ('e', 'i'))
              AND NOT {part_of_extension}",
            owner = sql::role("o.owner"),
            grants = sql::grants_of_kind("o.acl", "o.owner", "o.aclkind"),
            part_of_extension = sql::part_of_extension("o.catalog::regclass", "o.objid"),
        ),
    )
}

#[derive(Deserialize)]
pub(super) struct OtherRow {
    kind: String,
    identity: String,
    owner: Option<String>,
    grants: Option<Vec<String>>,
    definition: Option<String>,
    comment: Option<String>,
}

pub(super) fn others(rows: Vec<OtherRow>, all: &Roles) -> BTreeMap<String, Other> {
    rows.into_iter()
        .map(|row| {
            let kind = match row.kind.as_str() {
                "language" => Some(GrantKind::Language),
                "foreign-data wrapper" => Some(GrantKind::ForeignDataWrapper),
                "server" => Some(GrantKind::ForeignServer),
                _ => None,
            };
            let owner = row.owner.clone().unwrap_or_default();
            let grants = match (row.grants, kind) {
                (Some(grants), Some(kind)) => all.grants(&grants, &owner, kind),
                _ => Default::default(),
            };
            let other = Other {
                kind: row.kind,
                identity: row.identity,
                definition: row
                    .definition
                    .map(|d| squeeze(&d))
                    .filter(|d| !d.is_empty()),
                owner: row.owner.map(|owner| all.owner(&owner)),
                grants,
                comment: row.comment,
            };
            (other.key(), other)
        })
        .collect()
}
