//! Just enough of Markdown to check the documents: sections by heading, the anchors GitHub gives
//! headings, and the links of the text (not of code). Fenced blocks and code spans are code.

/// A markdown document as (heading, text up to the next heading of that level or above).
pub fn sections(text: &str, level: &str) -> Vec<(String, String)> {
    let mut sections: Vec<(String, String)> = Vec::new();
    for (line, code) in lines(text) {
        if !code && line.starts_with('#') {
            if let Some(heading) = line.strip_prefix(level) {
                sections.push((heading.to_string(), String::new()));
                continue;
            }
            if line.len() - line.trim_start_matches('#').len() < level.trim().len() {
                sections.push((String::new(), String::new()));
                continue;
            }
        }
        if let Some((_, body)) = sections.last_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    sections
}

/// The words between backticks.
pub fn backticked(text: &str) -> Vec<String> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// Every anchor a link may name in this document: each heading's, as GitHub makes it (lower
/// case, punctuation dropped, spaces to hyphens, `-1`, `-2`... for repeats).
pub fn anchors(text: &str) -> Vec<String> {
    let mut anchors: Vec<String> = Vec::new();
    for (line, code) in lines(text) {
        let hashes = line.len() - line.trim_start_matches('#').len();
        if code || !(1..=6).contains(&hashes) || !line[hashes..].starts_with(' ') {
            continue;
        }
        let slug = slug(&plain(line[hashes..].trim()));
        let mut anchor = slug.clone();
        let mut n = 0;
        while anchors.contains(&anchor) {
            n += 1;
            anchor = format!("{slug}-{n}");
        }
        anchors.push(anchor);
    }
    anchors
}

/// The targets of the document's inline links and images, `[text](target)`, outside code.
pub fn links(text: &str) -> Vec<String> {
    let prose: String = lines(text)
        .filter(|(_, code)| !code)
        .map(|(line, _)| format!("{line}\n"))
        .collect();
    let prose = without_code_spans(&prose);
    let mut targets = Vec::new();
    let mut rest = prose.as_str();
    while let Some(at) = rest.find("](") {
        rest = &rest[at + 2..];
        let end = rest.find(')').unwrap_or(rest.len());
        // A title after the target (`(path "title")`) is not part of it.
        let target = rest[..end].split_whitespace().next().unwrap_or_default();
        targets.push(target.to_string());
        rest = &rest[end..];
    }
    targets
}

/// Each line, and whether it is code: inside a fenced block, or a fence itself.
fn lines(text: &str) -> impl Iterator<Item = (&str, bool)> {
    let mut fence = false;
    text.lines().map(move |line| {
        if line.trim_start().starts_with("```") {
            fence = !fence;
            return (line, true);
        }
        (line, fence)
    })
}

/// The text without its code spans: a run of backticks up to the next run of the same length.
fn without_code_spans(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find('`') {
        out.push_str(&rest[..start]);
        let run = rest[start..].len() - rest[start..].trim_start_matches('`').len();
        let after = &rest[start + run..];
        let fence = "`".repeat(run);
        match after.find(&fence) {
            Some(end) => rest = after[end + run..].trim_start_matches('`'),
            None => {
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// A heading's text as it reads: code marks and emphasis gone, a link as its text.
fn plain(heading: &str) -> String {
    let mut out = String::new();
    let mut rest = heading;
    while let Some(at) = rest.find("](") {
        out.push_str(&rest[..at]);
        let end = rest[at..].find(')').map_or(rest.len(), |e| at + e + 1);
        rest = &rest[end..];
    }
    out.push_str(rest);
    out.replace(['`', '*', '['], "")
}

/// GitHub's anchor for a heading's text (github-slugger's rule).
fn slug(text: &str) -> String {
    text.to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_are_githubs() {
        let text = "# authdb\n## Neon's pooler\n### By hand: a server that never answers\n\
                    ## `cargo xtask migrate`\n###### **Options:**\n###### **Options:**\n\
                    ```sh\n# not a heading\n```\n## pre-commit and hooks\n";
        assert_eq!(
            anchors(text),
            [
                "authdb",
                "neons-pooler",
                "by-hand-a-server-that-never-answers",
                "cargo-xtask-migrate",
                "options",
                "options-1",
                "pre-commit-and-hooks"
            ]
        );
    }

    #[test]
    fn links_are_read_from_prose_only() {
        let text = "See [the\ntable](docs/a.md#x), ![img](p.png \"t\") and `[no](code.md)`.\n\
                    ```md\n[no](fenced.md)\n```\n[mail](https://example.com)\n";
        assert_eq!(links(text), ["docs/a.md#x", "p.png", "https://example.com"]);
    }
}
