//! Places in a file as people and editors count them: 1-based lines, and columns in characters,
//! not bytes. PostgreSQL reports error positions in characters of the query; the lexer works in
//! bytes; both end up as `file:line:col`.

/// The line and column of a byte offset (clamped to the text, moved back to a character boundary).
pub fn at_byte(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// The line and column of PostgreSQL's error position: 1-based, counted in characters.
pub fn at_char(text: &str, position: usize) -> (usize, usize) {
    let offset = text
        .char_indices()
        .nth(position.saturating_sub(1))
        .map_or(text.len(), |(i, _)| i);
    at_byte(text, offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_characters_not_bytes() {
        let sql = "-- é\nSELECT\n  oops;";
        // Character 15 is the 'o' of "oops": "-- é\n" is 5 characters, "SELECT\n" 7, then 2 spaces.
        assert_eq!(at_char(sql, 15), (3, 3));
        assert_eq!(at_char(sql, 1), (1, 1));
        let o = sql.find("oops").unwrap();
        assert_eq!(at_byte(sql, o), (3, 3));
        assert_eq!(at_byte(sql, 4), (1, 4), "inside é: back to its start");
        assert_eq!(at_byte(sql, 10_000), (3, 8), "past the end: the end");
    }
}
