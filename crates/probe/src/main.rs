//! `pcvmfs-probe`: run inside a container, it reports the security state of
//! its own process (ids, capabilities, seccomp, `no_new_privs`) as one JSON
//! document on standard output. The ptrace steps parrot needs come with the
//! ptrace-readiness issue.

use std::process::ExitCode;

/// The `/proc/self/status` fields the probe reports, with their JSON names.
const STATUS_FIELDS: &[(&str, &str)] = &[
    ("Uid", "uid"),
    ("Gid", "gid"),
    ("CapEff", "cap_eff"),
    ("CapBnd", "cap_bnd"),
    ("NoNewPrivs", "no_new_privs"),
    ("Seccomp", "seccomp_mode"),
    ("Seccomp_filters", "seccomp_filters"),
];

/// The reported fields of a `/proc/PID/status` text.
fn identity(status: &str) -> serde_json::Map<String, serde_json::Value> {
    let mut report = serde_json::Map::new();
    for line in status.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        if let Some((_, name)) = STATUS_FIELDS.iter().find(|(k, _)| *k == key) {
            // Uid and Gid list real, effective, saved and filesystem ids;
            // the effective one is what decides.
            let index = if key == "Uid" || key == "Gid" { 1 } else { 0 };
            let value = value.split_whitespace().nth(index).unwrap_or("");
            report.insert(name.to_string(), value.into());
        }
    }
    report
}

fn main() -> ExitCode {
    match std::fs::read_to_string("/proc/self/status") {
        Ok(status) => {
            println!("{}", serde_json::Value::Object(identity(&status)));
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("pcvmfs-probe: cannot read /proc/self/status: {err}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_effective_ids_and_security_fields_are_reported() {
        let status = "Name:\tsh\nUid:\t1000\t1001\t1002\t1003\nGid:\t50\t51\t52\t53\n\
                      CapEff:\t0000000000000000\nCapBnd:\t00000000a80425fb\nNoNewPrivs:\t1\n\
                      Seccomp:\t2\nSeccomp_filters:\t1\nbroken line\n";
        let report = identity(status);
        assert_eq!(report["uid"], "1001");
        assert_eq!(report["gid"], "51");
        assert_eq!(report["cap_bnd"], "00000000a80425fb");
        assert_eq!(report["no_new_privs"], "1");
        assert_eq!(report["seccomp_mode"], "2");
        assert_eq!(report["seccomp_filters"], "1");
        assert!(!report.contains_key("name"));
    }

    #[test]
    fn this_process_is_reported() {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let report = identity(&status);
        // SAFETY: geteuid has no preconditions.
        let euid = unsafe { libc_geteuid() };
        assert_eq!(report["uid"], euid.to_string());
    }

    unsafe extern "C" {
        #[link_name = "geteuid"]
        fn libc_geteuid() -> u32;
    }
}
