//! ptrace readiness: run the probe in a container, gather what the engine
//! and the kernel say, diagnose, and try each remedy in a fresh container
//! until one passes, so that the recommendation is verified, not guessed.

use std::path::{Path, PathBuf};
use std::time::Duration;

use bollard::query_parameters::UploadToContainerOptionsBuilder;
use pcvmfs_core::diagnosis::{Change, Evidence, LayerFinding, Remedy, Verdict, diagnose};
use pcvmfs_core::{
    AppliedSecurity, ContainerSpec, ExecSpec, ExecStream, ProbeReport, SecurityOptions,
};
use serde::Serialize;

use crate::connect::DockerEngine;
use crate::error::{Error, Result};
use crate::scratch_container::ScratchContainer;

/// Where the probe lands in the container.
pub(crate) const PROBE_IN_CONTAINER: &str = "/.pcvmfs-probe";

/// How long the probe may take inside the container.
const PROBE_TIMEOUT: Duration = Duration::from_secs(60);

/// The file name of the generated parrot seccomp profile.
pub const PARROT_PROFILE_FILE: &str = "pcvmfs-parrot-seccomp.json";

/// The statically linked probe binary to copy into containers.
#[derive(Debug, Clone)]
pub struct ProbeBinary {
    path: PathBuf,
    bytes: Vec<u8>,
}

impl ProbeBinary {
    /// The probe at `path`.
    pub fn at(path: impl Into<PathBuf>) -> Result<ProbeBinary> {
        let path = path.into();
        let bytes = std::fs::read(&path).map_err(|source| Error::Io {
            what: "cannot read the probe binary",
            path: path.display().to_string(),
            source,
        })?;
        if !bytes.starts_with(b"\x7fELF") {
            return Err(Error::Io {
                what: "the probe is not an ELF executable",
                path: path.display().to_string(),
                source: std::io::Error::from(std::io::ErrorKind::InvalidData),
            });
        }
        Ok(ProbeBinary { path, bytes })
    }

    /// The probe named by `PCVMFS_PROBE`.
    pub fn from_env() -> Result<ProbeBinary> {
        match std::env::var_os("PCVMFS_PROBE") {
            Some(path) => ProbeBinary::at(PathBuf::from(path)),
            None => Err(Error::Io {
                what: "no probe binary: build it (scripts/doctor.sh and scripts/test.sh do) and set PCVMFS_PROBE to",
                path: "its path".into(),
                source: std::io::Error::from(std::io::ErrorKind::NotFound),
            }),
        }
    }

    /// Where it was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn archive(&self) -> Result<Vec<u8>> {
        let mut header = tar::Header::new_gnu();
        header.set_size(self.bytes.len() as u64);
        header.set_mode(0o755);
        header.set_cksum();
        let mut builder = tar::Builder::new(Vec::new());
        builder
            .append_data(
                &mut header,
                PROBE_IN_CONTAINER.trim_start_matches('/'),
                self.bytes.as_slice(),
            )
            .and_then(|()| builder.finish())
            .map_err(|source| Error::Io {
                what: "cannot pack the probe",
                path: self.path.display().to_string(),
                source,
            })?;
        builder.into_inner().map_err(|source| Error::Io {
            what: "cannot pack the probe",
            path: self.path.display().to_string(),
            source,
        })
    }
}

/// One run of the probe: its report and what the engine applied.
#[derive(Debug, Clone, Serialize)]
pub struct ProbeRun {
    /// The security options asked for.
    pub security: SecurityOptions,
    /// What the engine applied.
    pub applied: AppliedSecurity,
    /// The probe's report.
    pub report: ProbeReport,
    /// AppArmor ptrace denials logged while it ran (profile names).
    pub apparmor_ptrace_denials: Vec<String>,
    /// SELinux records logged while it ran.
    pub selinux_denials: Vec<pcvmfs_core::selinux::AvcDenial>,
}

/// A remedy tried in a fresh container.
#[derive(Debug, Clone, Serialize)]
pub struct RemedyAttempt {
    /// The remedy.
    pub remedy: Remedy,
    /// The options it gave; `None` for a remedy on the host.
    pub security: Option<SecurityOptions>,
    /// Whether the probe passed with it.
    pub passed: bool,
    /// Why it was not tried, or what went wrong.
    pub note: Option<String>,
}

/// The verdict of a readiness check.
#[derive(Debug, Clone, Serialize)]
pub struct Readiness {
    /// The image checked.
    pub image: String,
    /// The user the probe ran as.
    pub user: Option<String>,
    /// The run with the options given.
    pub given: ProbeRun,
    /// The diagnosis of that run.
    pub findings: Vec<LayerFinding>,
    /// Whether parrot can trace with the options given.
    pub ptrace_ready: bool,
    /// The remedies tried, in order.
    pub attempts: Vec<RemedyAttempt>,
    /// The options that passed: the given ones, or the first verified remedy.
    pub recommended_security: Option<SecurityOptions>,
    /// `docker run` flags for the recommended options.
    pub recommended_docker_flags: Vec<String>,
}

/// What a check needs.
#[derive(Debug, Clone)]
pub struct ReadinessCheck {
    /// The image.
    pub image: String,
    /// The user parrot will run as (`None`: the image's).
    pub user: Option<String>,
    /// The options to check.
    pub security: SecurityOptions,
    /// Where a generated seccomp profile is written (the recommended flags
    /// refer to it).
    pub profile_dir: PathBuf,
}

/// The kernel log lines so far, when this process may read them.
fn kernel_log() -> Vec<String> {
    std::process::Command::new("dmesg")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

impl DockerEngine {
    /// Copies the probe into a running or created container.
    pub async fn copy_probe(&self, container: &str, probe: &ProbeBinary) -> Result<()> {
        let options = UploadToContainerOptionsBuilder::default().path("/").build();
        self.client
            .upload_to_container(
                container,
                Some(options),
                bollard::body_full(probe.archive()?.into()),
            )
            .await
            .map_err(|e| Error::engine(format!("copy the probe into container {container}"), e))
    }

    /// Runs the probe (already copied) in a container as `user`.
    pub async fn run_probe(&self, container: &str, user: Option<&str>) -> Result<ProbeReport> {
        let spec = ExecSpec {
            user: user.map(str::to_string),
            timeout: Some(PROBE_TIMEOUT),
            ..ExecSpec::new([PROBE_IN_CONTAINER])
        };
        let out = self.exec(container, &spec).await?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        ProbeReport::from_json(stdout.trim()).map_err(|e| Error::Engine {
            action: format!("run the probe in container {container}"),
            message: format!(
                "{e} (exit code {}, stderr: {})",
                out.exit_code,
                String::from_utf8_lossy(&out.stderr).trim()
            ),
            status: None,
        })
    }

    /// Copies the probe into a running container, runs it as `user`, and
    /// deletes it again (as root, by the probe itself, so that images
    /// without `rm` work too).
    pub async fn probe_container(
        &self,
        container: &str,
        user: Option<&str>,
        probe: &ProbeBinary,
    ) -> Result<ProbeReport> {
        self.copy_probe(container, probe).await?;
        let report = self.run_probe(container, user).await;
        let removal = ExecSpec {
            user: Some("0".into()),
            timeout: Some(PROBE_TIMEOUT),
            ..ExecSpec::new([PROBE_IN_CONTAINER, "--remove-self"])
        };
        let removed = self.exec(container, &removal).await;
        let report = report?;
        match removed {
            Ok(out) if out.exit_code == 0 => Ok(report),
            Ok(out) => Err(Error::Engine {
                action: format!("remove the probe from container {container}"),
                message: String::from_utf8_lossy(&out.stderr).trim().to_string(),
                status: None,
            }),
            Err(err) => Err(err),
        }
    }

    /// Runs the probe as the only process (PID 1) of a new container from
    /// `image` with `security`, as `user`, and removes the container. Like
    /// `docker run`: no exec, and the container ends with the probe.
    pub async fn probe_image(
        &self,
        image: &str,
        user: Option<&str>,
        security: &SecurityOptions,
        probe: &ProbeBinary,
    ) -> Result<ProbeRun> {
        let mut spec = ContainerSpec::new(image);
        spec.command = Some(vec![PROBE_IN_CONTAINER.into()]);
        spec.user = user.map(str::to_string);
        spec.security = security.clone();
        let container = ScratchContainer::create(self, &spec).await?;
        let id = container.id();
        let result = async {
            let (copied, applied) =
                tokio::join!(self.copy_probe(id, probe), self.applied_security(id));
            copied?;
            let applied = applied?;
            let before = kernel_log().len();
            let output = self
                .run_to_end(id, &format!("run the probe in {image}"))
                .await?;
            let log: Vec<String> = kernel_log().into_iter().skip(before).collect();
            Ok::<_, Error>((output, applied, log))
        }
        .await;
        let removed = container.remove().await;
        let ((code, stdout, stderr), applied, log) = result?;
        removed?;
        let report =
            ProbeReport::from_json(String::from_utf8_lossy(&stdout).trim()).map_err(|e| {
                Error::Engine {
                    action: format!("run the probe in {image}"),
                    message: format!(
                        "{e} (exit code {code}, stderr: {})",
                        String::from_utf8_lossy(&stderr).trim()
                    ),
                    status: None,
                }
            })?;
        let text = log.join("\n");
        let apparmor_ptrace_denials = pcvmfs_apparmor::denials::parse_denials(&text)
            .into_iter()
            .filter(|d| {
                d.operation.as_deref() == Some("ptrace")
                    && d.kind == pcvmfs_apparmor::denials::RecordKind::Denied
            })
            .filter_map(|d| d.subject().map(str::to_string))
            .collect();
        Ok(ProbeRun {
            security: security.clone(),
            applied,
            report,
            apparmor_ptrace_denials,
            selinux_denials: pcvmfs_core::selinux::parse_avc_denials(&text),
        })
    }

    /// Starts a created container and collects its output until it exits
    /// (bounded by the probe's timeout).
    pub(crate) async fn run_to_end(
        &self,
        id: &str,
        action: &str,
    ) -> Result<(i64, Vec<u8>, Vec<u8>)> {
        let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
        let code = self
            .run_attached(id, action, Some(PROBE_TIMEOUT), &mut |chunk| match chunk {
                ExecStream::Stdout(bytes) => stdout.extend_from_slice(&bytes),
                ExecStream::Stderr(bytes) => stderr.extend_from_slice(&bytes),
            })
            .await?;
        Ok((code, stdout, stderr))
    }

    /// Checks whether parrot can trace in `check.image` with
    /// `check.security`; when not, tries each remedy of each refusing
    /// layer, least privilege first, in fresh containers, and recommends
    /// the first that passes.
    pub async fn check_ptrace(
        &self,
        check: &ReadinessCheck,
        probe: &ProbeBinary,
    ) -> Result<Readiness> {
        let user = check.user.as_deref();
        // Docker's default seccomp profile is the most common refusal, and
        // its smallest remedy is the parrot profile: that remedy's container
        // runs beside the one with the options given, so that a failing
        // check costs little more wall time than a passing one. Its result
        // is used only if the diagnosis picks that remedy.
        let parrot = Remedy {
            change: Change::ParrotSeccompProfile,
            summary: String::new(),
            cost: String::new(),
        };
        // Engines before API 1.42 (Docker 23) refuse process_vm_* under
        // their default profile without CAP_SYS_PTRACE; elsewhere the extra
        // container would only cost time.
        let likely_refused = check.security.seccomp.is_none()
            && !check
                .security
                .cap_add
                .iter()
                .any(|c| c.as_str() == "CAP_SYS_PTRACE" || c.as_str() == "ALL")
            && !pcvmfs_core::engine_info::api_version_at_least(&self.api_version(), "1.42");
        let scratch = likely_refused
            .then(|| {
                tempfile::Builder::new()
                    .prefix("pcvmfs-parrot-seccomp-")
                    .suffix(".json")
                    .tempfile()
                    .ok()
            })
            .flatten();
        let speculative = scratch.as_ref().and_then(|file| {
            crate::seccomp::write_profile(&crate::seccomp::parrot_profile(), file.path()).ok()?;
            parrot
                .apply(&check.security, file.path())
                .filter(|options| options.seccomp != check.security.seccomp)
        });
        let (given, ahead) = tokio::join!(
            self.probe_image(&check.image, user, &check.security, probe),
            async {
                match &speculative {
                    Some(options) => {
                        Some(self.probe_image(&check.image, user, options, probe).await)
                    }
                    None => None,
                }
            }
        );
        let given = given?;
        let mut ahead = ahead.and_then(Result::ok);
        let findings = diagnose(&Evidence {
            probe: &given.report,
            applied: Some(&given.applied),
            apparmor_ptrace_denials: &given.apparmor_ptrace_denials,
            selinux_denials: &given.selinux_denials,
        });
        let ptrace_ready = given.report.ptrace_works();
        let mut attempts = Vec::new();
        let mut recommended = ptrace_ready.then(|| check.security.clone());
        if !ptrace_ready {
            let profile = check.profile_dir.join(PARROT_PROFILE_FILE);
            'layers: for finding in findings.iter().filter(|f| f.verdict == Verdict::Refuses) {
                for remedy in &finding.remedies {
                    let ran = if remedy.change == Change::ParrotSeccompProfile {
                        ahead.take()
                    } else {
                        None
                    };
                    let attempt = self.try_remedy(check, remedy, &profile, probe, ran).await;
                    let passed = attempt.passed;
                    let security = attempt.security.clone();
                    attempts.push(attempt);
                    if passed {
                        recommended = security;
                        break 'layers;
                    }
                }
            }
        }
        let recommended_docker_flags = recommended
            .as_ref()
            .map(SecurityOptions::docker_flags)
            .unwrap_or_default();
        Ok(Readiness {
            image: check.image.clone(),
            user: check.user.clone(),
            given,
            findings,
            ptrace_ready,
            attempts,
            recommended_security: recommended,
            recommended_docker_flags,
        })
    }

    /// Tries one remedy in a fresh container; `ran` is that container's run
    /// when it was started ahead of the diagnosis.
    async fn try_remedy(
        &self,
        check: &ReadinessCheck,
        remedy: &Remedy,
        profile: &Path,
        probe: &ProbeBinary,
        ran: Option<ProbeRun>,
    ) -> RemedyAttempt {
        let attempt = |security, passed, note: Option<String>| RemedyAttempt {
            remedy: remedy.clone(),
            security,
            passed,
            note,
        };
        let Some(security) = remedy.apply(&check.security, profile) else {
            return attempt(
                None,
                false,
                Some("a change on the host: not tried by pcvmfs".into()),
            );
        };
        match &remedy.change {
            Change::ParrotSeccompProfile => {
                if let Err(err) = std::fs::create_dir_all(&check.profile_dir).and_then(|()| {
                    crate::seccomp::write_profile(&crate::seccomp::parrot_profile(), profile)
                }) {
                    return attempt(
                        Some(security),
                        false,
                        Some(format!("cannot write {}: {err}", profile.display())),
                    );
                }
            }
            Change::AppArmorProfile(name) => {
                let status = pcvmfs_apparmor::status_of(&pcvmfs_core::LiveHost);
                if status.profile(name).is_none() {
                    return attempt(
                        Some(security),
                        false,
                        Some(format!(
                            "the profile {name} is not loaded: install it first (pcvmfs apparmor install --name {name} --ptrace)"
                        )),
                    );
                }
            }
            _ => {}
        }
        let run = match ran {
            Some(run) => Ok(run),
            None => {
                self.probe_image(&check.image, check.user.as_deref(), &security, probe)
                    .await
            }
        };
        match run {
            Ok(run) => {
                let passed = run.report.ptrace_works();
                attempt(
                    Some(security),
                    passed,
                    (!passed).then(|| {
                        run.report
                            .first_failure()
                            .map(|s| {
                                format!(
                                    "still failing: {} ({})",
                                    s.step,
                                    s.error.clone().unwrap_or_default()
                                )
                            })
                            .unwrap_or_default()
                    }),
                )
            }
            Err(err) => attempt(Some(security), false, Some(err.to_string())),
        }
    }
}
