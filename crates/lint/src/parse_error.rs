//! Where a syntax error is. libpg_query reports the position (`cursorpos`, 1-based, in characters
//! as PostgreSQL counts them), but the pg_query crate's `parse` keeps only the message, so this
//! asks the C library directly, once a file has failed to parse. The two structs mirror
//! `PgQueryError` and `PgQueryParseResult` of `pg_query.h` in the libpg_query the crate builds.

use std::ffi::{CStr, CString, c_char, c_int};

#[repr(C)]
struct PgQueryError {
    message: *mut c_char,
    funcname: *mut c_char,
    filename: *mut c_char,
    lineno: c_int,
    cursorpos: c_int,
    context: *mut c_char,
}

#[repr(C)]
struct PgQueryParseResult {
    parse_tree: *mut c_char,
    stderr_buffer: *mut c_char,
    error: *mut PgQueryError,
}

unsafe extern "C" {
    fn pg_query_parse(input: *const c_char) -> PgQueryParseResult;
    fn pg_query_free_parse_result(result: PgQueryParseResult);
}

/// PostgreSQL's message and 1-based character position (0 when it gives none) for text that does
/// not parse; `None` when it parses.
pub fn locate(sql: &CStr) -> Option<(String, usize)> {
    // SAFETY: `sql` is NUL-terminated; the result is read before it is freed, exactly once, and
    // libpg_query sets `error` either to null or to a valid PgQueryError with a message.
    unsafe {
        let result = pg_query_parse(sql.as_ptr());
        let located = result.error.as_ref().map(|error| {
            let message = CStr::from_ptr(error.message).to_string_lossy().into_owned();
            (message, usize::try_from(error.cursorpos).unwrap_or(0))
        });
        pg_query_free_parse_result(result);
        located
    }
}

/// [`locate`] for a Rust string (which must not contain NUL).
pub fn locate_str(sql: &str) -> Option<(String, usize)> {
    locate(&CString::new(sql).ok()?)
}
