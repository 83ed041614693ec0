//! Running commands in containers on the real engine: users, exit codes,
//! exact output (binary, large), streaming, and timeouts.

mod common;

use std::time::Duration;

use pcvmfs_core::{ExecSpec, ExecStream};
use pcvmfs_docker::{DockerEngine, Error};

async fn running(tests: &common::TestContainers) -> (DockerEngine, String) {
    let engine = common::engine().await;
    let id = engine.start(&tests.spec(&["sleep", "600"])).await.unwrap();
    (engine, id)
}

/// Bytes that cover every value and no simple pattern (a linear
/// congruential sequence).
fn pattern(len: usize) -> Vec<u8> {
    let mut state: u32 = 12345;
    (0..len)
        .map(|_| {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
            (state >> 16) as u8
        })
        .collect()
}

#[tokio::test]
async fn users_exit_codes_and_separate_streams() {
    let tests = common::TestContainers::new("exec-basics");
    let (engine, id) = running(&tests).await;
    let root = engine
        .exec(&id, &ExecSpec::new(["id", "-u"]))
        .await
        .unwrap();
    assert_eq!(
        (root.exit_code, root.stdout.as_slice()),
        (0, b"0\n".as_slice())
    );
    for user in ["1000", "parrotuser", "1000:1000"] {
        let spec = ExecSpec {
            user: Some(user.into()),
            ..ExecSpec::new(["id", "-u"])
        };
        let out = engine.exec(&id, &spec).await.unwrap();
        assert_eq!(out.stdout, b"1000\n", "as {user}");
    }
    let out = engine
        .exec(
            &id,
            &ExecSpec::new(["sh", "-c", "echo out; echo err >&2; exit 42"]),
        )
        .await
        .unwrap();
    assert_eq!(out.exit_code, 42);
    assert_eq!(out.stdout, b"out\n");
    assert_eq!(out.stderr, b"err\n");
    let spec = ExecSpec {
        env: vec![("GREETING".into(), "a 'quoted' $(value)\nline".into())],
        workdir: Some("/tmp".into()),
        ..ExecSpec::new(["sh", "-c", "printf '%s|' \"$GREETING\"; pwd"])
    };
    let out = engine.exec(&id, &spec).await.unwrap();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "a 'quoted' $(value)\nline|/tmp\n"
    );
    let missing = engine
        .exec(&id, &ExecSpec::new(["/no/such/tool"]))
        .await
        .unwrap();
    assert_ne!(missing.exit_code, 0);
    let unknown = ExecSpec {
        user: Some("nobody-here".into()),
        ..ExecSpec::new(["true"])
    };
    let result = engine.exec(&id, &unknown).await;
    assert!(
        result.as_ref().is_err() || result.as_ref().unwrap().exit_code != 0,
        "an unknown user must not run the command: {result:?}"
    );
    engine.remove(&id).await.unwrap();
    assert_eq!(tests.count(&engine).await, 0);
}

#[tokio::test]
async fn binary_and_large_output_comes_back_exactly() {
    let tests = common::TestContainers::new("exec-large");
    let engine = common::engine().await;
    let dir = tempfile::tempdir().unwrap();
    let blob = pattern(12 * 1024 * 1024);
    std::fs::write(dir.path().join("blob"), &blob).unwrap();
    let mut spec = tests.spec(&["sleep", "600"]);
    spec.volumes = vec![
        pcvmfs_core::VolumeMount::parse(&format!("{}:/data:ro", dir.path().display())).unwrap(),
    ];
    let id = engine.start(&spec).await.unwrap();
    let out = engine
        .exec(&id, &ExecSpec::new(["cat", "/data/blob"]))
        .await
        .unwrap();
    assert_eq!(out.exit_code, 0);
    assert!(
        out.stdout == blob,
        "stdout differs: {} bytes back of {}",
        out.stdout.len(),
        blob.len()
    );
    assert!(out.stderr.is_empty());
    let out = engine
        .exec(
            &id,
            &ExecSpec::new(["sh", "-c", "cat /data/blob >&2; printf '\\000\\377'"]),
        )
        .await
        .unwrap();
    assert!(
        out.stderr == blob,
        "stderr differs: {} bytes",
        out.stderr.len()
    );
    assert_eq!(out.stdout, [0u8, 255]);
    engine.remove(&id).await.unwrap();
    assert_eq!(tests.count(&engine).await, 0);
}

#[tokio::test]
async fn streaming_hands_output_over_as_it_arrives() {
    let tests = common::TestContainers::new("exec-stream");
    let (engine, id) = running(&tests).await;
    let mut chunks = Vec::new();
    let code = engine
        .exec_streaming(
            &id,
            &ExecSpec::new([
                "sh",
                "-c",
                "for i in 1 2 3; do echo $i; sleep 0.2; done; echo done >&2",
            ]),
            &mut |chunk| chunks.push(chunk),
        )
        .await
        .unwrap();
    assert_eq!(code, 0);
    let stdout: Vec<u8> = chunks
        .iter()
        .filter_map(|c| match c {
            ExecStream::Stdout(b) => Some(b.clone()),
            ExecStream::Stderr(_) => None,
        })
        .flatten()
        .collect();
    assert_eq!(stdout, b"1\n2\n3\n");
    // With pauses between lines, they arrive as separate chunks.
    assert!(chunks.len() >= 4, "{chunks:?}");
    assert_eq!(chunks.last(), Some(&ExecStream::Stderr(b"done\n".to_vec())));
    engine.remove(&id).await.unwrap();
    assert_eq!(tests.count(&engine).await, 0);
}

#[tokio::test]
async fn a_command_past_its_timeout_is_killed_with_its_children() {
    let tests = common::TestContainers::new("exec-timeout");
    let (engine, id) = running(&tests).await;
    let spec = ExecSpec {
        timeout: Some(Duration::from_millis(500)),
        ..ExecSpec::new(["sh", "-c", "sleep 1234 & sleep 4321; echo never"])
    };
    let err = engine.exec(&id, &spec).await.unwrap_err();
    let Error::ExecTimeout {
        killed, timeout, ..
    } = &err
    else {
        panic!("expected a timeout, got {err:?}");
    };
    assert!(*killed, "{err}");
    assert_eq!(*timeout, Duration::from_millis(500));
    assert!(err.to_string().contains("killed"), "{err}");
    // Neither the command nor the child it started in the background runs on.
    let ps = engine
        .exec(&id, &ExecSpec::new(["ps", "-o", "args"]))
        .await
        .unwrap();
    let ps = String::from_utf8(ps.stdout).unwrap();
    assert!(
        !ps.contains("sleep 4321") && !ps.contains("sleep 1234"),
        "{ps}"
    );
    // The container itself is untouched.
    assert!(ps.contains("sleep 600"), "{ps}");
    engine.remove(&id).await.unwrap();
    assert_eq!(tests.count(&engine).await, 0);
}

#[tokio::test]
async fn bad_exec_specs_and_missing_containers_are_clear_errors() {
    let engine = common::engine().await;
    let err = engine
        .exec("pcvmfs-no-such-container", &ExecSpec::new(["true"]))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NoSuchContainer { .. }), "{err:?}");
    let err = engine
        .exec("any", &ExecSpec::new(Vec::<String>::new()))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Core(_)), "{err:?}");
    let err = engine
        .exec("any", &ExecSpec::new(["echo", "a\0b"]))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("NUL"), "{err}");
}
