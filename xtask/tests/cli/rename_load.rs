//! The rename of `users.email` on 100,000 users while an old-version and a new-version probe sign
//! users up, sign them in and change addresses through PgBouncer in transaction mode, without a
//! pause: no query of either version fails in any phase, none waits longer than one batch (a
//! plain UPDATE of every row would hold each row until its end), and every account either
//! version wrote signs in through both with its latest address at the end of each phase.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::rename::{Version, app, both_find, folder};
use crate::run_on;

const USERS: i64 = 100_000;

/// What one probe did: the addresses it owns now, its failures, its longest query.
#[derive(Default)]
struct Probed {
    addresses: Vec<String>,
    failures: Vec<String>,
    longest: Duration,
    queries: usize,
}

/// Signs up, signs in and changes addresses as `version` until `stop`, back to back.
async fn probe(
    version: Version,
    phase: &'static str,
    db: &testdb::TestDb,
    stop: Arc<AtomicBool>,
) -> Probed {
    let client = app(db).await;
    let column = version.column();
    let mut probed = Probed::default();
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let address = format!("{column}-{phase}-{n}@example.com");
        let seeded = format!("user{}@example.com", (n * 7919) % USERS + 1);
        let queries: [(String, Vec<String>); 3] = [
            (
                format!("INSERT INTO users ({column}) VALUES ($1)"),
                vec![address.clone()],
            ),
            (
                format!("SELECT id FROM users WHERE lower({column}) = lower($1)"),
                vec![seeded],
            ),
            (
                format!("UPDATE users SET {column} = $2 WHERE {column} = $1"),
                vec![address.clone(), format!("moved-{address}")],
            ),
        ];
        for (sql, params) in &queries {
            let params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = params
                .iter()
                .map(|p| p as &(dyn tokio_postgres::types::ToSql + Sync))
                .collect();
            let started = Instant::now();
            let result = client.query(sql.as_str(), &params).await;
            probed.longest = probed.longest.max(started.elapsed());
            probed.queries += 1;
            if let Err(error) = result {
                let reason = error
                    .as_db_error()
                    .map_or(error.to_string(), |db| db.message().to_string());
                probed.failures.push(format!("{sql}: {reason}"));
            }
        }
        probed.addresses.push(format!("moved-{address}"));
    }
    probed
}

/// Runs `migrate ARGS` off the runtime while both probes (or the new one only) run; returns how
/// long it took and what each probe did.
async fn under_load(
    phase: &'static str,
    db: &Arc<testdb::TestDb>,
    dir: &str,
    args: Vec<String>,
    versions: &[Version],
) -> (Duration, String, Vec<Probed>) {
    let stop = Arc::new(AtomicBool::new(false));
    let probes: Vec<_> = versions
        .iter()
        .map(|&version| {
            let (db, stop) = (db.clone(), stop.clone());
            tokio::spawn(async move { probe(version, phase, &db, stop).await })
        })
        .collect();
    // Each probe is connected and writing before the migrator starts.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (url, dir) = (db.url.clone(), dir.to_string());
    let started = Instant::now();
    let ((code, stdout, stderr), args) = tokio::task::spawn_blocking(move || {
        let words: Vec<&str> = args.iter().map(String::as_str).collect();
        (run_on(&url, &dir, &words), args)
    })
    .await
    .unwrap();
    let took = started.elapsed();
    eprintln!("{phase}: {args:?} took {took:?}");
    assert_eq!(code, 0, "{stdout}{stderr}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    let mut probed = Vec::new();
    for probe in probes {
        probed.push(probe.await.unwrap());
    }
    (took, stderr, probed)
}

/// The longest batch in migrate's progress lines (`backfill batch 7: 5000 rows in 212 ms; ...`).
fn longest_batch(stderr: &str) -> Duration {
    stderr
        .lines()
        .filter_map(|line| line.split_once(" rows in ")?.1.split_once(" ms;"))
        .filter_map(|(ms, _)| ms.parse::<u64>().ok())
        .map(Duration::from_millis)
        .max()
        .expect("the backfill reports its batches")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rename_on_a_hundred_thousand_users_fails_no_query_of_either_version() {
    let folder = folder();
    let dir = folder.path().to_str().unwrap();
    let latest = authdb::Migrations::load(&testdb::migrations_dir())
        .unwrap()
        .latest_version()
        .unwrap();
    let db = Arc::new(testdb::empty_database().await);
    let (code, stdout, stderr) = run_on(&db.url, dir, &["migrate", "--to", &latest.to_string()]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let direct = db.connect().await;
    direct
        .batch_execute(&format!(
            "INSERT INTO users (email) SELECT 'user' || n || '@example.com' \
             FROM generate_series(1, {USERS}) AS n; ANALYZE users"
        ))
        .await
        .unwrap();

    let to = |version: i64| vec!["migrate".to_string(), "--to".into(), version.to_string()];
    let failed = |phase: &str, probed: &[Probed]| {
        for probed in probed {
            assert!(probed.queries > 30, "{phase}: {} queries", probed.queries);
            assert!(probed.failures.is_empty(), "{phase}: {:?}", probed.failures);
        }
    };
    // The expand and its indexes, the old version live: the new one needs the new column.
    let (_, _, old) = under_load("expand", &db, dir, to(latest + 3), &[Version::Old]).await;
    failed("expand", &old);

    // The backfill, both versions live.
    let both = [Version::Old, Version::New];
    let (took, stderr, probed) = under_load("backfill", &db, dir, to(latest + 4), &both).await;
    failed("backfill", &probed);
    let batch = longest_batch(&stderr);
    for (version, probed) in both.iter().zip(&probed) {
        // A plain UPDATE would hold a row the probe writes until the whole copy commits; the
        // batches hold one batch's rows for one batch. The margin is for the probe's own
        // latency on a loaded 2-core machine; the whole backfill is several times longer.
        assert!(
            probed.longest <= batch + Duration::from_secs(1),
            "{version:?} waited {:?}; the longest batch took {batch:?}, the backfill {took:?}",
            probed.longest
        );
    }
    let empty: i64 = direct
        .query_one(
            "SELECT count(*) FROM users WHERE email_address IS DISTINCT FROM email",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(empty, 0, "every address is in both columns");
    let client = app(&db).await;
    let written: Vec<String> = old
        .iter()
        .chain(&probed)
        .flat_map(|p| p.addresses.clone())
        .collect();
    both_find(&client, &written, "after the expand and the backfill").await;

    // The rollout ends: the old version stops, the contract step runs under the new one.
    let contract = vec!["migrate".to_string(), "--contract".into()];
    let (_, _, probed) = under_load("contract", &db, dir, contract, &[Version::New]).await;
    failed("contract", &probed);
    for address in written.iter().chain(&probed[0].addresses) {
        assert_eq!(Version::New.sign_in(&client, address).await, 1, "{address}");
    }
    let (code, stdout, _) = run_on(&db.url, dir, &["verify"]);
    assert_eq!(
        code, 0,
        "after the contract, verify equals the snapshot: {stdout}"
    );
}
