//! A view's query as PostgreSQL 16 and later print it, from what 14 and 15 print. Up to 15 a
//! view's rule carried two placeholder entries (OLD and NEW) in its range table, so
//! `pg_get_viewdef` qualified every column reference of the view's own query, even when one
//! relation was all its FROM held (`SELECT users.id FROM users`); 16 dropped them, and qualifies
//! only where the query's range table has more than one entry. The rest of the text is the same.
//!
//! So in the view's top-level SELECT (not a UNION, whose branches are qualified by both), when
//! its FROM is one item (no join, no comma), every `ref.column` whose `ref` is that item's name
//! loses the `ref.`, outside the FROM clause and outside nested queries (a sub-select, a CTE's
//! body), which both versions qualify. The query is read with squawk's parser, never matched
//! with a regular expression.

use squawk_syntax::{SourceFile, SyntaxKind, SyntaxNode};

/// The definition with the qualifiers PostgreSQL 16 leaves out removed; unchanged when there
/// are none, or when it cannot be read.
pub(super) fn unqualify(definition: &str) -> String {
    let parsed = SourceFile::parse(definition);
    let root = parsed.syntax_node();
    let Some(select) = root
        .children()
        .find(|node| node.kind() == SyntaxKind::SELECT)
    else {
        return definition.to_string();
    };
    let Some(reference) = single_reference(&select) else {
        return definition.to_string();
    };
    let mut cuts = Vec::new();
    collect(&select, &reference, &mut cuts);
    let mut out = definition.to_string();
    for (start, end) in cuts.into_iter().rev() {
        out.replace_range(start..end, "");
    }
    out
}

/// The name the one item of a SELECT's FROM is referred to by: its alias, else the relation's
/// or function's own (unqualified) name, unquoted. None when the FROM has no item or several.
fn single_reference(select: &SyntaxNode) -> Option<String> {
    let from = select
        .children()
        .find(|node| node.kind() == SyntaxKind::FROM_CLAUSE)?;
    let mut items = from.children();
    let item = items.next()?;
    if items.next().is_some() || item.kind() == SyntaxKind::JOIN_EXPR {
        return None;
    }
    if let Some(alias) = item
        .children()
        .find(|node| node.kind() == SyntaxKind::FROM_ALIAS)
    {
        let name = alias
            .descendants_with_tokens()
            .filter_map(|element| element.into_token())
            .find(|token| token.kind() == SyntaxKind::IDENT || token.kind().is_keyword())?;
        return Some(unquote(name.text()));
    }
    // The relation's (or function's) name: the last identifier before anything else.
    let mut last = None;
    for element in item.descendants_with_tokens() {
        let Some(token) = element.into_token() else {
            continue;
        };
        match token.kind() {
            SyntaxKind::IDENT => last = Some(token.text().to_string()),
            kind if kind.is_keyword() && last.is_some() => last = Some(token.text().to_string()),
            SyntaxKind::DOT | SyntaxKind::WHITESPACE => {}
            _ if last.is_some() => break,
            _ => {}
        }
    }
    last.map(|name| unquote(&name))
}

/// The byte ranges `ref.` of the field references to `reference` under `node`, outside its
/// FROM clause and nested queries.
fn collect(node: &SyntaxNode, reference: &str, cuts: &mut Vec<(usize, usize)>) {
    for child in node.children() {
        match child.kind() {
            SyntaxKind::FROM_CLAUSE
            | SyntaxKind::WITH_CLAUSE
            | SyntaxKind::SELECT
            | SyntaxKind::PAREN_SELECT
            | SyntaxKind::COMPOUND_SELECT => continue,
            SyntaxKind::FIELD_EXPR => {
                if let Some(cut) = qualifier(&child, reference) {
                    cuts.push(cut);
                    continue;
                }
            }
            _ => {}
        }
        collect(&child, reference, cuts);
    }
}

/// `reference.column` (not `reference.*`, not the callee of a call): the range of `reference.`.
fn qualifier(field: &SyntaxNode, reference: &str) -> Option<(usize, usize)> {
    let mut base = None;
    let mut dot = None;
    for element in field.children_with_tokens() {
        match element.kind() {
            SyntaxKind::STAR => return None,
            SyntaxKind::DOT => dot = Some(element.text_range()),
            SyntaxKind::NAME_REF if dot.is_none() => base = Some(element),
            _ if dot.is_none() => return None,
            _ => {}
        }
    }
    let (base, dot) = (base?, dot?);
    if field
        .parent()
        .is_some_and(|parent| parent.kind() == SyntaxKind::CALL_EXPR)
    {
        return None;
    }
    let name = base.as_node()?.text().to_string();
    (unquote(name.trim()) == reference).then(|| {
        let start: usize = base.text_range().start().into();
        (start, usize::from(dot.end()))
    })
}

/// An identifier's value: `"Odd ""x"""` is `Odd "x"`, a bare word is itself.
fn unquote(name: &str) -> String {
    match name.strip_prefix('"').and_then(|n| n.strip_suffix('"')) {
        Some(inner) => inner.replace("\"\"", "\""),
        None => name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What PostgreSQL 15 and 17 print for the same views (from a real server of each).
    #[test]
    fn fifteen_reads_as_seventeen() {
        let cases = [
            (
                " SELECT things.id,\n    things.m\n   FROM app.things\n  WHERE things.n > 1;",
                " SELECT id,\n    m\n   FROM app.things\n  WHERE n > 1;",
            ),
            (
                " SELECT a.id,\n    ( SELECT count(*) AS count\n           FROM b\n          WHERE b.a_id = a.id) AS n\n   FROM a;",
                " SELECT id,\n    ( SELECT count(*) AS count\n           FROM b\n          WHERE b.a_id = a.id) AS n\n   FROM a;",
            ),
            (
                " SELECT a.x,\n    count(*) AS count\n   FROM a\n  GROUP BY a.x\n HAVING count(*) > 1\n  ORDER BY a.x;",
                " SELECT x,\n    count(*) AS count\n   FROM a\n  GROUP BY x\n HAVING count(*) > 1\n  ORDER BY x;",
            ),
            (
                " WITH c AS (\n         SELECT a.id\n           FROM a\n        )\n SELECT c.id\n   FROM c;",
                " WITH c AS (\n         SELECT a.id\n           FROM a\n        )\n SELECT id\n   FROM c;",
            ),
            (
                " SELECT t.id\n   FROM a t\n  WHERE (t.x IN ( SELECT b.y\n           FROM b));",
                " SELECT id\n   FROM a t\n  WHERE (x IN ( SELECT b.y\n           FROM b));",
            ),
            (
                " SELECT \"Odd\".\"Id\",\n    \"Odd\".*\n   FROM \"Odd\";",
                " SELECT \"Id\",\n    \"Odd\".*\n   FROM \"Odd\";",
            ),
        ];
        for (fifteen, seventeen) in cases {
            assert_eq!(unqualify(fifteen), seventeen);
            assert_eq!(
                unqualify(seventeen),
                seventeen,
                "17's text is left as it is"
            );
        }
        // Both versions qualify a join and a UNION's branches.
        for unchanged in [
            " SELECT a.id,\n    b.y\n   FROM a\n     JOIN b ON b.a_id = a.id\n  WHERE a.x = 'q'::text;",
            " SELECT a.id,\n    a.x\n   FROM a\nUNION ALL\n SELECT b.id,\n    b.y AS x\n   FROM b;",
        ] {
            assert_eq!(unqualify(unchanged), unchanged);
        }
    }
}
