//! Parser fidelity, measured: `tests/corpus.sql` (see its header) is split the way migrate
//! splits a file, every statement runs on a real PostgreSQL (so each is valid, and the split is
//! right), and every statement goes through squawk's parser. The statements PostgreSQL accepts
//! and squawk rejects are printed, and must be exactly those the corpus marks with
//! `-- authdb:allow syntax-error <why>`: lint then reports nothing for them, which proves the way
//! out a user has. The README records the list.

use std::path::Path;
use std::pin::pin;

use authdb_folder::normalise;
use authdb_folder::position::at_byte;
use authdb_folder::sql::{Statement, statements};
use authdb_lint::{Options, Rule, lint};
use futures_util::StreamExt;
use squawk_syntax::SourceFile;
use tokio_postgres::Client;

const MARK: &str = "-- authdb:allow syntax-error ";

fn corpus() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus.sql");
    normalise(&std::fs::read_to_string(path).unwrap())
}

/// The PostgreSQL major version a statement needs, from a `-- requires: N` line above it.
fn requires(span: &str) -> Option<u32> {
    span.lines()
        .find_map(|line| line.trim().strip_prefix("-- requires: "))
        .map(|n| n.trim().parse().expect("-- requires: N"))
}

/// Runs one statement as migrate would (a simple query); `COPY ... TO STDOUT` is read to its end.
async fn run(client: &Client, sql: &str) -> Result<(), tokio_postgres::Error> {
    let upper = sql.to_ascii_uppercase();
    if upper.starts_with("COPY") && upper.contains("TO STDOUT") {
        let mut rows = pin!(client.copy_out(sql).await?);
        while let Some(chunk) = rows.next().await {
            chunk?;
        }
        Ok(())
    } else {
        client.batch_execute(sql).await
    }
}

/// `line: first line of the statement: squawk's first error`.
fn describe(text: &str, statement: &Statement, error: &str) -> String {
    let (line, _) = at_byte(text, statement.range.start);
    let first = text[statement.range.clone()]
        .lines()
        .next()
        .unwrap_or_default();
    format!("corpus.sql:{line}: {first}: {error}")
}

#[tokio::test]
async fn postgresql_runs_every_statement_and_squawk_rejects_only_the_marked_ones() {
    let text = corpus();
    let all: Vec<Statement> = statements(&text).collect();
    assert!(all.len() >= 300, "the corpus has {} statements", all.len());

    let db = testdb::empty_database().await;
    let client = db.connect().await;
    let version: u32 = client
        .query_one(
            "SELECT current_setting('server_version_num')::int / 10000",
            &[],
        )
        .await
        .unwrap()
        .get::<_, i32>(0)
        .try_into()
        .unwrap();
    let mut failures = Vec::new();
    let mut skipped = 0;
    for statement in &all {
        let span = &text[statement.span.start..statement.range.end];
        if requires(span).is_some_and(|needed| version < needed) {
            skipped += 1;
            continue;
        }
        if let Err(error) = run(&client, &text[statement.range.clone()]).await {
            failures.push(describe(&text, statement, &format!("{error:?}")));
        }
    }
    assert!(
        failures.is_empty(),
        "PostgreSQL {version} refused:\n{}",
        failures.join("\n")
    );

    let mut rejected = Vec::new();
    let mut mismatched = Vec::new();
    for statement in &all {
        let span = &text[statement.span.start..statement.range.end];
        let parse = SourceFile::parse(span);
        let error = parse.errors().first().map(|e| e.message().to_string());
        if let Some(error) = &error {
            rejected.push(describe(&text, statement, error));
        }
        if error.is_some() != span.contains(MARK) {
            mismatched.push(describe(
                &text,
                statement,
                error
                    .as_deref()
                    .unwrap_or("squawk accepts it, yet it is marked"),
            ));
        }
    }
    println!(
        "corpus: {} statements, {} run on PostgreSQL {version} ({skipped} need a later version); \
         squawk's parser rejects {}:",
        all.len(),
        all.len() - skipped,
        rejected.len()
    );
    for line in &rejected {
        println!("  {line}");
    }
    assert!(
        mismatched.is_empty(),
        "mark exactly the statements squawk rejects with `{MARK}<why>`:\n{}",
        mismatched.join("\n")
    );
}

#[test]
fn lint_reports_no_syntax_error_in_the_corpus_thanks_to_its_allow_comments() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("001_corpus.sql"), corpus()).unwrap();
    std::fs::write(dir.path().join("001_corpus.down.sql"), "SELECT 1;\n").unwrap();
    let report = lint(dir.path(), Options::default()).unwrap();
    let wrong: Vec<String> = report
        .findings
        .iter()
        .filter(|f| {
            f.rule == Rule::SyntaxError
                || f.rule == Rule::AllowUnused
                || f.rule == Rule::AllowWithoutReason
                || f.rule == Rule::UnknownDirective
        })
        .map(ToString::to_string)
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
