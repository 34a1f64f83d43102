//! The hostile inputs, as proptest strategies: a command of the whole surface, and what a user
//! types, pipes or points it at (a folder, a URL, a `.env`, where stdout goes). Values only: they
//! become files and a command line in `case.rs`.

use proptest::prelude::*;

/// One run of the binary.
#[derive(Debug, Clone)]
pub struct Case {
    /// The command and its own arguments (`rollback --yes`), before the inputs below; generated
    /// as `new`'s argument alone, then made the case's command by [`command`].
    pub command: Vec<String>,
    pub folder: Folder,
    pub url: Url,
    /// The URL goes in `DATABASE_URL` rather than `--database-url`.
    pub url_in_environment: bool,
    pub dotenv: DotEnv,
    pub sink: Sink,
    pub json: bool,
    /// The case's database has the repository's migrations applied.
    pub migrated: bool,
}

/// What each command takes, besides its own arguments.
pub struct Takes {
    pub url: bool,
    pub folder: bool,
}

const BOTH: Takes = Takes::new(true, true);
const URL: Takes = Takes::new(true, false);
const FOLDER: Takes = Takes::new(false, true);
const NEITHER: Takes = Takes::new(false, false);

impl Takes {
    const fn new(url: bool, folder: bool) -> Takes {
        Takes { url, folder }
    }
}

/// Every command of `cargo xtask`, some in several ways.
#[rustfmt::skip]
const COMMANDS: &[(&[&str], Takes)] = &[
    (&["new", "NAME"], FOLDER),
    (&["migrate"], BOTH),
    (&["migrate", "--dry-run"], BOTH),
    (&["migrate", "--to", "2"], BOTH),
    (&["status"], BOTH),
    (&["verify"], BOTH),
    (&["rollback", "--dry-run"], BOTH),
    (&["rollback", "--yes"], BOTH),
    (&["rollback", "--to", "1", "--yes"], BOTH),
    (&["rollback", "--all", "--yes"], BOTH),
    (&["baseline"], BOTH),
    (&["adopt"], BOTH),
    (&["seed"], URL),
    (&["seed", "--users", "3"], URL),
    (&["lint"], FOLDER),
    (&["lint", "--update-lock"], FOLDER),
    (&["snapshot", "--check"], FOLDER),
    (&["rehearse"], FOLDER),
    (&["dev", "--stop"], NEITHER),
    (&["image"], NEITHER),
    (&["bench"], NEITHER),
    (&["test-db"], NEITHER),
    (&["hooks", "install"], NEITHER),
    (&["pre-commit"], NEITHER),
];

/// What `command` takes.
pub fn takes(command: &[String]) -> &'static Takes {
    let fixed = |c: &[&str]| c.iter().filter(|w| **w != "NAME").count();
    COMMANDS
        .iter()
        .find(|(c, _)| {
            c.len() == command.len() && c.iter().zip(command).take(fixed(c)).all(|(a, b)| a == b)
        })
        .map(|(_, takes)| takes)
        .expect("a command of COMMANDS")
}

#[derive(Debug, Clone)]
pub enum Folder {
    /// A path where nothing is.
    Missing,
    /// A regular file where the folder should be.
    AFile,
    /// A copy of the repository's migrations, snapshot and lock.
    Repository,
    /// A copy of the repository's, with entries added or replacing its own.
    RepositoryWith(Vec<Entry>),
    Generated(Vec<Entry>),
}

#[derive(Clone)]
pub struct Entry {
    pub name: String,
    pub kind: Kind,
    pub content: Vec<u8>,
}

impl std::fmt::Debug for Entry {
    /// The content as text, cut short: a failing case must be readable.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = String::from_utf8_lossy(&self.content);
        let short: String = text.chars().take(80).collect();
        f.debug_struct("Entry")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("content", &short)
            .field("bytes", &self.content.len())
            .finish()
    }
}

#[derive(Debug, Clone, Copy)]
pub enum Kind {
    File,
    Directory,
    /// A symbolic link to a file outside the folder.
    Link,
    /// A symbolic link to nothing.
    DanglingLink,
    /// A named pipe: read, it never ends.
    Pipe,
}

#[derive(Debug, Clone)]
pub enum Url {
    /// The case's database.
    Good,
    WrongPassword,
    /// A port where nothing listens (retried: 3.5 s).
    Refused,
    /// A listener that accepts and never answers, `connect_timeout=1` (7.5 s).
    Stalled,
    /// An HTTP service, then an SSH server, on the port.
    Http,
    Ssh,
    /// The stalled listener first, then the database.
    FailOver,
    /// The database as libpq's key=value pairs.
    KeyValue,
    /// The database with a parameter added.
    Parameter(String),
    /// Text that may be anything.
    Garbage(String),
    Empty,
    /// None given: `DATABASE_URL`, `NEON_DB_URL` and `.env` decide.
    Absent,
}

#[derive(Debug, Clone)]
pub enum DotEnv {
    Absent,
    /// `.env` holding this; `{URL}` is replaced by the case's database URL.
    File(String),
    Directory,
    Pipe,
    DanglingLink,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sink {
    /// A file: the report is read back and checked.
    File,
    /// A pipe whose reader is gone.
    ClosedPipe,
    /// `/dev/full`.
    Full,
}

fn sql() -> impl Strategy<Value = Vec<u8>> {
    let text = prop_oneof![
        4 => (0..10_000u32).prop_map(|n| format!("CREATE TABLE hostile_{n} (id int);\n")),
        1 => Just("DROP TABLE users;\n".to_string()),
        1 => Just("COMMIT;\n".to_string()),
        1 => Just("BEGIN; SELECT 1; END;\n".to_string()),
        1 => Just("SELECT 1/0;\n".to_string()),
        1 => Just("SET ROLE nobody_here;\n".to_string()),
        1 => Just("DO $$ BEGIN RAISE NOTICE 'hi %', 1; END $$;\n".to_string()),
        1 => Just("CREATE INDEX CONCURRENTLY i ON users (email);\n".to_string()),
        1 => Just("SELECT $$ never closed\n".to_string()),
        1 => Just("/* never closed\n".to_string()),
        1 => Just("\\i other.sql\n".to_string()),
        1 => Just(format!("SELECT {}1{};\n", "(".repeat(20_000), ")".repeat(20_000))),
        1 => Just(format!("SELECT {}true;\n", "NOT ".repeat(3_000))),
        1 => Just(format!("{}\n", "/*".repeat(10_000))),
        1 => Just("\u{feff}CREATE TABLE bom (id int);\r\n".to_string()),
        1 => Just(String::new()),
        1 => Just("-- only a comment\n".to_string()),
        2 => "[ -~\n]{0,80}",
    ];
    prop_oneof![
        6 => text.prop_map(String::into_bytes),
        1 => proptest::collection::vec(any::<u8>(), 0..64),
        1 => Just(b"SELECT 1;\0\n".to_vec()),
    ]
}

fn entry_name() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => (1..5u32, "[a-z][a-z0-9_]{0,10}", any::<bool>())
            .prop_map(|(v, n, down)| format!("{v:03}_{n}{}.sql", if down { ".down" } else { "" })),
        1 => "[ -~]{1,20}".prop_filter("a file name", |n| {
            !n.contains('/') && n != "." && n != ".."
        }),
        1 => prop_oneof![
            Just("migrations.lock".to_string()),
            Just("schema.snapshot".to_string()),
            Just("schema.md".to_string()),
            Just(".hidden.sql".to_string()),
        ],
        1 => Just(format!("001_{}.sql", "x".repeat(245))),
    ]
}

fn entry() -> impl Strategy<Value = Entry> {
    let kind = prop_oneof![
        12 => Just(Kind::File),
        1 => Just(Kind::Directory),
        1 => Just(Kind::Link),
        1 => Just(Kind::DanglingLink),
        1 => Just(Kind::Pipe),
    ];
    (entry_name(), kind, sql()).prop_map(|(name, kind, content)| Entry {
        name,
        kind,
        content,
    })
}

fn folder() -> impl Strategy<Value = Folder> {
    prop_oneof![
        1 => Just(Folder::Missing),
        1 => Just(Folder::AFile),
        3 => Just(Folder::Repository),
        3 => proptest::collection::vec(entry(), 1..3).prop_map(Folder::RepositoryWith),
        4 => proptest::collection::vec(entry(), 0..6).prop_map(Folder::Generated),
    ]
}

fn url() -> impl Strategy<Value = Url> {
    let parameter = prop_oneof![
        Just("sslmode=bogus"),
        Just("sslmode=disable"),
        Just("sslmode=require"),
        Just("connect_timeout=0"),
        Just("connect_timeout=-1"),
        Just("connect_timeout=abc"),
        Just("target_session_attrs=read-write"),
        Just("load_balance_hosts=random"),
        Just("application_name=a@b"),
        Just("PASSWORD=x"),
        Just("passfile=/tmp/x"),
        Just("sslrootcert=/nonexistent"),
        Just("options=-c%20statement_timeout%3D1"),
    ]
    .prop_map(str::to_string);
    prop_oneof![
        8 => Just(Url::Good),
        1 => Just(Url::WrongPassword),
        1 => Just(Url::Refused),
        1 => Just(Url::Stalled),
        1 => Just(Url::Http),
        1 => Just(Url::Ssh),
        1 => Just(Url::FailOver),
        1 => Just(Url::KeyValue),
        3 => parameter.prop_map(Url::Parameter),
        2 => prop_oneof!["[ -~]{0,40}", "postgres(ql)?://[ -~]{0,40}", "[a-z_]{1,8}=[ -~]{0,10}"]
            .prop_map(Url::Garbage),
        1 => Just(Url::Empty),
        2 => Just(Url::Absent),
    ]
}

fn dotenv() -> impl Strategy<Value = DotEnv> {
    let text = prop_oneof![
        Just("DATABASE_URL={URL}\n".to_string()),
        Just("export DATABASE_URL=\"{URL}\"\r\n".to_string()),
        Just("NEON_DB_URL={URL}\n".to_string()),
        Just("DATABASE_URL=\n".to_string()),
        Just("DATABASE_URL=\"{URL}\n".to_string()),
        Just("this line is broken\n".to_string()),
        "[ -~\n]{0,60}",
    ];
    prop_oneof![
        4 => Just(DotEnv::Absent),
        4 => text.prop_map(DotEnv::File),
        1 => Just(DotEnv::Directory),
        1 => Just(DotEnv::Pipe),
        1 => Just(DotEnv::DanglingLink),
    ]
}

/// The commands, in turn: case `i` runs command `i` modulo their number, so every command runs
/// in every set of cases, whatever the seed.
pub fn command(i: usize, name: &str) -> Vec<String> {
    COMMANDS[i % COMMANDS.len()]
        .0
        .iter()
        .map(|w| {
            if *w == "NAME" {
                name.to_string()
            } else {
                w.to_string()
            }
        })
        .collect()
}

pub const COMMAND_COUNT: usize = COMMANDS.len();

/// `new`'s argument.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[a-z][a-z0-9_]{0,12}",
        1 => "[ -~]{0,20}",
        1 => Just("y".repeat(250)),
    ]
}

pub fn case() -> impl Strategy<Value = Case> {
    let sink =
        prop_oneof![6 => Just(Sink::File), 1 => Just(Sink::ClosedPipe), 1 => Just(Sink::Full)];
    (
        name(),
        folder(),
        url(),
        any::<bool>(),
        dotenv(),
        sink,
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(name, folder, url, url_in_environment, dotenv, sink, json, migrated)| Case {
                command: vec![name],
                folder,
                url,
                url_in_environment,
                dotenv,
                sink,
                json,
                migrated,
            },
        )
}
