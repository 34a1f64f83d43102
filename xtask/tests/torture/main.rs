//! The torture suite: authdb's guarantees checked over generated folders and operation
//! sequences, against a model, on a real PostgreSQL, through the real binary.
//!
//! Each case is a folder of 1 to 30 migrations (ordinary, no-transaction and backfill files,
//! contract steps and failing statements, all at random places) and 1 to 10 operations
//! (migrate, migrate --to, migrate --contract, rollback, 2 to 8 concurrent migrators, kill -9,
//! pg_terminate_backend, a paused server, an edited applied file, a file added below the
//! applied version). After every
//! operation `check.rs` compares the database with the model; after the last, a rerun must
//! reach the folder's head.
//!
//! `cargo xtask test-db` runs a fixed set of cases; `cargo xtask torture --cases N --seed S`
//! runs more (it sets `AUTHDB_TORTURE_CASES`, `AUTHDB_TORTURE_SEED` and `AUTHDB_TORTURE_HEAVY`).
//! A failing case is shrunk and printed as a `Case` that `regressions.rs` can paste.

mod case;
mod check;
mod folder;
mod model;
mod regressions;
mod repository;
mod run;

use std::time::Instant;

use proptest::test_runner::{Config, RngAlgorithm, TestError, TestRng, TestRunner};

/// Cases in `cargo xtask test-db`: about a minute on 2 cores while the other test binaries run.
pub const DEFAULT_CASES: u32 = 16;
pub const DEFAULT_SEED: u64 = 22;

pub fn setting<T: std::str::FromStr>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Ok(text) => text
            .parse()
            .unwrap_or_else(|_| panic!("{name}={text:?} is not a number")),
        Err(_) => default,
    }
}

#[test]
fn every_guarantee_holds_over_generated_folders_and_operations() {
    let cases = setting("AUTHDB_TORTURE_CASES", DEFAULT_CASES);
    let seed = setting("AUTHDB_TORTURE_SEED", DEFAULT_SEED);
    let heavy = setting("AUTHDB_TORTURE_HEAVY", 0u8) == 1;
    let config = Config {
        cases,
        failure_persistence: None,
        // Each shrink step replays a case against the server: bounded, and still small cases.
        max_shrink_iters: 256,
        rng_algorithm: RngAlgorithm::ChaCha,
        ..Config::default()
    };
    let mut runner = TestRunner::new_with_rng(
        config,
        TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes(seed)),
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let started = Instant::now();
    let result = runner.run(&case::case(heavy), |case| {
        runtime
            .block_on(run::run(&case))
            .map_err(proptest::test_runner::TestCaseError::fail)
    });
    match result {
        Ok(()) => println!(
            "torture: {cases} cases (seed {seed}{}), 0 violations, in {:.0} s",
            if heavy { ", heavy" } else { "" },
            started.elapsed().as_secs_f64()
        ),
        Err(TestError::Fail(reason, case)) => panic!(
            "torture (seed {seed}): a guarantee broke.\n{reason}\n\nThe smallest case found, for \
             regressions.rs:\n{case:?}"
        ),
        Err(TestError::Abort(reason)) => panic!("torture (seed {seed}) aborted: {reason}"),
    }
}

/// The 32 bytes ChaCha wants, from a number a person can type.
pub fn seed_bytes(seed: u64) -> [u8; 32] {
    let mut bytes = [0u8; 32];
    for (i, chunk) in bytes.chunks_mut(8).enumerate() {
        chunk.copy_from_slice(
            &(seed ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)).to_le_bytes(),
        );
    }
    bytes
}
