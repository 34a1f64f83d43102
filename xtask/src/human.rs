//! Numbers as people read them in the commands' output.

/// Milliseconds as people read them: "0.8 ms", "31 ms", "2.4 s".
pub fn duration(ms: f64) -> String {
    if ms < 10.0 {
        format!("{ms:.1} ms")
    } else if ms < 1000.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{:.1} s", ms / 1000.0)
    }
}

/// A schema version, or "none" before the first migration.
pub fn version(v: Option<i64>) -> String {
    v.map_or_else(|| "none".to_string(), |v| v.to_string())
}
