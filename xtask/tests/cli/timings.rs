//! `migrate --timings`: where a run's time went, group by group, adding up to the run; and the
//! same figures under `report.timings` in `--json`.

use testdb::Fixture;

use crate::run_on;

/// Two transactional groups around a no-transaction file, the second group with a file that
/// sleeps on the server: its time must land in that group's server share, not the client's.
fn folder() -> Fixture {
    Fixture::new()
        .table("a")
        .table("b")
        .migration(
            "a_index",
            "-- authdb:no-transaction\nCREATE INDEX CONCURRENTLY a_id ON a (id);\n",
            "DROP INDEX CONCURRENTLY a_id;\n",
        )
        .migration("slow", "SELECT pg_sleep(0.3);\n", "SELECT 1;\n")
        .table("c")
}

#[tokio::test]
async fn timings_say_where_the_time_went_group_by_group() {
    let db = testdb::empty_database().await;
    let fixture = folder();
    let dir = fixture.path().to_str().unwrap();
    let (code, stdout, stderr) = run_on(&db.url, dir, &["migrate", "--timings"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let after = stdout
        .split_once("where the time went:\n")
        .unwrap_or_else(|| panic!("{stdout}"))
        .1;
    let lines: Vec<&str> = after.lines().collect();
    assert!(lines[0].starts_with("  connect "), "{after}");
    assert!(lines[1].starts_with("  migration lock "), "{after}");
    assert!(lines[2].starts_with("  history and plan "), "{after}");
    assert!(
        lines[3].starts_with("  versions 1-2 (2 files, 1 message, "),
        "{after}"
    );
    assert!(
        lines[4].starts_with("  version 3 (no transaction, 1 statement): "),
        "{after}"
    );
    assert!(
        lines[5].starts_with("  versions 4-5 (2 files, 1 message, "),
        "{after}"
    );
    assert!(lines[6].starts_with("  the rest "), "{after}");
    assert_eq!(lines.len(), 7, "{after}");
}

#[tokio::test]
async fn the_json_report_carries_the_timings_and_they_add_up() {
    let db = testdb::empty_database().await;
    let fixture = folder();
    let dir = fixture.path().to_str().unwrap();
    let (code, stdout, stderr) = run_on(&db.url, dir, &["migrate", "--json"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let body: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let report = &body["report"];
    let timings = &report["timings"];
    let groups = timings["groups"].as_array().unwrap();
    let versions: Vec<(i64, i64, bool)> = groups
        .iter()
        .map(|g| {
            (
                g["first_version"].as_i64().unwrap(),
                g["last_version"].as_i64().unwrap(),
                g["no_transaction"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(versions, [(1, 2, false), (3, 3, true), (4, 5, false)]);
    let ms = |v: &serde_json::Value| v.as_f64().unwrap();
    assert!(ms(&timings["connect_ms"]) > 0.0, "{timings}");

    // The sleep is the server's: in the group's execute share, not the client's.
    let slow = &groups[2];
    assert!(ms(&slow["execute_ms"]) >= 300.0, "{slow}");
    assert!(ms(&slow["client_ms"]) < ms(&slow["execute_ms"]), "{slow}");
    for group in groups.iter().filter(|g| g["no_transaction"] == false) {
        let parts = ms(&group["execute_ms"]) + ms(&group["tracking_ms"]) + ms(&group["client_ms"]);
        let wall = ms(&group["wall_ms"]);
        // The three shares are the wall time, up to rounding between two clocks.
        assert!((parts - wall).abs() < 1.0, "{group}");
        assert!(ms(&group["commit_ms"]) > 0.0, "{group}");
        assert!(group["bytes"].as_u64().unwrap() > 0, "{group}");
    }
    // The phases and groups account for no more than the run.
    let groups_ms: f64 = groups
        .iter()
        .map(|g| ms(&g["wall_ms"]) + ms(&g["commit_ms"]))
        .sum();
    let accounted = ms(&timings["lock_ms"]) + ms(&timings["history_ms"]) + groups_ms;
    assert!(accounted <= ms(&report["duration_ms"]) + 0.5, "{report}");

    // Up to date: no groups, the phases still there.
    let (code, stdout, _) = run_on(&db.url, dir, &["migrate", "--json"]);
    assert_eq!(code, 0);
    let body: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(body["report"]["timings"]["groups"], serde_json::json!([]));
}
