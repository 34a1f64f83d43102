//! `seed` through the built binary, where its input arrives: `--users` is a bounded count (a
//! usage error, never a panic).

use crate::{text, xtask};

#[test]
fn users_outside_one_to_a_hundred_million_is_a_usage_error_naming_the_flag() {
    let cwd = tempfile::tempdir().unwrap();
    for (value, reason) in [
        (
            "18446744073709551615",
            "18446744073709551615 is not in 1..=100000000",
        ),
        ("100000001", "100000001 is not in 1..=100000000"),
        ("0", "0 is not in 1..=100000000"),
        (
            "99999999999999999999999",
            "number too large to fit in target type",
        ),
        ("1e6", "invalid digit found in string"),
    ] {
        let output = xtask(cwd.path())
            .args(["seed", "--users", value])
            .output()
            .unwrap();
        let (stdout, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(2), "--users {value}: {stderr}");
        assert_eq!(
            stderr.lines().next(),
            Some(format!("error: invalid value '{value}' for '--users <N>': {reason}").as_str()),
            "--users {value}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert_eq!(stdout, "");
    }
}
