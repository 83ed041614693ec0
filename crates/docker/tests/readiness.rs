//! ptrace readiness on the real engine: the probe in containers under each
//! security setting, the layer named, and the proposed remedy verified in a
//! fresh container. The verdicts agree with what real parrot did in the same
//! settings (../shared/fixtures/parrot/README.md).

mod common;

use std::path::PathBuf;

use pcvmfs_core::diagnosis::{Change, Layer, Verdict};
use pcvmfs_core::{SeccompSetting, SecurityOptions};
use pcvmfs_docker::DockerEngine;
use pcvmfs_docker::readiness::{ProbeBinary, Readiness, ReadinessCheck};

fn probe() -> ProbeBinary {
    ProbeBinary::from_env()
        .expect("PCVMFS_PROBE names the static probe (scripts/test.sh builds it)")
}

fn fixture_profile(name: &str) -> SeccompSetting {
    let path = PathBuf::from(format!(
        "{}/../../../shared/fixtures/parrot/{name}",
        env!("CARGO_MANIFEST_DIR")
    ));
    assert!(path.is_file(), "{}", path.display());
    SeccompSetting::Profile(path)
}

async fn check(
    engine: &DockerEngine,
    user: Option<&str>,
    security: SecurityOptions,
    dir: &tempfile::TempDir,
) -> Readiness {
    let check = ReadinessCheck {
        image: common::busybox_image().to_string(),
        user: user.map(str::to_string),
        security,
        profile_dir: dir.path().to_path_buf(),
    };
    engine.check_ptrace(&check, &probe()).await.unwrap()
}

fn refusing(readiness: &Readiness) -> Vec<Layer> {
    readiness
        .findings
        .iter()
        .filter(|f| f.verdict == Verdict::Refuses)
        .map(|f| f.layer)
        .collect()
}

#[tokio::test]
async fn the_engine_default_refuses_memory_access_and_the_parrot_profile_fixes_it() {
    let engine = common::engine().await;
    let dir = tempfile::tempdir().unwrap();
    for user in [Some("1000"), None] {
        let r = check(&engine, user, SecurityOptions::default(), &dir).await;
        // As real parrot: attached, but process_vm_readv refused (docker-default-seccomp).
        assert!(!r.ptrace_ready, "{user:?}");
        assert!(r.given.report.step("seize").unwrap().ok);
        assert_eq!(
            r.given.report.step("process_vm_readv").unwrap().errno,
            Some(1)
        );
        assert_eq!(refusing(&r), [Layer::Seccomp]);
        assert_eq!(r.attempts[0].remedy.change, Change::ParrotSeccompProfile);
        assert!(r.attempts[0].passed, "{:?}", r.attempts[0]);
        let profile = dir
            .path()
            .join(pcvmfs_docker::readiness::PARROT_PROFILE_FILE);
        assert_eq!(
            r.recommended_security.as_ref().unwrap().seccomp,
            Some(SeccompSetting::Profile(profile.clone()))
        );
        assert_eq!(
            r.recommended_docker_flags,
            [
                "--security-opt".to_string(),
                format!("seccomp={}", profile.display())
            ]
        );
        assert!(profile.is_file(), "the flags refer to a file that exists");
    }
}

#[tokio::test]
async fn cap_sys_ptrace_and_unconfined_are_ready_as_real_parrot_was() {
    let engine = common::engine().await;
    let dir = tempfile::tempdir().unwrap();
    let cap = SecurityOptions {
        cap_add: vec!["SYS_PTRACE".parse().unwrap()],
        ..Default::default()
    };
    let unconfined = SecurityOptions {
        seccomp: Some(SeccompSetting::Unconfined),
        ..Default::default()
    };
    for security in [cap, unconfined] {
        let r = check(&engine, Some("1000"), security.clone(), &dir).await;
        assert!(
            r.ptrace_ready,
            "{security:?}: {:?}",
            r.given.report.first_failure()
        );
        assert!(refusing(&r).is_empty());
        assert!(r.attempts.is_empty());
        assert_eq!(r.recommended_security.as_ref(), Some(&security));
    }
}

#[tokio::test]
async fn a_profile_refusing_ptrace_is_named_and_replaced() {
    let engine = common::engine().await;
    let dir = tempfile::tempdir().unwrap();
    let security = SecurityOptions {
        seccomp: Some(fixture_profile("seccomp-deny-ptrace.profile.json")),
        ..Default::default()
    };
    let r = check(&engine, Some("1000"), security, &dir).await;
    assert!(!r.ptrace_ready);
    assert_eq!(r.given.report.step("seize").unwrap().errno, Some(1));
    assert_eq!(refusing(&r), [Layer::Seccomp]);
    let seccomp = r
        .findings
        .iter()
        .find(|f| f.layer == Layer::Seccomp)
        .unwrap();
    assert!(
        seccomp.evidence.contains("refuses ptrace itself"),
        "{}",
        seccomp.evidence
    );
    assert!(
        r.attempts
            .iter()
            .any(|a| a.passed && a.remedy.change == Change::ParrotSeccompProfile)
    );
}

#[tokio::test]
async fn a_profile_refusing_process_vm_is_named_and_replaced() {
    let engine = common::engine().await;
    let dir = tempfile::tempdir().unwrap();
    let security = SecurityOptions {
        seccomp: Some(fixture_profile("seccomp-deny-process-vm.profile.json")),
        ..Default::default()
    };
    let r = check(&engine, Some("1000"), security, &dir).await;
    assert!(!r.ptrace_ready);
    assert!(r.given.report.step("seize").unwrap().ok);
    assert_eq!(
        r.given.report.step("process_vm_readv").unwrap().errno,
        Some(1)
    );
    assert!(
        r.given.report.step("peekdata").unwrap().ok,
        "PTRACE_PEEKDATA is another path"
    );
    assert_eq!(refusing(&r), [Layer::Seccomp]);
    assert!(r.attempts[0].passed);
}

#[tokio::test]
async fn cap_drop_all_and_no_new_privileges_as_root() {
    let engine = common::engine().await;
    let dir = tempfile::tempdir().unwrap();
    let drop_all = SecurityOptions {
        cap_drop: vec!["ALL".parse().unwrap()],
        ..Default::default()
    };
    let nnp = SecurityOptions {
        no_new_privileges: true,
        ..Default::default()
    };
    for security in [drop_all, nnp] {
        let r = check(&engine, Some("0"), security.clone(), &dir).await;
        assert!(!r.ptrace_ready, "{security:?}");
        assert_eq!(refusing(&r), [Layer::Seccomp], "{security:?}");
        let recommended = r.recommended_security.unwrap();
        assert_eq!(
            recommended.cap_drop, security.cap_drop,
            "the rest of the options stay"
        );
        assert_eq!(recommended.no_new_privileges, security.no_new_privileges);
        assert!(r.given.report.identity.no_new_privs == security.no_new_privileges);
    }
}

#[tokio::test]
async fn the_parrot_profile_still_refuses_what_the_default_refuses() {
    let engine = common::engine().await;
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("parrot.json");
    pcvmfs_docker::seccomp::write_profile(&pcvmfs_docker::seccomp::parrot_profile(), &profile)
        .unwrap();
    let parrot = SecurityOptions {
        seccomp: Some(SeccompSetting::Profile(profile)),
        ..Default::default()
    };
    let r = check(&engine, Some("0"), parrot, &dir).await;
    assert!(r.ptrace_ready, "{:?}", r.given.report.first_failure());
    for name in ["keyctl", "add_key", "unshare", "mount", "kexec_load"] {
        let step = r.given.report.step(name).unwrap();
        assert!(
            !step.ok && step.errno == Some(1),
            "{name} must stay refused: {step:?}"
        );
    }
    // Without any filter, the key syscalls go through: the refusal above is
    // the profile's doing, not the capabilities'.
    let unconfined = SecurityOptions {
        seccomp: Some(SeccompSetting::Unconfined),
        ..Default::default()
    };
    let r = check(&engine, Some("0"), unconfined, &dir).await;
    assert!(r.given.report.step("keyctl").unwrap().ok);
    assert!(r.given.report.step("add_key").unwrap().ok);
}

#[tokio::test]
async fn the_probe_runs_in_a_running_container_and_is_removed_afterwards() {
    let tests = common::TestContainers::new("probe-running");
    let engine = common::engine().await;
    let mut spec = tests.spec(&["sleep", "600"]);
    spec.security.cap_add = vec!["SYS_PTRACE".parse().unwrap()];
    let id = engine.start(&spec).await.unwrap();
    let report = engine
        .probe_container(&id, Some("parrotuser"), &probe())
        .await
        .unwrap();
    assert_eq!(report.identity.uid, 1000);
    assert!(report.ptrace_works(), "{:?}", report.first_failure());
    let gone = engine
        .exec(&id, &pcvmfs_core::ExecSpec::new(["ls", "/.pcvmfs-probe"]))
        .await
        .unwrap();
    assert_ne!(gone.exit_code, 0, "the probe is removed");
    engine.remove(&id).await.unwrap();
    assert_eq!(tests.count(&engine).await, 0);
}
