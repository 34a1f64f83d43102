//! What a PostgreSQL container is started with: the image, its password and database, where its
//! data lives, and its labels. Throwaway servers (snapshot, rehearse, bench, the tests) keep
//! their data in memory with durability off; `dev`'s keeps it in a named volume.

/// PGDATA of the official image (up to PostgreSQL 17) and of the offline ones.
pub const DATA_DIR: &str = "/var/lib/postgresql/data";

/// Settings for a server whose data may be lost: no fsync, no full page writes. Copying a
/// database for each test, and a seed of 100,000 users, are then quick.
pub const THROWAWAY_SETTINGS: &[&str] = &[
    "fsync=off",
    "synchronous_commit=off",
    "full_page_writes=off",
    "max_connections=300",
];

#[derive(Debug, Clone)]
pub struct Spec {
    pub image: String,
    /// A fixed container name (`dev`'s); `None`: Docker picks one.
    pub name: Option<String>,
    /// The superuser `postgres`'s password.
    pub password: String,
    /// The database created at the first start; `postgres` when `None`.
    pub database: Option<String>,
    /// The host port on 127.0.0.1; `None`: any free one.
    pub port: Option<u16>,
    /// A named volume for the data (it survives the container); `None`: the data is in memory.
    pub volume: Option<String>,
    pub labels: Vec<(String, String)>,
}

impl Spec {
    /// A server that lives for one command: data in memory, durability off, owned by this
    /// process (removed on Ctrl-C, or by the next run if this one is killed).
    pub fn throwaway(image: &str, purpose: &str) -> Spec {
        Spec {
            image: image.to_string(),
            name: None,
            password: random_password(),
            database: None,
            port: None,
            volume: None,
            labels: crate::labels::owned(purpose),
        }
    }

    /// The arguments of `docker run` after `--detach`.
    pub fn run_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        if let Some(name) = &self.name {
            args.extend(["--name".to_string(), name.clone()]);
        }
        let port = self.port.map_or(String::new(), |p| p.to_string());
        args.extend(["--publish".to_string(), format!("127.0.0.1:{port}:5432")]);
        match &self.volume {
            Some(volume) => args.extend(["--volume".to_string(), format!("{volume}:{DATA_DIR}")]),
            None => args.extend(["--tmpfs".to_string(), DATA_DIR.to_string()]),
        }
        args.extend([
            "--env".to_string(),
            format!("POSTGRES_PASSWORD={}", self.password),
        ]);
        if let Some(database) = &self.database {
            args.extend(["--env".to_string(), format!("POSTGRES_DB={database}")]);
        }
        for (key, value) in &self.labels {
            args.extend(["--label".to_string(), format!("{key}={value}")]);
        }
        args.push(self.image.clone());
        if self.volume.is_none() {
            for setting in THROWAWAY_SETTINGS {
                args.extend(["-c".to_string(), setting.to_string()]);
            }
        }
        args
    }
}

/// 128 bits from the standard library's per-process random hash keys: enough for a password
/// that only guards a loopback port for as long as a command runs.
fn random_password() -> String {
    use std::collections::hash_map::RandomState;
    use std::hash::BuildHasher;
    let a = RandomState::new().hash_one(std::process::id());
    let b = RandomState::new().hash_one(std::time::Instant::now());
    format!("{a:016x}{b:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_throwaway_server_keeps_its_data_in_memory_and_says_whose_it_is() {
        let spec = Spec::throwaway("authdb/postgres:17", "snapshot");
        let args = spec.run_args().join(" ");
        assert!(args.contains("--publish 127.0.0.1::5432"), "{args}");
        assert!(args.contains(&format!("--tmpfs {DATA_DIR}")), "{args}");
        assert!(args.contains("--label authdb.purpose=snapshot"), "{args}");
        assert!(
            args.contains(&format!("--label authdb.owner={}", std::process::id())),
            "{args}"
        );
        assert!(args.ends_with("-c max_connections=300"), "{args}");
        assert_eq!(spec.password.len(), 32);
    }
}
