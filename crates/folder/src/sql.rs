//! The statements of a migration file, found the way psql finds them: a real SQL lexer (squawk's,
//! which knows strings, quoted identifiers, nested comments and dollar quotes), and psql's rule
//! for where a statement ends: at a `;` outside parentheses and outside the `BEGIN ... END` body of
//! a `CREATE FUNCTION` or `CREATE PROCEDURE`. Statements come one at a time, so the cost of reading
//! a file is one statement's, however large the file.
//!
//! Each statement is classified by its leading keywords. Transaction control (`BEGIN`, `COMMIT`,
//! `ROLLBACK`, `SAVEPOINT`, ...) is what breaks "a run is one transaction", and it is refused in
//! every migration and down file before anything runs.

use std::ops::Range;

use squawk_lexer::{TokenKind, tokenize};

/// One token, by byte range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Token {
    pub kind: TokenKind,
    pub start: usize,
    pub end: usize,
}

impl Token {
    fn is_trivia(&self) -> bool {
        matches!(
            self.kind,
            TokenKind::Whitespace | TokenKind::LineComment | TokenKind::BlockComment { .. }
        )
    }
}

/// Every token of `sql`, with byte offsets.
pub fn tokens(sql: &str) -> impl Iterator<Item = Token> + '_ {
    let mut start = 0;
    tokenize(sql).map(move |token| {
        let end = start + token.len as usize;
        let token = Token {
            kind: token.kind,
            start,
            end,
        };
        start = end;
        token
    })
}

/// How deep a statement may nest: squawk's parser recurses into every nested expression and the
/// syntax tree it builds is dropped recursively, so a statement nested 20,000 parentheses deep
/// (or `NOT NOT ... x`, or `a OR b OR ...` 20,000 times) overflowed the stack and aborted lint
/// and rollback's plan. The depth is counted on the lexer's tokens, before anything parses: every
/// open parenthesis or bracket counts one, and so does every token since the last comma or
/// semicolon at each open level (list items are siblings in the tree, never nested). A deeper
/// statement is refused as a folder problem (`too-deep`), with its `file:line:col`. 4,000 keeps
/// lint's own work on the deepest accepted statement to a few seconds (squawk's rules walk a deep
/// tree in quadratic time) and still accepts a 900-term `x = 1 OR x = 2 OR ...` chain.
pub const MAX_DEPTH: usize = 4_000;

/// The stack squawk's parser gets (see [`on_parser_stack`]). Every kind of statement within
/// [`MAX_DEPTH`] parses and lints in 16 MiB in a debug build (`crates/lint/tests/depth.rs`
/// generates each kind at the limit; the deepest, `NOT NOT ... x`, needs more than 4 MiB): 64
/// MiB leaves four times that. A thread's default 2 MiB holds fewer than 1,000 parentheses, and
/// a generated `CHECK (a OR b OR ...)` of a few hundred terms is a tree that deep too, so no guard
/// alone could both protect the default stack and accept real migrations. The memory is
/// reserved, not used.
pub const PARSER_STACK: usize = 64 << 20;

/// Runs `parse` on a thread with [`PARSER_STACK`] of stack: every caller of squawk's parser
/// (lint, rollback's plan) parses there, whatever stack its own thread has. A statement within
/// [`MAX_DEPTH`] then always fits.
pub fn on_parser_stack<T: Send>(parse: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|scope| {
        let parser = std::thread::Builder::new()
            .name("sql-parser".into())
            .stack_size(PARSER_STACK)
            .spawn_scoped(scope, parse)
            .expect("a thread whose stack is reserved, not used: it starts wherever threads do");
        parser
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// One statement of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// From its first token to its end (the `;` excluded).
    pub range: Range<usize>,
    /// From the end of the previous statement (its `;` included) to the end of this one: the
    /// comments above a statement belong to it.
    pub span: Range<usize>,
    pub kind: Kind,
    /// Where the statement first nests deeper than [`MAX_DEPTH`] (a byte offset); such a
    /// statement must never reach the parser.
    pub too_deep: Option<usize>,
}

/// What a statement is, as far as running it in a transaction is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// Starts, ends or cuts the transaction: `BEGIN`, `COMMIT`, `SAVEPOINT`, ...; the keywords as
    /// written, upper-cased (`ROLLBACK TO SAVEPOINT`).
    TransactionControl(String),
    Other,
}

/// The statements of `sql`, in order. Empty statements (a lone `;`) are skipped.
pub fn statements(sql: &str) -> Statements<'_> {
    Statements {
        sql,
        tokens: Box::new(tokens(sql)),
        span_start: 0,
    }
}

/// Iterator over the statements of a text; see [`statements`].
pub struct Statements<'a> {
    sql: &'a str,
    tokens: Box<dyn Iterator<Item = Token> + Send + 'a>,
    span_start: usize,
}

impl Iterator for Statements<'_> {
    type Item = Statement;

    fn next(&mut self) -> Option<Statement> {
        loop {
            let mut splitter = Splitter::default();
            let mut first = None;
            let mut last_end = None;
            let mut terminated_at = None;
            for token in self.tokens.by_ref() {
                if token.kind == TokenKind::Semi && splitter.at_top_level() {
                    terminated_at = Some(token.end);
                    break;
                }
                if token.is_trivia() {
                    continue;
                }
                first.get_or_insert(token.start);
                last_end = Some(token.end);
                splitter.see(self.sql, token);
            }
            let span_start = self.span_start;
            let Some(end) = terminated_at.or(last_end) else {
                return None; // nothing but trivia left
            };
            self.span_start = end;
            let Some(start) = first else {
                continue; // an empty statement: a lone `;`
            };
            let range = start..last_end.unwrap_or(start);
            return Some(Statement {
                kind: classify(&splitter.leading),
                span: span_start..range.end,
                range,
                too_deep: splitter.depth.too_deep,
            });
        }
    }
}

/// psql's rule (`psqlscan.l`): a `;` ends the statement unless it is inside parentheses or inside
/// the `BEGIN ... END` body of a statement starting `CREATE [OR REPLACE] FUNCTION|PROCEDURE`
/// (`CASE ... END` nests inside such a body).
#[derive(Default)]
struct Splitter {
    /// The first few keywords, upper-cased.
    leading: Vec<String>,
    /// Whether the statement starts `CREATE [OR REPLACE] FUNCTION|PROCEDURE`.
    routine: Option<bool>,
    paren_depth: usize,
    begin_depth: usize,
    depth: Depth,
}

/// The count of [`MAX_DEPTH`], token by token.
#[derive(Default)]
struct Depth {
    /// Tokens since the last comma or semicolon at each open bracket level, outermost first
    /// (the statement's own level is implicit while nothing is open).
    levels: Vec<usize>,
    /// The statement's own level.
    outer: usize,
    /// The sum of `levels` and `outer`, plus one for each open level.
    now: usize,
    too_deep: Option<usize>,
}

impl Depth {
    fn see(&mut self, token: Token) {
        match token.kind {
            TokenKind::OpenParen | TokenKind::OpenBracket => {
                self.count();
                self.levels.push(0);
                self.now += 1;
            }
            TokenKind::CloseParen | TokenKind::CloseBracket => {
                if let Some(inner) = self.levels.pop() {
                    self.now -= inner + 1;
                }
                self.count();
            }
            TokenKind::Comma | TokenKind::Semi => {
                let level = self.levels.last_mut().unwrap_or(&mut self.outer);
                self.now -= *level;
                *level = 0;
            }
            _ => self.count(),
        }
        if self.now > MAX_DEPTH && self.too_deep.is_none() {
            self.too_deep = Some(token.start);
        }
    }

    fn count(&mut self) {
        *self.levels.last_mut().unwrap_or(&mut self.outer) += 1;
        self.now += 1;
    }
}

impl Splitter {
    fn at_top_level(&self) -> bool {
        self.paren_depth == 0 && self.begin_depth == 0
    }

    fn see(&mut self, sql: &str, token: Token) {
        self.depth.see(token);
        match token.kind {
            TokenKind::OpenParen => self.paren_depth += 1,
            TokenKind::CloseParen => self.paren_depth = self.paren_depth.saturating_sub(1),
            TokenKind::Ident => {
                let word = &sql[token.start..token.end];
                if self.leading.len() < 4 {
                    self.leading.push(word.to_ascii_uppercase());
                }
                if self.routine.is_none() && self.leading.len() >= 2 {
                    self.routine = routine_start(&self.leading);
                }
                if self.routine == Some(true) && self.paren_depth == 0 {
                    // CASE ends with END too, so it nests, but only inside a body.
                    let opens = word.eq_ignore_ascii_case("begin")
                        || (word.eq_ignore_ascii_case("case") && self.begin_depth > 0);
                    if opens {
                        self.begin_depth += 1;
                    } else if word.eq_ignore_ascii_case("end") {
                        self.begin_depth = self.begin_depth.saturating_sub(1);
                    }
                }
            }
            _ => {
                if self.leading.len() < 4 {
                    // Anything else stops the keyword prefix.
                    self.leading.push(String::new());
                }
            }
        }
    }
}

/// `Some(true)` for `CREATE [OR REPLACE] FUNCTION|PROCEDURE`, `Some(false)` once it cannot be,
/// `None` while undecided.
fn routine_start(words: &[String]) -> Option<bool> {
    let is = |i: usize, w: &str| words.get(i).map(|x| x == w);
    if is(0, "CREATE") != Some(true) {
        return Some(false);
    }
    match words.get(1).map(String::as_str) {
        Some("FUNCTION" | "PROCEDURE") => Some(true),
        Some("OR") => match (is(2, "REPLACE"), words.get(3).map(String::as_str)) {
            (Some(false), _) => Some(false),
            (_, Some("FUNCTION" | "PROCEDURE")) => Some(true),
            (_, Some(_)) => Some(false),
            _ => None,
        },
        _ => Some(false),
    }
}

/// Transaction control by its leading keywords. `PREPARE name AS` is not one; `PREPARE
/// TRANSACTION` is, and so are `COMMIT PREPARED` and `ROLLBACK PREPARED`.
fn classify(leading: &[String]) -> Kind {
    let word = |i: usize| leading.get(i).map_or("", String::as_str);
    let control = match word(0) {
        "BEGIN" | "COMMIT" | "END" | "ABORT" | "SAVEPOINT" | "RELEASE" => true,
        "ROLLBACK" => true,
        "START" => word(1) == "TRANSACTION",
        "PREPARE" => word(1) == "TRANSACTION",
        _ => false,
    };
    if !control {
        return Kind::Other;
    }
    let words: Vec<&str> = leading
        .iter()
        .take_while(|w| !w.is_empty())
        .map(String::as_str)
        .take(match word(0) {
            "ROLLBACK" if word(1) == "TO" => 3,
            "START" | "PREPARE" | "COMMIT" | "ROLLBACK" | "END" => 2,
            _ => 1,
        })
        .collect();
    let keywords = words
        .iter()
        .copied()
        .filter(|w| {
            // Only keywords that belong to the command, not a savepoint's or transaction's name.
            matches!(
                *w,
                "BEGIN"
                    | "COMMIT"
                    | "END"
                    | "ABORT"
                    | "SAVEPOINT"
                    | "RELEASE"
                    | "ROLLBACK"
                    | "START"
                    | "TRANSACTION"
                    | "PREPARE"
                    | "PREPARED"
                    | "TO"
                    | "WORK"
            )
        })
        .collect::<Vec<_>>()
        .join(" ");
    Kind::TransactionControl(keywords)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(sql: &str) -> Vec<&str> {
        statements(sql).map(|s| &sql[s.range]).collect()
    }

    fn control(sql: &str) -> Vec<String> {
        statements(sql)
            .filter_map(|s| match s.kind {
                Kind::TransactionControl(k) => Some(k),
                Kind::Other => None,
            })
            .collect()
    }

    #[test]
    fn statements_end_at_semicolons_outside_quotes_and_comments() {
        let sql =
            "-- one; two\nSELECT 'a;b', \"c;d\", $x$ e; $x$ /* f; /* g; */ h; */;\n\nSELECT 2";
        assert_eq!(
            texts(sql),
            ["SELECT 'a;b', \"c;d\", $x$ e; $x$", "SELECT 2"]
        );
        let spans: Vec<&str> = statements(sql).map(|s| &sql[s.span]).collect();
        assert!(spans[0].starts_with("-- one; two\nSELECT"), "{spans:?}");
        assert_eq!(spans[1], "\n\nSELECT 2");
    }

    #[test]
    fn a_routine_body_in_begin_atomic_is_one_statement() {
        let sql = "CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql\n\
                   BEGIN ATOMIC\n  SELECT CASE WHEN true THEN 1 ELSE 2 END;\n  SELECT 2;\nEND;\n\
                   CREATE PROCEDURE p() BEGIN ATOMIC SELECT 1; END;\nSELECT 3;";
        let found = texts(sql);
        assert_eq!(found.len(), 3, "{found:#?}");
        assert!(found[0].ends_with("SELECT 2;\nEND"), "{found:#?}");
        assert_eq!(found[2], "SELECT 3");
    }

    #[test]
    fn comment_only_and_empty_texts_have_no_statements() {
        assert!(texts("-- nothing\n/* at all */\n;;\n").is_empty());
        assert!(texts("").is_empty());
        assert_eq!(texts(";;SELECT 1;;"), ["SELECT 1"]);
    }

    #[test]
    fn transaction_control_is_found_in_any_case_and_after_comments() {
        let sql = "create table t (id int);\n/* x */ -- y\n  cOmMiT;\nbegin transaction isolation level serializable;\n\
                   END WORK; abort; savepoint s1; release savepoint s1; rollback to savepoint s1;\n\
                   rollback to s1; ROLLBACK; start transaction; prepare transaction 'x'; commit prepared 'x';\n\
                   rollback prepared 'x';";
        assert_eq!(
            control(sql),
            [
                "COMMIT",
                "BEGIN",
                "END WORK",
                "ABORT",
                "SAVEPOINT",
                "RELEASE",
                "ROLLBACK TO SAVEPOINT",
                "ROLLBACK TO",
                "ROLLBACK",
                "START TRANSACTION",
                "PREPARE TRANSACTION",
                "COMMIT PREPARED",
                "ROLLBACK PREPARED"
            ]
        );
    }

    fn depth(sql: &str) -> Option<usize> {
        statements(sql).next().and_then(|s| s.too_deep)
    }

    #[test]
    fn nesting_beyond_the_limit_is_found_where_it_starts() {
        // Each parenthesis counts twice: as a token of its level, and as a level.
        let half = MAX_DEPTH / 2;
        let at_limit = format!("SELECT {}1{}", "(".repeat(half - 1), ")".repeat(half - 1));
        assert_eq!(depth(&at_limit), None);
        let over = format!("SELECT {}1{}", "(".repeat(half), ")".repeat(half));
        // The last parenthesis: "SELECT " is 7 bytes, each earlier one a byte.
        assert_eq!(depth(&over), Some(7 + half - 1));
        let chain = format!("SELECT true{}", " OR true".repeat(half));
        assert!(depth(&chain).is_some());
        let nots = format!("SELECT {}true", "NOT ".repeat(MAX_DEPTH));
        assert!(depth(&nots).is_some());
    }

    #[test]
    fn lists_are_wide_not_deep() {
        let row = "(1, 'a', ARRAY['x', 'y'], now())";
        let insert = format!("INSERT INTO t VALUES {}", vec![row; 100_000].join(", "));
        assert_eq!(depth(&insert), None);
        let body = "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC ".to_string()
            + &"SELECT 1 + 1 + 1; ".repeat(MAX_DEPTH)
            + "END";
        assert_eq!(depth(&body), None);
        // Brackets closed again count as their two tokens only.
        let many = format!("SELECT {}", "f((1)) + ".repeat(MAX_DEPTH / 4 - 1) + "1");
        assert!(depth(&many).is_none(), "{:?}", depth(&many));
    }

    #[test]
    fn look_alikes_are_not_transaction_control() {
        let sql = "DO $$ BEGIN COMMIT; END $$;\n\
                   CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $body$ BEGIN RETURN NEW; END; $body$;\n\
                   SELECT 'COMMIT;';\n-- COMMIT;\n/* ROLLBACK; */\nPREPARE q AS SELECT 1;\n\
                   CREATE TABLE begin (\"commit\" int);\nSTART_X;";
        assert_eq!(control(sql), Vec::<String>::new());
        assert_eq!(texts(sql).len(), 6);
    }
}
