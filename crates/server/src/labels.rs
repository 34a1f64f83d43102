//! Every container and volume the tools create says whose it is: the purpose, and the process
//! that owns it. What an interrupted run left behind is then found by label, and a container of a
//! process that is gone is removed by the next run, never one of a process still alive.

/// `test`, `snapshot`, `bench`, `rehearse`, `dev`, `pooler`.
pub const PURPOSE: &str = "authdb.purpose";
/// The id of the process that owns a throwaway container; absent on `dev`'s, which outlives it.
pub const OWNER: &str = "authdb.owner";

/// The labels of a container this process owns, as `docker run --label` arguments want them.
pub fn owned(purpose: &str) -> Vec<(String, String)> {
    vec![
        (PURPOSE.to_string(), purpose.to_string()),
        (OWNER.to_string(), std::process::id().to_string()),
    ]
}

/// Whether a process with this id is alive (on this machine: containers are local).
pub fn alive(pid: &str) -> bool {
    let Ok(pid) = pid.parse::<libc::pid_t>() else {
        return false;
    };
    if pid <= 0 {
        return false;
    }
    // Signal 0 checks existence; EPERM means it exists but is someone else's.
    let result = unsafe { libc::kill(pid, 0) };
    result == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_a_finished_one_is_not() {
        assert!(alive(&std::process::id().to_string()));
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id().to_string();
        child.wait().unwrap();
        assert!(!alive(&pid));
        assert!(!alive("not a pid") && !alive("0") && !alive("-1"));
    }
}
