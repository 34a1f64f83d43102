//! Ctrl-C (SIGINT) and SIGTERM leave nothing behind: the containers a run registers are removed
//! before the process ends the way the signal says. What a run killed outright (SIGKILL, a power
//! cut) left is removed by the next run's [`sweep`], which says so.

use std::collections::BTreeSet;
use std::sync::{Mutex, Once};

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use crate::Result;
use crate::docker::{Docker, Listed, remove_containers};
use crate::labels::{OWNER, alive};

static REGISTERED: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
static HANDLER: Once = Once::new();

/// Removes `container` if this process is interrupted before [`forget`] is called for it.
pub fn remove_on_interrupt(container: &str) {
    HANDLER.call_once(install);
    lock().insert(container.to_string());
}

/// The container is removed (or kept on purpose) by its owner: no longer the handler's.
pub fn forget(container: &str) {
    lock().remove(container);
}

fn lock() -> std::sync::MutexGuard<'static, BTreeSet<String>> {
    REGISTERED.lock().unwrap_or_else(|e| e.into_inner())
}

fn install() {
    let Ok(mut signals) = Signals::new([SIGINT, SIGTERM]) else {
        return; // No handler: the next run's sweep still removes what is left.
    };
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            let containers: Vec<String> = std::mem::take(&mut *lock()).into_iter().collect();
            remove_containers(&containers);
            let _ = signal_hook::low_level::emulate_default_handler(signal);
        }
    });
}

/// Removes the labelled containers whose owning process is gone, and says so through `say`;
/// returns what it removed.
pub fn sweep(docker: &Docker, say: &mut dyn FnMut(&str)) -> Result<Vec<Listed>> {
    let stale: Vec<Listed> = docker
        .list(OWNER)?
        .into_iter()
        .filter(|c| c.label(OWNER).is_some_and(|pid| !alive(pid)))
        .collect();
    if !stale.is_empty() {
        let ids: Vec<String> = stale.iter().map(|c| c.id.clone()).collect();
        docker.remove(&ids);
        let names: Vec<&str> = stale.iter().map(|c| c.name.as_str()).collect();
        say(&format!(
            "removed {} container(s) left by interrupted runs: {}",
            stale.len(),
            names.join(", ")
        ));
    }
    Ok(stale)
}
