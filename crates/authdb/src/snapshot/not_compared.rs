//! What a snapshot deliberately leaves out, each with its reason: the list `docs/verify.md`
//! gives (a test keeps the two equal). Everything else a migration can create is compared; a
//! test counts every object in pg_catalog against the snapshot, so this list cannot grow
//! without someone writing a line here.

/// What is not compared, and why.
pub const NOT_COMPARED: &[(&str, &str)] = &[
    (
        "roles, their attributes and memberships",
        "they belong to the server, shared by every database on it (Neon creates them outside SQL); privileges granted to a role are compared, by the role's name",
    ),
    (
        "the database itself: its name, owner, encoding, settings (`ALTER DATABASE ... SET`) and comment",
        "they are the environment's, different on every server by design",
    ),
    (
        "subscriptions and `GRANT SET ON PARAMETER`",
        "they belong to the server, not to one database",
    ),
    (
        "default privileges of roles other than the migrator",
        "they govern what those roles create, not what the migrations create; Neon keeps some for its own administrator (`cloud_admin`) in every database",
    ),
    (
        "who granted a privilege",
        "PostgreSQL records the owner as the grantor of every grant the owner or a superuser makes; what each role holds is compared",
    ),
    (
        "data: rows, a sequence's current value, a materialized view's rows and whether it was refreshed, large objects",
        "they change while the service runs; `rollback` and `adopt` show rows where they matter",
    ),
    (
        "extension versions",
        "the server's packages decide them; whether an extension is there, its schema and its comment are compared, and its objects are its own",
    ),
    (
        "tablespaces",
        "where files live is the environment's (Neon has none)",
    ),
    (
        "a user mapping's options",
        "they hold credentials, which are never read; the mapping itself is compared",
    ),
    (
        "security labels",
        "they need a label provider module, which plain PostgreSQL has none of",
    ),
    (
        "objects PostgreSQL makes itself or an extension makes",
        "they are not the migrations': what initdb creates (OIDs below 16384), and an extension's tables, functions and types",
    ),
];
