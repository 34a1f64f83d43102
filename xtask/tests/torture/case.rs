//! What the suite generates: a folder of migrations and a sequence of operations on it. Both are
//! plain data, printed by `Debug` as Rust that a regression test can paste (see
//! `regressions.rs`), and proptest shrinks them to the smallest case that still fails.

use std::fmt;

use proptest::prelude::*;

/// One generated case: the folder, then what happens to the database.
#[derive(Clone)]
pub struct Case {
    pub migrations: Vec<Spec>,
    pub ops: Vec<Op>,
    /// The migrators connect through PgBouncer in transaction mode (as Neon's `-pooler`
    /// endpoints); such a folder has no no-transaction file, which a pooler refuses.
    pub pooler: bool,
    /// Migrations `pick % len` are contract steps (`-- authdb:contract`): a plain migrate
    /// stops before the first pending one, `Op::Contract` applies them.
    pub contract: Vec<u8>,
}

/// One migration of the folder; versions are consecutive from 1, as the folder requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spec {
    /// An ordinary file, run in the run's transaction: it counts its execution (a sequence, which
    /// no rollback undoes), creates a table and writes a marker row, then runs `fillers` more
    /// statements; with `fails_at`, one of them fails (`SELECT 1 / 0`) until `FixFailing`.
    /// `sleep_ms` widens the windows a kill or a pause can land in. With `touches_base`, it also
    /// writes to `torture_base`, which a `Hold` keeps locked.
    Plain {
        fillers: u8,
        fails_at: Option<u8>,
        sleep_ms: u8,
        touches_base: bool,
    },
    /// A `-- authdb:no-transaction` file: `CREATE INDEX CONCURRENTLY` on `torture_base`, which
    /// waits for every transaction open on the server (the statement that deadlocked with waiting
    /// migrators); its down file is `DROP INDEX CONCURRENTLY`, no-transaction too.
    Concurrent,
    /// A `-- authdb:backfill` file (no-transaction too): copies `id` into `copied` of its own
    /// table of 40 rows, 6 a batch, counting in `times` how often each row was copied; its down
    /// file empties the table's copies again.
    Backfill,
}

impl Spec {
    pub fn no_transaction(&self) -> bool {
        matches!(self, Spec::Concurrent | Spec::Backfill)
    }

    pub fn fails(&self) -> bool {
        matches!(
            self,
            Spec::Plain {
                fails_at: Some(_),
                ..
            }
        )
    }
}

/// One operation. `Pick`s are reduced modulo what they choose from when the case runs, so that
/// shrinking the folder keeps every operation meaningful.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `migrate`, or `migrate --to` the version of migration `to % len`.
    Migrate { to: Option<u8> },
    /// `migrators` processes run `migrate` at once.
    Concurrent { migrators: u8, to: Option<u8> },
    /// `rollback --to` the version below applied migration `to % applied` (0: all), `--yes`.
    Rollback { to: u8 },
    /// `rollback --all --yes`.
    RollbackAll,
    /// `migrate`, killed with SIGKILL after `after_ms`.
    Kill { after_ms: u16 },
    /// `rollback --yes` (as `Rollback { to }`), killed with SIGKILL after `after_ms`.
    KillRollback { to: u8, after_ms: u16 },
    /// An application transaction holds `torture_base` (SHARE) for `ms` while `migrate
    /// --lock-timeout 200ms` runs: it retries until the lock is free.
    Hold { ms: u16 },
    /// `migrate`, its session ended by `pg_terminate_backend` after `after_ms`.
    Terminate { after_ms: u16 },
    /// `migrate` while the server is paused (`docker pause`) for `ms`, shorter than every deadline.
    Pause { after_ms: u8, ms: u16 },
    /// `migrate --statement-timeout 1s` while the server is paused for 7 s, longer than the
    /// client's deadline for a statement (1 s plus 5 s): the run either gives up with a clear
    /// error or, if the pause fell between statements, finishes.
    LongPause { after_ms: u16 },
    /// Edits applied migration `pick % applied`: migrate must refuse and change nothing; then the
    /// file is restored.
    EditApplied { pick: u8 },
    /// Adds a file under the version of applied migration `pick % applied` (another branch's
    /// migration, numbered below the head): migrate must refuse the folder and change nothing;
    /// then the file is removed.
    AddBelow { pick: u8 },
    /// Makes every failing migration pass (a fix to a file not yet applied).
    FixFailing,
    /// `migrate --contract`: the rollout is over, the contract steps run too.
    Contract,
}

impl fmt::Debug for Case {
    /// Rust that builds this case, for a regression test.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Case {{")?;
        writeln!(f, "    migrations: vec![")?;
        for spec in &self.migrations {
            writeln!(f, "        {spec:?},")?;
        }
        writeln!(f, "    ],")?;
        writeln!(f, "    ops: vec![")?;
        for op in &self.ops {
            writeln!(f, "        {op:?},")?;
        }
        writeln!(f, "    ],")?;
        writeln!(f, "    pooler: {},", self.pooler)?;
        writeln!(f, "    contract: vec!{:?},", self.contract)?;
        write!(f, "}}")
    }
}

fn spec() -> impl Strategy<Value = Spec> {
    prop_oneof![
        5 => (0..=3u8, prop::option::weighted(0.15, 0..=3u8), prop_oneof![4 => Just(0u8), 1 => 1..=40u8], prop::bool::weighted(0.3))
            .prop_map(|(fillers, fails_at, sleep_ms, touches_base)| Spec::Plain {
                fillers,
                fails_at,
                sleep_ms,
                touches_base,
            }),
        2 => Just(Spec::Concurrent),
        1 => Just(Spec::Backfill),
    ]
}

/// `heavy`: the long run, where pauses may be longer and a pause beyond the deadlines (7 s each)
/// comes up about once in fifty cases instead of once in several hundred.
fn op(heavy: bool) -> impl Strategy<Value = Op> {
    let pause_ms = if heavy { 50..=3000u16 } else { 50..=600u16 };
    let long_pause = if heavy { 2 } else { 1 };
    prop_oneof![
        120 => prop::option::weighted(0.3, any::<u8>()).prop_map(|to| Op::Migrate { to }),
        80 => (2..=8u8, prop::option::weighted(0.2, any::<u8>()))
            .prop_map(|(migrators, to)| Op::Concurrent { migrators, to }),
        40 => any::<u8>().prop_map(|to| Op::Rollback { to }),
        20 => Just(Op::RollbackAll),
        60 => (0..=400u16).prop_map(|after_ms| Op::Kill { after_ms }),
        20 => (any::<u8>(), 0..=300u16).prop_map(|(to, after_ms)| Op::KillRollback { to, after_ms }),
        30 => (100..=2500u16).prop_map(|ms| Op::Hold { ms }),
        40 => (0..=400u16).prop_map(|after_ms| Op::Terminate { after_ms }),
        20 => (0..=50u8, pause_ms).prop_map(|(after_ms, ms)| Op::Pause { after_ms, ms }),
        long_pause => (0..=300u16).prop_map(|after_ms| Op::LongPause { after_ms }),
        20 => any::<u8>().prop_map(|pick| Op::EditApplied { pick }),
        20 => any::<u8>().prop_map(|pick| Op::AddBelow { pick }),
        40 => Just(Op::FixFailing),
        40 => Just(Op::Contract),
    ]
}

/// Folders of 1 to 30 migrations and 1 to 10 operations. `heavy` allows longer pauses.
pub fn case(heavy: bool) -> impl Strategy<Value = Case> {
    (
        prop::collection::vec(spec(), 1..=30),
        prop::collection::vec(op(heavy), 1..=10),
        prop::bool::weighted(0.15),
        prop_oneof![2 => Just(Vec::new()), 1 => prop::collection::vec(any::<u8>(), 1..=3)],
    )
        .prop_map(|(migrations, ops, pooler, contract)| {
            let migrations = migrations
                .into_iter()
                .filter(|spec| !(pooler && spec.no_transaction()))
                .collect::<Vec<_>>();
            let migrations = match migrations.is_empty() {
                true => vec![Spec::Plain {
                    fillers: 0,
                    fails_at: None,
                    sleep_ms: 0,
                    touches_base: false,
                }],
                false => migrations,
            };
            Case {
                migrations,
                ops,
                pooler,
                contract,
            }
        })
}
