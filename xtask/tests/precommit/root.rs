//! The checkout xtask works on is the one it is run in, found at run time: a binary built in
//! one clone (a shared or copied target directory) never writes into, or lints, that clone.

use crate::{run, xtask};

#[test]
fn a_binary_built_elsewhere_works_on_the_checkout_it_is_run_in() {
    let other = tempfile::tempdir().unwrap();
    let root = other.path();
    std::fs::write(
        root.join("Cargo.toml"),
        "[workspace]\nmembers = [\"xtask\"]\n",
    )
    .unwrap();
    std::fs::create_dir_all(root.join("xtask")).unwrap();
    std::fs::write(
        root.join("xtask/Cargo.toml"),
        "[package]\nname = \"xtask\"\n",
    )
    .unwrap();
    std::fs::create_dir_all(root.join("migrations")).unwrap();
    std::fs::create_dir_all(root.join("docs/deep")).unwrap();

    // From a folder below the other checkout's root, as cargo finds a workspace.
    let (code, out, err) = run(xtask(&root.join("docs/deep")).args(["new", "add_x"]));
    assert_eq!(code, 0, "{out}{err}");
    assert!(root.join("migrations/001_add_x.sql").is_file(), "{out}");
    let ours = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations/001_add_x.sql");
    assert!(
        !ours.exists(),
        "new wrote into the clone xtask was built in"
    );

    let (code, out, _) = run(xtask(&root.join("docs")).args(["lint"]));
    assert_eq!(code, 1);
    assert!(out.contains("001_add_x.sql:1:1: empty-file"), "{out}");
    assert!(out.contains("lint: 2 files"), "{out}");
}
