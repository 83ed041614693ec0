//! Starting containers with security, DNS and volume options on the real
//! engine, checking what was really applied, and removing them.

mod common;

use pcvmfs_core::{
    AppliedSeccomp, DnsOptions, ExecSpec, SeccompSetting, SecurityOptions, VolumeMount,
};
use pcvmfs_docker::Error;

/// The value of a `/proc/self/status` field inside a container.
async fn status_field(engine: &pcvmfs_docker::DockerEngine, id: &str, field: &str) -> String {
    let out = engine
        .exec(id, &ExecSpec::new(["cat", "/proc/self/status"]))
        .await
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .unwrap_or_else(|| panic!("no {field} in {text}"))
        .trim()
        .to_string()
}

#[tokio::test]
async fn the_engine_default_applies_when_nothing_is_asked() {
    let tests = common::TestContainers::new("default-security");
    let engine = common::engine().await;
    let id = engine.start(&tests.spec(&["sleep", "60"])).await.unwrap();
    let applied = engine.applied_security(&id).await.unwrap();
    assert_eq!(applied.seccomp, AppliedSeccomp::Default);
    assert!(!applied.privileged && !applied.no_new_privileges);
    // The engine's default seccomp filter is really on.
    assert_eq!(status_field(&engine, &id, "Seccomp").await, "2");
    assert_eq!(status_field(&engine, &id, "NoNewPrivs").await, "0");
    let labels = common::docker_cli(&[
        "inspect",
        "--format",
        "{{index .Config.Labels \"org.pcvmfs.managed\"}}",
        &id,
    ]);
    assert_eq!(labels, "true");
    engine.remove(&id).await.unwrap();
    assert_eq!(tests.count(&engine).await, 0);
}

#[tokio::test]
async fn unconfined_seccomp_caps_and_no_new_privileges_are_really_applied() {
    let tests = common::TestContainers::new("asked-security");
    let engine = common::engine().await;
    let mut spec = tests.spec(&["sleep", "60"]);
    spec.security = SecurityOptions {
        seccomp: Some(SeccompSetting::Unconfined),
        cap_add: vec!["SYS_PTRACE".parse().unwrap()],
        cap_drop: vec!["NET_RAW".parse().unwrap()],
        no_new_privileges: true,
        ..Default::default()
    };
    let id = engine.start(&spec).await.unwrap();
    let applied = engine.applied_security(&id).await.unwrap();
    assert_eq!(applied.seccomp, AppliedSeccomp::Unconfined);
    assert!(applied.no_new_privileges);
    assert_eq!(applied.cap_add, spec.security.cap_add);
    assert_eq!(applied.cap_drop, spec.security.cap_drop);
    assert_eq!(status_field(&engine, &id, "Seccomp").await, "0");
    assert_eq!(status_field(&engine, &id, "NoNewPrivs").await, "1");
    let caps =
        pcvmfs_core::Capability::from_mask(&status_field(&engine, &id, "CapEff").await).unwrap();
    let names: Vec<&str> = caps.iter().map(|c| c.as_str()).collect();
    assert!(names.contains(&"CAP_SYS_PTRACE"), "{names:?}");
    assert!(!names.contains(&"CAP_NET_RAW"), "{names:?}");
    assert!(
        names.contains(&"CAP_CHOWN"),
        "the rest of the default set stays: {names:?}"
    );
    engine.remove(&id).await.unwrap();

    let mut none = tests.spec(&["sleep", "60"]);
    none.security.cap_drop = vec!["ALL".parse().unwrap()];
    let id = engine.start(&none).await.unwrap();
    assert_eq!(
        status_field(&engine, &id, "CapEff").await,
        "0000000000000000"
    );
    engine.remove(&id).await.unwrap();
    assert_eq!(tests.count(&engine).await, 0);
}

#[tokio::test]
async fn a_seccomp_profile_that_refuses_a_syscall_makes_it_fail_inside() {
    let tests = common::TestContainers::new("seccomp-profile");
    let engine = common::engine().await;
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("deny-mkdir.json");
    std::fs::write(
        &profile,
        r#"{"defaultAction": "SCMP_ACT_ALLOW",
            "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}"#,
    )
    .unwrap();
    let mut spec = tests.spec(&["sleep", "60"]);
    spec.security.seccomp = Some(SeccompSetting::Profile(profile));
    let id = engine.start(&spec).await.unwrap();
    let applied = engine.applied_security(&id).await.unwrap();
    assert!(
        matches!(&applied.seccomp, AppliedSeccomp::Custom(p) if p.contains("mkdirat")),
        "{applied:?}"
    );
    let out = engine
        .exec(&id, &ExecSpec::new(["mkdir", "/tmp/refused"]))
        .await
        .unwrap();
    assert_ne!(out.exit_code, 0);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Operation not permitted"),
        "{out:?}"
    );
    let touched = engine
        .exec(&id, &ExecSpec::new(["touch", "/tmp/allowed"]))
        .await
        .unwrap();
    assert_eq!(
        touched.exit_code, 0,
        "only the refused syscall fails: {touched:?}"
    );
    assert_eq!(status_field(&engine, &id, "Seccomp").await, "2");
    engine.remove(&id).await.unwrap();
    assert_eq!(tests.count(&engine).await, 0);
}

#[tokio::test]
async fn dns_options_reach_resolv_conf_and_volumes_are_mounted() {
    let tests = common::TestContainers::new("dns-volumes");
    let engine = common::engine().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hello"), "from the host\n").unwrap();
    let mut spec = tests.spec(&["sleep", "60"]);
    spec.dns = DnsOptions::new(&["192.0.2.53"], &["cern.ch"], &["ndots:2"]).unwrap();
    spec.volumes = vec![VolumeMount::parse(&format!("{}:/data:ro", dir.path().display())).unwrap()];
    let id = engine.start(&spec).await.unwrap();
    let resolv = engine
        .exec(&id, &ExecSpec::new(["cat", "/etc/resolv.conf"]))
        .await
        .unwrap();
    let resolv = String::from_utf8(resolv.stdout).unwrap();
    assert!(
        resolv.lines().any(|l| l == "nameserver 192.0.2.53"),
        "{resolv}"
    );
    assert!(resolv.lines().any(|l| l == "search cern.ch"), "{resolv}");
    assert!(resolv.lines().any(|l| l == "options ndots:2"), "{resolv}");
    let hello = engine
        .exec(&id, &ExecSpec::new(["cat", "/data/hello"]))
        .await
        .unwrap();
    assert_eq!(hello.stdout, b"from the host\n");
    let write = engine
        .exec(&id, &ExecSpec::new(["touch", "/data/new"]))
        .await
        .unwrap();
    assert_ne!(write.exit_code, 0, "the mount is read-only");
    engine.remove(&id).await.unwrap();
    assert_eq!(tests.count(&engine).await, 0);
}

#[tokio::test]
async fn a_missing_image_and_a_missing_program_leave_nothing_behind() {
    let tests = common::TestContainers::new("start-failures");
    let engine = common::engine().await;
    let mut spec = tests.spec(&["true"]);
    spec.image = "pcvmfs-test/does-not-exist:0".into();
    let err = engine.start(&spec).await.unwrap_err();
    assert!(matches!(err, Error::NoSuchImage { .. }), "{err:?}");
    assert!(err.to_string().contains("pcvmfs-test/does-not-exist:0"));

    let err = engine
        .start(&tests.spec(&["/no/such/program"]))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("/no/such/program"), "{err}");
    assert_eq!(tests.count(&engine).await, 0);
}

#[tokio::test]
async fn a_container_that_exits_at_once_can_still_be_inspected_and_removed() {
    let tests = common::TestContainers::new("exits-at-once");
    let engine = common::engine().await;
    let id = engine.start(&tests.spec(&["true"])).await.unwrap();
    // Wait for it to have exited.
    common::docker_cli(&["wait", &id]);
    let err = engine
        .exec(&id, &ExecSpec::new(["true"]))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not running"), "{err}");
    engine.applied_security(&id).await.unwrap();
    engine.remove(&id).await.unwrap();
    // Removing twice is not an error: the context manager may do it.
    engine.remove(&id).await.unwrap();
    assert!(matches!(
        engine.applied_security(&id).await,
        Err(Error::NoSuchContainer { .. })
    ));
    assert_eq!(tests.count(&engine).await, 0);
}

#[tokio::test]
async fn a_shell_image_stays_up_without_a_command() {
    let tests = common::TestContainers::new("shell-cmd");
    let engine = common::engine().await;
    let mut spec = tests.spec(&[]);
    spec.command = None;
    let id = engine.start(&spec).await.unwrap();
    let out = engine
        .exec(&id, &ExecSpec::new(["echo", "alive"]))
        .await
        .unwrap();
    assert_eq!(out.stdout, b"alive\n");
    engine.remove(&id).await.unwrap();
    assert_eq!(tests.count(&engine).await, 0);
}
