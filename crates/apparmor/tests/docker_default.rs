//! The rendered Docker default profile checked by the real `apparmor_parser`.
//!
//! The parser runs without a kernel: `--skip-kernel-load` compiles the policy
//! but loads nothing, and `--skip-cache` keeps it from reading or writing the
//! cache under `/etc/apparmor.d` or `/var/cache`. Without AppArmor in the
//! kernel the parser still prints a warning line ("Cache read/write
//! disabled: ...") on stderr, which these tests tolerate.
//!
//! The parser is required: when it is missing these tests fail, because a
//! profile nobody compiled is exactly what this crate must not hand out.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use pcvmfs_apparmor::docker_default::{DefaultInputs, docker_default_text};

/// Where Debian's `apparmor` package installs the parser.
const APPARMOR_PARSER: &str = "/usr/sbin/apparmor_parser";

/// The options that let the parser check a profile on a host whose kernel
/// has no AppArmor.
const OFFLINE_OPTIONS: &[&str] = &["--skip-kernel-load", "--skip-cache"];

/// The extra rule of the old `docker-ptrace` profile: any ptrace access
/// between processes of this same profile.
const PTRACE_OWN_PEERS: &str = "  ptrace peer=@{profile_name},";

fn parser() -> &'static Path {
    let parser = Path::new(APPARMOR_PARSER);
    assert!(
        parser.is_file(),
        "{APPARMOR_PARSER} is missing: install Debian's apparmor package; \
         the Docker default profile cannot be validated without it"
    );
    parser
}

/// A profile written to a temporary file, kept for as long as the value.
struct ProfileFile {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

fn write_profile(file_name: &str, text: &str) -> ProfileFile {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join(file_name);
    std::fs::write(&path, text).expect("write profile");
    ProfileFile { _dir: dir, path }
}

/// Runs the parser on a file with the offline options and `extra` options.
fn parse_file(path: &Path, extra: &[&str]) -> Output {
    Command::new(parser())
        .args(OFFLINE_OPTIONS)
        .args(extra)
        .arg(path)
        .output()
        .expect("run apparmor_parser")
}

/// Runs the parser on `text` fed through stdin.
fn parse_stdin(text: &str) -> Output {
    let mut child = Command::new(parser())
        .args(OFFLINE_OPTIONS)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run apparmor_parser");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("write profile to apparmor_parser");
    child.wait_with_output().expect("wait for apparmor_parser")
}

fn assert_accepted(what: &str, text: &str) {
    let file = write_profile("profile", text);
    let output = parse_file(&file.path, &[]);
    assert!(
        output.status.success(),
        "apparmor_parser rejected {what} ({}):\n{}\n--- profile ---\n{text}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The parser's error lines, without the warning it prints on a kernel
/// without AppArmor.
fn error_lines(output: &Output) -> Vec<String> {
    String::from_utf8_lossy(&output.stderr)
        .lines()
        .filter(|line| line.starts_with("AppArmor parser error"))
        .map(str::to_owned)
        .collect()
}

/// `text` with `rule` inserted as a line before its final closing brace.
fn with_rule_before_closing_brace(text: &str, rule: &str) -> String {
    let body = text
        .strip_suffix("}\n")
        .expect("profile text ends with its closing brace");
    format!("{body}{rule}\n}}\n")
}

/// The 1-based line number of the first line of `text` equal to `line`.
fn line_number(text: &str, line: &str) -> usize {
    text.lines()
        .position(|candidate| candidate == line)
        .map(|index| index + 1)
        .unwrap_or_else(|| panic!("no line {line:?} in the profile"))
}

fn host_inputs() -> DefaultInputs {
    DefaultInputs::detect("docker-default", "unconfined", Path::new("/etc/apparmor.d"))
}

#[test]
fn host_detected_profile_is_accepted() {
    let inputs = host_inputs();
    assert_accepted(&format!("{inputs:?}"), &docker_default_text(&inputs));
}

#[test]
fn all_absent_profile_is_accepted() {
    let inputs = DefaultInputs::new("docker-default", "unconfined");
    assert_accepted(&format!("{inputs:?}"), &docker_default_text(&inputs));
}

#[test]
fn ptrace_variant_is_accepted() {
    for inputs in [
        DefaultInputs::detect("docker-ptrace", "unconfined", Path::new("/etc/apparmor.d")),
        DefaultInputs::new("docker-ptrace", "unconfined"),
    ] {
        let text = with_rule_before_closing_brace(&docker_default_text(&inputs), PTRACE_OWN_PEERS);
        assert!(text.ends_with("peer=\"docker-ptrace\",\n  ptrace peer=@{profile_name},\n}\n"));
        assert_accepted(&format!("ptrace variant of {inputs:?}"), &text);
    }
}

#[test]
fn every_host_file_combination_with_tunables_under_base_is_accepted() {
    // This host has all three optional files, so the parser can check each
    // combination dockerd could render, except `abstractions/base` without
    // `tunables/global` (see the next test).
    for bits in 0..8u8 {
        let inputs = DefaultInputs {
            abi_3_0: bits & 1 != 0,
            tunables_global: bits & 2 != 0,
            abstractions_base: bits & 4 != 0,
            ..DefaultInputs::new("docker-default", "my-daemon-profile")
        };
        if inputs.abstractions_base && !inputs.tunables_global {
            continue;
        }
        assert_accepted(&format!("{inputs:?}"), &docker_default_text(&inputs));
    }
}

#[test]
fn abstractions_base_without_tunables_is_rejected() {
    // `abstractions/base` uses variables that only `tunables/global`
    // declares; dockerd renders this combination all the same (it checks
    // the two files separately), and the parser refuses it.
    for abi_3_0 in [false, true] {
        let inputs = DefaultInputs {
            abi_3_0,
            abstractions_base: true,
            ..DefaultInputs::new("docker-default", "unconfined")
        };
        let file = write_profile("profile", &docker_default_text(&inputs));
        let output = parse_file(&file.path, &[]);
        assert_eq!(output.status.code(), Some(1), "{inputs:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr
                .lines()
                .any(|line| line.starts_with("Found reference to variable ")
                    && line.ends_with(", but is never declared")),
            "{stderr}"
        );
    }
}

#[test]
fn quoted_names_parse_back_to_themselves() {
    for name in [
        "docker-default",
        "Profile with spaces",
        r#"foo"bar,*?[ab]{c,d}^\baz"#,
    ] {
        let mut inputs = host_inputs();
        inputs.name = name.to_owned();
        inputs.daemon_profile = r#"daemon"bar,*?[ab]{c,d}^\baz"#.to_owned();
        let file = write_profile("profile", &docker_default_text(&inputs));
        let output = parse_file(&file.path, &["--names"]);
        assert!(
            output.status.success(),
            "apparmor_parser rejected the profile named {name:?}:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(String::from_utf8_lossy(&output.stdout), format!("{name}\n"));
    }
}

#[test]
fn missing_comma_is_rejected_with_file_and_line() {
    let good = docker_default_text(&host_inputs());
    // Dropping the comma after `capability` makes the next rule, `file,`,
    // the token the parser cannot accept: the error names that line.
    let broken = good.replacen("\n  capability,\n", "\n  capability\n", 1);
    assert_ne!(broken, good);
    let file_rule_line = line_number(&broken, "  file,");

    let file = write_profile("docker-default", &broken);
    let output = parse_file(&file.path, &[]);
    assert!(!output.status.success(), "the broken profile was accepted");
    assert_eq!(output.status.code(), Some(1));
    let path = file.path.display();
    assert_eq!(
        error_lines(&output),
        [format!(
            "AppArmor parser error for {path} in profile {path} at line {file_rule_line}: \
             syntax error, unexpected TOK_FILE, expecting TOK_ID or TOK_END_OF_RULE"
        )]
    );
}

#[test]
fn error_from_stdin_names_only_the_line() {
    let good = docker_default_text(&DefaultInputs::new("docker-default", "unconfined"));
    let broken = good.replacen("\n  deny mount,\n", "\n  deny mount\n", 1);
    // The token after the unfinished rule is on the next non-blank line.
    let next_rule_line = line_number(&broken, "  deny /sys/[^f]*/** wklx,");

    let output = parse_stdin(&broken);
    assert_eq!(output.status.code(), Some(1));
    let errors = error_lines(&output);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with(&format!("AppArmor parser error at line {next_rule_line}: ")),
        "{errors:?}"
    );
}

#[test]
fn error_in_an_included_file_names_that_file_and_its_line() {
    let includes = tempfile::tempdir().expect("temporary directory");
    std::fs::create_dir_all(includes.path().join("local")).expect("include dir");
    let included = includes.path().join("local/extra");
    std::fs::write(&included, "  file,\n  deny network no-such-family,\n").expect("include");

    let inputs = DefaultInputs::new("docker-default", "unconfined");
    let text =
        with_rule_before_closing_brace(&docker_default_text(&inputs), "  #include <local/extra>");
    let file = write_profile("docker-default", &text);
    let include_dir = includes.path().to_str().expect("UTF-8 path");
    let output = parse_file(&file.path, &["--Include", include_dir]);

    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        error_lines(&output),
        [format!(
            "AppArmor parser error for {} in profile {} at line 2: Invalid network entry.",
            file.path.display(),
            included.display()
        )]
    );
}
