//! A connection string taken apart, in the one reading that connecting ([`crate::ConnInfo`]) and
//! printing ([`crate::redact()`]) share, so that what is shown is exactly what is used. Both forms
//! libpq accepts: a URL, `postgres://user:password@host:port/dbname?key=value&...`, and key=value
//! pairs, `host=h port=5432 user=u password='s e c r e t' dbname=d`.

use std::borrow::Cow;

use percent_encoding::percent_decode_str;

/// Every parameter name libpq knows (PostgreSQL 17), and tokio-postgres's `keepalives_retries`:
/// the only keys ever printed.
pub const LIBPQ: &[&str] = &[
    "host",
    "hostaddr",
    "port",
    "dbname",
    "user",
    "password",
    "passfile",
    "require_auth",
    "channel_binding",
    "connect_timeout",
    "client_encoding",
    "options",
    "application_name",
    "fallback_application_name",
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_count",
    "keepalives_retries",
    "tcp_user_timeout",
    "replication",
    "gssencmode",
    "sslmode",
    "sslnegotiation",
    "sslcompression",
    "sslcert",
    "sslkey",
    "sslpassword",
    "sslcertmode",
    "sslrootcert",
    "sslcrl",
    "sslcrldir",
    "sslsni",
    "requirepeer",
    "ssl_min_protocol_version",
    "ssl_max_protocol_version",
    "krbsrvname",
    "gsslib",
    "gssdelegation",
    "service",
    "target_session_attrs",
    "load_balance_hosts",
];

/// A connection string in its parts. Every `&str` is a slice of the input as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ConnString<'a> {
    Url(Url<'a>),
    Pairs(Vec<Pair<'a>>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Url<'a> {
    /// `postgres`, without `://`.
    pub scheme: &'a str,
    /// `user:password`, as written, when there is an `@`.
    pub userinfo: Option<&'a str>,
    /// `host1:5432,host2`, as written; may be empty.
    pub hosts: &'a str,
    /// The database name as written, when there is a `/`.
    pub path: Option<&'a str>,
    pub params: Vec<Pair<'a>>,
}

/// One `key=value` of a URL's query or of the key=value form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pair<'a> {
    /// The key as the driver reads it (percent-decoded in a URL); `None` for a query part without
    /// `=`, which the driver refuses.
    pub key: Option<String>,
    /// The value as the driver reads it: percent-decoded, or unquoted and unescaped.
    pub value: String,
    /// The whole pair as written.
    pub raw: &'a str,
    /// The value as written (with its quotes).
    pub raw_value: &'a str,
}

/// Why a connection string cannot be read. No variant carries any of its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Malformed {
    #[error("it is empty")]
    Empty,
    #[error(
        "it has an `@` after a `/`, `?` or `#`, so where the password ends cannot be told (the \
         driver would read part of it as the user name): percent-encode the password's special \
         characters (`@` as %40, `/` as %2F, `?` as %3F, `#` as %23)"
    )]
    AmbiguousAt,
    #[error(
        "the part before the host holds more than one `@`: percent-encode the `@` of the \
         password as %40"
    )]
    SeveralAt,
    #[error("parameter {0} of the query has no `=`: expected key=value")]
    QueryWithoutValue(usize),
    #[error("setting {0} is not of the form key=value (a value with spaces needs 'quotes')")]
    PairWithoutValue(usize),
    #[error("setting {0} has a quoted value that is never closed")]
    Unterminated(usize),
}

impl<'a> ConnString<'a> {
    /// Splits `text` without judging its keys: that is [`crate::ConnInfo`]'s job.
    pub fn parse(text: &'a str) -> Result<ConnString<'a>, Malformed> {
        let text = text.trim();
        if text.is_empty() {
            return Err(Malformed::Empty);
        }
        match url_scheme(text) {
            Some(scheme) => match parse_url(scheme, &text[scheme.len() + 3..])? {
                (url, None) => Ok(ConnString::Url(url)),
                (_, Some(problem)) => Err(problem),
            },
            None => match parse_pairs(text) {
                (pairs, None) => Ok(ConnString::Pairs(pairs)),
                (_, Some(problem)) => Err(problem),
            },
        }
    }

    pub fn params(&self) -> &[Pair<'a>] {
        match self {
            ConnString::Url(url) => &url.params,
            ConnString::Pairs(pairs) => pairs,
        }
    }

    /// The same string with only these parameters (slices of [`Pair::raw`]) kept.
    pub fn rebuild(&self, kept: &[&str]) -> String {
        match self {
            ConnString::Pairs(_) => kept.join(" "),
            ConnString::Url(url) => {
                let mut text = format!("{}://", url.scheme);
                if let Some(userinfo) = url.userinfo {
                    text.push_str(userinfo);
                    text.push('@');
                }
                text.push_str(url.hosts);
                if let Some(path) = url.path {
                    text.push('/');
                    text.push_str(path);
                }
                if !kept.is_empty() {
                    text.push('?');
                    text.push_str(&kept.join("&"));
                }
                text
            }
        }
    }
}

/// `postgres` in `postgres://...`: a scheme is letters, digits, `+`, `-` and `.`, starting with a
/// letter.
pub(crate) fn url_scheme(text: &str) -> Option<&str> {
    let (scheme, _) = text.split_once("://")?;
    let mut chars = scheme.chars();
    let first = chars.next()?;
    (first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
    .then_some(scheme)
}

/// The URL's parts; a query part without `=` is kept (with no key) and reported beside them, so
/// that [`crate::redact()`] can still show the rest.
pub(crate) fn parse_url<'a>(
    scheme: &'a str,
    rest: &'a str,
) -> Result<(Url<'a>, Option<Malformed>), Malformed> {
    // The user information ends at the last `@`; the driver splits at the first one. Both agree
    // only when there is one `@`, with no `/`, `?` or `#` before it.
    let (userinfo, after) = match rest.rfind('@') {
        Some(at) => {
            let userinfo = &rest[..at];
            if userinfo.contains(['/', '?', '#']) {
                return Err(Malformed::AmbiguousAt);
            }
            if userinfo.contains('@') {
                return Err(Malformed::SeveralAt);
            }
            (Some(userinfo), &rest[at + 1..])
        }
        None => (None, rest),
    };
    let host_end = after.find(['/', '?']).unwrap_or(after.len());
    let hosts = &after[..host_end];
    let mut tail = &after[host_end..];
    let mut path = None;
    if let Some(rest) = tail.strip_prefix('/') {
        let end = rest.find('?').unwrap_or(rest.len());
        path = Some(&rest[..end]);
        tail = &rest[end..];
    }
    let mut params = Vec::new();
    let mut problem = None;
    if let Some(query) = tail.strip_prefix('?') {
        for (index, raw) in query.split('&').enumerate() {
            // The driver reads `a&&b` as a parameter named "" (and refuses it): so does this.
            let pair = match raw.split_once('=') {
                Some((key, value)) => Pair {
                    key: Some(decode(key).into_owned()),
                    value: decode(value).into_owned(),
                    raw,
                    raw_value: value,
                },
                None => {
                    problem.get_or_insert(Malformed::QueryWithoutValue(index + 1));
                    Pair {
                        key: None,
                        value: String::new(),
                        raw,
                        raw_value: raw,
                    }
                }
            };
            params.push(pair);
        }
    }
    let url = Url {
        scheme,
        userinfo,
        hosts,
        path,
        params,
    };
    Ok((url, problem))
}

fn decode(text: &str) -> Cow<'_, str> {
    percent_decode_str(text).decode_utf8_lossy()
}

/// The key=value form, read as the driver reads it: keys up to whitespace or `=`, values plain
/// (backslash escapes) or in single quotes. Returns the pairs read before any problem.
pub(crate) fn parse_pairs(text: &str) -> (Vec<Pair<'_>>, Option<Malformed>) {
    let mut pairs = Vec::new();
    let mut cursor = Cursor { text, at: 0 };
    loop {
        cursor.skip_whitespace();
        if cursor.peek().is_none() {
            return (pairs, None);
        }
        let number = pairs.len() + 1;
        let start = cursor.at;
        while cursor
            .peek()
            .is_some_and(|c| !c.is_whitespace() && c != '=')
        {
            cursor.next();
        }
        let key = &text[start..cursor.at];
        cursor.skip_whitespace();
        if key.is_empty() || cursor.next() != Some('=') {
            return (pairs, Some(Malformed::PairWithoutValue(number)));
        }
        cursor.skip_whitespace();
        let value_start = cursor.at;
        let mut value = String::new();
        if cursor.peek() == Some('\'') {
            cursor.next();
            loop {
                match cursor.next() {
                    None => return (pairs, Some(Malformed::Unterminated(number))),
                    Some('\'') => break,
                    Some('\\') => value.extend(cursor.next()),
                    Some(c) => value.push(c),
                }
            }
        } else {
            while let Some(c) = cursor.peek().filter(|c| !c.is_whitespace()) {
                cursor.next();
                match c {
                    '\\' => value.extend(cursor.next()),
                    c => value.push(c),
                }
            }
            if value.is_empty() {
                return (pairs, Some(Malformed::PairWithoutValue(number)));
            }
        }
        pairs.push(Pair {
            key: Some(key.to_string()),
            value,
            raw: &text[start..cursor.at],
            raw_value: &text[value_start..cursor.at],
        });
    }
}

/// A position in the key=value text, moved a character at a time.
struct Cursor<'a> {
    text: &'a str,
    at: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<char> {
        self.text[self.at..].chars().next()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.at += c.len_utf8();
        Some(c)
    }

    fn skip_whitespace(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.next();
        }
    }
}

/// The libpq parameter `key` was probably meant to be (a letter or two off, or in other case),
/// so that a message can suggest it without repeating what was typed.
pub(crate) fn meant(key: &str) -> Option<&'static str> {
    let key = key.to_ascii_lowercase();
    LIBPQ
        .iter()
        .map(|name| (distance(&key, name), *name))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, name)| name)
}

/// Levenshtein distance, on bytes: keys are short ASCII words.
fn distance(a: &str, b: &str) -> usize {
    let b = b.as_bytes();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.bytes().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_forms_split_as_the_driver_reads_them() {
        let ConnString::Pairs(pairs) =
            ConnString::parse("host=h password='a b\\'c' x=\\ y").unwrap()
        else {
            panic!("not read as key=value pairs");
        };
        let values: Vec<&str> = pairs.iter().map(|p| p.value.as_str()).collect();
        assert_eq!(values, ["h", "a b'c", " y"]);
        let url = ConnString::parse("postgres://u:p@h:1/d?a=%41&b=c").unwrap();
        assert_eq!(url.rebuild(&["b=c"]), "postgres://u:p@h:1/d?b=c");
        assert_eq!(url.params()[0].value, "A");
        assert_eq!(
            ConnString::parse("host=h password"),
            Err(Malformed::PairWithoutValue(2))
        );
        assert_eq!(
            ConnString::parse("postgres://h/d?a=1&b"),
            Err(Malformed::QueryWithoutValue(2))
        );
    }

    #[test]
    fn a_mistyped_key_is_matched_to_the_parameter_it_meant() {
        assert_eq!(meant("sslmdoe"), Some("sslmode"));
        assert_eq!(meant("PASSWORD"), Some("password"));
        assert_eq!(meant("pasword"), Some("password"));
        assert_eq!(meant("hunter2"), None);
        assert_eq!(meant("Xq7Lm2Kp9"), None);
    }
}
