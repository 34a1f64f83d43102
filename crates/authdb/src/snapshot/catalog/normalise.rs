//! Definitions as PostgreSQL prints them, made the same on every version from 14 to 17:
//! whitespace squeezed where pretty-printers wrap differently, the old spelling of trigger
//! definitions, and a view's column references as PostgreSQL 16 and later print them.

/// `CREATE [CONSTRAINT] TRIGGER name BEFORE ...` without the verb and the name (which are the
/// key), and in the spelling of PostgreSQL 11 and later (`EXECUTE FUNCTION`, not `PROCEDURE`).
pub(super) fn trigger_definition(full: &str) -> String {
    let full = squeeze(full).replace(" EXECUTE PROCEDURE ", " EXECUTE FUNCTION ");
    let (constraint, rest) = match full.strip_prefix("CREATE CONSTRAINT TRIGGER ") {
        Some(rest) => (true, rest),
        None => (false, full.strip_prefix("CREATE TRIGGER ").unwrap_or(&full)),
    };
    let rest = skip_identifier(rest);
    if constraint {
        format!("CONSTRAINT {rest}")
    } else {
        rest.to_string()
    }
}

/// What follows a (possibly quoted) identifier and the space after it.
fn skip_identifier(text: &str) -> &str {
    if let Some(quoted) = text.strip_prefix('"') {
        let mut chars = quoted.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c == '"' {
                if chars.peek().is_some_and(|&(_, next)| next == '"') {
                    chars.next();
                    continue;
                }
                return quoted[i + 1..].trim_start();
            }
        }
        return "";
    }
    text.split_once(' ').map_or("", |(_, rest)| rest)
}

/// One space for every run of whitespace outside string literals: long definitions may be
/// wrapped differently by different versions' pretty-printers.
pub(in crate::snapshot) fn squeeze(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_literal = false;
    let mut pending_space = false;
    for c in text.trim().chars() {
        if !in_literal && c.is_whitespace() {
            pending_space = true;
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        if c == '\'' {
            in_literal = !in_literal;
        }
        out.push(c);
    }
    out
}

/// A view's query as PostgreSQL 16 and later print it. Up to 15 a view's rule carried two
/// placeholder entries (OLD, NEW) in its range table, so `pg_get_viewdef` qualified every column
/// of a single-table query (`SELECT users.id FROM users`); since 16 it does not (`SELECT id
/// FROM users`). The same migrations must give the same snapshot on both.
pub(super) fn view_definition(definition: &str) -> String {
    super::viewdef::unqualify(definition)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trigger_definitions_lose_the_name_and_the_old_spelling() {
        assert_eq!(
            trigger_definition(
                "CREATE TRIGGER users_set_updated_at BEFORE UPDATE ON users FOR EACH ROW EXECUTE PROCEDURE f()"
            ),
            "BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION f()"
        );
        assert_eq!(
            trigger_definition(
                "CREATE CONSTRAINT TRIGGER \"odd \"\" name\" AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()"
            ),
            "CONSTRAINT AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()"
        );
    }

    #[test]
    fn squeeze_keeps_string_literals() {
        assert_eq!(
            squeeze("  CHECK ((a =\n    'x  y'::text))\n"),
            "CHECK ((a = 'x  y'::text))"
        );
    }
}
