//! The workflows and the local action are valid against GitHub's own schemas: SchemaStore's
//! `github-workflow.json` and `github-action.json`, vendored in `schemas/` (where they come from,
//! at which commit, under which licence: `schemas/README.md`), checked with the jsonschema crate.
//! No Python and no network: the schemas are self-contained and the crate is built without a
//! resolver that could fetch anything.

use std::path::Path;

use jsonschema::Validator;
use serde_json::Value;

/// A vendored schema, compiled as the draft it declares (draft-07).
fn validator(name: &str) -> Validator {
    let path = crate::repo()
        .join("xtask/tests/workflows/schemas")
        .join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: cannot read: {e}", path.display()));
    let schema: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: not JSON: {e}", path.display()));
    jsonschema::draft7::new(&schema)
        .unwrap_or_else(|e| panic!("{}: not a schema jsonschema compiles: {e}", path.display()))
}

/// What the schema finds wrong with a YAML document, one line each: where (a JSON pointer into
/// the document) and why.
fn problems(validator: &Validator, path: &Path, yaml: &str) -> Vec<String> {
    let document: Value = serde_saphyr::from_str(yaml)
        .unwrap_or_else(|e| panic!("{}: not YAML: {e}", path.display()));
    validator
        .iter_errors(&document)
        .map(|error| format!("{}: {}: {error}", path.display(), error.instance_path()))
        .collect()
}

#[test]
fn the_workflows_and_the_action_are_valid_against_githubs_schemas() {
    let files = crate::all_files();
    let (actions, workflows): (Vec<_>, Vec<_>) = files
        .iter()
        .partition(|f| f.path.starts_with(".github/actions"));
    assert!(!actions.is_empty() && workflows.len() >= 3);
    let mut wrong = Vec::new();
    for (schema, files) in [
        ("github-workflow.json", &workflows),
        ("github-action.json", &actions),
    ] {
        let validator = validator(schema);
        for file in files {
            wrong.extend(problems(&validator, &file.path, &file.text));
        }
    }
    assert!(wrong.is_empty(), "\n{}\n", wrong.join("\n"));
}

#[test]
fn the_schema_check_rejects_what_github_would_reject() {
    let workflows = validator("github-workflow.json");
    let actions = validator("github-action.json");
    // Each: a file GitHub refuses to run, and what the schema must say of it.
    let cases: &[(&Validator, &str, &str)] = &[
        // No runs-on, and a timeout that is not a number.
        (
            &workflows,
            "on: push\njobs:\n  deploy:\n    timeout-minutes: soon\n    steps:\n      - run: echo hi\n",
            "bad.yml: /jobs/deploy: ",
        ),
        // A misspelt top-level key.
        (
            &workflows,
            "on: push\njobz:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo hi\n",
            "'jobz' was unexpected",
        ),
        // A step that both uses an action and runs a script.
        (
            &workflows,
            "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n        run: echo hi\n",
            "bad.yml: /jobs/build: ",
        ),
        // A composite action without its steps.
        (
            &actions,
            "name: a\ndescription: b\nruns:\n  using: composite\n",
            "bad.yml: /runs: ",
        ),
    ];
    for (validator, yaml, expected) in cases {
        let found = problems(validator, Path::new("bad.yml"), yaml);
        assert!(!found.is_empty(), "accepted:\n{yaml}");
        assert!(
            found.iter().any(|p| p.contains(expected)),
            "no problem saying `{expected}` for:\n{yaml}\nfound:\n{}",
            found.join("\n")
        );
    }
}
