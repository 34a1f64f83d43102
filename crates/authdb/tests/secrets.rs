//! No secret is ever printed, whatever its place and spelling: a generator (seeded, so a failure
//! can be replayed) writes connection strings, as URLs and as key=value pairs, with a secret in
//! every position that can hold one and in every spelling (`password`, `PASSWORD`,
//! `pass%77ord`, `sslpassword`, `options`, keys nobody knows, bare words, quotes, escapes,
//! percent-encoding, `://` inside a value, a quote never closed), surrounded by settings that
//! are safe to show. Neither `redact`, nor any error of `ConnInfo::parse`, nor a parsed
//! `ConnInfo` or `Setting` as `Debug` may contain any six characters of the secret. The secret
//! is also typed where a parameter's name goes: only libpq's own names are ever printed.

use authdb::{ConnInfo, Setting, redact};

/// Cases per run: each one a fresh string, each checked four ways.
const CASES: u64 = 5_000;

/// The secret's core: letters that no shown part can contain (the shown parts are lowercase,
/// and no key that is printed in capitals uses them).
const CORE_LETTERS: &[u8] = b"BCFGHJKLMNQTVXYZ";

struct Generator {
    rng: fastrand::Rng,
    /// The secret's distinctive part, also checked in six-letter pieces.
    core: String,
}

impl Generator {
    fn new(seed: u64) -> Generator {
        let mut rng = fastrand::Rng::with_seed(seed);
        let core: String = (0..14)
            .map(|_| CORE_LETTERS[rng.usize(..CORE_LETTERS.len())] as char)
            .collect();
        Generator { rng, core }
    }

    fn pick<'a>(&mut self, options: &[&'a str]) -> &'a str {
        options[self.rng.usize(..options.len())]
    }

    /// The secret: the core with characters that are special somewhere around it.
    fn secret(&mut self) -> String {
        let specials = [
            "", "", "@", "/", "?", "#", "&", "=", ":", " ", "'", "\\", "%", "://", "%41", ",",
        ];
        let before = self.pick(&specials);
        let after = self.pick(&specials);
        format!("{before}{}{after}", self.core)
    }

    fn word(&mut self) -> String {
        let length = self.rng.usize(1..8);
        (0..length).map(|_| self.rng.lowercase()).collect()
    }

    /// A value in a URL: percent-encoded, wholly, partly, or not at all (which may break the URL:
    /// then it must be hidden all the same).
    fn url_value(&mut self, value: &str) -> String {
        match self.rng.u8(..4) {
            0 => value.to_string(),
            1 => value.bytes().map(|b| format!("%{b:02X}")).collect(),
            _ => value
                .bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() && self.rng.bool() {
                        (b as char).to_string()
                    } else {
                        format!("%{b:02x}")
                    }
                })
                .collect(),
        }
    }

    /// A key that must not show its value, in some spelling.
    fn secret_key(&mut self) -> String {
        let key = self.pick(&[
            "password",
            "PASSWORD",
            "Password",
            "pass%77ord",
            "%70%61%73%73%77%6f%72%64",
            "sslpassword",
            "sslkey",
            "passfile",
            "options",
            "service",
            "token",
            "x",
        ]);
        key.to_string()
    }

    /// Parameters that may be shown, to surround the secret.
    fn safe_params(&mut self) -> Vec<String> {
        let mut params = Vec::new();
        for _ in 0..self.rng.usize(..3) {
            let param = match self.rng.u8(..5) {
                0 => format!("sslmode={}", self.pick(&["disable", "prefer", "require"])),
                1 => format!("application_name={}", self.word()),
                2 => format!("connect_timeout={}", self.rng.u8(1..30)),
                3 => format!("dbname={}", self.word()),
                _ => format!("port={}", self.rng.u16(1..)),
            };
            params.push(param);
        }
        params
    }

    fn url(&mut self) -> String {
        let user = self.word();
        let host = match self.rng.u8(..3) {
            0 => "127.0.0.1".to_string(),
            1 => format!("{}.example", self.word()),
            _ => format!("{}.example:{},[::1]:5433", self.word(), self.rng.u16(1..)),
        };
        let mut params = self.safe_params();
        let secret = self.secret();
        let userinfo = match self.rng.u8(..3) {
            // In the user information, as a password.
            0 => format!("{user}:{}@", self.url_value(&secret)),
            1 => format!("{user}@"),
            _ => String::new(),
        };
        if userinfo.is_empty() || userinfo.ends_with(&format!("{user}@")) {
            // In the query: under some key, or on its own.
            let at = self.rng.usize(..=params.len());
            let param = match self.rng.u8(..6) {
                0 => self.url_value(&secret),
                1 => format!("options=-c%20x%3D{}", self.url_value(&secret)),
                2 => format!("{}={}", self.url_value(&secret), self.word()),
                _ => format!("{}={}", self.secret_key(), self.url_value(&secret)),
            };
            params.insert(at, param);
        }
        let scheme = self.pick(&["postgres", "postgresql"]);
        let db = self.word();
        match params.is_empty() {
            true => format!("{scheme}://{userinfo}{host}/{db}"),
            false => format!("{scheme}://{userinfo}{host}/{db}?{}", params.join("&")),
        }
    }

    /// A value in the key=value form: plain with escapes, or quoted, or a quote never closed.
    fn pair_value(&mut self, value: &str) -> String {
        let escaped: String = value
            .chars()
            .map(|c| match c {
                '\'' | '\\' | ' ' => format!("\\{c}"),
                c => c.to_string(),
            })
            .collect();
        match self.rng.u8(..5) {
            0 => value.to_string(),
            1 => escaped,
            2 => format!("'{escaped}"),
            _ => format!("'{escaped}'"),
        }
    }

    fn pairs(&mut self) -> String {
        let mut pairs = vec![format!("host={}.example", self.word())];
        pairs.extend(self.safe_params());
        let secret = self.secret();
        let key = self.secret_key();
        let key = key.replace('%', "");
        let equals = self.pick(&["=", " = ", "= ", " ="]);
        let param = match self.rng.u8(..5) {
            0 => self.pair_value(&secret),
            1 => format!("{}={}", self.pair_value(&secret), self.word()),
            _ => format!("{key}{equals}{}", self.pair_value(&secret)),
        };
        let at = self.rng.usize(..=pairs.len());
        pairs.insert(at, param);
        pairs.join(" ")
    }

    /// Every six letters of the core that occur in `text`.
    fn leaks(&self, text: &str) -> Vec<String> {
        let core = self.core.as_bytes();
        core.windows(6)
            .map(|w| String::from_utf8_lossy(w).into_owned())
            .filter(|piece| text.contains(piece.as_str()))
            .collect()
    }
}

#[test]
fn no_secret_is_printed_whatever_its_place_or_spelling() {
    let mut outcomes = [0usize; 2];
    for seed in 0..CASES {
        let mut generator = Generator::new(seed);
        let text = match generator.rng.bool() {
            true => generator.url(),
            false => generator.pairs(),
        };
        let setting = Setting {
            value: text.clone(),
            origin: "the test".into(),
        };
        let mut printed = vec![
            ("redact", redact(&text)),
            ("Setting as Debug", format!("{setting:?}")),
        ];
        for allow_insecure in [false, true] {
            match ConnInfo::parse(&setting, allow_insecure) {
                Ok(info) => {
                    outcomes[0] += 1;
                    printed.push(("ConnInfo::redacted", info.redacted.clone()));
                    printed.push(("ConnInfo as Debug", format!("{info:?}")));
                }
                Err(error) => {
                    outcomes[1] += 1;
                    printed.push(("the error", error.to_string()));
                    printed.push(("the error as Debug", format!("{error:?}")));
                }
            }
        }
        for (what, output) in printed {
            let leaks = generator.leaks(&output);
            assert!(
                leaks.is_empty(),
                "seed {seed}: {what} shows {leaks:?} of the secret {:?}\ninput:  {text}\noutput: {output}",
                generator.core
            );
        }
    }
    eprintln!(
        "parsed {} times, refused {} times",
        outcomes[0], outcomes[1]
    );
    // Both paths were exercised, many times each.
    assert!(
        outcomes.iter().all(|n| *n > CASES as usize / 10),
        "{outcomes:?}"
    );
}

#[test]
fn the_issue_s_examples_are_hidden() {
    let secret = "hunter2hunter2";
    let examples = [
        format!("postgres://u@h/db?pass%77ord={secret}"),
        format!("postgres://u@h/db?sslpassword={secret}"),
        format!("postgres://u@h/db?PASSWORD={secret}"),
        format!("postgres://u@h/db?mystery={secret}"),
        format!("host=h user=u password={secret} application_name=x://y"),
        format!("host=h password=abc://{secret}"),
        format!("host=h dbname=d password='{secret} with://spaces'"),
    ];
    for example in examples {
        let shown = redact(&example);
        assert!(!shown.contains(secret), "{example} -> {shown}");
        let setting = Setting {
            value: example.clone(),
            origin: "the test".into(),
        };
        let result = ConnInfo::parse(&setting, false);
        let message = match &result {
            Ok(info) => info.redacted.clone(),
            Err(error) => error.to_string(),
        };
        assert!(!message.contains(secret), "{example} -> {message}");
    }
}
