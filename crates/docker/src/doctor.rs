//! `pcvmfs doctor`: gathers the evidence (the engine, the host, the proxy
//! setting) and lets the core judge it.

use pcvmfs_core::dns_check::{DnsCheckInput, check_host};
use pcvmfs_core::doctor::{DoctorEvidence, ProxySetting, SystemResolver, examine};
use pcvmfs_core::{HostFacts, LiveHost, Report};

use crate::connect::DockerEngine;

/// The proxy to check: the one given, else `HTTP_PROXY`, else `http_proxy`.
pub fn proxy_setting(given: Option<&str>) -> Option<ProxySetting> {
    if let Some(text) = given {
        return Some(ProxySetting {
            text: text.to_string(),
            origin: "--proxy".to_string(),
        });
    }
    ["HTTP_PROXY", "http_proxy"].iter().find_map(|name| {
        std::env::var(name)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .map(|text| ProxySetting {
                text,
                origin: name.to_string(),
            })
    })
}

/// Checks this node: platform, the engine (the one given, else the local
/// one), Yama, and the CVMFS proxy (the one given, else `HTTP_PROXY`).
pub async fn doctor(engine: Option<&DockerEngine>, proxy: Option<&str>) -> Report {
    let engine_info = match engine {
        Some(engine) => engine.info().await.map_err(|e| e.to_string()),
        None => match DockerEngine::connect(None).await {
            Ok(engine) => engine.info().await.map_err(|e| e.to_string()),
            Err(err) => Err(err.to_string()),
        },
    };
    let proxy = proxy_setting(proxy);
    // Resolving names blocks, so it runs off the async threads.
    let judged = tokio::task::spawn_blocking(move || {
        let host = HostFacts::live();
        let engine_version = engine_info.as_ref().ok().map(|i| i.version.as_str());
        let mut dns = check_host(
            &LiveHost,
            &DnsCheckInput {
                engine_version,
                network: None,
            },
        )
        .findings;
        // After the bridge's own verdicts, before where the settings live.
        let at = dns
            .iter()
            .position(|f| f.check == pcvmfs_core::dns_check::CHECK_CONFIG)
            .unwrap_or(dns.len());
        dns.splice(at..at, user_network_findings(engine_version));
        examine(&DoctorEvidence {
            os: std::env::consts::OS,
            host: &host,
            engine: engine_info.as_ref().map_err(Clone::clone),
            proxy: proxy.as_ref(),
            resolver: &SystemResolver,
            dns: &dns,
        })
    })
    .await;
    judged.unwrap_or_else(|err| std::panic::resume_unwind(err.into_panic()))
}

/// What containers on user-defined networks get (the embedded resolver),
/// as the `dns.user_networks` finding: the rules differ from the default
/// bridge's, most of all since Docker 25, which forwards to the host's
/// loopback resolvers there.
fn user_network_findings(engine_version: Option<&str>) -> Vec<pcvmfs_core::Finding> {
    let check = check_host(
        &LiveHost,
        &DnsCheckInput {
            engine_version,
            network: Some("user-defined"),
        },
    );
    check
        .diagnosis
        .findings
        .into_iter()
        .filter(|f| f.check == pcvmfs_core::dns_diagnosis::CHECK_TRAP)
        .map(|mut f| {
            f.check = CHECK_USER_NETWORKS.to_string();
            f
        })
        .collect()
}

/// Check name of the DNS finding for user-defined networks.
pub const CHECK_USER_NETWORKS: &str = "dns.user_networks";

/// The doctor's findings for a readiness check: one per layer, the
/// verdict, and each remedy tried.
pub fn readiness_findings(readiness: &crate::readiness::Readiness) -> Vec<pcvmfs_core::Finding> {
    use pcvmfs_core::{Finding, Status};
    let mut findings: Vec<Finding> = readiness.findings.iter().map(|f| f.to_finding()).collect();
    for attempt in &readiness.attempts {
        let status = if attempt.passed {
            Status::Ok
        } else {
            Status::Warn
        };
        let outcome = if attempt.passed {
            "verified: the probe passes"
        } else {
            "did not fix it"
        };
        let note = attempt
            .note
            .as_deref()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default();
        findings.push(Finding::new(
            "ptrace.remedy",
            status,
            format!("{}: {outcome}{note}", attempt.remedy.summary),
        ));
    }
    let user = readiness.user.as_deref().unwrap_or("the image's user");
    let ready = if readiness.ptrace_ready {
        Finding::new(
            "ptrace.ready",
            Status::Ok,
            format!(
                "parrot can trace in {} as {user} with the options given",
                readiness.image
            ),
        )
    } else {
        let failure = readiness
            .given
            .report
            .first_failure()
            .map(|s| format!("{} failed: {}", s.step, s.error.clone().unwrap_or_default()))
            .unwrap_or_else(|| "a tracer step failed".into());
        let finding = Finding::new(
            "ptrace.ready",
            Status::Fail,
            format!(
                "parrot cannot trace in {} as {user} with the options given: {failure}",
                readiness.image
            ),
        );
        if readiness.recommended_security.is_some() {
            let flags = if readiness.recommended_docker_flags.is_empty() {
                "no flags".to_string()
            } else {
                readiness.recommended_docker_flags.join(" ")
            };
            finding.with_remedy(format!("run containers with: {flags} (verified)"))
        } else {
            finding.with_remedy("no remedy pcvmfs can apply passed: see the layer findings")
        }
    };
    findings.push(ready);
    findings
}

/// The whole doctor: the node checks, then, when the engine answers, the
/// readiness of `check.image` (run with the probe, diagnosed, remedies
/// verified), its findings appended to the report.
pub async fn doctor_with_image(
    engine: Option<&DockerEngine>,
    proxy: Option<&str>,
    check: &crate::readiness::ReadinessCheck,
    probe: &crate::readiness::ProbeBinary,
) -> (Report, Option<crate::readiness::Readiness>) {
    let connected;
    let engine = match engine {
        Some(engine) => Some(engine),
        None => {
            connected = DockerEngine::connect(None).await.ok();
            connected.as_ref()
        }
    };
    let Some(engine) = engine else {
        return (doctor(None, proxy).await, None);
    };
    // The node checks and the image check are independent: run them together.
    let (mut report, checked) = tokio::join!(
        doctor(Some(engine), proxy),
        engine.check_ptrace(check, probe)
    );
    match checked {
        Ok(readiness) => {
            report.findings.extend(readiness_findings(&readiness));
            (report, Some(readiness))
        }
        Err(err) => {
            report.findings.push(
                pcvmfs_core::Finding::new(
                    "ptrace.ready",
                    pcvmfs_core::Status::Fail,
                    format!("the probe could not run in {}: {err}", check.image),
                )
                .with_remedy("check that the image exists and that the user is valid in it"),
            );
            (report, None)
        }
    }
}
