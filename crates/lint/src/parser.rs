//! Every file goes through PostgreSQL's own grammar (libpg_query, through the pg_query crate):
//! what it accepts is what the server accepts, and its parse tree is what the rules read. Its
//! lexer also gives the comments, so an `-- authdb:` directive inside a string or a
//! dollar-quoted function body is never mistaken for one.

use std::ops::Range;

use pg_query::NodeEnum;
use pg_query::protobuf::Token;

use crate::parse_error;

/// One statement of a file.
#[derive(Debug)]
pub struct Statement {
    /// `None` only for a statement the parser left empty.
    pub node: Option<NodeEnum>,
    /// Byte offset of its first token (after any comments before it).
    pub start: usize,
    /// Bytes from the end of the previous statement to its own end (its `;` excluded): the
    /// comments just above it belong to it.
    pub span: Range<usize>,
}

/// A `--` comment.
#[derive(Debug)]
pub struct Comment {
    /// Byte offset of its `--`.
    pub start: usize,
    /// The comment from `--` to the end of its line.
    pub text: String,
}

#[derive(Debug)]
pub struct Parsed {
    pub statements: Vec<Statement>,
    pub comments: Vec<Comment>,
}

/// PostgreSQL's message, and the 1-based character position it points at (0 for none).
#[derive(Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub position: usize,
    pub message: String,
}

pub fn parse(sql: &str) -> Result<Parsed, SyntaxError> {
    if let Some(nul) = sql.find('\0') {
        return Err(SyntaxError {
            position: sql[..nul].chars().count() + 1,
            message: "a NUL byte, which PostgreSQL does not accept in a query".into(),
        });
    }
    let tree = pg_query::parse(sql, 0).map_err(|error| {
        let (message, position) =
            parse_error::locate_str(sql).unwrap_or_else(|| (error.to_string(), 0));
        SyntaxError { position, message }
    })?;
    // A text the parser accepts always scans.
    let tokens = pg_query::scan_tokens(sql).map_err(|error| SyntaxError {
        position: 0,
        message: error.to_string(),
    })?;
    let comments = tokens
        .iter()
        .filter(|t| t.token == Token::SqlComment as i32)
        .map(|t| Comment {
            start: t.start as usize,
            text: sql[t.start as usize..t.end as usize].to_string(),
        })
        .collect();
    let mut statements = Vec::with_capacity(tree.protobuf.stmts.len());
    let mut previous_end = 0;
    for raw in tree.protobuf.stmts {
        let location = raw.stmt_location as usize;
        // A length of 0 means "to the end of the text" (the last statement).
        let end = match raw.stmt_len {
            0 => sql.len(),
            len => location + len as usize,
        };
        let first = tokens.partition_point(|t| (t.start as usize) < location);
        let start = tokens[first..]
            .iter()
            .find(|t| t.token != Token::SqlComment as i32 && t.token != Token::CComment as i32)
            .map_or(location, |t| t.start as usize);
        statements.push(Statement {
            node: raw.stmt.and_then(|node| node.node),
            start,
            span: previous_end..end,
        });
        previous_end = end;
    }
    Ok(Parsed {
        statements,
        comments,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_start_after_their_comments() {
        let sql = "-- one\nSELECT 1;\n\n/* two */ -- more\n  SELECT 2;\n";
        let parsed = parse(sql).unwrap();
        assert_eq!(parsed.statements.len(), 2);
        assert_eq!(&sql[parsed.statements[0].start..][..8], "SELECT 1");
        assert_eq!(&sql[parsed.statements[1].start..][..8], "SELECT 2");
        let second = &parsed.statements[1].span;
        assert!(sql[second.clone()].contains("-- more"), "{second:?}");
        assert!(!sql[second.clone()].contains("-- one"));
        let comments: Vec<_> = parsed.comments.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(comments, ["-- one", "-- more"]);
    }

    #[test]
    fn a_comment_inside_a_string_is_not_a_comment() {
        let sql = "SELECT '-- authdb:allow x y', $$ -- authdb:no-transaction $$;";
        assert!(parse(sql).unwrap().comments.is_empty());
    }

    #[test]
    fn syntax_errors_carry_postgresql_message_and_character_position() {
        let error = parse("-- é\nCREATE TABEL t (id int);").unwrap_err();
        assert_eq!(error.message, r#"syntax error at or near "TABEL""#);
        // "-- é\n" is 5 characters (6 bytes); TABEL is the 13th character.
        assert_eq!(error.position, 13);
    }

    #[test]
    fn an_unterminated_string_is_a_syntax_error() {
        let error = parse("SELECT 'oops;\n").unwrap_err();
        assert!(error.message.contains("unterminated"), "{error:?}");
        assert_eq!(error.position, 8);
    }

    #[test]
    fn a_nul_byte_is_refused_where_it_is() {
        let error = parse("SELECT 1;\0").unwrap_err();
        assert_eq!(error.position, 10);
        assert!(error.message.contains("NUL"));
    }
}
