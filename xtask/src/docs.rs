//! `cargo xtask docs`: the `--help` of every command, written into docs/commands.md from the clap
//! definitions the binary parses (with clap-markdown), so that the flags the docs list are the
//! flags `--help` lists. Only the marked blocks are written; the prose around them is the page's.

use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::CommandFactory;
use xshell::Shell;

use crate::{cli, project_root};

/// The page, relative to the checkout.
pub const PAGE: &str = "docs/commands.md";
/// `<!-- cargo xtask docs: migrate -->` opens a command's block; [`END`] closes it.
const OPEN: &str = "<!-- cargo xtask docs: ";
const END: &str = "<!-- end -->";

impl cli::Docs {
    pub fn run(self, _sh: &Shell) -> Result<ExitCode> {
        let path = project_root().join(PAGE);
        let text = std::fs::read_to_string(&path).with_context(|| format!("{}", path.display()))?;
        let written = regenerate(&text)?;
        if written == text {
            outln!("{PAGE}: every --help block is current");
        } else {
            std::fs::write(&path, written).with_context(|| format!("{}", path.display()))?;
            outln!("{PAGE}: wrote the --help blocks");
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// The page with every block written afresh. A block naming no command is an error, and so is
/// a command without a block: both mean the page and the command line have drifted apart.
pub fn regenerate(page: &str) -> Result<String> {
    let mut out = String::with_capacity(page.len());
    let mut seen = Vec::new();
    let mut lines = page.split_inclusive('\n');
    while let Some(line) = lines.next() {
        out.push_str(line);
        // A marker is a line of its own, so that the page may quote one in its text.
        let Some(name) = line
            .trim_end()
            .strip_prefix(OPEN)
            .and_then(|rest| rest.strip_suffix(" -->"))
        else {
            continue;
        };
        let end = loop {
            match lines.next() {
                Some(line) if line.trim_end() == END => break line,
                Some(_) => continue,
                None => bail!("{PAGE}: the block of `{name}` has no `{END}` line after it"),
            }
        };
        out.push_str(&help(name)?);
        out.push_str(end);
        seen.push(name.to_string());
    }
    let unmarked: Vec<String> = cli::Cli::command()
        .get_subcommands()
        .map(|command| command.get_name().to_string())
        .filter(|name| !seen.contains(name))
        .collect();
    if !unmarked.is_empty() {
        bail!(
            "{PAGE}: no `{OPEN}NAME -->` ... `{END}` block for {}; add one to the command's section",
            unmarked.join(", ")
        );
    }
    Ok(out)
}

/// One command's `--help` as Markdown: what it does, its example, usage and flags. clap-markdown
/// writes a whole document; the page has its own title and headings, so the block starts after
/// the command's heading.
fn help(name: &str) -> Result<String> {
    let cli = cli::Cli::command();
    let Some(command) = cli.find_subcommand(name) else {
        bail!("{PAGE}: a block names `{name}`, which is no command of cargo xtask");
    };
    let command = command
        .clone()
        .display_name(format!("cargo xtask {name}"))
        .bin_name(format!("cargo xtask {name}"));
    let options = clap_markdown::MarkdownOptions::new()
        .show_footer(false)
        .show_table_of_contents(false);
    let markdown = clap_markdown::help_markdown_command_custom(&command, &options);
    let own = format!("## `cargo xtask {name}`\n");
    let Some(at) = markdown.find(&own) else {
        bail!("clap-markdown wrote no `{}` heading", own.trim());
    };
    let mut block = String::new();
    for line in markdown[at + own.len()..].lines() {
        if line.is_empty() && block.ends_with("\n\n") {
            continue;
        }
        // Headings of its own (`###### **Options:**`, a subcommand's `## ...`) would crowd the
        // page's outline: they become bold lines.
        let heading = line.trim_start_matches('#');
        match heading.len() < line.len() {
            true if heading.trim().starts_with("**") => block.push_str(heading.trim()),
            true => block.push_str(&format!("**{}**", heading.trim())),
            false => block.push_str(line),
        }
        block.push('\n');
        // clap-markdown leaves out what `--help` shows as `[env: NAME=]`.
        if let Some(env) = variable(&command, line) {
            block.push_str(&format!("\n  Environment variable: `{env}`\n"));
        }
    }
    Ok(format!("\n{}\n\n", block.trim()))
}

/// The environment variable of the flag a line of clap-markdown's list opens with, if it has one.
fn variable(command: &clap::Command, line: &str) -> Option<String> {
    let flag = line.strip_prefix("* `--")?;
    let long = flag.split([' ', '`']).next()?;
    let arg = command
        .get_arguments()
        .find(|a| a.get_long() == Some(long))?;
    Some(arg.get_env()?.to_string_lossy().into_owned())
}
