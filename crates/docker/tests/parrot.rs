//! The parrot runner in a real container, with a stand-in for parrot_run
//! from the image's own programs: argv, environment, user, working
//! directory and exit status arrive as given, the log streams line by line
//! (100 MB without being held), and a timeout kills the run.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use pcvmfs_core::{ParrotSession, VolumeMount};
use pcvmfs_docker::Error;

/// A shell script standing in for parrot_run: it reports what it got and
/// writes a parrot-like log to standard error.
const FAKE_PARROT: &str = r#"#!/bin/sh
printf 'argv:%s\n' "$@"
printf 'repo:%s\n' "$PARROT_CVMFS_REPO"
printf 'proxy:%s\n' "$HTTP_PROXY"
printf 'switch:%s\n' "$PARROT_ALLOW_SWITCHING_CVMFS_REPOSITORIES"
printf 'uid:%s\n' "$(id -u)"
printf 'pwd:%s\n' "$(pwd)"
case "$*" in
  *big-log*) yes 'parrot_run[6]<child:6> debug: a long line of parrot debug output' | head -c 104857600 >&2 ;;
  *sleep*) sleep 60 ;;
  *) echo 'parrot_run[6]<child:6> process: /bin/true exited normally with status 7' >&2 ;;
esac
exit 7
"#;

async fn container_with_fake_parrot(
    tests: &common::TestContainers,
    dir: &tempfile::TempDir,
) -> (pcvmfs_docker::DockerEngine, String) {
    let fake = dir.path().join("parrot_run");
    std::fs::write(&fake, FAKE_PARROT).unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let engine = common::engine().await;
    let mut spec = tests.spec(&["sleep", "600"]);
    spec.volumes = vec![VolumeMount::parse(&format!("{}:/fake:ro", dir.path().display())).unwrap()];
    spec.env = vec![("TEST_USER".into(), "parrotuser".into())];
    let id = engine.start(&spec).await.unwrap();
    (engine, id)
}

fn session(proxy: &str) -> ParrotSession {
    ParrotSession {
        parrot: "/fake/parrot_run".into(),
        repos: Some("<default-repositories> it's $(here)".into()),
        proxy: Some(proxy.into()),
        debug: vec!["process".into()],
        ..ParrotSession::default()
    }
}

#[tokio::test]
async fn argv_env_user_workdir_and_status_arrive_as_given() {
    let tests = common::TestContainers::new("parrot-runner");
    let dir = tempfile::tempdir().unwrap();
    let (engine, id) = container_with_fake_parrot(&tests, &dir).await;
    let mut lines = Vec::new();
    let command = vec!["ls".to_string(), "/cvmfs/alice.cern.ch".to_string()];
    let run = engine
        .parrot(
            &id,
            &session("http://ca-proxy.cern.ch:3128;DIRECT"),
            &command,
            None,
            Some("/tmp"),
            &mut |l| lines.push(l.to_string()),
        )
        .await
        .unwrap();
    let out = String::from_utf8(run.stdout.clone()).unwrap();
    let expected = "argv:-d\nargv:process\nargv:ls\nargv:/cvmfs/alice.cern.ch\n\
                    repo:<default-repositories> it's $(here)\nproxy:http://ca-proxy.cern.ch:3128;DIRECT\nswitch:yes\nuid:1000\npwd:/tmp\n";
    assert_eq!(out, expected);
    assert_eq!(run.exit_code, 7);
    assert_eq!(
        run.user.as_deref(),
        Some("parrotuser"),
        "TEST_USER by default"
    );
    assert_eq!(
        lines,
        ["parrot_run[6]<child:6> process: /bin/true exited normally with status 7"]
    );
    let as_root = engine
        .parrot(
            &id,
            &session("DIRECT"),
            &command,
            Some("0"),
            None,
            &mut |_| {},
        )
        .await
        .unwrap();
    assert!(
        String::from_utf8(as_root.stdout)
            .unwrap()
            .contains("uid:0\n")
    );
    engine.remove(&id).await.unwrap();
    assert_eq!(tests.count(&engine).await, 0);
}

#[tokio::test]
async fn a_hundred_megabyte_log_streams_line_by_line() {
    let tests = common::TestContainers::new("parrot-big-log");
    let dir = tempfile::tempdir().unwrap();
    let (engine, id) = container_with_fake_parrot(&tests, &dir).await;
    let (mut count, mut longest) = (0u64, 0usize);
    let run = engine
        .parrot(
            &id,
            &session("DIRECT"),
            &["big-log".to_string()],
            None,
            None,
            &mut |line| {
                count += 1;
                longest = longest.max(line.len());
            },
        )
        .await
        .unwrap();
    assert_eq!(run.log_bytes, 104_857_600);
    assert!(count > 1_500_000, "{count} lines");
    assert!(longest <= 64, "lines were split, not gathered: {longest}");
    assert_eq!(
        run.stderr.len(),
        1 << 20,
        "only the first MiB of stderr is kept"
    );
    engine.remove(&id).await.unwrap();
    assert_eq!(tests.count(&engine).await, 0);
}

#[tokio::test]
async fn a_timeout_kills_the_run_and_says_so() {
    let tests = common::TestContainers::new("parrot-timeout");
    let dir = tempfile::tempdir().unwrap();
    let (engine, id) = container_with_fake_parrot(&tests, &dir).await;
    let session = ParrotSession {
        timeout: Some(Duration::from_millis(800)),
        ..session("DIRECT")
    };
    let err = engine
        .parrot(
            &id,
            &session,
            &["sleep".to_string()],
            None,
            None,
            &mut |_| {},
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::ExecTimeout { killed: true, .. }),
        "{err:?}"
    );
    let ps = engine
        .exec(&id, &pcvmfs_core::ExecSpec::new(["ps", "-o", "args"]))
        .await
        .unwrap();
    let ps = String::from_utf8(ps.stdout).unwrap();
    // Killed (a zombie, `[sleep]`, until PID 1 reaps it), not running.
    assert!(!ps.lines().any(|l| l.trim() == "sleep 60"), "{ps}");
    engine.remove(&id).await.unwrap();
    assert_eq!(tests.count(&engine).await, 0);
}

#[tokio::test]
async fn a_session_as_the_command_of_a_container_runs_with_an_init() {
    let engine = common::engine().await;
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("parrot_run");
    // As parrot on its fatal path: the stand-in kills itself with a signal.
    // As PID 1 that signal would be ignored and the run would hang; under
    // the init it dies at once.
    std::fs::write(
        &fake,
        "#!/bin/sh\necho 'fatal: could not trace child' >&2\nkill -9 $$\n",
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    // Put the stand-in in an image of its own, FROM the busybox test image.
    let context = tempfile::tempdir().unwrap();
    std::fs::copy(&fake, context.path().join("parrot_run")).unwrap();
    std::fs::write(
        context.path().join("Dockerfile"),
        format!(
            "FROM {}\nCOPY parrot_run /usr/bin/parrot_run\nENV TEST_USER=parrotuser\n",
            common::busybox_image()
        ),
    )
    .unwrap();
    let image = "pcvmfs-test/fake-parrot:1";
    let building = common::building().await;
    engine
        .build_directory(context.path(), image, &mut |_| {})
        .await
        .unwrap();
    drop(building);
    let session = ParrotSession {
        timeout: Some(Duration::from_secs(30)),
        ..ParrotSession::default()
    };
    let mut lines = Vec::new();
    let run = engine
        .parrot_in_image(
            image,
            &session,
            &["true".to_string()],
            None,
            &Default::default(),
            &mut |l| lines.push(l.to_string()),
        )
        .await
        .unwrap();
    assert_eq!(
        run.exit_code, 137,
        "killed by signal 9, reported by the init"
    );
    assert_eq!(run.user.as_deref(), Some("parrotuser"));
    assert_eq!(lines, ["fatal: could not trace child"]);
    let left = common::docker_cli(&["ps", "-aq", "--filter", &format!("ancestor={image}")]);
    assert_eq!(left, "", "the container is removed");
    let _removing = common::removing().await;
    common::docker_cli(&["image", "rm", image]);
}
