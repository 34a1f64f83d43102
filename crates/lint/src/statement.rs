//! One statement through squawk: its span (the statement and the comments above it) parsed on
//! its own, so that memory is one statement's however large the file; its syntax errors; squawk's
//! rules that apply to this kind of file, minus those about existing tables when the table is
//! new in the run; and authdb's `needs-no-transaction`. Offsets are mapped back to the file.

use std::borrow::Cow;
use std::ops::Range;

use authdb_folder::sql::Statement;
use squawk_linter::{Linter, LinterSettings, Version, Violation};
use squawk_syntax::SourceFile;
use squawk_syntax::ast::{self, AstNode, NameLike};

use crate::directives::squawk_comments;
use crate::finding::Mark;
use crate::no_transaction;
use crate::relations;
use crate::rule::Rule;
use crate::run::Run;
use crate::squawk_rules::{self, State};

/// The oldest PostgreSQL authdb supports (Neon offers 14 to 17): squawk's version-dependent
/// advice (a non-volatile default needs no rewrite since 11, ...) must hold on all of them.
pub const PG_VERSION: &str = "14";

/// What the rules need to know about the file a statement is in.
#[derive(Debug, Clone, Copy)]
pub struct FileKind {
    /// A down file undoes its migration, inside rollback's one transaction.
    pub down: bool,
    /// The file starts with `-- authdb:no-transaction`: migrate runs it outside a transaction.
    pub no_transaction: bool,
}

/// Checks the statement of `text` at `statement`, adding its marks; `run` learns from it.
pub fn check(
    text: &str,
    statement: &Statement,
    kind: FileKind,
    run: &mut Run,
    marks: &mut Vec<Mark>,
) {
    let start = statement.span.start;
    let original = &text[start..statement.range.end];
    let squawk = squawk_comments(original);
    for range in &squawk {
        let what = format!(
            "`{}` is squawk's own comment",
            original[range.clone()].trim()
        );
        marks.push(Mark::own(start + range.start, Rule::SquawkIgnore, what));
    }
    // Refused, so not honoured either: squawk must not see them.
    let sql = blank(original, &squawk);
    let parse = SourceFile::parse(&sql);
    let stmts: Vec<ast::Stmt> = parse.tree().stmts().collect();
    if let Some(error) = parse.errors().first() {
        let at = usize::from(error.range().start());
        let what = format!(
            "syntax error at or near {} (squawk: {})",
            near(&sql, at),
            readable(error.message())
        );
        marks.push(Mark::own(start + at, Rule::SyntaxError, what));
        // The rules cannot trust a broken tree; the run still learns what it can.
        for stmt in &stmts {
            run.learn(stmt);
        }
        return;
    }
    let mut linter = Linter::from(squawk_rules::running(kind.down));
    linter.settings = LinterSettings {
        pg_version: PG_VERSION.parse::<Version>().expect("a version"),
        assume_in_transaction: !kind.no_transaction,
    };
    let violations = linter.lint(&parse, &sql);
    for stmt in &stmts {
        let range = stmt.syntax().text_range();
        let new = run.all_new(&relations::changed(stmt));
        for violation in violations
            .iter()
            .filter(|v| range.contains_inclusive(v.text_range.start()))
        {
            if applies(violation, stmt, new, run) {
                marks.push(squawk_mark(start, violation));
            }
        }
        if let Some(what) = no_transaction::refused(stmt)
            && !kind.no_transaction
        {
            let at = start + first_token(stmt);
            marks.push(needs_no_transaction(at, what, kind.down));
        }
        for validate in run.learn(stmt) {
            let rule = squawk_linter::Rule::ConstraintMissingNotValid;
            let running = squawk_rules::running(kind.down).any(|r| r == rule);
            if running && !new {
                marks.push(Mark {
                    offset: start + validate,
                    rule: Rule::Squawk(rule),
                    message: format!(
                        "Using `NOT VALID` and `VALIDATE CONSTRAINT` in the same transaction will \
                         block all reads while the constraint is validated. Add constraint as \
                         `NOT VALID` in one transaction and `VALIDATE CONSTRAINT` in a separate \
                         transaction. With authdb: {}.",
                        squawk_rules::get(rule).advice.unwrap_or_default()
                    ),
                });
            }
        }
    }
    // squawk places every violation inside a statement; one that is not is reported as it is.
    for violation in violations.iter().filter(|v| {
        !stmts.iter().any(|stmt| {
            stmt.syntax()
                .text_range()
                .contains_inclusive(v.text_range.start())
        })
    }) {
        marks.push(squawk_mark(start, violation));
    }
}

/// squawk's violation, at its place in the file.
fn squawk_mark(start: usize, violation: &Violation) -> Mark {
    Mark {
        offset: start + usize::from(violation.text_range.start()),
        rule: Rule::Squawk(violation.code),
        message: message(violation),
    }
}

/// Whether a violation squawk reports applies here: rules about existing tables stay quiet on a
/// new one, and `SET NOT NULL` is fine once a check made it safe earlier in the run.
fn applies(violation: &Violation, stmt: &ast::Stmt, new: bool, run: &Run) -> bool {
    if let State::On {
        new_relations: false,
        ..
    } = squawk_rules::get(violation.code).state
        && new
    {
        return false;
    }
    if violation.code == squawk_linter::Rule::AddingNotNullableField
        && let ast::Stmt::AlterTable(alter) = stmt
        && let Some(table) = relations::changed(stmt).pop()
    {
        let column = alter.actions().find_map(|action| match action {
            ast::AlterTableAction::AlterColumn(column)
                if column
                    .syntax()
                    .text_range()
                    .contains_inclusive(violation.text_range.start()) =>
            {
                column.column_name_ref().map(|c| c.text())
            }
            _ => None,
        });
        if let Some(column) = column
            && run.not_null_validated(&table, &column)
        {
            return false;
        }
    }
    true
}

/// squawk's message and help, then authdb's advice where it is more specific.
fn message(violation: &Violation) -> String {
    let mut message = violation.message.clone();
    if let Some(help) = &violation.help {
        message.push(' ');
        message.push_str(help);
        if !help.ends_with('.') {
            message.push('.');
        }
    }
    if let Some(advice) = squawk_rules::get(violation.code).advice {
        message.push_str(" With authdb: ");
        message.push_str(advice);
        message.push('.');
    }
    message
}

fn needs_no_transaction(offset: usize, what: &str, down: bool) -> Mark {
    if down {
        Mark {
            offset,
            rule: Rule::NeedsNoTransaction,
            message: format!(
                "{what} cannot run inside a transaction block, and rollback runs a down file \
                 inside its transaction unless the file's first line is \
                 `-- authdb:no-transaction`: put the statement alone in such a down file (or undo \
                 with one that runs in a transaction, a DROP INDEX without CONCURRENTLY, which \
                 locks the table for the drop)"
            ),
        }
    } else {
        Mark::own(offset, Rule::NeedsNoTransaction, what)
    }
}

/// The offset of a statement's first token (squawk's nodes start with the comments above them).
fn first_token(stmt: &ast::Stmt) -> usize {
    let start = stmt
        .syntax()
        .children_with_tokens()
        .find(|element| !element.kind().is_trivia())
        .map_or(stmt.syntax().text_range().start(), |element| {
            element.text_range().start()
        });
    usize::from(start)
}

/// The statement with these comments replaced by blanks of the same length (offsets hold).
fn blank<'a>(sql: &'a str, comments: &[Range<usize>]) -> Cow<'a, str> {
    if comments.is_empty() {
        return Cow::Borrowed(sql);
    }
    let mut text = sql.to_string();
    for range in comments {
        text.replace_range(range.clone(), &" ".repeat(range.len()));
    }
    Cow::Owned(text)
}

/// squawk's parser message in SQL's words: `expected R_PAREN` reads `expected `)``; what was
/// found instead is already said by "at or near".
fn readable(message: &str) -> String {
    let message = message.split(", found ").next().unwrap_or(message);
    message
        .split(' ')
        .map(|word| match word {
            "COMMA" => "`,`".to_string(),
            "DOT" => "`.`".to_string(),
            "EQ" => "`=`".to_string(),
            "SEMICOLON" => "`;`".to_string(),
            "L_PAREN" => "`(`".to_string(),
            "R_PAREN" => "`)`".to_string(),
            "L_BRACK" => "`[`".to_string(),
            "R_BRACK" => "`]`".to_string(),
            "IDENT" => "a name".to_string(),
            "STRING" => "a string".to_string(),
            keyword if keyword.ends_with("_KW") => {
                format!("`{}`", keyword.trim_end_matches("_KW"))
            }
            other => other.to_string(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The words at a syntax error, as PostgreSQL quotes them: `"TABEL"`, or the end.
fn near(sql: &str, at: usize) -> String {
    let rest = sql.get(at..).unwrap_or_default();
    let word: String = rest
        .chars()
        .take_while(|c| !c.is_whitespace())
        .take(40)
        .collect();
    if word.is_empty() {
        "the end of the statement".into()
    } else {
        format!("\"{word}\"")
    }
}
