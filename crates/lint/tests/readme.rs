//! The lint section of docs/commands.md says what lint does: it documents every id lint can print,
//! and its table of squawk's rules is the one `squawk_rules::ALL` holds (on or off, where, why).
//! When this fails it prints the table to paste.

use std::path::Path;

use authdb_folder::ProblemKind;
use authdb_lint::OWN;
use authdb_lint::squawk_rules::{ALL, State};

fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/commands.md"))
        .unwrap()
}

/// The page's table of squawk's rules, from the catalogue.
fn table() -> String {
    let mut table = String::from(
        "| squawk rule | state | where it applies, or why it is off |\n| --- | --- | --- |\n",
    );
    let mut opt_in = Vec::new();
    for rule in ALL {
        let (state, note) = match rule.state {
            State::On {
                down_files,
                new_relations,
            } => {
                let files = if down_files {
                    "up and down files"
                } else {
                    "up files"
                };
                let tables = if new_relations {
                    "every table"
                } else {
                    "not on tables new in the run"
                };
                ("on", format!("{files}; {tables}"))
            }
            State::Off(why) if why.starts_with("opt-in in squawk, off by default") => {
                opt_in.push(format!("`{}`", rule.id));
                continue;
            }
            State::Off(why) => ("off", why.to_string()),
        };
        table.push_str(&format!("| `{}` | {state} | {note} |\n", rule.id));
    }
    table.push_str(&format!(
        "| {} | off | opt-in in squawk, off by default; authdb keeps squawk's default |\n",
        opt_in.join(", ")
    ));
    table
}

#[test]
fn the_readme_holds_the_squawk_rules_table() {
    let expected = table();
    assert!(
        readme().contains(&expected),
        "docs/commands.md's squawk rules table is not the catalogue's; it should read:\n\n{expected}"
    );
}

#[test]
fn the_readme_documents_every_id_lint_prints() {
    let readme = readme();
    let ids = OWN
        .iter()
        .map(|rule| rule.id())
        .chain(ProblemKind::IDS.iter().copied());
    for id in ids {
        assert!(
            readme.contains(&format!("`{id}`")),
            "docs/commands.md does not document `{id}`"
        );
    }
}
