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

/// [`at_byte`] for many offsets in increasing order, in one pass over the text: placing the
/// findings of a large file costs its length once, not once per finding.
#[derive(Debug)]
pub struct Lines<'a> {
    text: &'a str,
    /// The last offset placed (on a character boundary), its line and its line's start.
    offset: usize,
    line: usize,
    line_start: usize,
}

impl<'a> Lines<'a> {
    pub fn new(text: &'a str) -> Lines<'a> {
        Lines {
            text,
            offset: 0,
            line: 1,
            line_start: 0,
        }
    }

    /// The line and column of `offset`, which must not be below the previous one (an earlier
    /// offset is placed from the start of the text).
    pub fn at(&mut self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        if offset < self.offset {
            *self = Lines::new(self.text);
        }
        let skipped = &self.text[self.offset..offset];
        if let Some(last) = skipped.rfind('\n') {
            self.line += skipped.matches('\n').count();
            self.line_start = self.offset + last + 1;
        }
        self.offset = offset;
        (
            self.line,
            self.text[self.line_start..offset].chars().count() + 1,
        )
    }
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

    #[test]
    fn lines_place_like_at_byte() {
        let sql = "-- é\nSELECT\n\n  oops;\nx";
        let mut lines = Lines::new(sql);
        for offset in [0, 2, 4, 5, 6, 12, 13, 16, 16, 21, 23, 10_000] {
            assert_eq!(lines.at(offset), at_byte(sql, offset), "offset {offset}");
        }
        assert_eq!(lines.at(1), (1, 2), "an earlier offset starts over");
    }
}
