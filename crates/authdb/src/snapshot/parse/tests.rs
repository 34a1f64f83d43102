//! The text form round trip: everything the format can hold is written and read back equal,
//! and every malformed line is refused with its number and what was expected.

use std::collections::BTreeMap;

use super::parse;
use crate::snapshot::datatype::TypeDefinition;
use crate::snapshot::privileges::GrantKind;
use crate::snapshot::text::render;
use crate::snapshot::{
    Attribute, Column, Constraint, DataType, DefaultPrivileges, Domain, Extension, Function, Index,
    Other, Partition, Policy, Privileged, Range, RelationKind, RoutineKind, Schema, Sequence,
    Snapshot, Table, Trigger, TriggerState, default_grants,
};

fn grants(list: &[(&str, &str)]) -> BTreeMap<String, String> {
    list.iter()
        .map(|(g, p)| (g.to_string(), p.to_string()))
        .collect()
}

/// Everything the format can hold, with the awkward cases: quoted names, commas in a default,
/// a body with blank and indented lines, comments with quotes and line breaks, privileges that
/// are and are not the defaults, every kind of relation, type and routine.
fn everything() -> Snapshot {
    let mut snapshot = Snapshot {
        version: Some(12),
        ..Snapshot::default()
    };
    snapshot.schemas.insert(
        "public".into(),
        Schema {
            privileged: Privileged::initial_public(),
        },
    );
    snapshot.schemas.insert(
        "auth".into(),
        Schema {
            privileged: Privileged {
                owner: "auth_admin".into(),
                grants: grants(&[("$owner", "ALL"), ("PUBLIC", "USAGE")]),
                comment: Some("say \"hi\"\nand \\ more  ".into()),
            },
        },
    );
    snapshot.extensions.insert(
        "pg_trgm".into(),
        Extension {
            schema: "public".into(),
            comment: Some("text similarity".into()),
        },
    );
    for (schema, granted) in [
        (None, &[][..]),
        (Some("auth".to_string()), &[("app", "SELECT")][..]),
    ] {
        let entry = DefaultPrivileges {
            role: "$migrator".into(),
            schema,
            on: "tables".into(),
            grants: grants(granted),
        };
        snapshot.default_privileges.insert(entry.key(), entry);
    }
    let types = [
        (
            "auth.mood",
            TypeDefinition::Enum {
                labels: vec!["sad".into(), "o, k".into(), "\"happy\"".into()],
            },
        ),
        (
            "email",
            TypeDefinition::Domain(Domain {
                base: "text".into(),
                not_null: true,
                default: Some("'a, b'::text".into()),
                collation: Some("\"C\"".into()),
                constraints: [(
                    "email_check".to_string(),
                    "CHECK (VALUE ~~ '%@%'::text)".to_string(),
                )]
                .into(),
            }),
        ),
        (
            "pair",
            TypeDefinition::Composite {
                attributes: vec![
                    Attribute {
                        name: "a".into(),
                        data_type: "integer".into(),
                        collation: None,
                    },
                    Attribute {
                        name: "b c".into(),
                        data_type: "text".into(),
                        collation: Some("\"C\"".into()),
                    },
                ],
            },
        ),
        (
            "floatrange",
            TypeDefinition::Range(Range {
                subtype: "double precision".into(),
                opclass: Some("float8_ops".into()),
                collation: None,
                canonical: None,
                subtype_diff: Some("float8mi".into()),
                multirange: Some("floatmultirange".into()),
            }),
        ),
    ];
    for (name, definition) in types {
        let privileged = Privileged::created(GrantKind::Type);
        snapshot.types.insert(
            name.into(),
            DataType {
                definition,
                privileged,
            },
        );
    }
    snapshot.sequences.insert(
        "counter".into(),
        Sequence {
            options: "as integer, start 10, increment 5, min 1, max 1000, cache 2, cycle".into(),
            owned_by: Some("\"my table\".n".into()),
            identity: true,
            privileged: Privileged {
                grants: grants(&[("$owner", "ALL"), ("app", "USAGE, SELECT")]),
                ..Privileged::created(GrantKind::Sequence)
            },
        },
    );
    snapshot.functions.insert(
        "f(a integer, b text)".into(),
        Function {
            arguments: Some("a integer, b text DEFAULT 'x, y'::text".into()),
            returns: Some("TABLE(x integer, y text)".into()),
            volatility: "stable".into(),
            strict: true,
            security_definer: true,
            leakproof: true,
            parallel: Some("safe".into()),
            cost: Some("5".into()),
            rows: Some("10".into()),
            settings: vec!["search_path=pg_catalog, public".into()],
            body: "\n  SELECT 1, 'a'\n\n    -- indented\n".into(),
            privileged: Privileged {
                grants: grants(&[("$owner", "EXECUTE")]),
                comment: Some("no PUBLIC".into()),
                ..Privileged::created(GrantKind::Function)
            },
            ..Function::default()
        },
    );
    snapshot.functions.insert(
        "p()".into(),
        Function {
            kind: RoutineKind::Procedure,
            language: "plpgsql".into(),
            ..Function::default()
        },
    );
    snapshot.functions.insert(
        "auth.sum2(integer)".into(),
        Function {
            kind: RoutineKind::Aggregate,
            returns: Some("integer".into()),
            language: "internal".into(),
            body: "sfunc = int4pl, stype = integer, initcond = '0'".into(),
            ..Function::default()
        },
    );
    snapshot.tables.insert("\"my table\"".into(), table());
    let view = Table {
        kind: RelationKind::MaterializedView,
        definition: Some(" SELECT id,\n    m\n   FROM app.things\n  WHERE n > 1;".into()),
        privileged: Privileged {
            owner: "reporting".into(),
            grants: Default::default(),
            comment: None,
        },
        columns: vec![Column {
            name: "id".into(),
            data_type: "bigint".into(),
            ..Column::default()
        }],
        ..Table::default()
    };
    snapshot.tables.insert("auth.v".into(), view);
    snapshot.tables.insert(
        "remote".into(),
        Table {
            kind: RelationKind::ForeignTable,
            definition: Some("SERVER s OPTIONS (table_name 'x')".into()),
            ..Table::default()
        },
    );
    let other = Other {
        kind: "text search configuration".into(),
        identity: "app.cfg".into(),
        definition: Some("parser pg_catalog.\"default\", mapping 1 simple".into()),
        owner: Some("$migrator".into()),
        grants: Default::default(),
        comment: Some("search".into()),
    };
    snapshot.others.insert(other.key(), other);
    let cast = Other {
        kind: "cast".into(),
        identity: "(app.pair AS pg_catalog.text)".into(),
        definition: Some("with inout".into()),
        ..Other::default()
    };
    snapshot.others.insert(cast.key(), cast);
    snapshot.tracking = Some(Table {
        columns: vec![Column {
            name: "version".into(),
            data_type: "bigint".into(),
            not_null: true,
            ..Column::default()
        }],
        ..Table::default()
    });
    snapshot
}

fn table() -> Table {
    let mut table = Table {
        row_level_security: true,
        force_row_level_security: true,
        unlogged: true,
        replica_identity: Some("using index \"t idx\"".into()),
        access_method: Some("heap2".into()),
        partition_key: Some("RANGE (n, (g * 2))".into()),
        partition_of: Some(Partition {
            parent: "\"odd, parent\"".into(),
            bound: "FOR VALUES IN ('a, b', 'c')".into(),
        }),
        inherits: vec!["a".into(), "\"b b\"".into()],
        clustered_on: Some("\"t idx\"".into()),
        privileged: Privileged {
            owner: "\"Odd Owner\"".into(),
            grants: grants(&[
                ("$owner", "ALL"),
                ("PUBLIC", "SELECT with grant option, UPDATE"),
            ]),
            comment: Some("the table".into()),
        },
        ..Table::default()
    };
    table
        .storage_parameters
        .insert("fillfactor".into(), "70".into());
    table
        .storage_parameters
        .insert("toast.autovacuum_enabled".into(), "false".into());
    table.columns = vec![
        Column {
            name: "odd \"name\", really".into(),
            data_type: "numeric(10,2)".into(),
            not_null: true,
            collation: Some("\"C\"".into()),
            default: Some("'a, b'::text || 'c'".into()),
            statistics: Some(1000),
            storage: Some("external".into()),
            compression: Some("pglz".into()),
            options: [("n_distinct".to_string(), "-0.5".to_string())].into(),
            grants: grants(&[("app", "SELECT")]),
            comment: Some("odd".into()),
            ..Column::default()
        },
        Column {
            name: "n".into(),
            data_type: "bigint".into(),
            not_null: true,
            identity: Some("by default".into()),
            ..Column::default()
        },
        Column {
            name: "g".into(),
            data_type: "integer".into(),
            generated: Some("(n * 2)".into()),
            ..Column::default()
        },
    ];
    table.constraints.insert(
        "t_check".into(),
        Constraint {
            definition: "CHECK (n > 0)".into(),
            comment: Some("positive".into()),
        },
    );
    table.indexes.insert(
        "t idx".into(),
        Index {
            unique: true,
            method: "btree".into(),
            definition: "(n) WHERE (g > 1)".into(),
            valid: false,
            statistics: [(1, 500)].into(),
            comment: Some("the index".into()),
        },
    );
    table.triggers.insert(
        "t_trigger".into(),
        Trigger {
            state: TriggerState::Replica,
            definition: "AFTER INSERT ON \"my table\" FOR EACH ROW EXECUTE FUNCTION f()".into(),
            comment: Some("fires".into()),
        },
    );
    table.policies.insert(
        "own rows".into(),
        Policy {
            permissive: false,
            command: "select".into(),
            roles: vec!["$migrator".into(), "PUBLIC".into()],
            using: Some("(n > 0)".into()),
            with_check: Some("(g > 1)".into()),
            comment: Some("mine".into()),
        },
    );
    table
}

#[test]
fn text_parses_back_to_the_same_snapshot() {
    let snapshot = everything();
    let text = render(&snapshot);
    assert_eq!(parse(&text), Ok(snapshot), "{text}");
    assert!(
        text.contains(
            "\ntable \"my table\", unlogged, row level security, force row level security\n  \
             access method heap2\n  replica identity using index \"t idx\"\n  partition by RANGE \
             (n, (g * 2))\n  partition of \"odd, parent\"\n  partition bound FOR VALUES IN \
             ('a, b', 'c')\n  inherits a\n  inherits \"b b\"\n  with fillfactor=70\n  with \
             toast.autovacuum_enabled=false\n  clustered on \"t idx\"\n  owner \"Odd Owner\"\n  \
             grant $owner ALL\n  grant PUBLIC SELECT with grant option, UPDATE\n  comment \
             \"the table\"\n  column "
        ),
        "{text}"
    );
    assert!(text.contains("\nschema auth\n  owner auth_admin\n  grant $owner ALL\n  grant PUBLIC USAGE\n  comment \"say \\\"hi\\\"\\nand \\\\ more  \"\n"), "{text}");
    assert!(text.contains("  policy \"own rows\" restrictive for select to $migrator, PUBLIC\n    using (n > 0)\n    with check (g > 1)\n"), "{text}");
    assert!(
        text.contains("\nobject cast: (app.pair AS pg_catalog.text)\n  definition with inout\n"),
        "{text}"
    );
    assert!(
        text.contains("\ndefault privileges for $migrator on tables\n  no grants\n"),
        "{text}"
    );
    let plain = Snapshot {
        tables: [("t".to_string(), Table::default())].into(),
        ..Snapshot::default()
    };
    assert!(
        render(&plain).ends_with("\ntable t\n"),
        "defaults are not written"
    );
    assert_eq!(parse(&render(&plain)), Ok(plain));
    assert!(text.contains("  index \"t idx\" invalid unique btree (n) WHERE (g > 1)\n"));
    assert!(
        !text.lines().any(|l| l.ends_with(' ')),
        "no trailing spaces:\n{text}"
    );
    assert_eq!(default_grants(GrantKind::Type)["PUBLIC"], "USAGE");
}

/// A folder with contract steps: the head, then the schema at each held boundary, each read
/// back as written.
#[test]
fn held_boundaries_parse_back_beside_the_head() {
    let before = Snapshot {
        version: Some(2),
        tables: [("t".to_string(), table())].into(),
        ..Snapshot::default()
    };
    let head = Snapshot {
        version: Some(4),
        held: [
            (2, before.clone()),
            (
                3,
                Snapshot {
                    version: Some(3),
                    ..Snapshot::default()
                },
            ),
        ]
        .into(),
        ..everything()
    };
    let text = render(&head);
    assert!(text.contains("\nboundary 2\n\ntable t, unlogged"), "{text}");
    assert_eq!(parse(&text), Ok(head));
}

#[test]
fn errors_give_the_line_and_what_was_expected() {
    let cases = [
        ("table t\n", 1, "no `version N` line"),
        ("version x\n", 1, "expected `version N` or `version none`"),
        (
            "version 3\ntable t\nboundary 3\n",
            3,
            "a held boundary comes before the folder's latest version",
        ),
        ("version 3\nboundary two\n", 2, "expected `boundary N`"),
        (
            "version 3\nboundary 1\nboundary 1\n",
            3,
            "boundary 1 is given twice",
        ),
        (
            "version 3\n\nboundary 2\ntable t\n  column a int, nullable\n",
            5,
            "column a: `nullable` is not one of not null, collate, identity, statistics, \
             storage, compression, options, default, generated",
        ),
        (
            "version 1\n  column a int\n",
            2,
            "an indented line outside an object",
        ),
        (
            "version 1\ntable t\n  index i\n",
            3,
            "`index i`: the method or the definition is missing",
        ),
        (
            "version 1\ntable t\n  column a int, nullable\n",
            3,
            "column a: `nullable` is not one of not null, collate, identity, statistics, \
             storage, compression, options, default, generated",
        ),
        (
            "version 1\ntable t, logged\n",
            2,
            "`logged`: expected unlogged, row level security or force row level security, \
             once each and in that order",
        ),
        (
            "version 1\ntable t, row level security, unlogged\n",
            2,
            "`unlogged`: expected unlogged, row level security or force row level security, \
             once each and in that order",
        ),
        (
            "version 1\ntable t\n  with fillfactor\n",
            3,
            "`with fillfactor`: expected `with NAME=VALUE`",
        ),
        (
            "version 1\ntable t\n  replica identity full\n  replica identity nothing\n",
            4,
            "`replica identity nothing`: given twice",
        ),
        (
            "version 1\ntable t\n  partition of p\n  column a int\n",
            4,
            "`column a int`: expected `partition bound` after `partition of`",
        ),
        (
            "version 1\ntable t\n  partition bound DEFAULT\n",
            3,
            "`partition bound DEFAULT`: expected right after `partition of PARENT`",
        ),
        (
            "version 1\ntable t\n  partition of p\n",
            3,
            "table t: `partition of` without `partition bound`",
        ),
        (
            "version 1\nwidget w\n",
            2,
            "expected `version`, `schema`, `extension`, `default privileges`, `type`, \
             `sequence`, `function`, `procedure`, `aggregate`, `table`, `view`, \
             `materialized view`, `foreign table`, `object` or `tracking table` at the start \
             of a line",
        ),
        (
            "version 1\ntable t\n  comment the table\n",
            3,
            "`the table`: expected a quoted string",
        ),
        (
            "version 1\ntable t\n  grant PUBLIC\n",
            3,
            "`grant PUBLIC`: expected `grant GRANTEE PRIVILEGES`",
        ),
        (
            "version 1\ntable t\n  policy p for all\n",
            3,
            "`policy p for all`: expected `for COMMAND to ROLES`",
        ),
        (
            "version 1\ntable t\n    using (true)\n",
            3,
            "a line indented by four outside a policy or a body",
        ),
        (
            "version 1\ntype t\n  enum\n  attribute a int\n",
            4,
            "`attribute a int`: a type of kind enum has no such property",
        ),
        (
            "version 1\nobject cast\n",
            2,
            "`object cast`: expected `object KIND: IDENTITY`",
        ),
        (
            "version 1\ndefault privileges on tables\n",
            2,
            "`default privileges on tables`: expected `default privileges for ROLE [in schema \
             SCHEMA] on KIND`",
        ),
        (
            "version 1\ntable t\n  comment on column x \"y\"\n",
            3,
            "no column x above",
        ),
    ];
    for (text, line, reason) in cases {
        assert_eq!(parse(text), Err((line, reason.to_string())), "{text}");
    }
}
