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

fn main() -> ExitCode {
    let status = match std::fs::read_to_string("/proc/self/status") {
        Ok(text) => text,
        Err(err) => {
            eprintln!("pcvmfs-probe: cannot read /proc/self/status: {err}");
            return ExitCode::FAILURE;
        }
    };
    let mut report = serde_json::Map::new();
    for line in status.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        if let Some((_, name)) = STATUS_FIELDS.iter().find(|(k, _)| *k == key) {
            // Uid and Gid list real, effective, saved and filesystem ids;
            // the effective one is what decides.
            let value = value
                .split_whitespace()
                .nth(if key == "Uid" || key == "Gid" { 1 } else { 0 });
            report.insert(name.to_string(), value.unwrap_or("").into());
        }
    }
    println!("{}", serde_json::Value::Object(report));
    ExitCode::SUCCESS
}
