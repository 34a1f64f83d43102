//! Turning a database URL into connection settings. tokio-postgres parses most of the URL, but it
//! rejects the libpq settings people paste from Neon's console that it does not know
//! (`sslmode=verify-full`, `sslrootcert=...`), so those are read here and the rest passed on.
//! This is also the only place that sees the password: everything else gets the redacted URL.

use std::net::IpAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use tokio_postgres::config::{Host, SslMode};

use crate::environment::Setting;
use crate::error::{Error, Result, describe};

/// How the connection is encrypted and how much of the server's certificate is checked.
///
/// Stricter than libpq on purpose: libpq's `require` encrypts without checking the certificate,
/// which does not stop a man in the middle; here `require` checks the chain and the host name,
/// like `verify-full`. `allow` and `prefer` encrypt when the server offers it, unchecked, as libpq does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tls {
    /// `disable`, and the default for a loopback host: the traffic never leaves the machine, and
    /// not setting up TLS saves a short command most of its time.
    Disable,
    /// `allow` and `prefer`.
    Opportunistic,
    /// `verify-ca`: the chain is checked, the host name is not.
    VerifyCa,
    /// `require`, `verify-full`, and the default for any other host.
    VerifyFull,
}

/// Everything needed to open a connection, with the password kept inside `config`.
#[derive(Debug, Clone)]
pub struct ConnInfo {
    pub config: tokio_postgres::Config,
    pub tls: Tls,
    /// `sslrootcert=PATH`: a CA to trust in addition to the system's.
    pub root_cert: Option<PathBuf>,
    /// The URL with its password replaced by `***`: the only form that is ever printed.
    pub redacted: String,
    /// True when every host is this machine (loopback address, `localhost`, or a Unix socket).
    pub loopback: bool,
}

/// Connect timeout when the URL sets none: long enough for a Neon compute to wake from suspend.
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

impl ConnInfo {
    /// Parses `url`; `allow_insecure` permits `sslmode=disable` towards another machine.
    pub fn parse(url: &Setting, allow_insecure: bool) -> Result<ConnInfo> {
        let redacted = redact(&url.value);
        let bad = |reason: String| Error::BadUrl {
            origin: url.origin.clone(),
            reason,
            redacted: redacted.clone(),
        };
        let raw = url.value.trim();
        if !(raw.starts_with("postgres://") || raw.starts_with("postgresql://")) {
            return Err(bad(
                "expected a URL of the form postgres://user:password@host:port/dbname".into(),
            ));
        }

        let (base, query) = raw.split_once('?').unwrap_or((raw, ""));
        let mut sslmode = None;
        let mut root_cert = None;
        let mut passed_on = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let decoded = percent_encoding::percent_decode_str(value)
                .decode_utf8_lossy()
                .into_owned();
            match key {
                "sslmode" => sslmode = Some(decoded),
                "sslrootcert" => root_cert = Some(PathBuf::from(decoded)),
                "sslcert" | "sslkey" | "sslpassword" => {
                    return Err(bad(format!(
                        "{key}: client certificates are not supported; Neon authenticates with the password"
                    )));
                }
                _ => passed_on.push(pair),
            }
        }
        let rebuilt = if passed_on.is_empty() {
            base.to_string()
        } else {
            format!("{base}?{}", passed_on.join("&"))
        };
        let mut config =
            tokio_postgres::Config::from_str(&rebuilt).map_err(|e| bad(describe(&e)))?;
        if config.get_hosts().is_empty() {
            return Err(bad("the URL names no host".into()));
        }
        // `hostaddr=` is where the connection really goes: `localhost` with a remote hostaddr
        // is not local.
        let loopback = config.get_hosts().iter().all(is_loopback)
            && config.get_hostaddrs().iter().all(IpAddr::is_loopback);

        let tls = match sslmode.as_deref() {
            None if loopback => Tls::Disable,
            None => Tls::VerifyFull,
            Some("disable") => Tls::Disable,
            Some("allow" | "prefer") => Tls::Opportunistic,
            Some("require" | "verify-full") => Tls::VerifyFull,
            Some("verify-ca") => Tls::VerifyCa,
            Some(other) => {
                return Err(bad(format!(
                    "sslmode={other} is not one of disable, allow, prefer, require, verify-ca, verify-full"
                )));
            }
        };
        if tls == Tls::Disable && !loopback && !allow_insecure {
            return Err(Error::InsecureRemote { target: redacted });
        }
        if let Some(path) = &root_cert
            && !path.is_file()
        {
            return Err(bad(format!("sslrootcert={}: no such file", path.display())));
        }
        config.ssl_mode(match tls {
            Tls::Disable => SslMode::Disable,
            Tls::Opportunistic => SslMode::Prefer,
            Tls::VerifyCa | Tls::VerifyFull => SslMode::Require,
        });
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(DEFAULT_CONNECT_TIMEOUT);
        }
        // The default idle time before TCP keepalives is two hours: far too long to notice a
        // network that dropped a migration's connection.
        if config.get_keepalives_idle() == Duration::from_secs(2 * 60 * 60) {
            config.keepalives_idle(Duration::from_secs(30));
        }
        if config.get_application_name().is_none() {
            config.application_name("authdb");
        }
        Ok(ConnInfo {
            config,
            tls,
            root_cert,
            redacted,
            loopback,
        })
    }

    /// The first host's name, for messages and for Neon-specific advice.
    pub fn host(&self) -> String {
        match self.config.get_hosts().first() {
            Some(Host::Tcp(name)) => name.clone(),
            #[cfg(unix)]
            Some(Host::Unix(path)) => path.display().to_string(),
            None => String::new(),
        }
    }

    /// Neon's `-pooler` endpoints are PgBouncer in transaction mode. authdb works through them
    /// (its lock is transaction-level), but Neon recommends the direct endpoint for schema changes.
    pub fn is_neon_pooler(&self) -> bool {
        self.config
            .get_hosts()
            .iter()
            .any(|h| matches!(h, Host::Tcp(name) if name.contains("-pooler")))
    }
}

fn is_loopback(host: &Host) -> bool {
    match host {
        Host::Tcp(name) => {
            let name = name.trim_start_matches('[').trim_end_matches(']');
            name.eq_ignore_ascii_case("localhost")
                || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
        }
        #[cfg(unix)]
        Host::Unix(_) => true,
    }
}

/// The URL with the password (in the user-info part or a `password=` parameter) replaced by `***`.
/// When in doubt it hides more, never less: everything between `user:` and the last `@` goes.
pub fn redact(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return "(not a URL)".to_string();
    };
    let (scheme, rest) = url.split_at(scheme_end);
    let rest = match rest.rfind('@') {
        Some(at) => {
            let (userinfo, host_and_more) = rest.split_at(at);
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{user}:***{host_and_more}"),
                None => rest.to_string(),
            }
        }
        None => rest.to_string(),
    };
    let Some((base, query)) = rest.split_once('?') else {
        return format!("{scheme}{rest}");
    };
    let query: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}=***"),
            _ => pair.to_string(),
        })
        .collect();
    format!("{scheme}{base}?{}", query.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setting(value: &str) -> Setting {
        Setting {
            value: value.into(),
            origin: "test".into(),
        }
    }

    #[test]
    fn redact_hides_passwords_in_every_place() {
        assert_eq!(
            redact("postgres://alice:s3cret@db.example/app?sslmode=require"),
            "postgres://alice:***@db.example/app?sslmode=require"
        );
        assert_eq!(
            redact("postgres://alice:p@ss/w?rd@db.example/app"),
            "postgres://alice:***@db.example/app"
        );
        assert_eq!(
            redact("postgres://db.example/app?user=a&password=s3cret"),
            "postgres://db.example/app?user=a&password=***"
        );
        assert_eq!(
            redact("postgres://alice@localhost/app"),
            "postgres://alice@localhost/app"
        );
    }

    #[test]
    fn tls_defaults_depend_on_the_host() {
        let local = ConnInfo::parse(&setting("postgres://u:p@127.0.0.1:5432/db"), false).unwrap();
        assert_eq!(local.tls, Tls::Disable);
        let remote = ConnInfo::parse(&setting("postgres://u:p@ep-x.neon.tech/db"), false).unwrap();
        assert_eq!(remote.tls, Tls::VerifyFull);
        let ca = ConnInfo::parse(
            &setting("postgres://u:p@h/db?sslmode=verify-ca&channel_binding=require"),
            false,
        );
        assert_eq!(ca.unwrap().tls, Tls::VerifyCa);
    }

    #[test]
    fn bad_urls_say_what_is_wrong_without_the_password() {
        let cases = [
            ("mysql://u:hunter2@h/db", "expected a URL of the form"),
            (
                "postgres://u:hunter2@h/db?sslmode=maybe",
                "sslmode=maybe is not one of",
            ),
            (
                "postgres://u:hunter2@h:notaport/db",
                "invalid value for option `port`",
            ),
            (
                "postgres://u:hunter2@h/db?sslrootcert=/nonexistent.pem",
                "sslrootcert=/nonexistent.pem: no such file",
            ),
            ("postgres://u:hunter2@h/db?sslmode=disable", "without TLS"),
        ];
        for (url, expected) in cases {
            let message = ConnInfo::parse(&setting(url), false)
                .unwrap_err()
                .to_string();
            assert!(message.contains(expected), "{url}: {message}");
            assert!(!message.contains("hunter2"), "{url}: {message}");
        }
    }

    #[test]
    fn sslmode_disable_to_another_host_is_allowed_only_when_asked() {
        let url = setting("postgres://u:p@db.internal/db?sslmode=disable");
        let info = ConnInfo::parse(&url, true).unwrap();
        assert_eq!(info.tls, Tls::Disable);
        assert!(!info.loopback);
        // A loopback name does not make a remote hostaddr local.
        let aliased = "postgres://u:p@localhost/db?hostaddr=203.0.113.5&sslmode=disable";
        let message = ConnInfo::parse(&setting(aliased), false)
            .unwrap_err()
            .to_string();
        assert!(message.contains("without TLS"), "{message}");
        let aliased = ConnInfo::parse(
            &setting("postgres://u:p@localhost/db?hostaddr=203.0.113.5"),
            false,
        );
        assert_eq!(aliased.unwrap().tls, Tls::VerifyFull);
    }

    #[test]
    fn neon_pooler_endpoints_are_recognised_by_their_host_name() {
        let pooler = |url: &str| {
            ConnInfo::parse(&setting(url), false)
                .unwrap()
                .is_neon_pooler()
        };
        assert!(pooler(
            "postgres://u:p@ep-cool-name-123456-pooler.eu-central-1.aws.neon.tech/db"
        ));
        assert!(!pooler(
            "postgres://u:p@ep-cool-name-123456.eu-central-1.aws.neon.tech/db"
        ));
        assert!(pooler(
            "postgres://u:p@ep-a.neon.tech,ep-a-pooler.neon.tech/db"
        ));
    }
}
