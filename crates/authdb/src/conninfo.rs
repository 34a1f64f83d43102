//! Turning a connection string (a URL, or libpq's key=value pairs) into connection settings.
//! tokio-postgres parses most of it, but it rejects the libpq settings people paste from Neon's
//! console that it does not know (`sslmode=verify-full`, `sslrootcert=...`), so those are read
//! here and the rest passed on. This is also the only place that sees the password: everything
//! else gets the redacted form ([`crate::redact()`]).

use std::net::IpAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use tokio_postgres::config::{Host, SslMode};

use crate::connstring::{ConnString, LIBPQ, meant};
use crate::environment::Setting;
use crate::error::{Error, Result, describe};
use crate::redact::{SHOWN, redact};

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
#[derive(Clone)]
pub struct ConnInfo {
    pub config: tokio_postgres::Config,
    pub tls: Tls,
    /// `sslrootcert=PATH`: a CA to trust in addition to the system's.
    pub root_cert: Option<PathBuf>,
    /// The string with every value not known to be safe replaced by `***`: the only form that
    /// is ever printed.
    pub redacted: String,
    /// True when every host is this machine (loopback address, `localhost`, or a Unix socket).
    pub loopback: bool,
    /// How long one attempt to connect may take, all of it: TCP, TLS and the startup and
    /// authentication exchange (`connect_timeout`, else [`DEFAULT_CONNECT_TIMEOUT`]).
    pub connect_timeout: Duration,
}

impl std::fmt::Debug for ConnInfo {
    /// The redacted form only: the driver's `Config` hides the password but shows `options`,
    /// which may hold a secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnInfo")
            .field("redacted", &self.redacted)
            .field("tls", &self.tls)
            .field("root_cert", &self.root_cert)
            .field("loopback", &self.loopback)
            .field("connect_timeout", &self.connect_timeout)
            .finish_non_exhaustive()
    }
}

/// Connect timeout when the URL sets none: long enough for a Neon compute to wake from suspend.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The longest `connect_timeout` accepted, in seconds: a day. Zero, which libpq reads as "wait
/// forever", is refused: authdb bounds every wait.
const MAX_CONNECT_TIMEOUT: u64 = 24 * 60 * 60;

/// Parameters passed on to tokio-postgres, beyond those shown in messages: their values are
/// hidden. Any other key is refused by name rather than left to the driver.
const HIDDEN: &[&str] = &["password", "options"];

impl ConnInfo {
    /// Parses `url`; `allow_insecure` permits `sslmode=disable` towards another machine.
    pub fn parse(url: &Setting, allow_insecure: bool) -> Result<ConnInfo> {
        let redacted = redact(&url.value);
        let bad = |reason: String, source: Option<tokio_postgres::Error>| Error::BadUrl {
            origin: url.origin.clone(),
            reason,
            redacted: redacted.clone(),
            source,
        };
        let split = ConnString::parse(&url.value).map_err(|m| bad(m.to_string(), None))?;
        if let ConnString::Url(parts) = &split
            && !matches!(parts.scheme, "postgres" | "postgresql")
        {
            return Err(bad(
                "expected a URL of the form postgres://user:password@host:port/dbname, or \
                 key=value pairs (host=... user=... dbname=...)"
                    .into(),
                None,
            ));
        }

        let mut sslmode = None;
        let mut root_cert = None;
        let mut connect_timeout = DEFAULT_CONNECT_TIMEOUT;
        let mut passed_on = Vec::new();
        for pair in split.params() {
            let key = pair.key.as_deref().unwrap_or_default();
            match key {
                "sslmode" => sslmode = Some(pair.value.clone()),
                "sslrootcert" => root_cert = Some(PathBuf::from(&pair.value)),
                "connect_timeout" => {
                    connect_timeout =
                        connect_timeout_of(&pair.value).map_err(|reason| bad(reason, None))?;
                }
                "sslcert" | "sslkey" | "sslpassword" => {
                    return Err(bad(
                        format!(
                            "{key}: client certificates are not supported; Neon authenticates \
                             with the password"
                        ),
                        None,
                    ));
                }
                key if SHOWN.contains(&key) || HIDDEN.contains(&key) => passed_on.push(pair.raw),
                key if LIBPQ.contains(&key) => {
                    return Err(bad(
                        format!(
                            "{key}: this libpq parameter is not supported by authdb's driver \
                             (tokio-postgres); leave it out"
                        ),
                        None,
                    ));
                }
                key => {
                    let hint = meant(key)
                        .map(|name| format!(" Did you mean `{name}`?"))
                        .unwrap_or_default();
                    return Err(bad(
                        format!(
                            "it has a parameter that is not a libpq connection parameter (its name \
                             and value are not shown, in case they hold a secret).{hint} \
                             Parameter names are lowercase: host, port, user, password, dbname, \
                             sslmode, connect_timeout, application_name, ..."
                        ),
                        None,
                    ));
                }
            }
        }
        let rebuilt = split.rebuild(&passed_on);
        let mut config =
            tokio_postgres::Config::from_str(&rebuilt).map_err(|e| bad(describe(&e), Some(e)))?;
        if config.get_hosts().is_empty() {
            return Err(bad("it names no host".into(), None));
        }
        config.connect_timeout(connect_timeout);
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
                return Err(bad(
                    format!(
                        "sslmode={other} is not one of disable, allow, prefer, require, verify-ca, \
                         verify-full"
                    ),
                    None,
                ));
            }
        };
        if tls == Tls::Disable && !loopback && !allow_insecure {
            return Err(Error::InsecureRemote { url: redacted });
        }
        if let Some(path) = &root_cert
            && !path.is_file()
        {
            return Err(bad(
                format!("sslrootcert={}: no such file", path.display()),
                None,
            ));
        }
        config.ssl_mode(match tls {
            Tls::Disable => SslMode::Disable,
            Tls::Opportunistic => SslMode::Prefer,
            Tls::VerifyCa | Tls::VerifyFull => SslMode::Require,
        });
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
            connect_timeout,
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

/// `connect_timeout=N`: whole seconds, as libpq reads it, from 1 to a day.
fn connect_timeout_of(value: &str) -> Result<Duration, String> {
    match value.trim().parse::<u64>() {
        Ok(seconds @ 1..=MAX_CONNECT_TIMEOUT) => Ok(Duration::from_secs(seconds)),
        Ok(0) => Err(
            "connect_timeout=0 would wait forever (libpq's meaning), and authdb bounds every wait: \
             give a number of seconds, or leave it out for 10"
                .into(),
        ),
        _ => Err(format!(
            "connect_timeout={value} is not a number of seconds from 1 to {MAX_CONNECT_TIMEOUT}"
        )),
    }
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
            (
                "postgres://u:hunter2@h/db?connect_timeout=0",
                "connect_timeout=0 would wait forever",
            ),
            (
                "postgres://u:hunter2@h/db?connect_timeout=-3",
                "connect_timeout=-3 is not a number of seconds from 1 to 86400",
            ),
            (
                "postgres://u@h/db?sslpassword=hunter2",
                "sslpassword: client certificates are not supported",
            ),
            (
                "postgres://u@h/db?PASSWORD=hunter2",
                "not a libpq connection parameter (its name and value are not shown, in case they \
                 hold a secret). Did you mean `password`?",
            ),
            (
                "postgres://u@h/db?hunter2=x",
                "not a libpq connection parameter (its name and value are not shown, in case they \
                 hold a secret). Parameter names",
            ),
            (
                "postgres://u@h/db?passfile=/hunter2",
                "passfile: this libpq parameter is not supported",
            ),
            ("postgres://h/db?password=hun@ter2", "percent-encode"),
            ("postgres://u:hun@ter2@h/db", "percent-encode the `@`"),
            ("postgres://u:hunter2@/db", "it names no host"),
            (
                "host=h password=hunter2 port",
                "setting 3 is not of the form key=value",
            ),
            (
                "host=h password='hunter2",
                "quoted value that is never closed",
            ),
            ("", "it is empty"),
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
    fn key_value_strings_connect_like_urls() {
        let info = ConnInfo::parse(
            &setting("host=127.0.0.1 port=5433 user=u password='p w' dbname=d connect_timeout=3"),
            false,
        )
        .unwrap();
        assert_eq!(info.config.get_ports(), [5433]);
        assert_eq!(info.config.get_password(), Some(&b"p w"[..]));
        assert_eq!(info.connect_timeout, Duration::from_secs(3));
        assert_eq!(info.tls, Tls::Disable);
        assert_eq!(
            info.redacted,
            "host=127.0.0.1 port=5433 user=u password=*** dbname=d connect_timeout=3"
        );
        let remote = ConnInfo::parse(&setting("host=ep-x.neon.tech sslmode=verify-full"), false);
        assert_eq!(remote.unwrap().tls, Tls::VerifyFull);
    }

    #[test]
    fn the_connect_timeout_bounds_every_attempt_and_defaults_to_ten_seconds() {
        let default = ConnInfo::parse(&setting("postgres://u:p@h/db"), false).unwrap();
        assert_eq!(default.connect_timeout, DEFAULT_CONNECT_TIMEOUT);
        let two = ConnInfo::parse(&setting("postgres://u:p@h/db?connect_timeout=2"), false);
        let two = two.unwrap();
        assert_eq!(two.connect_timeout, Duration::from_secs(2));
        assert_eq!(
            two.config.get_connect_timeout(),
            Some(&Duration::from_secs(2))
        );
        assert_eq!(two.redacted, "postgres://u:***@h/db?connect_timeout=2");
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
