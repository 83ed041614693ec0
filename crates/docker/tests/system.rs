//! Connecting to the real engine and reading what it says about itself.

mod common;

use std::time::Duration;

use pcvmfs_docker::{DockerEngine, Error};

#[tokio::test]
async fn info_agrees_with_the_docker_cli() {
    let engine = common::engine().await;
    let info = engine.info().await.unwrap();
    assert_eq!(
        info.version,
        common::docker_cli(&["version", "--format", "{{.Server.Version}}"])
    );
    assert_eq!(
        info.engine_api_version,
        common::docker_cli(&["version", "--format", "{{.Server.APIVersion}}"])
    );
    assert_eq!(
        info.kernel_version,
        common::docker_cli(&["info", "--format", "{{.KernelVersion}}"])
    );
    assert_eq!(
        info.arch,
        common::docker_cli(&["info", "--format", "{{.Architecture}}"])
    );
    assert_eq!(
        info.storage_driver,
        common::docker_cli(&["info", "--format", "{{.Driver}}"])
    );
    // The negotiated version is never above what the engine offers.
    assert!(pcvmfs_core::engine_info::api_version_at_least(
        &info.engine_api_version,
        &info.api_version
    ));
    let cli_options = common::docker_cli(&["info", "--format", "{{json .SecurityOptions}}"]);
    let cli_options: Vec<String> = serde_json::from_str(&cli_options).unwrap();
    assert_eq!(info.security_options.len(), cli_options.len());
    for (parsed, raw) in info.security_options.iter().zip(&cli_options) {
        assert!(
            raw.contains(&format!("name={}", parsed.name)),
            "{raw} vs {parsed:?}"
        );
        for (key, value) in &parsed.attributes {
            assert!(
                raw.contains(&format!("{key}={value}")),
                "{raw} vs {parsed:?}"
            );
        }
    }
}

#[tokio::test]
async fn a_missing_socket_is_named_without_waiting() {
    let connect = DockerEngine::connect(Some("unix:///nonexistent/pcvmfs/docker.sock"));
    let err = tokio::time::timeout(Duration::from_secs(10), connect)
        .await
        .expect("connecting to a missing socket must not hang")
        .unwrap_err();
    assert!(matches!(err, Error::Unreachable { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("/nonexistent/pcvmfs/docker.sock"), "{text}");
    assert!(text.contains("dockerd running"), "{text}");
}

#[tokio::test]
async fn a_file_that_is_not_a_socket_and_a_dead_socket_are_told_apart() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plain");
    std::fs::write(&file, "").unwrap();
    let err = DockerEngine::connect(file.to_str())
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("is not a socket"), "{err}");

    // A socket that was bound and never listened on: nothing answers.
    let dead = dir.path().join("dead.sock");
    let listener = std::os::unix::net::UnixListener::bind(&dead).unwrap();
    drop(listener);
    let err = DockerEngine::connect(dead.to_str())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("Connection refused") || err.contains("connection refused"),
        "{err}"
    );
    assert!(err.contains("start dockerd"), "{err}");
}

#[tokio::test]
async fn unsupported_schemes_say_which_are_supported() {
    let err = DockerEngine::connect(Some("ssh://node"))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("unix://, tcp:// or http://"), "{err}");
}

#[tokio::test]
async fn the_doctor_passes_the_engine_check_here() {
    let engine = common::engine().await;
    let report = pcvmfs_docker::doctor(Some(&engine), Some("http://localhost:3128;DIRECT")).await;
    let engine_finding = report
        .findings
        .iter()
        .find(|f| f.check == "docker.engine")
        .unwrap();
    assert_eq!(
        engine_finding.status,
        pcvmfs_core::Status::Ok,
        "{engine_finding:?}"
    );
    assert!(engine_finding.evidence.contains(&common::docker_cli(&[
        "version",
        "--format",
        "{{.Server.Version}}"
    ])));
    let proxy = report
        .findings
        .iter()
        .find(|f| f.check == "cvmfs.proxy")
        .unwrap();
    assert_eq!(proxy.status, pcvmfs_core::Status::Ok, "{proxy:?}");
}
