//! The interactive wrapper script, run by real shells with hostile values:
//! every value must arrive in parrot's environment literally, and nothing
//! else may run.

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use pcvmfs_core::ParrotSession;

#[test]
fn hostile_values_arrive_literally_and_nothing_else_runs() {
    let dir = tempfile::tempdir().unwrap();
    let pwned = dir.path().join("pwned");
    let p = pwned.display();
    let hostile = [
        format!("'; touch {p}; echo '"),
        format!("$(touch {p})"),
        format!("`touch {p}`"),
        format!("a\ntouch {p}\nb"),
        format!("\\'\"$HOME\" ${{IFS}} ; touch {p} #"),
    ];
    // A stand-in for parrot_run: it records its arguments and the
    // variables parrot reads, one per line, NUL-separated.
    let fake = dir.path().join("fake parrot's run");
    let record = dir.path().join("record");
    std::fs::write(
        &fake,
        format!(
            "#!/bin/sh\nprintf '%s\\0' \"$@\" \"$PARROT_CVMFS_REPO\" \"$HTTP_PROXY\" \"$PARROT_CVMFS_ALIEN_CACHE\" \"$PS1\" > '{}'\n",
            record.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    for shell in ["bash", "sh"] {
        for value in &hostile {
            let session = ParrotSession {
                parrot: fake.display().to_string(),
                repos: Some(value.clone()),
                proxy: Some(value.clone()),
                alien_cache: Some(format!("/cache/{value}")),
                ..ParrotSession::default()
            };
            let script = dir.path().join("wrapper");
            std::fs::write(&script, session.env_script(shell).unwrap()).unwrap();
            let status = Command::new(shell)
                .arg(&script)
                .arg("extra arg")
                .status()
                .unwrap();
            assert!(status.success(), "{shell}: {value:?}");
            let recorded = std::fs::read(&record).unwrap();
            let fields: Vec<String> = recorded
                .split(|b| *b == 0)
                .filter(|f| !f.is_empty())
                .map(|f| String::from_utf8(f.to_vec()).unwrap())
                .collect();
            assert_eq!(&fields[..3], ["-d", "all", shell], "{shell}: {value:?}");
            assert_eq!(fields[3], "extra arg");
            assert_eq!(fields[4], *value, "{shell}: PARROT_CVMFS_REPO");
            assert_eq!(fields[5], *value, "{shell}: HTTP_PROXY");
            assert_eq!(fields[6], format!("/cache/{value}"));
            assert!(fields[7].starts_with("(parrot_env)"));
            assert!(!pwned.exists(), "{shell} ran something from {value:?}");
        }
    }
}

#[test]
fn the_script_sets_what_the_manual_wrapper_did() {
    let session = ParrotSession {
        repos: Some("<default-repositories>".into()),
        proxy: Some("http://ca-proxy.cern.ch:3128;DIRECT".into()),
        ..ParrotSession::default()
    };
    let script = session.env_script("bash").unwrap();
    assert!(script.starts_with("#!/bin/bash\n"));
    assert!(script.contains("export PARROT_ALLOW_SWITCHING_CVMFS_REPOSITORIES='yes'\n"));
    assert!(script.contains("export PARROT_CVMFS_REPO='<default-repositories>'\n"));
    assert!(script.contains("export HTTP_PROXY='http://ca-proxy.cern.ch:3128;DIRECT'\n"));
    assert!(
        script.ends_with("exec 'parrot_run' '-d' 'all' 'bash' \"$@\"\n"),
        "{script}"
    );
}

#[test]
fn a_local_run_streams_its_log_and_respects_the_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("parrot_run");
    std::fs::write(
        &fake,
        "#!/bin/sh\necho \"out:$PARROT_CVMFS_REPO\"\necho 'parrot_run[1] process: x exited normally with status 3' >&2\n\
         [ \"$3\" = sleep ] && sleep 30\nexit 3\n",
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let session = ParrotSession {
        parrot: fake.display().to_string(),
        repos: Some("<default-repositories>".into()),
        ..ParrotSession::default()
    };
    let mut lines = Vec::new();
    let run = session
        .run_local(&["true"], &mut |l| lines.push(l.to_string()))
        .unwrap();
    assert_eq!(run.exit_code, 3);
    assert_eq!(run.stdout, b"out:<default-repositories>\n");
    assert_eq!(
        lines,
        ["parrot_run[1] process: x exited normally with status 3"]
    );
    assert!(!run.timed_out);
    let slow = ParrotSession {
        timeout: Some(std::time::Duration::from_millis(300)),
        ..session.clone()
    };
    let run = slow.run_local(&["sleep"], &mut |_| {}).unwrap();
    assert!(run.timed_out);
    assert_eq!(run.exit_code, 128 + 9);
    let missing = ParrotSession {
        parrot: "/nonexistent/parrot_run".into(),
        ..session
    };
    assert!(
        missing
            .run_local(&["true"], &mut |_| {})
            .unwrap_err()
            .to_string()
            .contains("/nonexistent/parrot_run")
    );
}
