//! What of a connection string may be printed. By allow-list: PostgreSQL's scheme, the user,
//! hosts, ports, the database name and the values of [`SHOWN`] parameters are shown; the name of
//! any other libpq parameter is shown with `***` for its value (`password=***`, also for
//! `pass%77ord`); anything else, a key libpq does not know (`PASSWORD`, a typo, a secret pasted
//! where a key goes) with its value, is `***`. What cannot be read with certainty is hidden whole.
//! The string is read by [`crate::connstring`], exactly as it is read to connect.

use crate::connstring::{LIBPQ, Pair, Url, meant, parse_pairs, parse_url, url_scheme};

/// Parameters whose values are shown in messages: none of them can hold a secret. `options`
/// (server settings, `-c name=value`) is not among them: it is free text and could hold one.
pub const SHOWN: &[&str] = &[
    "host",
    "hostaddr",
    "port",
    "dbname",
    "user",
    "sslmode",
    "sslnegotiation",
    "sslrootcert",
    "connect_timeout",
    "application_name",
    "channel_binding",
    "target_session_attrs",
    "load_balance_hosts",
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_retries",
    "tcp_user_timeout",
];

/// The string as it may be printed: the allow-listed parts as written, every other value `***`.
/// When the string cannot be read with certainty, what cannot be placed is hidden whole.
pub fn redact(text: &str) -> String {
    let text = text.trim();
    match url_scheme(text) {
        Some(scheme) => match parse_url(scheme, &text[scheme.len() + 3..]) {
            Ok((url, _)) => show_url(&url),
            // Where the host begins is unknown, so everything after the scheme may be secret.
            Err(_) => format!("{}://***", shown_scheme(scheme)),
        },
        None => {
            let (pairs, problem) = parse_pairs(text);
            let mut shown: Vec<String> = pairs.iter().map(|p| show_pair(p)).collect();
            if problem.is_some() || text.is_empty() {
                shown.push("***".to_string());
            }
            shown.join(" ")
        }
    }
}

/// PostgreSQL's schemes as written; any other is hidden, since a secret followed by `://` reads
/// as a scheme too.
fn shown_scheme(scheme: &str) -> &str {
    if scheme.eq_ignore_ascii_case("postgres") || scheme.eq_ignore_ascii_case("postgresql") {
        scheme
    } else {
        "***"
    }
}

fn show_url(url: &Url<'_>) -> String {
    let mut text = format!("{}://", shown_scheme(url.scheme));
    if let Some(userinfo) = url.userinfo {
        match userinfo.split_once(':') {
            Some((user, _)) => text.push_str(&format!("{user}:***@")),
            None => text.push_str(&format!("{userinfo}@")),
        }
    }
    let hosts: Vec<&str> = url
        .hosts
        .split(',')
        .map(|host| if is_host(host) { host } else { "***" })
        .collect();
    text.push_str(&hosts.join(","));
    if let Some(path) = url.path {
        text.push('/');
        text.push_str(path);
    }
    if !url.params.is_empty() {
        let params: Vec<String> = url.params.iter().map(|p| show_pair(p)).collect();
        text.push('?');
        text.push_str(&params.join("&"));
    }
    text
}

/// `host`, `host:5432`, `[::1]:5432`, or empty: what a host list holds, and nothing else.
fn is_host(chunk: &str) -> bool {
    chunk.chars().all(|c| {
        c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '~' | '%' | ':' | '[' | ']')
    })
}

/// `key=value` for a [`SHOWN`] key; `key=***` for another libpq key; else `***`.
fn show_pair(pair: &Pair<'_>) -> String {
    match pair.key.as_deref() {
        Some(key) if SHOWN.contains(&key) => format!("{key}={}", pair.raw_value),
        Some(key) if LIBPQ.contains(&key) => format!("{key}=***"),
        _ => "***".to_string(),
    }
}

/// Whether `text` reads as a connection string, so that a message quoting it (a command line
/// argument in the wrong place, say) must show it redacted.
pub fn looks_like_connection_string(text: &str) -> bool {
    if text.contains("://") {
        return true;
    }
    let (pairs, _) = parse_pairs(text.trim());
    pairs
        .iter()
        .any(|p| p.key.as_deref().is_some_and(|k| meant(k).is_some()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_show_the_allow_listed_parts_only() {
        let cases = [
            (
                "postgres://alice:s3cret@db.example:6543/app?sslmode=require&application_name=x",
                "postgres://alice:***@db.example:6543/app?sslmode=require&application_name=x",
            ),
            (
                "postgres://alice@localhost/app",
                "postgres://alice@localhost/app",
            ),
            (
                "postgres://db.example/app?user=a&password=s3cret",
                "postgres://db.example/app?user=a&password=***",
            ),
            (
                "postgresql://u:p@h1:5432,[::1]:5433/db?pass%77ord=s3cret&sslpassword=s3cret",
                "postgresql://u:***@h1:5432,[::1]:5433/db?password=***&sslpassword=***",
            ),
            (
                "postgres://h/db?PASSWORD=s3cret&options=-c%20x%3Ds3cret",
                "postgres://h/db?***&options=***",
            ),
            ("postgres://h/db?s3cret", "postgres://h/db?***"),
            ("postgres://h/db?%73%33cret!=x", "postgres://h/db?***"),
            (
                "postgres://h/db?s3cret=x&s3cret&port=1",
                "postgres://h/db?***&***&port=1",
            ),
            ("postgres://h/db?password=se@cret", "postgres://***"),
            ("postgres://alice:p@ss@db.example/app", "postgres://***"),
            ("postgres://alice:pa/ss@db.example/app", "postgres://***"),
            ("postgres://u:s3cret@ho st/db", "postgres://u:***@***/db"),
            ("mysql://u:s3cret@h/db", "***://u:***@h/db"),
            ("s3cret:// host=h", "***://***"),
        ];
        for (url, expected) in cases {
            assert_eq!(redact(url), expected, "{url}");
        }
    }

    #[test]
    fn key_value_strings_show_the_allow_listed_values_only() {
        let cases = [
            (
                "host=h port=5432 user=u password=s3cret dbname=d sslmode=require",
                "host=h port=5432 user=u password=*** dbname=d sslmode=require",
            ),
            (
                "host=h password='s3 cr\\'et' application_name='my app'",
                "host=h password=*** application_name='my app'",
            ),
            ("host = h  PASSWORD = s3cret", "host=h ***"),
            (
                "host=h passfile=/s3cret sslkey=s3cret",
                "host=h passfile=*** sslkey=***",
            ),
            (
                "host=h password=abc://s3cret dbname=d",
                "host=h password=*** dbname=d",
            ),
            ("host=h password='s3cret", "host=h ***"),
            ("host=h s3cret", "host=h ***"),
            ("s3cret", "***"),
            ("", "***"),
        ];
        for (text, expected) in cases {
            assert_eq!(redact(text), expected, "{text}");
        }
    }
}
