//! Why parrot cannot trace in a container: the probe's report and what the
//! engine and the kernel said in, findings per layer out, each with
//! remedies ordered from least to most privilege. Never `--privileged`;
//! `seccomp=unconfined` only last, with its cost.

use serde::Serialize;

use crate::container::{AppliedSeccomp, AppliedSecurity};
use crate::probe::{ProbeReport, StepResult};
use crate::report::{Finding, Status};
use crate::security::{Capability, SecurityOptions};
use crate::selinux::AvcDenial;

/// A layer that can refuse `ptrace`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Layer {
    /// The container's seccomp filter.
    Seccomp,
    /// AppArmor.
    AppArmor,
    /// SELinux.
    Selinux,
    /// The capability set.
    Capabilities,
    /// Yama's `ptrace_scope`.
    Yama,
    /// `no-new-privileges`.
    NoNewPrivileges,
    /// The kernel itself.
    Kernel,
    /// The image's C library.
    CLibrary,
    /// The parrot build in the image.
    ParrotBuild,
}

impl Layer {
    /// The layer's name in check names (`ptrace.seccomp`).
    pub fn as_str(self) -> &'static str {
        match self {
            Layer::Seccomp => "seccomp",
            Layer::AppArmor => "apparmor",
            Layer::Selinux => "selinux",
            Layer::Capabilities => "capabilities",
            Layer::Yama => "yama",
            Layer::NoNewPrivileges => "no_new_privileges",
            Layer::Kernel => "kernel",
            Layer::CLibrary => "c_library",
            Layer::ParrotBuild => "parrot_build",
        }
    }
}

/// A concrete change that may fix a layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum Change {
    /// Use the generated seccomp profile: Docker's default plus the
    /// syscalls parrot needs (the engine side writes the file).
    ParrotSeccompProfile,
    /// Add one capability.
    AddCapability(Capability),
    /// Use the AppArmor profile with this name (Docker's default plus
    /// ptrace among its own processes), installed on the host.
    AppArmorProfile(String),
    /// Set the SELinux label option.
    SelinuxLabel(String),
    /// Switch seccomp off.
    SeccompUnconfined,
    /// Something to change on the host, not in the container's options.
    Host(String),
}

/// A remedy: the change, what it does, and what it costs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Remedy {
    /// The change.
    pub change: Change,
    /// What to do, in words.
    pub summary: String,
    /// What it gives away.
    pub cost: String,
}

impl Remedy {
    /// The security options with this remedy applied to `base`, or `None`
    /// when the remedy is on the host. `seccomp_profile` is where the
    /// generated parrot profile is (for [`Change::ParrotSeccompProfile`]).
    pub fn apply(
        &self,
        base: &SecurityOptions,
        seccomp_profile: &std::path::Path,
    ) -> Option<SecurityOptions> {
        let mut options = base.clone();
        match &self.change {
            Change::ParrotSeccompProfile => {
                options.seccomp = Some(crate::security::SeccompSetting::Profile(
                    seccomp_profile.to_path_buf(),
                ));
            }
            Change::AddCapability(cap) => {
                if !options.cap_add.contains(cap) {
                    options.cap_add.push(cap.clone());
                }
                options.cap_drop.retain(|c| c != cap && c.as_str() != "ALL");
            }
            Change::AppArmorProfile(name) => options.apparmor = Some(name.clone()),
            Change::SelinuxLabel(label) => options.selinux_label = Some(label.clone()),
            Change::SeccompUnconfined => {
                options.seccomp = Some(crate::security::SeccompSetting::Unconfined)
            }
            Change::Host(_) => return None,
        }
        Some(options)
    }
}

/// How a layer was judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// It does not stand in parrot's way.
    Ok,
    /// Worth knowing; parrot may still work.
    Warns,
    /// It refuses what parrot needs.
    Refuses,
}

/// One layer's finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LayerFinding {
    /// The layer.
    pub layer: Layer,
    /// The verdict.
    pub verdict: Verdict,
    /// What the verdict rests on.
    pub evidence: String,
    /// Remedies, least privilege first.
    pub remedies: Vec<Remedy>,
}

impl LayerFinding {
    fn new(layer: Layer, verdict: Verdict, evidence: impl Into<String>) -> Self {
        LayerFinding {
            layer,
            verdict,
            evidence: evidence.into(),
            remedies: Vec::new(),
        }
    }

    fn with(mut self, remedies: Vec<Remedy>) -> Self {
        self.remedies = remedies;
        self
    }

    /// The finding as a doctor's finding (`ptrace.seccomp`).
    pub fn to_finding(&self) -> Finding {
        let status = match self.verdict {
            Verdict::Ok => Status::Ok,
            Verdict::Warns => Status::Warn,
            Verdict::Refuses => Status::Fail,
        };
        let mut finding = Finding::new(
            &format!("ptrace.{}", self.layer.as_str()),
            status,
            self.evidence.clone(),
        );
        if let Some(first) = self.remedies.first() {
            finding.remedy = Some(format!("{} (cost: {})", first.summary, first.cost));
        }
        finding
    }
}

/// Everything the diagnosis reads.
#[derive(Debug, Clone, Copy)]
pub struct Evidence<'a> {
    /// The probe's report from inside the container.
    pub probe: &'a ProbeReport,
    /// What the engine applied to the container, when known.
    pub applied: Option<&'a AppliedSecurity>,
    /// Profiles named by AppArmor ptrace denials logged while the probe ran.
    pub apparmor_ptrace_denials: &'a [String],
    /// SELinux AVC records logged while the probe ran.
    pub selinux_denials: &'a [AvcDenial],
}

fn ptrace_cap() -> Capability {
    "SYS_PTRACE".parse().expect("a known capability")
}

fn has_cap(mask: &str, cap: &Capability) -> bool {
    let bit = cap.bit().unwrap_or(64);
    u64::from_str_radix(mask.trim(), 16).is_ok_and(|m| bit < 64 && m & (1u64 << bit) != 0)
}

fn refused(step: Option<&StepResult>) -> bool {
    step.is_some_and(|s| !s.ok && !s.skipped && s.errno == Some(1))
}

fn describe(step: &StepResult) -> String {
    match (&step.error, step.errno) {
        (Some(error), Some(errno)) => format!("{} failed: {error} (errno {errno})", step.step),
        (Some(error), None) => format!("{} failed: {error}", step.step),
        _ => format!("{} failed", step.step),
    }
}

/// The remedies for a seccomp filter that refuses what parrot needs.
fn seccomp_remedies(add_cap_works: bool) -> Vec<Remedy> {
    let mut remedies = vec![Remedy {
        change: Change::ParrotSeccompProfile,
        summary: "use pcvmfs's seccomp profile: Docker's default plus exactly ptrace, process_vm_readv and process_vm_writev".into(),
        cost: "the container may read and write the memory of processes it can already trace; nothing else the default refuses is allowed".into(),
    }];
    if add_cap_works {
        remedies.push(Remedy {
            change: Change::AddCapability(ptrace_cap()),
            summary: "add the capability: --cap-add SYS_PTRACE".into(),
            cost: "CAP_SYS_PTRACE lets the container's processes trace any process of the container regardless of owner, and makes Docker's default profile allow ptrace-related syscalls (process_vm_*, kcmp) wholesale".into(),
        });
    }
    remedies.push(Remedy {
        change: Change::SeccompUnconfined,
        summary: "last resort: --security-opt seccomp=unconfined".into(),
        cost: "removes every syscall filter: the container may call unshare, mount, keyctl, bpf, kexec_load and all the others Docker's default refuses".into(),
    });
    remedies
}

/// Judges every layer from the evidence.
pub fn diagnose(evidence: &Evidence<'_>) -> Vec<LayerFinding> {
    let probe = evidence.probe;
    let seize = probe.step("seize");
    let readv = probe.step("process_vm_readv");
    let writev = probe.step("process_vm_writev");
    let seize_refused = refused(seize);
    let vm_refused = refused(readv) || refused(writev);
    let cap = ptrace_cap();
    let has_ptrace_cap = has_cap(&probe.identity.cap_eff, &cap);
    let seccomp = evidence.applied.map(|a| &a.seccomp);
    let filtered = probe.identity.seccomp_mode == 2;
    let mut findings = Vec::new();

    // Yama first: scope 3 refuses everything whatever the container asks.
    let scope = probe.kernel.yama_ptrace_scope;
    findings.push(match scope {
        Some(3) => LayerFinding::new(Layer::Yama, Verdict::Refuses, "Yama ptrace_scope is 3: no process may trace until reboot").with(vec![Remedy {
            change: Change::Host("set kernel.yama.ptrace_scope=1 in /etc/sysctl.d/10-ptrace.conf and reboot".into()),
            summary: "allow tracing of children again: kernel.yama.ptrace_scope=1, then reboot (scope 3 cannot be lowered at run time)".into(),
            cost: "processes may trace their own descendants, as on most distributions".into(),
        }]),
        Some(2) if seize_refused && !has_ptrace_cap => LayerFinding::new(
            Layer::Yama,
            Verdict::Refuses,
            "Yama ptrace_scope is 2: only processes with CAP_SYS_PTRACE may trace, and the probe has none",
        )
        .with(vec![
            Remedy {
                change: Change::AddCapability(cap.clone()),
                summary: "add the capability: --cap-add SYS_PTRACE".into(),
                cost: "CAP_SYS_PTRACE lets the container's processes trace any process of the container".into(),
            },
            Remedy {
                change: Change::Host("set kernel.yama.ptrace_scope=1 in /etc/sysctl.d/10-ptrace.conf".into()),
                summary: "lower Yama to scope 1 on the host (sysctl kernel.yama.ptrace_scope=1)".into(),
                cost: "every process on the host may trace its own descendants".into(),
            },
        ]),
        Some(s) => LayerFinding::new(Layer::Yama, Verdict::Ok, format!("Yama ptrace_scope is {s}")),
        None => LayerFinding::new(Layer::Yama, Verdict::Ok, "Yama is not active"),
    });

    // AppArmor: a logged ptrace denial names the profile.
    let label = probe
        .identity
        .apparmor_label
        .as_deref()
        .or(probe.identity.lsm_label.as_deref());
    if let Some(profile) = evidence.apparmor_ptrace_denials.first() {
        findings.push(
            LayerFinding::new(Layer::AppArmor, Verdict::Refuses, format!("AppArmor denied ptrace under profile {profile}"))
                .with(vec![Remedy {
                    change: Change::AppArmorProfile("docker-ptrace".into()),
                    summary: "install the docker-ptrace profile (pcvmfs apparmor install --name docker-ptrace --ptrace) and use --security-opt apparmor=docker-ptrace".into(),
                    cost: "processes of the container may trace each other; every other rule of Docker's default profile stays".into(),
                }]),
        );
    } else if let Some(label) = label.filter(|l| !l.is_empty() && !l.starts_with("unconfined")) {
        findings.push(LayerFinding::new(
            Layer::AppArmor,
            Verdict::Ok,
            format!("confined by {label}; no ptrace denial logged"),
        ));
    }

    // SELinux: a logged AVC ptrace denial that was enforced.
    if let Some(avc) = evidence
        .selinux_denials
        .iter()
        .find(|a| a.is_ptrace() && a.permissive != Some(true))
    {
        let domain = avc.source_type().unwrap_or("the container's domain");
        findings.push(
            LayerFinding::new(
                Layer::Selinux,
                Verdict::Refuses,
                format!("SELinux denied {{ {} }} for {} in {domain} (tclass {})", avc.permissions.join(" "), avc.comm.as_deref().unwrap_or("?"), avc.tclass.as_deref().unwrap_or("?")),
            )
            .with(vec![
                Remedy {
                    change: Change::Host("setsebool -P deny_ptrace off".into()),
                    summary: "let confined domains trace their own processes: setsebool -P deny_ptrace off".into(),
                    cost: "ptrace within a domain is allowed again host-wide, as in the default policy".into(),
                },
                Remedy {
                    change: Change::SelinuxLabel("disable".into()),
                    summary: "last resort: --security-opt label=disable".into(),
                    cost: "the container runs without SELinux separation from other containers".into(),
                },
            ]),
        );
    }

    // Seccomp.
    let seccomp_verdict = if !filtered {
        LayerFinding::new(Layer::Seccomp, Verdict::Ok, "no seccomp filter")
    } else if seize_refused
        && evidence.apparmor_ptrace_denials.is_empty()
        && scope != Some(3)
        && scope != Some(2)
    {
        LayerFinding::new(
            Layer::Seccomp,
            Verdict::Refuses,
            format!(
                "{}; the seccomp filter ({}) refuses ptrace itself",
                describe(seize.expect("refused")),
                seccomp_name(seccomp)
            ),
        )
        .with(seccomp_remedies(false))
    } else if vm_refused {
        let failing = if refused(readv) { readv } else { writev }.expect("refused");
        let default = matches!(seccomp, Some(AppliedSeccomp::Default) | None);
        LayerFinding::new(
            Layer::Seccomp,
            Verdict::Refuses,
            format!(
                "{}: the seccomp filter ({}) refuses parrot's memory access{}",
                describe(failing),
                seccomp_name(seccomp),
                if default && !has_ptrace_cap {
                    " (Docker's default allows process_vm_* only with CAP_SYS_PTRACE)"
                } else {
                    ""
                }
            ),
        )
        .with(seccomp_remedies(default))
    } else {
        LayerFinding::new(
            Layer::Seccomp,
            Verdict::Ok,
            format!(
                "the seccomp filter ({}) lets parrot trace",
                seccomp_name(seccomp)
            ),
        )
    };
    findings.push(seccomp_verdict);

    // Capabilities: informational, since tracing one's own children needs none.
    findings.push(LayerFinding::new(
        Layer::Capabilities,
        Verdict::Ok,
        if has_ptrace_cap {
            "CAP_SYS_PTRACE is effective".to_string()
        } else {
            "CAP_SYS_PTRACE is not effective; parrot does not need it to trace its own children"
                .to_string()
        },
    ));
    findings.push(LayerFinding::new(
        Layer::NoNewPrivileges,
        Verdict::Ok,
        if probe.identity.no_new_privs {
            "no-new-privileges is set; it does not affect ptrace"
        } else {
            "no-new-privileges is not set"
        },
    ));

    // Failures no layer above explains.
    let explained = findings.iter().any(|f| f.verdict == Verdict::Refuses);
    if !probe.ptrace_works() && !explained {
        let failing = probe
            .first_failure()
            .map(describe)
            .unwrap_or_else(|| "a tracer step failed".into());
        findings.push(LayerFinding::new(
            Layer::Kernel,
            Verdict::Refuses,
            format!(
                "{failing}, and no layer pcvmfs can see explains it (check dmesg for LSM denials)"
            ),
        ));
    }

    // The image: its C library and its parrot.
    if let Some(version) = &probe.image.glibc_version {
        let newer = version
            .split('.')
            .map(|p| p.parse::<u32>().unwrap_or(0))
            .collect::<Vec<_>>()
            >= vec![2, 33];
        if newer {
            findings.push(LayerFinding::new(
                Layer::CLibrary,
                Verdict::Warns,
                format!("the image's glibc is {version}: glibc 2.33 and later call fstatat with AT_EMPTY_PATH, which parrot builds before the fix mishandle (the loader fails with 'cannot stat shared object: Error 20')"),
            ).with(vec![Remedy {
                change: Change::Host("use a base image with glibc older than 2.33, or a parrot built from cctools with the fstatat fix".into()),
                summary: "use an older base image or a fixed parrot".into(),
                cost: "none to the container's security".into(),
            }]));
        }
    }
    match &probe.image.parrot {
        None => findings.push(LayerFinding::new(Layer::ParrotBuild, Verdict::Warns, "parrot_run is not on the image's PATH")),
        Some(parrot) if parrot.cvmfs == Some(false) => findings.push(
            LayerFinding::new(Layer::ParrotBuild, Verdict::Refuses, format!("{} has no CVMFS support ('cvmfs is not enabled')", parrot.path)).with(vec![Remedy {
                change: Change::Host("install a parrot built with CVMFS support (cctools configured --with-cvmfs-path)".into()),
                summary: "use a cctools build with CVMFS support".into(),
                cost: "none".into(),
            }]),
        ),
        Some(parrot) => findings.push(LayerFinding::new(Layer::ParrotBuild, Verdict::Ok, format!("{} is on PATH", parrot.path))),
    }
    findings
}

fn seccomp_name(seccomp: Option<&AppliedSeccomp>) -> &'static str {
    match seccomp {
        Some(AppliedSeccomp::Default) => "the engine's default profile",
        Some(AppliedSeccomp::Custom(_)) => "a custom profile",
        Some(AppliedSeccomp::Unconfined) => "none",
        None => "unknown profile",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::{PROBE_SCHEMA, ProbeIdentity, ProbeImage, ProbeKernel, TRACE_STEPS};

    fn probe(failing: Option<(&str, i32)>, cap_eff: &str, yama: Option<u8>) -> ProbeReport {
        let mut failed = false;
        let steps = TRACE_STEPS
            .iter()
            .map(|s| {
                let fails = failing.is_some_and(|(f, _)| f == *s);
                let step = StepResult {
                    step: s.to_string(),
                    ok: !fails && !failed,
                    errno: fails.then(|| failing.unwrap().1),
                    error: fails.then(|| "Operation not permitted".to_string()),
                    skipped: failed,
                };
                failed |= fails && *s == "seize";
                step
            })
            .collect();
        ProbeReport {
            schema: PROBE_SCHEMA,
            identity: ProbeIdentity {
                uid: 1000,
                gid: 1000,
                cap_eff: cap_eff.into(),
                cap_bnd: "00000000a80425fb".into(),
                no_new_privs: false,
                seccomp_mode: 2,
                seccomp_filters: Some(1),
                lsm_label: None,
                apparmor_label: None,
            },
            kernel: ProbeKernel {
                release: "6.1".into(),
                yama_ptrace_scope: yama,
            },
            image: ProbeImage {
                glibc_version: None,
                libc_path: None,
                parrot: None,
            },
            steps,
            restricted: vec![],
        }
    }

    fn applied(seccomp: AppliedSeccomp) -> AppliedSecurity {
        AppliedSecurity {
            privileged: false,
            seccomp,
            apparmor_profile: None,
            cap_add: vec![],
            cap_drop: vec![],
            no_new_privileges: false,
            other_options: vec![],
        }
    }

    fn verdict(findings: &[LayerFinding], layer: Layer) -> Option<Verdict> {
        findings
            .iter()
            .find(|f| f.layer == layer)
            .map(|f| f.verdict)
    }

    #[test]
    fn the_default_profile_refusing_process_vm_readv_blames_seccomp() {
        let p = probe(Some(("process_vm_readv", 1)), "0000000000000000", Some(1));
        let a = applied(AppliedSeccomp::Default);
        let findings = diagnose(&Evidence {
            probe: &p,
            applied: Some(&a),
            apparmor_ptrace_denials: &[],
            selinux_denials: &[],
        });
        let seccomp = findings.iter().find(|f| f.layer == Layer::Seccomp).unwrap();
        assert_eq!(seccomp.verdict, Verdict::Refuses);
        assert!(
            seccomp.evidence.contains("only with CAP_SYS_PTRACE"),
            "{}",
            seccomp.evidence
        );
        let changes: Vec<&Change> = seccomp.remedies.iter().map(|r| &r.change).collect();
        assert_eq!(
            changes,
            [
                &Change::ParrotSeccompProfile,
                &Change::AddCapability(ptrace_cap()),
                &Change::SeccompUnconfined
            ]
        );
        assert_eq!(verdict(&findings, Layer::Yama), Some(Verdict::Ok));
        assert!(!findings.iter().any(|f| f.layer == Layer::Kernel));
    }

    #[test]
    fn a_profile_refusing_ptrace_blames_seccomp_without_the_capability_remedy() {
        let p = probe(Some(("seize", 1)), "00000000a80425fb", None);
        let a = applied(AppliedSeccomp::Custom("{}".into()));
        let findings = diagnose(&Evidence {
            probe: &p,
            applied: Some(&a),
            apparmor_ptrace_denials: &[],
            selinux_denials: &[],
        });
        let seccomp = findings.iter().find(|f| f.layer == Layer::Seccomp).unwrap();
        assert_eq!(seccomp.verdict, Verdict::Refuses);
        assert!(seccomp.evidence.contains("refuses ptrace itself"));
        assert!(
            !seccomp
                .remedies
                .iter()
                .any(|r| matches!(r.change, Change::AddCapability(_)))
        );
        assert_eq!(
            seccomp.remedies.last().unwrap().change,
            Change::SeccompUnconfined
        );
    }

    #[test]
    fn apparmor_selinux_and_yama_are_named_from_canned_evidence() {
        let p = probe(Some(("seize", 1)), "0000000000000000", Some(1));
        let findings = diagnose(&Evidence {
            probe: &p,
            applied: None,
            apparmor_ptrace_denials: &["docker-default".into()],
            selinux_denials: &[],
        });
        let apparmor = findings
            .iter()
            .find(|f| f.layer == Layer::AppArmor)
            .unwrap();
        assert_eq!(apparmor.verdict, Verdict::Refuses);
        assert_eq!(
            apparmor.remedies[0].change,
            Change::AppArmorProfile("docker-ptrace".into())
        );
        assert_eq!(
            verdict(&findings, Layer::Seccomp),
            Some(Verdict::Ok),
            "AppArmor explains it"
        );

        let avc = crate::selinux::parse_avc_line("type=AVC msg=audit(1.2:3): avc:  denied  { ptrace } for  pid=1 comm=\"parrot_run\" scontext=a:b:container_t:s0 tcontext=a:b:container_t:s0 tclass=process permissive=0").unwrap();
        let findings = diagnose(&Evidence {
            probe: &p,
            applied: None,
            apparmor_ptrace_denials: &[],
            selinux_denials: std::slice::from_ref(&avc),
        });
        let selinux = findings.iter().find(|f| f.layer == Layer::Selinux).unwrap();
        assert_eq!(selinux.verdict, Verdict::Refuses);
        assert!(selinux.evidence.contains("container_t"));
        assert_eq!(
            selinux.remedies.last().unwrap().change,
            Change::SelinuxLabel("disable".into())
        );

        let y2 = probe(Some(("seize", 1)), "0000000000000000", Some(2));
        let findings = diagnose(&Evidence {
            probe: &y2,
            applied: None,
            apparmor_ptrace_denials: &[],
            selinux_denials: &[],
        });
        assert_eq!(verdict(&findings, Layer::Yama), Some(Verdict::Refuses));
        assert_eq!(verdict(&findings, Layer::Seccomp), Some(Verdict::Ok));
        let y3 = probe(Some(("seize", 1)), "00000000a80425fb", Some(3));
        let findings = diagnose(&Evidence {
            probe: &y3,
            applied: None,
            apparmor_ptrace_denials: &[],
            selinux_denials: &[],
        });
        let yama = findings.iter().find(|f| f.layer == Layer::Yama).unwrap();
        assert_eq!(yama.verdict, Verdict::Refuses);
        assert!(matches!(yama.remedies[0].change, Change::Host(_)));
    }

    #[test]
    fn a_working_probe_refuses_nothing_and_remedies_apply() {
        let p = probe(None, "0000000000000000", Some(1));
        let findings = diagnose(&Evidence {
            probe: &p,
            applied: Some(&applied(AppliedSeccomp::Default)),
            apparmor_ptrace_denials: &[],
            selinux_denials: &[],
        });
        assert!(
            findings.iter().all(|f| f.verdict != Verdict::Refuses),
            "{findings:?}"
        );
        let base = SecurityOptions {
            cap_drop: vec!["ALL".parse().unwrap()],
            ..Default::default()
        };
        let remedies = seccomp_remedies(true);
        let path = std::path::Path::new("/etc/pcvmfs/parrot.json");
        let with_profile = remedies[0].apply(&base, path).unwrap();
        assert_eq!(
            with_profile.seccomp,
            Some(crate::security::SeccompSetting::Profile(path.into()))
        );
        let with_cap = remedies[1].apply(&base, path).unwrap();
        assert_eq!(with_cap.cap_add, [ptrace_cap()]);
        assert!(
            with_cap.cap_drop.is_empty(),
            "dropping ALL would drop the added capability again"
        );
        assert_eq!(
            Remedy {
                change: Change::Host("x".into()),
                summary: String::new(),
                cost: String::new()
            }
            .apply(&base, path),
            None
        );
    }

    #[test]
    fn unexplained_failures_are_reported_and_new_glibc_warns() {
        let mut p = probe(Some(("follow_exec", 13)), "0000000000000000", None);
        p.identity.seccomp_mode = 0;
        p.image.glibc_version = Some("2.34".into());
        let findings = diagnose(&Evidence {
            probe: &p,
            applied: None,
            apparmor_ptrace_denials: &[],
            selinux_denials: &[],
        });
        assert_eq!(verdict(&findings, Layer::Kernel), Some(Verdict::Refuses));
        assert_eq!(verdict(&findings, Layer::CLibrary), Some(Verdict::Warns));
        p.image.glibc_version = Some("2.17".into());
        let findings = diagnose(&Evidence {
            probe: &p,
            applied: None,
            apparmor_ptrace_denials: &[],
            selinux_denials: &[],
        });
        assert_eq!(verdict(&findings, Layer::CLibrary), None);
    }
}
