//! Building images from Dockerfile directories on the real engine.

mod common;

use pcvmfs_core::{BuildEvent, MANAGED_LABEL};
use pcvmfs_docker::Error;

#[tokio::test]
async fn a_busybox_image_builds_streams_its_output_and_is_labelled() {
    let engine = common::engine().await;
    let dir = tempfile::tempdir().unwrap();
    common::write_busybox_context(dir.path());
    let tag = "pcvmfs-test/build-stream:1";
    let mut lines = Vec::new();
    let image = engine
        .build_directory(dir.path(), tag, &mut |event| {
            if let BuildEvent::Output(line) = event {
                lines.push(line);
            }
        })
        .await
        .unwrap();
    assert!(image.tags.iter().any(|t| t == tag), "{image:?}");
    assert!(lines.iter().any(|l| l.starts_with("Step 1/")), "{lines:?}");
    assert!(
        lines.iter().any(|l| l.contains("FROM scratch")),
        "{lines:?}"
    );
    let cli_id = common::docker_cli(&["image", "inspect", "--format", "{{.Id}}", tag]);
    assert_eq!(image.id, cli_id);
    let label = common::docker_cli(&[
        "image",
        "inspect",
        "--format",
        &format!("{{{{index .Config.Labels \"{MANAGED_LABEL}\"}}}}"),
        tag,
    ]);
    assert_eq!(label, "true");
    common::docker_cli(&["image", "rm", tag]);
}

#[tokio::test]
async fn a_failing_step_is_named_with_its_output() {
    let engine = common::engine().await;
    let dir = tempfile::tempdir().unwrap();
    common::write_busybox_context(dir.path());
    let dockerfile = std::fs::read_to_string(dir.path().join("Dockerfile")).unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        format!("{dockerfile}RUN echo about to fail && echo on-stderr >&2 && exit 3\n"),
    )
    .unwrap();
    let err = engine
        .build_directory(dir.path(), "pcvmfs-test/build-fails:1", &mut |_| {})
        .await
        .unwrap_err();
    let Error::Build {
        step,
        message,
        last_lines,
        ..
    } = &err
    else {
        panic!("expected a build error, got {err:?}");
    };
    assert!(
        step.as_deref().unwrap().contains("RUN echo about to fail"),
        "{step:?}"
    );
    assert!(message.contains("non-zero code: 3"), "{message}");
    assert!(
        last_lines.iter().any(|l| l == "about to fail"),
        "{last_lines:?}"
    );
    // The failed step's container is removed.
    let commands = common::docker_cli(&["ps", "-a", "--no-trunc", "--format", "{{.Command}}"]);
    assert!(!commands.contains("about to fail"), "{commands}");
}

#[tokio::test]
async fn a_missing_directory_and_a_bad_tag_fail_before_the_engine() {
    let engine = common::engine().await;
    let err = engine
        .build_directory(std::path::Path::new("/nonexistent/ctx"), "x:1", &mut |_| {})
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("/nonexistent/ctx"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    common::write_busybox_context(dir.path());
    let err = engine
        .build_directory(dir.path(), "bad tag", &mut |_| {})
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("image tag"), "{err}");
    let err = engine
        .build_directory(dir.path(), "UPPER/case:1", &mut |_| {})
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Engine { .. }), "{err:?}");
}

#[tokio::test]
async fn an_image_that_does_not_exist_is_reported_as_such() {
    let engine = common::engine().await;
    let err = engine
        .image("pcvmfs-test/does-not-exist:0")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NoSuchImage { .. }), "{err:?}");
    assert!(err.to_string().contains("pcvmfs-test/does-not-exist:0"));
}
