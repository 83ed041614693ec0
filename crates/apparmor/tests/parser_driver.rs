//! Validation, installation and removal with the real `apparmor_parser`
//! (Debian's `apparmor` package), on a kernel that may have no AppArmor.

use pcvmfs_apparmor::policy::{PolicyFile, Rule, RuleKind};
use pcvmfs_apparmor::{Error, install, remove, status_of, validate, validate_text};
use pcvmfs_core::HostTreeAt;

const SIMPLE: &str =
    "profile pcvmfs-test flags=(attach_disconnected) {\n  capability,\n  network,\n  file,\n}\n";

#[test]
fn the_parser_is_installed() {
    pcvmfs_apparmor::find_parser()
        .expect("apparmor_parser is needed: scripts/test.sh installs Debian's apparmor");
}

#[test]
fn a_valid_policy_is_accepted_and_a_broken_one_rejected_with_its_line() {
    let policy = PolicyFile::parse(SIMPLE).unwrap();
    validate(&policy).unwrap();
    // A rule the model can hold but AppArmor does not know.
    let mut broken = policy.clone();
    broken
        .first_profile_mut()
        .unwrap()
        .add_rule(Rule::new(RuleKind::Capability, ["no_such_capability"]));
    let text = broken.render();
    let err = validate(&broken).unwrap_err();
    let Error::Rejected {
        line,
        source_line,
        message,
    } = &err
    else {
        panic!("{err:?}")
    };
    let expected_line = text
        .lines()
        .position(|l| l.contains("no_such_capability"))
        .unwrap()
        + 1;
    assert_eq!(*line, Some(expected_line), "{message}");
    assert_eq!(
        source_line.as_deref(),
        Some("  capability no_such_capability,")
    );
    assert!(
        !message.contains("pcvmfs-apparmor-"),
        "the temporary file's name is hidden: {message}"
    );
    let err = validate_text("profile p {\n  capability,\n  network\n  ptrace bogus words,\n}\n")
        .unwrap_err();
    assert!(
        matches!(err, Error::Rejected { line: Some(4), .. }),
        "{err:?}"
    );
}

fn host_without_apparmor() -> (tempfile::TempDir, HostTreeAt) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("proc")).unwrap();
    let tree = HostTreeAt::new(dir.path());
    (dir, tree)
}

#[test]
fn install_without_loading_writes_atomically_and_remove_deletes() {
    let (_host_dir, host) = host_without_apparmor();
    let dir = tempfile::tempdir().unwrap();
    let policy = PolicyFile::parse(SIMPLE).unwrap();
    let path = install(&policy, dir.path(), false, &host).unwrap();
    assert_eq!(path, dir.path().join("pcvmfs-test"));
    assert_eq!(
        PolicyFile::parse(&std::fs::read_to_string(&path).unwrap()).unwrap(),
        policy
    );
    let with_ptrace = policy.clone().with_ptrace_peers();
    install(&with_ptrace, dir.path(), false, &host).unwrap();
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .contains("ptrace peer=@{profile_name},")
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join(".pcvmfs-test.pcvmfs-backup")).unwrap(),
        policy.render()
    );
    // The real parser, reading the whole directory as the boot scripts do,
    // finds the profile once: the backup is not loaded beside it.
    let out = std::process::Command::new("apparmor_parser")
        .arg("--names")
        .arg(dir.path())
        .output()
        .expect("apparmor_parser runs (scripts/test.sh installs it)");
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "pcvmfs-test\n");
    assert!(remove("pcvmfs-test", dir.path(), &host).unwrap());
    assert!(!path.exists());
    assert!(!remove("pcvmfs-test", dir.path(), &host).unwrap());
}

#[test]
fn loading_where_the_kernel_has_no_apparmor_fails_before_writing() {
    let dir = tempfile::tempdir().unwrap();
    let policy = PolicyFile::parse(SIMPLE).unwrap();
    // A host whose kernel has no AppArmor module, like the development
    // machine's: the reason comes from the status, and nothing is written.
    let (_host_dir, host) = host_without_apparmor();
    let err = install(&policy, dir.path(), true, &host).unwrap_err();
    let Error::KernelUnavailable { reason } = &err else {
        panic!("{err:?}")
    };
    assert!(reason.contains("no AppArmor module"), "{reason}");
    assert!(
        err.to_string().contains("cannot load AppArmor policy"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "nothing written"
    );
    // The same on this machine when its kernel has no AppArmor.
    let live = status_of(&pcvmfs_core::LiveHost);
    if !live.enabled {
        let err = install(&policy, dir.path(), true, &pcvmfs_core::LiveHost).unwrap_err();
        assert!(
            matches!(&err, Error::KernelUnavailable { reason } if Some(reason) == live.reason.as_ref()),
            "{err:?}"
        );
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "nothing written"
        );
    }
}

#[test]
fn an_invalid_policy_is_never_written() {
    let (_host_dir, host) = host_without_apparmor();
    let dir = tempfile::tempdir().unwrap();
    let policy = PolicyFile::parse("profile bad-one {\n  capability nonsense_cap,\n}\n").unwrap();
    assert!(matches!(
        install(&policy, dir.path(), false, &host),
        Err(Error::Rejected { .. })
    ));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    let nameless = PolicyFile::parse("@{X}=/x\n").unwrap();
    assert!(matches!(
        install(&nameless, dir.path(), false, &host),
        Err(Error::BadName { .. })
    ));
}
