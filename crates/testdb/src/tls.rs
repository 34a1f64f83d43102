//! A PostgreSQL server with TLS on, for the tests of what `sslmode` promises (Neon always uses
//! TLS). Its certificate names `localhost` only and is signed by a CA made afresh for each test
//! binary; a second CA, which signed nothing, stands for a CA this machine does not trust.
//! Passwords are checked with SCRAM, so `channel_binding=require` can be tested too.
//!
//! PostgreSQL refuses a private key that others may read or that belongs to anyone but itself
//! or root. The key is copied into `/run/postgresql` with mode 0600 before the container starts;
//! the entrypoint (the official image's and the offline image's alike) runs as root first and
//! hands everything in that directory to the postgres user, as it must for its socket directory.

use std::path::PathBuf;
use std::sync::OnceLock;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
};
use testcontainers::runners::SyncRunner;
use testcontainers::{Container, CopyTargetOptions, ImageExt};
use testcontainers_modules::postgres::Postgres;

use crate::cleanup;

/// The only host name in the server's certificate.
pub const CERT_HOST: &str = "localhost";
/// The superuser `postgres`'s password.
pub const PASSWORD: &str = "postgres";

pub struct TlsServer {
    _container: Container<Postgres>,
    /// The port on this machine.
    pub port: u16,
    /// The CA that signed the server's certificate (PEM).
    pub ca: PathBuf,
    /// A CA that signed nothing here (PEM).
    pub unknown_ca: PathBuf,
}

/// A failed start is kept too, so that every test fails at once with its reason.
static SERVER: OnceLock<Result<TlsServer, String>> = OnceLock::new();

/// The server, started on first use. Panics with advice when it cannot start: a TLS test that
/// cannot reach its server must fail, never pass by skipping.
pub fn tls_server() -> &'static TlsServer {
    let started = SERVER.get_or_init(|| {
        // testcontainers' blocking runner must not start inside a test's runtime.
        std::thread::spawn(start)
            .join()
            .expect("the TLS server's start thread panicked")
    });
    started
        .as_ref()
        .unwrap_or_else(|message| panic!("{message}"))
}

impl TlsServer {
    /// A URL for the database `postgres` as the superuser, `host` as given, and `params` as the
    /// query string.
    pub fn url(&self, host: &str, params: &str) -> String {
        // The port is the one Docker published on IPv4; where `localhost` resolves to ::1 first
        // (Debian's /etc/hosts), Docker 20.10 can give IPv6 another port, another container's.
        // `hostaddr` sends the connection to IPv4 and keeps the name for the certificate.
        let params = match host == CERT_HOST && !params.contains("hostaddr=") {
            true => format!("hostaddr=127.0.0.1&{params}"),
            false => params.to_string(),
        };
        format!(
            "postgres://postgres:{PASSWORD}@{host}:{}/postgres?{params}",
            self.port
        )
    }
}

/// A CA, and a certificate for [`CERT_HOST`] signed by it.
struct Certificates {
    ca: String,
    unknown_ca: String,
    server_cert: String,
    server_key: String,
}

fn certificates() -> Certificates {
    let (ca_params, ca_key) = new_ca("authdb test CA");
    let ca = ca_params.self_signed(&ca_key).expect("self-signing the CA");
    let issuer = Issuer::new(ca_params, ca_key);

    let server_key = KeyPair::generate().expect("generating the server key");
    let mut server_params =
        CertificateParams::new(vec![CERT_HOST.to_string()]).expect("server parameters");
    server_params.distinguished_name = name(CERT_HOST);
    let server_cert = server_params
        .signed_by(&server_key, &issuer)
        .expect("signing the server certificate");

    let (other_params, other_key) = new_ca("authdb unknown CA");
    let unknown_ca = other_params
        .self_signed(&other_key)
        .expect("self-signing the other CA");

    Certificates {
        ca: ca.pem(),
        unknown_ca: unknown_ca.pem(),
        server_cert: server_cert.pem(),
        server_key: server_key.serialize_pem(),
    }
}

/// Each certificate needs a name of its own: with rcgen's default, the same for all, OpenSSL
/// would take the server's certificate for a self-signed one.
fn name(common_name: &str) -> DistinguishedName {
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, common_name);
    name
}

fn new_ca(common_name: &str) -> (CertificateParams, KeyPair) {
    let key = KeyPair::generate().expect("generating a CA key");
    let mut params = CertificateParams::new(Vec::new()).expect("CA parameters");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name = name(common_name);
    (params, key)
}

fn start() -> Result<TlsServer, String> {
    let certs = certificates();
    let dir = std::env::temp_dir().join(format!("authdb-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("creating the certificates' folder");
    cleanup::remove_dir_at_exit(dir.clone());
    let ca = dir.join("ca.pem");
    let unknown_ca = dir.join("unknown-ca.pem");
    std::fs::write(&ca, &certs.ca).expect("writing the CA");
    std::fs::write(&unknown_ca, &certs.unknown_ca).expect("writing the other CA");

    let image = crate::image();
    let settings = [
        "ssl=on",
        "ssl_cert_file=/run/postgresql/server.crt",
        "ssl_key_file=/run/postgresql/server.key",
    ];
    let container = crate::container::postgres("tls", &settings)
        .with_env_var("POSTGRES_PASSWORD", PASSWORD)
        // The official image's default too, but said here: channel binding needs SCRAM.
        .with_env_var("POSTGRES_HOST_AUTH_METHOD", "scram-sha-256")
        .with_copy_to(
            CopyTargetOptions::new("/run/postgresql/server.crt").with_mode(0o644),
            certs.server_cert.into_bytes(),
        )
        .with_copy_to(
            CopyTargetOptions::new("/run/postgresql/server.key").with_mode(0o600),
            certs.server_key.into_bytes(),
        )
        .start()
        .map_err(|e| {
            format!(
                "cannot start PostgreSQL with TLS from image {image}: {e}. Is Docker running? \
                 Without a registry, run `cargo xtask test-db`, which builds the offline image"
            )
        })?;
    cleanup::remove_container_at_exit(container.id());
    let port = container.get_host_port_ipv4(5432).expect("container port");
    Ok(TlsServer {
        _container: container,
        port,
        ca,
        unknown_ca,
    })
}
