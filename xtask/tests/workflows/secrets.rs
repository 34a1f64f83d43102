//! Secrets reach a script only through `env:`. An expression in a `run:` script is pasted into
//! the script's text before the shell reads it: a secret there is written into a file on the
//! runner and can be broken by its own quotes, and any other value there (an input, a branch
//! name) can inject commands. So: `${{ secrets.X }}` only as the value of an `env:` entry or of
//! a `with:` input of an action (an action reads its inputs from its own environment; the Neon
//! actions take their API key that way), and no `${{ }}` at all in a `run:` script.

use crate::yaml::File;

/// Every breach of the rule in the file, as `file:line: path: what; what to do instead`.
pub fn findings(file: &File) -> Vec<String> {
    let mut out = Vec::new();
    for (path, node) in file.scalars() {
        let text = node.value.str().unwrap_or_default();
        let mut rest = text;
        while let Some(at) = rest.find("${{") {
            let expression = &rest[at..rest[at..].find("}}").map_or(rest.len(), |e| at + e + 2)];
            rest = &rest[at + 3..];
            let line = file.line_of(node, expression);
            let place = format!("{}:{line}: {path}", file.path.display());
            let secret = expression.contains("secrets.");
            if path.ends_with(".run") {
                out.push(format!(
                    "{place}: {expression} is pasted into a shell script; set it in the step's \
                     `env:` and use the variable (\"$NAME\") instead"
                ));
            } else if secret && !in_env(&path) && !in_action_input(file, &path) {
                out.push(format!(
                    "{place}: {expression} outside an `env:` block; secrets go only in `env:` \
                     (or in an action's `with:` input)"
                ));
            }
        }
    }
    out
}

/// `...env.NAME`: the value of an environment variable, at any level.
fn in_env(path: &str) -> bool {
    path.rsplit_once('.')
        .is_some_and(|(parent, _)| parent == "env" || parent.ends_with(".env"))
}

/// `jobs.J.steps[N].with.NAME` of a step that `uses:` an action.
fn in_action_input(file: &File, path: &str) -> bool {
    let Some((step, _)) = path.rsplit_once(".with.") else {
        return false;
    };
    let keys: Vec<&str> = step.split('.').collect();
    let mut node = &file.root;
    for key in keys {
        let (name, index) = match key.split_once('[') {
            Some((name, index)) => (name, index.trim_end_matches(']').parse::<usize>().ok()),
            None => (key, None),
        };
        let Some(next) = node.value.get(name) else {
            return false;
        };
        node = match index {
            Some(i) => match next.value.items().get(i) {
                Some(item) => item,
                None => return false,
            },
            None => next,
        };
    }
    node.value.get("uses").is_some()
}

#[test]
fn secrets_appear_only_in_env_blocks_and_action_inputs() {
    let files = crate::all_files();
    let problems: Vec<String> = files.iter().flat_map(findings).collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // The rule was applied to something: the deploy reads DATABASE_URL from a secret.
    let deploy = crate::workflow("deploy-migrations.yml");
    assert!(
        deploy
            .text
            .contains("DATABASE_URL: ${{ secrets.DATABASE_URL }}"),
        "the deploy no longer reads the DATABASE_URL secret"
    );
}

#[test]
fn a_secret_in_a_script_or_a_name_is_a_finding_with_its_line() {
    let text = "\
on: push
jobs:
  deploy:
    name: deploy ${{ secrets.DATABASE_URL }}
    runs-on: ubuntu-24.04
    env:
      FINE: ${{ secrets.DATABASE_URL }}
    steps:
      - uses: some/action@v1
        with:
          api_key: ${{ secrets.API_KEY }}
      - env:
          ALSO_FINE: ${{ secrets.API_KEY }}
        run: |
          echo start
          psql \"${{ secrets.DATABASE_URL }}\" -c 'select 1'
      - run: echo ${{ inputs.to }}
      - with:
          not_an_action: ${{ secrets.API_KEY }}
        run: echo hi
";
    let file = File::parse(std::path::Path::new("bad.yml"), text.to_string());
    let found = findings(&file);
    assert_eq!(
        found,
        [
            "bad.yml:4: jobs.deploy.name: ${{ secrets.DATABASE_URL }} outside an `env:` block; \
             secrets go only in `env:` (or in an action's `with:` input)",
            "bad.yml:16: jobs.deploy.steps[1].run: ${{ secrets.DATABASE_URL }} is pasted into a \
             shell script; set it in the step's `env:` and use the variable (\"$NAME\") instead",
            "bad.yml:17: jobs.deploy.steps[2].run: ${{ inputs.to }} is pasted into a shell \
             script; set it in the step's `env:` and use the variable (\"$NAME\") instead",
            "bad.yml:19: jobs.deploy.steps[3].with.not_an_action: ${{ secrets.API_KEY }} outside \
             an `env:` block; secrets go only in `env:` (or in an action's `with:` input)",
        ]
    );
}
