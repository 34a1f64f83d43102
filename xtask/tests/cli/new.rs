//! `new` writes both files or neither. A 245-character name used to write the up file, fail on
//! the down file ("File name too long"), and leave one more up file behind on every retry.

use crate::run;

fn files(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_name_too_long_for_the_file_system_is_refused_before_anything_is_written() {
    let folder = tempfile::tempdir().unwrap();
    let dir = folder.path().to_str().unwrap();
    let long = "x".repeat(245);
    for _retry in 0..2 {
        let (code, stdout, stderr) = run(&["new", &long, "--migrations", dir]);
        assert_eq!(code, 1, "{stdout}{stderr}");
        assert!(
            stderr.contains("the file name is longer than 255 bytes, the limit of Linux, macOS and Windows file systems"),
            "{stderr}"
        );
        assert_eq!(files(folder.path()), Vec::<String>::new());
    }
    // The longest name that fits: 001_ + 242 + .down.sql is 255 bytes.
    let longest = "y".repeat(242);
    let (code, stdout, stderr) = run(&["new", &longest, "--migrations", dir]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(
        files(folder.path()),
        [
            format!("001_{longest}.down.sql"),
            format!("001_{longest}.sql")
        ]
    );
    // lint reads them as a migration (only their template text is refused).
    let (code, stdout, _) = run(&["lint", "--migrations", dir]);
    assert_eq!(code, 1, "{stdout}");
    assert!(!stdout.contains("file-name"), "{stdout}");
    assert_eq!(stdout.matches("empty-file").count(), 2, "{stdout}");
}

#[test]
fn when_the_down_file_cannot_be_written_the_up_file_is_removed_again() {
    let folder = tempfile::tempdir().unwrap();
    let dir = folder.path().to_str().unwrap();
    // Something already holds the down file's name (a directory is not a migration, so `new`
    // still chooses version 1).
    std::fs::create_dir(folder.path().join("001_add_x.down.sql")).unwrap();
    let (code, stdout, stderr) = run(&["new", "add_x", "--migrations", dir]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stderr.contains("001_add_x.down.sql"), "{stderr}");
    assert_eq!(files(folder.path()), ["001_add_x.down.sql"]);
}
