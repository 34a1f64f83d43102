//! The repository checks itself, as rust-analyzer's `tidy.rs` does: the documents name what the
//! code has (`documents`: every command in the README's table and on the commands page, every
//! link leading somewhere; here: every module in ARCHITECTURE.md's codemap), every file says what
//! it is for, a value two crates must agree on is written once, and external programs run through
//! xshell unless a listed reason says otherwise. A failure names the file and what to write there.

mod documents;
mod markdown;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use markdown::{backticked, sections};

use crate::project_root;

/// Files that may use `std::process::Command`, each with why xshell does not serve.
const PROCESS_COMMAND: &[(&str, &str)] = &[
    (
        "xtask/src/test_db.rs",
        "runs the test binaries at once; xshell runs one command to its end",
    ),
    (
        "xtask/src/torture.rs",
        "runs the suite's jobs at once; xshell runs one command to its end",
    ),
    (
        "xtask/src/staged.rs",
        "one `git cat-file --batch` conversation on stdin and stdout",
    ),
    (
        "crates/bench/src/server.rs",
        "builds the commands the benchmark times and measures",
    ),
    (
        "crates/bench/src/measure.rs",
        "waits for the child itself (wait4) to read its peak memory",
    ),
    (
        "crates/bench/src/scenarios.rs",
        "hands timed commands to measure.rs",
    ),
    (
        "crates/bench/src/speed.rs",
        "hands timed commands to measure.rs",
    ),
    (
        "crates/bench/src/sqlx.rs",
        "builds sqlx-cli's command for measure.rs to time",
    ),
];

#[test]
fn codemap_names_every_module_and_no_missing_one() {
    let architecture = read("ARCHITECTURE.md");
    let sections = sections(&architecture, "### ");
    let mut wrong = Vec::new();
    for krate in crates() {
        let heading = format!("`{}/`", krate.display());
        let Some((_, text)) = sections.iter().find(|(h, _)| h.contains(&heading)) else {
            wrong.push(format!("ARCHITECTURE.md: no `### {heading}` section"));
            continue;
        };
        let files = rust_files(&project_root().join(&krate).join("src"));
        let src = project_root().join(&krate).join("src");
        let relative: Vec<String> = files
            .iter()
            .map(|f| f.strip_prefix(&src).unwrap().display().to_string())
            .collect();
        let mentioned = backticked(text);
        for rel in &relative {
            if rel == "lib.rs" || rel == "main.rs" {
                continue;
            }
            let name = names(rel);
            if !name.iter().any(|n| mentioned.contains(n)) {
                wrong.push(format!(
                    "ARCHITECTURE.md, {heading}: `{}` is not in the codemap",
                    name[0]
                ));
            }
        }
        // The reverse: a file the codemap names must exist, in that crate.
        let known: Vec<String> = relative.iter().flat_map(|rel| names(rel)).collect();
        for word in &mentioned {
            let is_module = word.ends_with(".rs") || (word.ends_with('/') && !word.contains(' '));
            if !is_module || known.contains(word) || project_root().join(&krate).join(word).exists()
            {
                continue;
            }
            if word.ends_with('/') && project_root().join(word).exists() {
                continue; // a folder of the repository (`migrations/`)
            }
            wrong.push(format!(
                "ARCHITECTURE.md, {heading}: names `{word}`, which is not a file of {}",
                krate.display()
            ));
        }
    }
    assert!(wrong.is_empty(), "\n{}\n", wrong.join("\n"));
}

#[test]
fn every_rust_file_opens_with_a_doc_line() {
    let root = project_root();
    let mut bare = Vec::new();
    for krate in crates() {
        for file in rust_files(&root.join(krate)) {
            let text = std::fs::read_to_string(&file).unwrap();
            if !text.starts_with("//!") {
                bare.push(file.strip_prefix(&root).unwrap().display().to_string());
            }
        }
    }
    assert!(
        bare.is_empty(),
        "these files do not open with a `//!` line saying what they are for:\n{}",
        bare.join("\n")
    );
}

#[test]
fn values_two_crates_share_are_written_once() {
    use authdb_server::{dev, image, labels};
    let port = dev::DEFAULT_PORT.to_string();
    // Each home, and the values only it may spell out (quoted, or the port as a number).
    let shared: &[(&str, &[&str])] = &[
        (
            "crates/server/src/image.rs",
            &[
                image::OFFLINE,
                image::OFFLINE_15,
                image::PGBOUNCER,
                image::VARIABLE,
            ],
        ),
        (
            "crates/server/src/labels.rs",
            &[labels::OWNER, labels::PURPOSE],
        ),
        ("crates/server/src/dev.rs", &[dev::PASSWORD]),
        (
            "crates/authdb/src/tracking.rs",
            &[authdb::tracking::TABLE, authdb::tracking::QUALIFIED],
        ),
        (
            "crates/folder/src/lib.rs",
            &[
                authdb_folder::LOCK_FILE,
                authdb_folder::SNAPSHOT_FILE,
                authdb_folder::PICTURE_FILE,
            ],
        ),
        (
            "crates/folder/src/directive.rs",
            &[authdb_folder::directive::NO_TRANSACTION],
        ),
    ];
    let root = project_root();
    let mut copies = Vec::new();
    for file in crates()
        .iter()
        .flat_map(|k| rust_files(&root.join(k).join("src")))
    {
        let rel = file.strip_prefix(&root).unwrap().display().to_string();
        let code = code_of(&std::fs::read_to_string(&file).unwrap());
        for (home, values) in shared {
            for value in values.iter().filter(|_| rel != *home) {
                if code.contains(&format!("\"{value}\"")) {
                    copies.push(format!(
                        "{rel}: writes \"{value}\"; use the constant in {home}"
                    ));
                }
            }
        }
        if rel != "crates/server/src/dev.rs" && code.contains(&port) {
            copies.push(format!(
                "{rel}: writes the dev port {port}; use authdb_server::dev::DEFAULT_PORT"
            ));
        }
    }
    assert!(copies.is_empty(), "\n{}\n", copies.join("\n"));
}

#[test]
fn external_programs_run_through_xshell() {
    let root = project_root();
    let allowed: BTreeMap<&str, &str> = PROCESS_COMMAND.iter().copied().collect();
    let mut wrong = Vec::new();
    for file in crates()
        .iter()
        .flat_map(|k| rust_files(&root.join(k).join("src")))
    {
        let rel = file.strip_prefix(&root).unwrap().display().to_string();
        if rel == "xtask/src/tidy.rs" {
            continue; // it names what it looks for
        }
        let text = std::fs::read_to_string(&file).unwrap();
        let uses = code_of(&text).contains("process::Command")
            || code_of(&text).contains("process::{Command")
            || code_of(&text).contains(", Command,");
        match (uses, allowed.get(rel.as_str())) {
            (true, None) => wrong.push(format!(
                "{rel}: uses std::process::Command; run it with xshell's cmd!, or add the file \
                 and the reason xshell does not serve to PROCESS_COMMAND in xtask/src/tidy.rs"
            )),
            (false, Some(_)) => wrong.push(format!(
                "{rel}: no longer uses std::process::Command; remove it from PROCESS_COMMAND"
            )),
            _ => {}
        }
    }
    assert!(wrong.is_empty(), "\n{}\n", wrong.join("\n"));
}

/// Printing goes through `xtask/src/output.rs`, which survives a closed pipe and a full disk:
/// Rust's own macros panic there (exit code 101, after the database was changed), and a library
/// never prints at all.
#[test]
fn every_write_to_stdout_and_stderr_goes_through_the_output_module() {
    let root = project_root();
    let macros = ["println!", "print!", "eprintln!", "eprint!", "dbg!"];
    let mut wrong = Vec::new();
    for file in crates()
        .iter()
        .flat_map(|k| rust_files(&root.join(k).join("src")))
    {
        let rel = file.strip_prefix(&root).unwrap().display().to_string();
        if rel == "xtask/src/output.rs" || rel == "xtask/src/tidy.rs" {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        let code = code_of(&text);
        for name in macros {
            // `eprintln!` contains `println!`: a match counts only at the start of a word.
            let found = code.match_indices(name).any(|(at, _)| {
                !code[..at]
                    .chars()
                    .next_back()
                    .is_some_and(|c| c.is_alphanumeric() || c == '_')
            });
            if found {
                wrong.push(format!(
                    "{rel}: uses {name}; write with outln!/errln! (xtask/src/output.rs), or, in a \
                     library, report through authdb::Notify"
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "\n{}\n", wrong.join("\n"));
}

#[test]
fn xtask_finds_the_checkout_at_run_time() {
    // A path compiled in is the directory xtask was built in, which with a shared or copied
    // target directory is another clone (see `project_root`).
    let compiled_in = concat!("env!(", "\"CARGO_MANIFEST_DIR\")");
    let root = project_root();
    let wrong: Vec<String> = rust_files(&root.join("xtask/src"))
        .into_iter()
        .filter(|f| std::fs::read_to_string(f).unwrap().contains(compiled_in))
        .map(|f| f.strip_prefix(&root).unwrap().display().to_string())
        .collect();
    assert!(wrong.is_empty(), "{compiled_in} in: {}", wrong.join(", "));
}

/// `xtask` and every `crates/*`, relative to the root.
fn crates() -> Vec<PathBuf> {
    let mut crates = vec![PathBuf::from("xtask")];
    let mut members: Vec<PathBuf> = std::fs::read_dir(project_root().join("crates"))
        .unwrap()
        .map(|entry| PathBuf::from("crates").join(entry.unwrap().file_name()))
        .collect();
    members.sort();
    crates.extend(members);
    crates
}

/// Every `.rs` file under `dir`, sorted, skipping build output.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return files;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() && path.file_name().is_some_and(|n| n != "target") {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// What the codemap may call a module: its path under `src/` (`snapshot/diff.rs`), a directory
/// module as its folder (`snapshot/`), and the bare file name.
fn names(rel: &str) -> Vec<String> {
    let mut names = vec![];
    match rel.strip_suffix("/mod.rs") {
        Some(dir) => {
            names.push(format!("{dir}/"));
            names.push(format!("src/{dir}/"));
            if let Some((_, last)) = dir.rsplit_once('/') {
                names.push(format!("{last}/"));
            }
        }
        None => {
            names.push(rel.to_string());
            names.push(format!("src/{rel}"));
            if let Some((_, last)) = rel.rsplit_once('/') {
                names.push(last.to_string());
            }
        }
    }
    names
}

/// A source file without its comments and without its `#[cfg(test)]` module (the tests at the
/// end of a file may spell values out: that is what they check).
fn code_of(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap_or(text);
    text.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn read(name: &str) -> String {
    std::fs::read_to_string(project_root().join(name)).unwrap()
}
