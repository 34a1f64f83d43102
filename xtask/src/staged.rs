//! The tree a commit will record, on disk: git's index mirrored into the repository's git
//! directory (`.git/authdb-pre-commit/tree`), so the hook checks exactly what is committed, never
//! untracked files or unstaged edits. The mirror is kept between commits and only the files whose
//! staged content changed are written, so cargo's checks there stay incremental.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};
use xshell::{Shell, cmd};

/// The staged tree of the repository at the shell's directory.
pub struct StagedTree {
    /// Where the mirror is.
    pub root: PathBuf,
    /// Staged paths that differ from HEAD (added, changed, deleted, renamed).
    pub changed: Vec<String>,
}

impl StagedTree {
    /// Mirrors the index of the repository `sh` is in (at its top level) into `state`.
    pub fn mirror(sh: &Shell, state: &Path) -> Result<StagedTree> {
        let top = sh.current_dir();
        let root = state.join("tree");
        let manifest = state.join("index");
        std::fs::create_dir_all(&root).with_context(|| format!("creating {}", root.display()))?;
        let staged = index(sh)?;
        let previous = read_manifest(&manifest);
        let stale: Vec<&String> = staged
            .iter()
            .filter(|(path, blob)| previous.get(*path) != Some(blob) || !root.join(path).is_file())
            .map(|(path, _)| path)
            .collect();
        write_blobs(&top, &root, &staged, &stale)?;
        for path in previous.keys().filter(|p| !staged.contains_key(*p)) {
            let _ = std::fs::remove_file(root.join(path));
        }
        let text: String = staged
            .iter()
            .map(|(path, blob)| format!("{blob} {path}\n"))
            .collect();
        std::fs::write(&manifest, text)
            .with_context(|| format!("writing {}", manifest.display()))?;
        let changed = cmd!(sh, "git diff --cached --name-only --no-renames")
            .quiet()
            .read()?
            .lines()
            .map(str::to_string)
            .collect();
        Ok(StagedTree { root, changed })
    }

    /// Whether a staged change touches something `matches` recognises.
    pub fn touches(&self, matches: impl Fn(&str) -> bool) -> bool {
        self.changed.iter().any(|path| matches(path))
    }
}

/// Path -> blob id of every file in the index (stage 0; a merge in progress has no commit yet).
fn index(sh: &Shell) -> Result<BTreeMap<String, String>> {
    let listing = cmd!(sh, "git ls-files --stage -z").quiet().read()?;
    let mut staged = BTreeMap::new();
    for entry in listing.split('\0').filter(|e| !e.is_empty()) {
        let Some((meta, path)) = entry.split_once('\t') else {
            continue;
        };
        let fields: Vec<&str> = meta.split_whitespace().collect();
        // Regular files only: submodules (160000) and links have no content to check.
        if let [mode, blob, "0"] = fields.as_slice()
            && mode.starts_with("100")
        {
            staged.insert(path.to_string(), blob.to_string());
        }
    }
    Ok(staged)
}

fn read_manifest(path: &Path) -> BTreeMap<String, String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| line.split_once(' '))
        .map(|(blob, path)| (path.to_string(), blob.to_string()))
        .collect()
}

/// Writes the staged content of `paths` under `root`, through one `git cat-file --batch`.
/// (`std::process::Command`: a conversation on stdin and stdout, which xshell does not hold.)
fn write_blobs(
    top: &Path,
    root: &Path,
    staged: &BTreeMap<String, String>,
    paths: &[&String],
) -> Result<()> {
    if paths.is_empty() {
        return Ok(());
    }
    let mut git = Command::new("git")
        .args(["cat-file", "--batch"])
        .current_dir(top)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .context("cannot run git cat-file")?;
    let mut input = git.stdin.take().context("git's stdin")?;
    let requests: String = paths.iter().map(|p| format!("{}\n", staged[*p])).collect();
    let writer = std::thread::spawn(move || input.write_all(requests.as_bytes()));
    let mut output = BufReader::new(git.stdout.take().context("git's stdout")?);
    for path in paths {
        let mut header = String::new();
        output.read_line(&mut header)?;
        let size: usize = header
            .split_whitespace()
            .nth(2)
            .and_then(|s| s.parse().ok())
            .with_context(|| format!("git cat-file: unexpected answer {header:?} for {path}"))?;
        let mut content = vec![0; size + 1]; // and the newline that ends each blob
        output.read_exact(&mut content)?;
        content.pop();
        let target = root.join(path);
        if let Some(dir) = target.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&target, content)
            .with_context(|| format!("writing {}", target.display()))?;
    }
    writer.join().ok().transpose()?;
    if !git.wait()?.success() {
        bail!("git cat-file --batch failed");
    }
    Ok(())
}
