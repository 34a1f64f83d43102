//! Which PostgreSQL image, named once: the official image where a registry supplies it, the
//! offline images built from Debian's packages where none does, and `AUTHDB_POSTGRES_IMAGE` to
//! choose. Names are read as Docker reads them, so `registry:5000/postgres` (a registry's port,
//! no tag) and `postgres@sha256:...` (a digest) are not mistaken for a tag.

use std::fmt;
use std::str::FromStr;

use crate::{Docker, Error, Result, offline};

/// What a machine with a registry runs.
pub const OFFICIAL: &str = "postgres:17-alpine";
/// PostgreSQL 17 from Debian's packages, for machines without a registry.
pub const OFFLINE: &str = "authdb/postgres:17";
/// PostgreSQL 15 from Debian 12's packages: a second major version where no registry answers.
pub const OFFLINE_15: &str = "authdb/postgres:15";
/// The tests' PgBouncer in transaction mode (no registry has an official one).
pub const PGBOUNCER: &str = "authdb/pgbouncer:1";
/// The variable that picks the PostgreSQL image of the tests and of every throwaway server.
pub const VARIABLE: &str = "AUTHDB_POSTGRES_IMAGE";

/// An image reference: `[registry[:port]/]repository[:tag][@digest]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageName {
    /// `registry.example.com:5000`, when the first component names a host.
    pub registry: Option<String>,
    /// `library/postgres`, `authdb/postgres`.
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

impl ImageName {
    /// The name without tag or digest: what testcontainers calls the image's name.
    pub fn name(&self) -> String {
        match &self.registry {
            Some(registry) => format!("{registry}/{}", self.repository),
            None => self.repository.clone(),
        }
    }

    /// The tag, or the digest (`sha256:...`) when there is no tag, or `latest`.
    pub fn tag_or_digest(&self) -> String {
        self.tag
            .clone()
            .or_else(|| self.digest.clone())
            .unwrap_or_else(|| "latest".to_string())
    }
}

impl FromStr for ImageName {
    type Err = Error;

    fn from_str(text: &str) -> Result<ImageName> {
        let bad = || Error::BadImageName(text.to_string());
        let (rest, digest) = match text.split_once('@') {
            Some((rest, digest)) if !digest.is_empty() => (rest, Some(digest.to_string())),
            Some(_) => return Err(bad()),
            None => (text, None),
        };
        // A first component with a dot or a port, or `localhost`, is a registry.
        let (registry, path) = match rest.split_once('/') {
            Some((first, path))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (Some(first.to_string()), path)
            }
            _ => (None, rest),
        };
        // A tag can only follow the last path component.
        let (repository, tag) = match path.rsplit_once(':') {
            Some((repository, tag)) if !tag.contains('/') => (repository, Some(tag.to_string())),
            _ => (path, None),
        };
        let valid = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-/".contains(c))
        };
        if !valid(repository) || tag.as_deref().is_some_and(|t| !valid(t)) {
            return Err(bad());
        }
        Ok(ImageName {
            registry,
            repository: repository.to_string(),
            tag,
            digest,
        })
    }
}

impl fmt::Display for ImageName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

/// The image `AUTHDB_POSTGRES_IMAGE` asks for, if it is set.
pub fn requested() -> Option<String> {
    std::env::var(VARIABLE).ok().filter(|s| !s.is_empty())
}

/// The PostgreSQL image to run: the one `AUTHDB_POSTGRES_IMAGE` names (built if it is one of the
/// offline images), else the official image if it is here or can be pulled, else the offline
/// image, built from Debian's packages if missing. `say` hears what was decided and why.
pub fn choose(docker: &Docker, say: &mut dyn FnMut(&str)) -> Result<String> {
    if let Some(image) = requested() {
        image.parse::<ImageName>()?;
        if !offline::ensure(docker, &image, say)? && !docker.has_or_pulls(&image) {
            return Err(Error::ImageUnavailable {
                variable: VARIABLE.to_string(),
                image,
            });
        }
        return Ok(image);
    }
    if docker.has_or_pulls(OFFICIAL) {
        return Ok(OFFICIAL.to_string());
    }
    say(&format!(
        "{OFFICIAL} is not here and no registry supplies it: using the offline image {OFFLINE}"
    ));
    offline::ensure(docker, OFFLINE, say)?;
    Ok(OFFLINE.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(text: &str) -> (Option<String>, String, Option<String>, Option<String>) {
        let image: ImageName = text.parse().unwrap();
        assert_eq!(image.to_string(), text, "round trip");
        (image.registry, image.repository, image.tag, image.digest)
    }

    #[test]
    fn names_are_read_as_docker_reads_them() {
        assert_eq!(
            parts("postgres:17-alpine"),
            (None, "postgres".into(), Some("17-alpine".into()), None)
        );
        assert_eq!(
            parts("registry:5000/postgres"),
            (Some("registry:5000".into()), "postgres".into(), None, None)
        );
        assert_eq!(
            parts("registry.example.com:5000/team/postgres:16"),
            (
                Some("registry.example.com:5000".into()),
                "team/postgres".into(),
                Some("16".into()),
                None
            )
        );
        let digest = "sha256:0123abcd";
        assert_eq!(
            parts(&format!("postgres@{digest}")),
            (None, "postgres".into(), None, Some(digest.into()))
        );
        assert_eq!(
            parts("localhost/pg"),
            (Some("localhost".into()), "pg".into(), None, None)
        );
        let image: ImageName = "registry:5000/postgres".parse().unwrap();
        assert_eq!(
            (image.name(), image.tag_or_digest()),
            ("registry:5000/postgres".into(), "latest".into())
        );
    }

    #[test]
    fn what_is_not_a_name_is_refused() {
        for bad in ["", "postgres:", "post gres", "postgres@", "UPPER:1 x"] {
            assert!(bad.parse::<ImageName>().is_err(), "{bad:?}");
        }
    }
}
