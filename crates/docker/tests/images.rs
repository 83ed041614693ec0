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
    let building = common::building().await;
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
    drop(building);
    let _removing = common::removing().await;
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
    let _building = common::building().await;
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
    // Refused by pcvmfs, naming the part, before the context is packed:
    // no build lock is needed, since the engine never sees them.
    for (tag, part) in [
        ("UPPER/case:1", "\"UPPER\" has upper-case letters"),
        ("Bad:Tag", "\"Bad\" has upper-case letters"),
        ("a:b:c", "path component \"a:b\""),
        ("x/", "empty path component"),
    ] {
        let err = engine
            .build_directory(dir.path(), tag, &mut |_| {})
            .await
            .unwrap_err();
        let Error::Core(pcvmfs_core::Error::Parse { what, reason, .. }) = &err else {
            panic!("{tag}: expected a parse error, got {err:?}");
        };
        assert_eq!(*what, "image tag", "{tag}");
        assert!(reason.contains(part), "{tag}: {reason}");
    }
}

#[tokio::test]
async fn a_dockerfile_the_engine_cannot_parse_is_a_build_error() {
    let engine = common::engine().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        "FROM scratch\nRUNN echo typo\n",
    )
    .unwrap();
    let _building = common::building().await;
    let err = engine
        .build_directory(dir.path(), "pcvmfs-test/build-typo:1", &mut |_| {})
        .await
        .unwrap_err();
    let Error::Build { tag, message, .. } = &err else {
        panic!("expected a build error, got {err:?}");
    };
    assert_eq!(tag, "pcvmfs-test/build-typo:1");
    assert!(message.contains("line 2"), "{message}");
    assert!(message.contains("RUNN"), "{message}");
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

#[tokio::test]
async fn a_root_filesystem_imports_keeps_owners_and_is_listed_tagged_and_removed() {
    use pcvmfs_core::ImageRef;
    use std::os::unix::fs::PermissionsExt;

    let engine = common::engine().await;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("bin")).unwrap();
    std::fs::copy(common::BUSYBOX, root.join("bin/busybox")).unwrap();
    std::os::unix::fs::symlink("busybox", root.join("bin/sh")).unwrap();
    std::fs::create_dir(root.join("etc")).unwrap();
    std::fs::write(root.join("etc/marker"), "imported\n").unwrap();
    std::os::unix::fs::chown(root.join("etc/marker"), Some(4242), Some(4343)).unwrap();
    std::fs::set_permissions(
        root.join("etc/marker"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    let tag = ImageRef::parse("pcvmfs-test/rust-import:1").unwrap();
    let image = engine.import_rootfs(root, &tag).await.unwrap();
    assert!(
        image.tags.iter().any(|t| t == "pcvmfs-test/rust-import:1"),
        "{image:?}"
    );
    assert_eq!(
        image.labels.get(MANAGED_LABEL).map(String::as_str),
        Some("true")
    );
    // The engine's own account of the file, through the CLI.
    let listed = common::docker_cli(&[
        "run",
        "--rm",
        "pcvmfs-test/rust-import:1",
        "/bin/busybox",
        "stat",
        "-c",
        "%u:%g %a",
        "/etc/marker",
    ]);
    assert_eq!(listed, "4242:4343 600");

    let second = ImageRef::parse("pcvmfs-test/rust-import:2").unwrap();
    engine
        .tag("pcvmfs-test/rust-import:1", &second)
        .await
        .unwrap();
    let found = engine
        .images(Some("pcvmfs-test/rust-import:*"), Some(MANAGED_LABEL))
        .await
        .unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    let mut tags = found[0].tags.clone();
    tags.sort();
    assert_eq!(
        tags,
        ["pcvmfs-test/rust-import:1", "pcvmfs-test/rust-import:2"]
    );
    assert_eq!(found[0].id, image.id);
    // An imported image has no parent: every `FROM scratch` build looks at it.
    let _removing = common::removing().await;
    let removed = engine
        .remove_image("pcvmfs-test/rust-import:1", false)
        .await
        .unwrap();
    assert_eq!(removed, ["untagged pcvmfs-test/rust-import:1"]);
    let removed = engine
        .remove_image("pcvmfs-test/rust-import:2", false)
        .await
        .unwrap();
    assert!(
        removed.iter().any(|r| r.starts_with("deleted sha256:")),
        "{removed:?}"
    );
    assert!(matches!(
        engine
            .remove_image("pcvmfs-test/rust-import:2", false)
            .await,
        Err(Error::NoSuchImage { .. })
    ));
}

#[tokio::test]
async fn dockerignore_keeps_files_out_of_the_context_the_engine_sees() {
    let engine = common::engine().await;
    let dir = tempfile::tempdir().unwrap();
    let base = common::busybox_image();
    std::fs::write(
        dir.path().join("Dockerfile"),
        format!("FROM {base}\nCOPY . /ctx/\n"),
    )
    .unwrap();
    std::fs::write(dir.path().join(".dockerignore"), "secret\n*.tmp\n").unwrap();
    std::fs::write(dir.path().join("secret"), "s").unwrap();
    std::fs::write(dir.path().join("a.tmp"), "t").unwrap();
    std::fs::write(dir.path().join("kept"), "k").unwrap();
    let tag = "pcvmfs-test/rust-ignore:1";
    let options = pcvmfs_docker::images::BuildOptions::default();
    let building = common::building().await;
    engine
        .build(dir.path(), tag, &options, &mut |_| {})
        .await
        .unwrap();
    drop(building);
    let listing = common::docker_cli(&["run", "--rm", tag, "ls", "-A", "/ctx"]);
    assert_eq!(
        listing.split_whitespace().collect::<Vec<_>>(),
        [".dockerignore", "Dockerfile", "kept"]
    );
    let _removing = common::removing().await;
    common::docker_cli(&["image", "rm", tag]);
}
