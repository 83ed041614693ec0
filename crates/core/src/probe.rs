//! The schema of the in-container probe's report: what the process is
//! (ids, capabilities, seccomp, LSM label), the kernel's and the image's
//! facts, and the result of each step parrot's tracer takes.

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// The version of this schema; a report of another version is refused.
pub const PROBE_SCHEMA: u32 = 1;

/// The steps of parrot's tracer the probe tries, in order.
pub const TRACE_STEPS: &[&str] = &[
    "fork",
    "seize",
    "interrupt",
    "process_vm_readv",
    "process_vm_writev",
    "peekdata",
    "pokedata",
    "follow_fork",
    "follow_exec",
    "kill_and_reap",
];

/// Syscalls that Docker's default seccomp profile refuses, tried by the
/// probe when it runs as root to show that a profile still refuses them.
pub const RESTRICTED_SYSCALLS: &[&str] =
    &["unshare", "mount", "keyctl", "add_key", "bpf", "kexec_load"];

/// The result of one step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepResult {
    /// The step (one of [`TRACE_STEPS`] or [`RESTRICTED_SYSCALLS`]).
    pub step: String,
    /// Whether it worked.
    pub ok: bool,
    /// The errno when it failed with one.
    pub errno: Option<i32>,
    /// The error in words (`Operation not permitted`), or what went wrong.
    pub error: Option<String>,
    /// Whether the step was not tried because an earlier one failed.
    #[serde(default)]
    pub skipped: bool,
}

/// What the probe process is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeIdentity {
    /// The effective user id.
    pub uid: u32,
    /// The effective group id.
    pub gid: u32,
    /// Effective capabilities, as the hexadecimal mask of `/proc/self/status`.
    pub cap_eff: String,
    /// The bounding set, likewise.
    pub cap_bnd: String,
    /// `NoNewPrivs`.
    pub no_new_privs: bool,
    /// `Seccomp`: 0 none, 1 strict, 2 filter.
    pub seccomp_mode: u8,
    /// `Seccomp_filters`, when the kernel reports it.
    pub seccomp_filters: Option<u32>,
    /// `/proc/self/attr/current` (SELinux context or AppArmor label).
    pub lsm_label: Option<String>,
    /// `/proc/self/attr/apparmor/current`, on kernels that have it.
    pub apparmor_label: Option<String>,
}

/// Facts of the kernel as seen from the container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeKernel {
    /// The kernel release.
    pub release: String,
    /// Yama's `ptrace_scope`, when Yama is active.
    pub yama_ptrace_scope: Option<u8>,
}

/// The parrot build the image holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeParrot {
    /// Where `parrot_run` was found on `PATH`.
    pub path: String,
    /// Whether `parrot_run --check-driver cvmfs` said CVMFS is enabled
    /// (`None` when it could not be run).
    pub cvmfs: Option<bool>,
}

/// Facts of the image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeImage {
    /// The C library's version (`2.36`), read from `libc.so.6`.
    pub glibc_version: Option<String>,
    /// Where that library is.
    pub libc_path: Option<String>,
    /// `parrot_run`, when it is on `PATH`.
    pub parrot: Option<ProbeParrot>,
}

/// The probe's whole report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeReport {
    /// [`PROBE_SCHEMA`].
    pub schema: u32,
    /// What the process is.
    pub identity: ProbeIdentity,
    /// The kernel.
    pub kernel: ProbeKernel,
    /// The image.
    pub image: ProbeImage,
    /// The tracer's steps, in order.
    pub steps: Vec<StepResult>,
    /// The restricted syscalls tried (as root only), in order. For these,
    /// `ok` means the kernel let the call through (any result but `EPERM`);
    /// a refused call has `ok: false` and errno 1.
    pub restricted: Vec<StepResult>,
}

impl ProbeReport {
    /// Reads a report, refusing another schema version.
    pub fn from_json(text: &str) -> Result<ProbeReport, Error> {
        let report: ProbeReport = serde_json::from_str(text).map_err(|e| {
            Error::parse("probe report", text, format!("is not a probe report: {e}"))
        })?;
        if report.schema != PROBE_SCHEMA {
            return Err(Error::parse(
                "probe report",
                text,
                format!(
                    "has schema {}; this pcvmfs reads schema {PROBE_SCHEMA}",
                    report.schema
                ),
            ));
        }
        Ok(report)
    }

    /// The step with this name.
    pub fn step(&self, name: &str) -> Option<&StepResult> {
        self.steps
            .iter()
            .chain(&self.restricted)
            .find(|s| s.step == name)
    }

    /// Whether every tracer step worked: parrot can trace here.
    pub fn ptrace_works(&self) -> bool {
        !self.steps.is_empty() && self.steps.iter().all(|s| s.ok)
    }

    /// The first tracer step that failed (not skipped).
    pub fn first_failure(&self) -> Option<&StepResult> {
        self.steps.iter().find(|s| !s.ok && !s.skipped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ProbeReport {
        ProbeReport {
            schema: PROBE_SCHEMA,
            identity: ProbeIdentity {
                uid: 1000,
                gid: 1000,
                cap_eff: "0000000000000000".into(),
                cap_bnd: "00000000a80425fb".into(),
                no_new_privs: false,
                seccomp_mode: 2,
                seccomp_filters: Some(1),
                lsm_label: None,
                apparmor_label: None,
            },
            kernel: ProbeKernel {
                release: "6.1.0".into(),
                yama_ptrace_scope: Some(1),
            },
            image: ProbeImage {
                glibc_version: None,
                libc_path: None,
                parrot: None,
            },
            steps: TRACE_STEPS
                .iter()
                .map(|s| StepResult {
                    step: s.to_string(),
                    ok: true,
                    errno: None,
                    error: None,
                    skipped: false,
                })
                .collect(),
            restricted: Vec::new(),
        }
    }

    #[test]
    fn reports_round_trip_and_other_schemas_are_refused() {
        let report = sample();
        let text = serde_json::to_string(&report).unwrap();
        assert_eq!(ProbeReport::from_json(&text).unwrap(), report);
        assert!(report.ptrace_works());
        let other = text.replace("\"schema\":1", "\"schema\":2");
        assert!(
            ProbeReport::from_json(&other)
                .unwrap_err()
                .to_string()
                .contains("schema 2")
        );
        assert!(ProbeReport::from_json("not json").is_err());
        let mut failing = report;
        failing.steps[3].ok = false;
        failing.steps[3].errno = Some(1);
        assert!(!failing.ptrace_works());
        assert_eq!(failing.first_failure().unwrap().step, "process_vm_readv");
    }
}
