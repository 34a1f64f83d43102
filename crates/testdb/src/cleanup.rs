//! Containers and files that must not outlive the test binary. Servers live in statics, which
//! are never dropped, so testcontainers' own clean-up never runs: what is registered here is
//! removed when the process exits.

use std::path::PathBuf;
use std::sync::Mutex;

static CONTAINERS: Mutex<Vec<String>> = Mutex::new(Vec::new());
static DIRS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

pub(crate) fn remove_container_at_exit(id: &str) {
    CONTAINERS.lock().unwrap().push(id.to_string());
}

pub(crate) fn remove_dir_at_exit(dir: PathBuf) {
    DIRS.lock().unwrap().push(dir);
}

#[dtor::dtor(unsafe)]
fn remove_all() {
    let ids = std::mem::take(&mut *CONTAINERS.lock().unwrap_or_else(|e| e.into_inner()));
    authdb_server::docker::remove_containers(&ids);
    for dir in DIRS.lock().unwrap_or_else(|e| e.into_inner()).drain(..) {
        let _ = std::fs::remove_dir_all(dir);
    }
}
