//! The documents say what the code has: every command's `--help` opens with what it does and
//! shows one example, the README's command table lists every command as its `--help` says it, the
//! commands page holds every command's current `--help` (so every flag) in the command's own
//! section, the guarantees cite tests that exist, and every relative link and anchor of
//! README.md, ARCHITECTURE.md and docs/ leads somewhere.

use std::path::{Path, PathBuf};

use clap::CommandFactory;

use super::markdown::{anchors, backticked, links, sections};
use super::{crates, read, rust_files};
use crate::docs::PAGE as COMMANDS_PAGE;
use crate::{cli, project_root};

/// Every command as users type it after `cargo xtask` (`hooks install` for one with
/// subcommands), with its clap definition and the top-level command it belongs to.
fn commands() -> Vec<(String, clap::Command, String)> {
    let mut all = Vec::new();
    for command in cli::Cli::command().get_subcommands() {
        let top = command.get_name().to_string();
        if command.has_subcommands() {
            for sub in command.get_subcommands() {
                all.push((
                    format!("{top} {}", sub.get_name()),
                    sub.clone(),
                    top.clone(),
                ));
            }
        } else {
            all.push((top.clone(), command.clone(), top));
        }
    }
    all
}

/// Every command (and every subcommand) with what its `--help` opens with and the example it
/// shows: (path, first line, example).
fn helps() -> Vec<(String, String, Option<String>)> {
    let mut cli = cli::Cli::command();
    cli.build();
    let mut all = Vec::new();
    let mut add = |path: String, command: &mut clap::Command| {
        let help = command.render_long_help().to_string();
        let first = help.lines().next().unwrap_or_default().trim().to_string();
        let examples: Vec<&str> = help
            .lines()
            .filter_map(|line| line.trim().strip_prefix("Example: "))
            .collect();
        let example = match examples[..] {
            [one] => Some(one.to_string()),
            _ => None,
        };
        all.push((path, first, example));
    };
    // clap's own `help` subcommands, which `build` adds, are not ours to document.
    for command in cli.get_subcommands_mut().filter(|c| c.get_name() != "help") {
        let top = command.get_name().to_string();
        for sub in command
            .get_subcommands_mut()
            .filter(|c| c.get_name() != "help")
        {
            add(format!("{top} {}", sub.get_name()), sub);
        }
        add(top, command);
    }
    all
}

#[test]
fn every_command_s_help_opens_with_what_it_does_and_shows_one_example() {
    let mut wrong = Vec::new();
    for (path, first, example) in helps() {
        let prefix = format!("cargo xtask {path}");
        if first.is_empty() || first.starts_with("Usage:") {
            wrong.push(format!(
                "`{prefix} --help` does not open with what the command does"
            ));
        }
        if !example.is_some_and(|e| e.starts_with(&prefix)) {
            wrong.push(format!(
                "`{prefix} --help` shows no `Example: {prefix} ...` line (exactly one): end the \
                 command's doc comment in xtask/src/cli.rs with one"
            ));
        }
    }
    assert!(wrong.is_empty(), "\n{}\n", wrong.join("\n"));
}

#[test]
fn the_readme_table_lists_every_command_as_its_help_says_it() {
    let readme = read("README.md");
    let table = sections(&readme, "## ")
        .into_iter()
        .find(|(heading, _)| heading == "Commands")
        .expect("README.md has a `## Commands` section with the command table")
        .1;
    let rows: Vec<Vec<String>> = table
        .lines()
        .filter(|line| line.starts_with('|'))
        .map(|line| {
            line.split('|')
                .map(|cell| cell.trim().to_string())
                .collect()
        })
        .collect();
    let mut wrong = Vec::new();
    let leaves = helps()
        .into_iter()
        .filter(|(path, _, _)| commands().iter().any(|(leaf, _, _)| leaf == path));
    for (path, first, example) in leaves {
        let shown = format!("cargo xtask {path}");
        let Some(row) = rows.iter().find(|row| {
            row.get(1).is_some_and(|cell| {
                cell.contains(&format!("{shown}`")) || cell.contains(&format!("{shown} "))
            })
        }) else {
            wrong.push(format!("README.md, `## Commands`: no row for `{shown}`"));
            continue;
        };
        let said = row
            .get(2)
            .map(|cell| cell.replace('`', ""))
            .unwrap_or_default();
        if said != first {
            wrong.push(format!(
                "README.md, the row of `{shown}` says \"{said}\"; its --help opens with \"{first}\""
            ));
        }
        let example = format!("`{}`", example.unwrap_or_default());
        if row.get(3) != Some(&example) {
            wrong.push(format!(
                "README.md, the row of `{shown}`: its example is {example}, as --help shows it"
            ));
        }
    }
    assert!(wrong.is_empty(), "\n{}\n", wrong.join("\n"));
}

#[test]
fn the_commands_page_has_every_command_s_current_help() {
    let page = read(COMMANDS_PAGE);
    // Every flag is in its command's block, as `--help` lists it, or this fails.
    let current = crate::docs::regenerate(&page).unwrap_or_else(|e| panic!("{e:#}"));
    assert!(
        current == page,
        "{COMMANDS_PAGE}: the --help blocks are stale: run `cargo xtask docs` and commit the page"
    );
    // Each block stands in the section whose heading names its command (`## pre-commit and hooks`).
    let mut misplaced = Vec::new();
    for (_, _, top) in commands() {
        let marker = format!("<!-- cargo xtask docs: {top} -->");
        let home = sections(&page, "## ").into_iter().find(|(heading, _)| {
            heading
                .split([' ', ','])
                .any(|word| word.trim_matches('`') == top)
        });
        match home {
            None => misplaced.push(format!(
                "{COMMANDS_PAGE}: no `## {top}` section for `cargo xtask {top}`"
            )),
            Some((heading, text)) if !text.contains(&marker) => misplaced.push(format!(
                "{COMMANDS_PAGE}, section `{heading}`: the block `{marker}` belongs here"
            )),
            Some(_) => {}
        }
    }
    assert!(misplaced.is_empty(), "\n{}\n", misplaced.join("\n"));
}

#[test]
fn the_guarantees_cite_only_tests_that_exist() {
    let root = project_root();
    let mut functions = std::collections::BTreeSet::new();
    for krate in crates() {
        for file in rust_files(&root.join(krate)) {
            let text = std::fs::read_to_string(&file).unwrap();
            for rest in text.split("fn ").skip(1) {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                functions.insert(name);
            }
        }
    }
    // The "proven by" column of the guarantees table names tests (and their files).
    let page = "docs/guarantees.md";
    let cited: Vec<String> = read(page)
        .lines()
        .filter(|row| row.starts_with('|'))
        .filter_map(|row| row.split('|').nth(2))
        .flat_map(backticked)
        .filter(|word| {
            word.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        })
        .collect();
    assert!(
        cited.len() > 20,
        "{page}: the guarantees table cites its tests: {cited:?}"
    );
    let missing: Vec<String> = cited
        .into_iter()
        .filter(|word| !functions.contains(word))
        .collect();
    assert!(
        missing.is_empty(),
        "{page} cites tests that do not exist (renamed or removed?): {}",
        missing.join(", ")
    );
}

#[test]
fn every_relative_link_and_anchor_resolves() {
    let root = project_root();
    let mut documents = vec![root.join("README.md"), root.join("ARCHITECTURE.md")];
    documents.extend(markdown_files(&root.join("docs")));
    assert!(
        documents.len() >= 10,
        "README.md, ARCHITECTURE.md and the pages of docs/: {documents:?}"
    );
    let mut broken = Vec::new();
    for document in &documents {
        let text = std::fs::read_to_string(document).unwrap();
        let name = document.strip_prefix(&root).unwrap().display().to_string();
        for target in links(&text) {
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            if let Some(problem) = resolve(document, &text, &target) {
                broken.push(format!("{name}: ({target}) {problem}"));
            }
        }
    }
    assert!(broken.is_empty(), "\n{}\n", broken.join("\n"));
}

/// Why a relative link from `document` leads nowhere, if it does.
fn resolve(document: &Path, text: &str, target: &str) -> Option<String> {
    let (file, anchor) = target.split_once('#').unwrap_or((target, ""));
    let path = match file {
        "" => document.to_path_buf(),
        file => document.parent().unwrap().join(file),
    };
    if !path.exists() {
        return Some("no such file".into());
    }
    if anchor.is_empty() {
        return None;
    }
    let target_text = match file {
        "" => text.to_string(),
        _ if path.extension().is_some_and(|e| e == "md") => std::fs::read_to_string(&path).ok()?,
        _ => return Some("an anchor into a file that is not Markdown".into()),
    };
    (!anchors(&target_text).iter().any(|a| a == anchor))
        .then(|| format!("no heading there has the anchor #{anchor}"))
}

/// The `.md` files of a folder, sorted.
fn markdown_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "md"))
        .collect();
    files.sort();
    files
}
