//! The hosts of a connection string, tried one after another as libpq tries them. tokio-postgres
//! walks a multi-host URL itself, but bounds only each TCP connect by `connect_timeout`: a first
//! host that accepts and then says nothing (a hung primary, the case failover exists for) keeps
//! the whole attempt. So each host gets a configuration of its own, and `connect.rs` gives each
//! one `connect_timeout` of its own, then moves to the next, as libpq does.

use std::time::Duration;

use tokio_postgres::Config;
use tokio_postgres::config::{Host, LoadBalanceHosts};

/// One host of the URL, with everything else of the URL.
#[derive(Clone)]
pub(crate) struct Target {
    pub config: Config,
    /// `db.example:5432`, for messages (host names and ports are shown in redacted URLs too).
    pub label: String,
    /// Where a TCP connection to it goes (hostaddr if given, else the host name), for
    /// `identify`; `None` for a Unix socket.
    pub tcp: Option<(String, u16)>,
}

/// libpq's default port.
const DEFAULT_PORT: u16 = 5432;

/// Every host of `config` as a configuration of its own, in the order to try them: as written,
/// or shuffled with `load_balance_hosts=random`.
pub(crate) fn targets(config: &Config, connect_timeout: Duration) -> Vec<Target> {
    let hosts = config.get_hosts();
    let hostaddrs = config.get_hostaddrs();
    let ports = config.get_ports();
    let count = hosts.len().max(hostaddrs.len());
    let mut targets: Vec<Target> = (0..count)
        .map(|i| {
            let mut one = everything_but_the_hosts(config, connect_timeout);
            let port = ports.get(i).or(ports.first()).copied();
            if let Some(port) = port {
                one.port(port);
            }
            let port = port.unwrap_or(DEFAULT_PORT);
            let mut name = None;
            match hosts.get(i) {
                Some(Host::Tcp(host)) => {
                    one.host(host);
                    name = Some(host.clone());
                }
                #[cfg(unix)]
                Some(Host::Unix(path)) => {
                    one.host_path(path);
                }
                None => {}
            }
            let addr = hostaddrs.get(i).map(ToString::to_string);
            if let Some(addr) = hostaddrs.get(i) {
                one.hostaddr(*addr);
            }
            let label = match (hosts.get(i), &addr) {
                (Some(Host::Tcp(host)), _) => format!("{host}:{port}"),
                #[cfg(unix)]
                (Some(Host::Unix(path)), _) => format!("{}:{port}", path.display()),
                (None, Some(addr)) => format!("{addr}:{port}"),
                (None, None) => format!(":{port}"),
            };
            let tcp = addr.or(name).map(|to| (to, port));
            Target {
                config: one,
                label,
                tcp,
            }
        })
        .collect();
    if config.get_load_balance_hosts() == LoadBalanceHosts::Random {
        fastrand::shuffle(&mut targets);
    }
    targets
}

/// A copy of `config` without its hosts, hostaddrs and ports. tokio-postgres has no way to remove
/// a host, so every other setting is copied by hand; the test below compares the result with a
/// single-host URL parsed whole, so a setting added to the driver and missed here fails it.
fn everything_but_the_hosts(config: &Config, connect_timeout: Duration) -> Config {
    let mut one = Config::new();
    if let Some(user) = config.get_user() {
        one.user(user);
    }
    if let Some(password) = config.get_password() {
        one.password(password);
    }
    if let Some(dbname) = config.get_dbname() {
        one.dbname(dbname);
    }
    if let Some(options) = config.get_options() {
        one.options(options);
    }
    if let Some(name) = config.get_application_name() {
        one.application_name(name);
    }
    one.ssl_mode(config.get_ssl_mode())
        .ssl_negotiation(config.get_ssl_negotiation())
        .connect_timeout(connect_timeout)
        .keepalives(config.get_keepalives())
        .keepalives_idle(config.get_keepalives_idle())
        .target_session_attrs(config.get_target_session_attrs())
        .channel_binding(config.get_channel_binding())
        .load_balance_hosts(config.get_load_balance_hosts());
    if let Some(timeout) = config.get_tcp_user_timeout() {
        one.tcp_user_timeout(*timeout);
    }
    if let Some(interval) = config.get_keepalives_interval() {
        one.keepalives_interval(interval);
    }
    if let Some(retries) = config.get_keepalives_retries() {
        one.keepalives_retries(retries);
    }
    one
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conninfo::ConnInfo;
    use crate::environment::Setting;

    fn info(url: &str) -> ConnInfo {
        let setting = Setting {
            value: url.to_string(),
            origin: "the test".into(),
        };
        ConnInfo::parse(&setting, false).unwrap()
    }

    #[test]
    fn each_host_keeps_every_other_setting_of_the_url() {
        let params = "application_name=a&target_session_attrs=read-write&keepalives_idle=7\
                      &keepalives_interval=3&keepalives_retries=2&tcp_user_timeout=9\
                      &channel_binding=require&options=-cstatement_timeout%3D5&sslmode=require";
        let multi = info(&format!(
            "postgres://u:p@first.example:5433,second.example:5434/db?{params}&connect_timeout=4"
        ));
        let targets = targets(&multi.config, multi.connect_timeout);
        assert_eq!(targets.len(), 2);
        for (target, host) in targets
            .iter()
            .zip(["first.example:5433", "second.example:5434"])
        {
            let single = info(&format!(
                "postgres://u:p@{host}/db?{params}&connect_timeout=4"
            ));
            assert!(
                target.config == single.config,
                "{host}: {:?} != {:?}",
                target.config,
                single.config
            );
            assert_eq!(target.label, host);
            let (name, port) = host.split_once(':').unwrap();
            assert_eq!(target.tcp, Some((name.to_string(), port.parse().unwrap())));
        }
    }

    #[test]
    fn one_port_serves_every_host_and_hostaddr_is_where_tcp_goes() {
        let multi =
            info("host=a.example,b.example hostaddr=127.0.0.1,127.0.0.2 port=6000 user=u dbname=d");
        let targets = targets(&multi.config, multi.connect_timeout);
        let labels: Vec<&str> = targets.iter().map(|t| t.label.as_str()).collect();
        assert_eq!(labels, ["a.example:6000", "b.example:6000"]);
        assert_eq!(targets[1].tcp, Some(("127.0.0.2".to_string(), 6000)));
        assert_eq!(targets[1].config.get_hosts().len(), 1);
        assert_eq!(targets[1].config.get_hostaddrs().len(), 1);
    }
}
