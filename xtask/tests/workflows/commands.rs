//! Every `cargo xtask COMMAND --flag` that a workflow or action script runs exists in the built
//! binary: each command's `--help` is asked, and each flag must be among its options. A command
//! the binary does not have yet is allowed only in a script that first checks for it with
//! `if cargo xtask COMMAND --help` (how ci.yml waits for `rehearse`); once the command exists,
//! its flags are checked like any other.

use std::collections::BTreeMap;
use std::process::Command;

use crate::yaml::File;

/// One `cargo xtask ...` in a script.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// `file:line`.
    pub location: String,
    /// The command, and its subcommand when it has one: `["migrate"]`, `["hooks", "install"]`.
    pub words: Vec<String>,
    /// `--json`, `--to` (without a value).
    pub flags: Vec<String>,
    /// The script checks for the command first (`if cargo xtask COMMAND --help`).
    pub guarded: bool,
}

/// The `cargo xtask` invocations of every `run:` script of the file.
pub fn invocations(file: &File) -> Vec<Invocation> {
    let mut out = Vec::new();
    for (path, node) in file.scalars() {
        if !path.ends_with(".run") {
            continue;
        }
        let script = node.value.str().unwrap_or_default();
        for (index, words, flags) in parse(script) {
            let line = script.lines().nth(index).unwrap_or_default().trim();
            out.push(Invocation {
                location: format!("{}:{}", file.path.display(), file.line_of(node, line)),
                guarded: words.first().is_some_and(|c| guards(script, c)),
                words,
                flags,
            });
        }
    }
    out
}

/// Whether the script asks `if [!] cargo xtask COMMAND --help` before running it.
fn guards(script: &str, command: &str) -> bool {
    let probe = format!("cargo xtask {command} --help");
    script.lines().any(|line| {
        let line = line.trim_start();
        line.strip_prefix("if ")
            .map(|rest| rest.trim_start().trim_start_matches("! ").trim_start())
            .is_some_and(|rest| rest.starts_with(&probe))
    })
}

/// The words and flags after each `cargo xtask` of a shell script, up to the first redirection,
/// pipe, operator or comment, with the index of the script line it starts on. A line ending in
/// `\` continues on the next.
pub fn parse(script: &str) -> Vec<(usize, Vec<String>, Vec<String>)> {
    let lines: Vec<&str> = script.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let start = i;
        let mut logical = String::new();
        while let Some(head) = lines[i].strip_suffix('\\').filter(|_| i + 1 < lines.len()) {
            logical.push_str(head);
            logical.push(' ');
            i += 1;
        }
        logical.push_str(lines[i]);
        i += 1;
        let mut rest = logical.as_str();
        while let Some(at) = rest.find("cargo xtask") {
            rest = &rest[at + "cargo xtask".len()..];
            let (mut words, mut flags) = (Vec::new(), Vec::new());
            for token in rest.split_whitespace() {
                let stops = ['>', '<', '|', '&', ';', ')', '#'];
                if token.starts_with(stops) || token.starts_with("2>") {
                    break;
                }
                let token = token.trim_matches(['"', '\'']);
                if let Some(flag) = token.strip_prefix("--") {
                    let name = flag.split('=').next().unwrap_or(flag);
                    flags.push(format!("--{name}"));
                } else if flags.is_empty() && !token.starts_with('$') {
                    words.push(token.to_string());
                }
            }
            out.push((start, words, flags));
        }
    }
    out
}

/// What the built binary says of a command: its flags, or None when it has no such command.
#[derive(Default)]
pub struct Binary {
    help: BTreeMap<Vec<String>, Option<Vec<String>>>,
}

impl Binary {
    fn options(&mut self, words: &[String]) -> Option<Vec<String>> {
        self.help
            .entry(words.to_vec())
            .or_insert_with(|| {
                let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
                    .args(words)
                    .arg("--help")
                    .output()
                    .expect("running the built xtask");
                output
                    .status
                    .success()
                    .then(|| flags_of(&String::from_utf8_lossy(&output.stdout)))
            })
            .clone()
    }

    /// What is wrong with the invocation, if anything.
    pub fn check(&mut self, call: &Invocation) -> Option<String> {
        let shown = format!("cargo xtask {}", call.words.join(" "));
        let Some(command) = call.words.first() else {
            return Some(format!(
                "{}: `cargo xtask` without a command",
                call.location
            ));
        };
        // Only the command itself decides whether it exists; a second word is a subcommand
        // when the command has subcommands, else an argument.
        let Some(mut options) = self.options(std::slice::from_ref(command)) else {
            if call.guarded {
                return None;
            }
            return Some(format!(
                "{}: `{shown}`: the built binary has no command `{command}`; run an existing \
                 one, or check for it first with `if cargo xtask {command} --help`",
                call.location
            ));
        };
        if call.words.len() > 1
            && let Some(sub) = self.options(&call.words[..2])
        {
            options = sub;
        }
        let unknown: Vec<_> = call
            .flags
            .iter()
            .filter(|f| *f != "--help" && !options.contains(f))
            .collect();
        (!unknown.is_empty()).then(|| {
            format!(
                "{}: `{shown}`: the built binary's `{shown}` has no {}: its options are {}",
                call.location,
                unknown
                    .iter()
                    .map(|f| format!("`{f}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                options.join(" ")
            )
        })
    }
}

/// The long flags of a clap help text: `  -h, --help`, `      --to <N>`.
fn flags_of(help: &str) -> Vec<String> {
    help.lines()
        .filter_map(|line| {
            let line = line.trim_start();
            let line = match line.as_bytes() {
                [b'-', c, b',', b' ', ..] if c.is_ascii_alphanumeric() => &line[4..],
                _ => line,
            };
            let name = line.strip_prefix("--")?;
            let end = name
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
                .unwrap_or(name.len());
            Some(format!("--{}", &name[..end]))
        })
        .collect()
}

#[test]
fn every_cargo_xtask_command_and_flag_the_workflows_run_exists() {
    let mut binary = Binary::default();
    let calls: Vec<Invocation> = crate::all_files().iter().flat_map(invocations).collect();
    let problems: Vec<String> = calls.iter().filter_map(|c| binary.check(c)).collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    // What was checked, for the record (and so that a parser that finds nothing cannot pass).
    for call in &calls {
        eprintln!(
            "{}: cargo xtask {} {}{}",
            call.location,
            call.words.join(" "),
            call.flags.join(" "),
            if call.guarded { " (guarded)" } else { "" }
        );
    }
    let seen = |words: &str, flag: &str| {
        calls
            .iter()
            .any(|c| c.words.join(" ") == words && c.flags.iter().any(|f| f == flag))
    };
    assert!(seen("migrate", "--json"), "migrate --json not found");
    assert!(seen("rollback", "--to"), "rollback --to not found");
    assert!(
        calls.iter().any(|c| c.words == ["verify"]),
        "verify not found"
    );
}

#[test]
fn a_missing_command_or_flag_is_named_with_its_line() {
    let file = File::parse(
        std::path::Path::new("bad.yml"),
        "jobs:\n  a:\n    steps:\n      - run: |\n          echo start\n          \
         cargo xtask migrate --jsn --to 3 >out.json\n          cargo xtask deploy --now\n"
            .to_string(),
    );
    let calls = invocations(&file);
    let mut binary = Binary::default();
    let problems: Vec<String> = calls.iter().filter_map(|c| binary.check(c)).collect();
    assert_eq!(problems.len(), 2, "{problems:#?}");
    assert!(
        problems[0].starts_with("bad.yml:6: `cargo xtask migrate`: the built binary's `cargo xtask migrate` has no `--jsn`: its options are "),
        "{}",
        problems[0]
    );
    assert!(problems[0].contains("--json"), "{}", problems[0]);
    assert!(
        problems[1].starts_with(
            "bad.yml:7: `cargo xtask deploy`: the built binary has no command `deploy`"
        ),
        "{}",
        problems[1]
    );
}

#[test]
fn a_command_the_binary_lacks_passes_only_behind_its_help_check() {
    let script = |guard: &str| {
        format!(
            "jobs:\n  a:\n    steps:\n      - run: |\n          {guard}\n          \
             cargo xtask nosuchcommand --from 3\n"
        )
    };
    let mut binary = Binary::default();
    let mut problems = |text: String| -> Vec<String> {
        let file = File::parse(std::path::Path::new("w.yml"), text);
        invocations(&file)
            .iter()
            .filter_map(|c| binary.check(c))
            .collect()
    };
    let guarded = script("if ! cargo xtask nosuchcommand --help >/dev/null 2>&1; then exit 0; fi");
    assert_eq!(problems(guarded), Vec::<String>::new());
    let unguarded = script("echo no check");
    let found = problems(unguarded);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(
        found[0].contains("no command `nosuchcommand`"),
        "{}",
        found[0]
    );
}

#[test]
fn the_parser_reads_flags_values_redirections_and_continued_lines() {
    let parsed = parse(
        "cargo xtask rollback --to \"$TO\" --dry-run >\"$r/plan.txt\" 2>&1 || status=$?\n\
         if ! cargo xtask rehearse --help >/dev/null; then exit 0; fi\n\
         cargo xtask migrate \\\n  --json --lock-wait=30 | tee x\n",
    );
    let words = |w: &[&str]| w.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        parsed,
        [
            (0, words(&["rollback"]), words(&["--to", "--dry-run"])),
            (1, words(&["rehearse"]), words(&["--help"])),
            (2, words(&["migrate"]), words(&["--json", "--lock-wait"])),
        ]
    );
}
