//! Cases the generator found (or that were written to prove a fix), pasted as the suite prints
//! them, so that each stays fixed.

use crate::case::{Case, Op, Spec};
use crate::run;

fn check(case: Case) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    if let Err(error) = runtime.block_on(run::run(&case)) {
        panic!("{error}\n{case:?}");
    }
}

/// The deploy that deadlocked: eight migrators at once on a folder whose no-transaction file
/// (`CREATE INDEX CONCURRENTLY`) sits between ordinary ones, as 007 does in the repository.
#[test]
fn eight_migrators_around_a_concurrent_index() {
    check(Case {
        migrations: vec![
            Spec::Plain {
                fillers: 1,
                fails_at: None,
                sleep_ms: 30,
                touches_base: false,
            },
            Spec::Concurrent,
            Spec::Plain {
                fillers: 0,
                fails_at: None,
                sleep_ms: 0,
                touches_base: false,
            },
        ],
        ops: vec![Op::Concurrent {
            migrators: 8,
            to: None,
        }],
        pooler: false,
        contract: vec![],
    });
}

/// A failure after a no-transaction file: every migrator reports it, the first one's committed
/// part stays, and nobody executes the committed part again.
#[test]
fn eight_migrators_meet_a_failure_after_a_committed_piece() {
    check(Case {
        migrations: vec![
            Spec::Concurrent,
            Spec::Plain {
                fillers: 2,
                fails_at: Some(1),
                sleep_ms: 0,
                touches_base: false,
            },
        ],
        ops: vec![
            Op::Concurrent {
                migrators: 8,
                to: None,
            },
            Op::FixFailing,
            Op::Kill { after_ms: 40 },
        ],
        pooler: false,
        contract: vec![],
    });
}

/// Through PgBouncer in transaction mode: more migrators than server connections, a failure,
/// a kill, then the fix.
#[test]
fn migrators_through_the_pooler_take_turns() {
    check(Case {
        migrations: vec![
            Spec::Plain {
                fillers: 1,
                fails_at: None,
                sleep_ms: 20,
                touches_base: false,
            },
            Spec::Plain {
                fillers: 0,
                fails_at: Some(0),
                sleep_ms: 0,
                touches_base: false,
            },
        ],
        ops: vec![
            Op::Concurrent {
                migrators: 6,
                to: None,
            },
            Op::Kill { after_ms: 30 },
            Op::FixFailing,
            Op::Concurrent {
                migrators: 6,
                to: None,
            },
        ],
        pooler: true,
        contract: vec![],
    });
}

/// Found by the 10,000-case run (seed 5001 and four more): a backfill committed, the next group
/// gave up waiting for a lock the application held and was retried, and the retried attempt's
/// failure said "Nothing was applied" though the first attempt's backfill stays committed. (The
/// application holds its lock for 1 s here, so that retries happen on any machine.)
#[test]
fn a_failure_after_a_lock_retry_names_what_an_earlier_attempt_committed() {
    check(Case {
        migrations: vec![
            Spec::Backfill,
            Spec::Plain {
                fillers: 0,
                fails_at: None,
                sleep_ms: 0,
                touches_base: true,
            },
            Spec::Plain {
                fillers: 0,
                fails_at: Some(0),
                sleep_ms: 0,
                touches_base: false,
            },
        ],
        ops: vec![Op::Hold { ms: 1000 }],
        pooler: false,
        contract: vec![],
    });
}

/// Found by a 2,000-case run (seed 22): four migrators on a new database; one of them tried the
/// lock again just as the first committed the tracking table, still remembered "no such table"
/// from its previous try, and failed creating it. The certain form of that race is
/// `lock::tests::what_a_try_finds_by_name_is_what_the_last_holder_committed`.
#[test]
fn a_migrator_that_waited_sees_the_tracking_table_its_predecessor_committed() {
    check(Case {
        migrations: vec![
            Spec::Plain {
                fillers: 1,
                fails_at: Some(3),
                sleep_ms: 22,
                touches_base: false,
            },
            Spec::Plain {
                fillers: 2,
                fails_at: Some(0),
                sleep_ms: 36,
                touches_base: false,
            },
            Spec::Plain {
                fillers: 0,
                fails_at: None,
                sleep_ms: 0,
                touches_base: false,
            },
            Spec::Plain {
                fillers: 1,
                fails_at: None,
                sleep_ms: 0,
                touches_base: false,
            },
            Spec::Plain {
                fillers: 3,
                fails_at: None,
                sleep_ms: 0,
                touches_base: true,
            },
        ],
        ops: vec![
            Op::AddBelow { pick: 21 },
            Op::FixFailing,
            Op::AddBelow { pick: 49 },
            Op::Concurrent {
                migrators: 4,
                to: None,
            },
        ],
        pooler: false,
        contract: vec![],
    });
}
