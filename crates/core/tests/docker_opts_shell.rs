//! `DOCKER_OPTS` edits judged by the real shell: `/etc/default/docker` is
//! sourced by `/bin/sh` (the sysvinit script), so the oracle is what `sh`
//! makes of the file before and after an edit. An edit that pcvmfs accepts
//! must leave every word the shell gives dockerd as it was, except the DNS
//! flags it replaces, and must never make the shell run anything new.

use std::fs;
use std::net::IpAddr;
use std::path::Path;
use std::process::Command;

use pcvmfs_core::daemon_dns::DockerOpts;
use proptest::prelude::*;
use proptest::strategy::ValueTree;

/// The words `sh` gives dockerd from the file at `path` (`$DOCKER_OPTS`
/// split as the init script splits it), or `None` when the shell refuses
/// the file. Commands the file runs append to `ran.log` beside it.
fn shell_words(path: &Path) -> Option<Vec<String>> {
    let out = Command::new("sh")
        .arg("-c")
        .arg(r#". "$1" && for word in $DOCKER_OPTS; do printf '%s\n' "$word"; done"#)
        .arg("sh")
        .arg(path)
        .current_dir(path.parent().unwrap())
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("A", "alpha")
        .env("B", "beta")
        .output()
        .expect("sh runs");
    if !out.status.success() {
        return None;
    }
    Some(
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect(),
    )
}

/// `words` with every `--dns` flag (both forms) removed and `servers` added
/// at the end, as dockerd should get them after the edit.
fn expected_after(words: &[String], servers: &[IpAddr]) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < words.len() {
        match words[i].as_str() {
            "--dns" => i += 2,
            w if w.starts_with("--dns=") => i += 1,
            w => {
                out.push(w.to_string());
                i += 1;
            }
        }
    }
    for server in servers {
        out.push("--dns".into());
        out.push(server.to_string());
    }
    out
}

/// Edits the file at `path` in place (or reports the refusal) and checks
/// the shell's view before and after. Returns whether pcvmfs accepted it.
fn check_edit(dir: &Path, content: &str) -> Result<bool, TestCaseError> {
    let path = dir.join("docker");
    let log = dir.join("ran.log");
    fs::write(&path, content).unwrap();
    let _ = fs::remove_file(&log);
    let Some(before) = shell_words(&path) else {
        // Not a file the shell can source: not a case for this oracle.
        return Ok(false);
    };
    let ran_before = fs::read_to_string(&log).unwrap_or_default();
    let servers: Vec<IpAddr> = vec!["192.0.2.53".parse().unwrap()];
    let mut opts = match DockerOpts::load(&path) {
        Ok(opts) => opts,
        Err(err) => {
            let text = err.to_string();
            prop_assert!(text.contains(&path.display().to_string()), "{text}");
            return Ok(false);
        }
    };
    if opts.set_dns(&servers, None, None).is_err() {
        return Ok(false);
    }
    opts.save(None).unwrap();
    let _ = fs::remove_file(&log);
    let after = shell_words(&path);
    let edited = fs::read_to_string(&path).unwrap();
    prop_assert!(
        after.is_some(),
        "the shell cannot source the edited file:\n{content}\n---\n{edited}"
    );
    prop_assert_eq!(
        after.unwrap(),
        expected_after(&before, &servers),
        "\n{}\n---\n{}",
        content,
        edited
    );
    let ran_after = fs::read_to_string(&log).unwrap_or_default();
    prop_assert_eq!(ran_after, ran_before, "\n{}\n---\n{}", content, edited);
    Ok(true)
}

#[test]
fn hostile_and_conditional_files_are_refused_or_edited_exactly() {
    let dir = tempfile::tempdir().unwrap();
    // (file, whether pcvmfs may edit it)
    let cases: &[(&str, bool)] = &[
        // Found in review: removing `--dns` and the word after it left one
        // half of each backquoted command, which then paired up differently
        // and ran a file that was only an argument before.
        (
            "DOCKER_OPTS=\"--dns `echo 192.0.2.1` --dns `echo x >>ran.log; echo 192.0.2.2`\"\n",
            false,
        ),
        ("DOCKER_OPTS=\"${EXTRA:-x --dns 8.8.8.8}\"\n", false),
        (
            "DOCKER_OPTS=\"--dns $(echo 8.8.8.8) -H unix:///x\"\n",
            false,
        ),
        ("DOCKER_OPTS=`echo --ipv6`\n", false),
        // Found in review: an assignment inside a condition or after another
        // command; the flags were added to a new unconditional line, which
        // dropped the administrator's flags whenever the condition held.
        (
            "if [ -n \"$A\" ]; then DOCKER_OPTS=\"-H unix:///x --ipv6\"; fi\n",
            false,
        ),
        ("[ -n \"$A\" ] && DOCKER_OPTS=\"--ipv6\"\n", false),
        (
            "if [ -n \"$A\" ]; then\n  DOCKER_OPTS=\"--ipv6\"\nelse\n  DOCKER_OPTS=\"--debug\"\nfi\n",
            false,
        ),
        ("true \\\nDOCKER_OPTS=\"--ipv6\"\n", false),
        ("DOCKER_OPTS=\"--ipv6\"; DOCKER_OPTS=\"--debug\"\n", false),
        ("DOCKER_OPTS=\"--ipv6\"\nDOCKER_OPTS+=\" --debug\"\n", false),
        ("DOCKER_OPTS=\"--ipv6\"\r\n", false),
        // Found by this test's generator: the flag in one assignment, its
        // value in the next, which expands the first.
        (
            "DOCKER_OPTS='--dns'\nexport DOCKER_OPTS=\"$DOCKER_OPTS \\$HOME\"\n",
            false,
        ),
        // What pcvmfs edits: plain assignments, whole-word variables,
        // escaped specials, conditions that do not touch DOCKER_OPTS.
        // Variables may hold flags pcvmfs cannot see.
        ("DOCKER_OPTS=\"--dns 8.8.8.8 $A --x\"\n", false),
        ("DOCKER_OPTS=\"${B} --ipv6\"\n", false),
        // Found by this test's generator: the value of --dns is what
        // $DOCKER_OPTS expands to (here nothing, so the next word).
        ("DOCKER_OPTS=\"--dns $DOCKER_OPTS 192.0.2.9\"\n", false),
        ("DOCKER_OPTS=\"--dns 8.8.8.8 --x=\\$HOME\"\n", true),
        (
            "DOCKER_OPTS=\"--ipv6\"\nDOCKER_OPTS=\"$DOCKER_OPTS --dns=1.1.1.1\"\n",
            true,
        ),
        // Found in the second review: any line other than a comment or a
        // simple assignment (here a condition) can change whether and how
        // the shell reaches DOCKER_OPTS; only such files are edited.
        (
            "if [ -n \"$A\" ]; then\n  OTHER=1\nfi\nDOCKER_OPTS=\"--ipv6 --dns 8.8.8.8\"  # DNS\n",
            false,
        ),
        // A here-document: its body is text, not assignments.
        (
            "cat >/dev/null <<EOF\nDOCKER_OPTS='$(echo --dns ) ; echo RAN >>ran.log ; echo )'\nEOF\n",
            false,
        ),
        // Comments as sh reads them: not after a continuation, and after `&`.
        (
            "X=a\\\n#\"\nDOCKER_OPTS='$(echo --dns ) ; echo RAN >>ran.log ; echo )'\n\"\n:&#\"\n",
            false,
        ),
        ("true ||\nDOCKER_OPTS=\"--ipv6\"\n", false),
        ("! if true; then\nDOCKER_OPTS=\"--ipv6\"\nfi\n", false),
        ("f() (\nDOCKER_OPTS=\"--ipv6\"\n)\n", false),
        ("DOCKER_OPTS=\"--ipv6\"\nDOCKER_\\\nOPTS=--debug\n", false),
        (
            "DOCKER_OPTS=\"--ipv6\"\neval DOCKER_OPTS\"=--debug\"\n",
            false,
        ),
        ("DOCKER_OPTS=\"--ipv6\"\nunset DOCKER_OPTS\n", false),
        // A '#' glued to the value is part of its last word.
        ("DOCKER_OPTS=\"--ipv6\"#c\n", false),
        // Unquoted values: only plain text.
        ("DOCKER_OPTS=--ipv6>out.txt\n", false),
        ("DOCKER_OPTS=~root\n", false),
        // What pcvmfs edits.
        (
            "# Docker Upstart and SysVinit configuration file\n\n#DOCKER=\"/usr/local/bin/docker\"\n\
             DOCKER_OPTS=\"--ipv6 --dns 8.8.8.8\"  # DNS\nexport http_proxy=\"http://proxy:3128/\"\n\
             export TMPDIR=$HOME/tmp\nOTHER='a b'; export OTHER\n",
            true,
        ),
        ("# DOCKER_OPTS=\"$(reboot)\"\nMY_DOCKER_OPTS=\"x\"\n", true),
        ("DOCKER_OPTS='--dns `echo x` $(echo y) --ipv6'\n", true),
        // A flag left at the end of an assignment that a later one
        // overwrites, or that stays at the very end.
        (
            "DOCKER_OPTS=\"--ipv6 --dns\"\nDOCKER_OPTS=\"--debug\"\n",
            true,
        ),
        (
            "DOCKER_OPTS=\"--ipv6 --dns\"\nDOCKER_OPTS=\"--debug $DOCKER_OPTS\"\n",
            true,
        ),
    ];
    for (content, editable) in cases {
        let accepted = check_edit(dir.path(), content).unwrap();
        assert_eq!(accepted, *editable, "{content:?}");
    }
    // The refusals say why, with the file and line.
    let path = dir.path().join("docker");
    for (content, line, reason) in [
        (
            "# c\nDOCKER_OPTS=\"--dns `echo 192.0.2.1`\"\n",
            2,
            "runs a command or expands",
        ),
        (
            "OTHER=1\nif [ -n \"$A\" ]; then\n  DOCKER_OPTS=\"--ipv6\"\nfi\n",
            2,
            "is not an assignment",
        ),
        ("A=1\nB=\"x\ny\"\nDOCKER_OPTS=--ipv6>x\n", 4, "holds '>'"),
        ("DOCKER_OPTS=\"--ipv6\"\r\n", 1, "CRLF"),
    ] {
        fs::write(&path, content).unwrap();
        let err = DockerOpts::load(&path).unwrap_err().to_string();
        assert!(err.contains(&format!("{}:{line}", path.display())), "{err}");
        assert!(err.contains(reason), "{err}");
        assert_eq!(fs::read_to_string(&path).unwrap(), content);
    }
}

/// Lines of a defaults file: plain and hostile assignments, conditions,
/// comments and continuations.
fn defaults_file() -> impl Strategy<Value = String> {
    let word = prop_oneof![
        Just("--dns".to_string()),
        Just("--dns=1.1.1.1".to_string()),
        Just("192.0.2.9".to_string()),
        Just("--ipv6".to_string()),
        Just("-H".to_string()),
        Just("unix:///x".to_string()),
        Just("$A".to_string()),
        Just("${B}".to_string()),
        Just("$DOCKER_OPTS".to_string()),
        Just("`echo r1 >>ran.log; echo w`".to_string()),
        Just("$(echo r2 >>ran.log)".to_string()),
        Just("${C:-x --dns 9.9.9.9}".to_string()),
        Just("\\$HOME".to_string()),
        Just("--label=a\\\"b".to_string()),
        Just("\\\n".to_string()),
        Just("\\".to_string()),
        Just("#".to_string()),
        Just("'".to_string()),
    ];
    let words = prop::collection::vec(word, 0..6).prop_map(|w| w.join(" "));
    // Lines pcvmfs reads (weighted up, so that many files are edited) and
    // lines that must make it refuse the file.
    let line = prop_oneof![
        6 => words.clone().prop_map(|w| format!("DOCKER_OPTS=\"{w}\"")),
        4 => words
            .clone()
            .prop_map(|w| format!("export DOCKER_OPTS=\"$DOCKER_OPTS {w}\"")),
        4 => words.clone().prop_map(|w| format!("DOCKER_OPTS='{w}'")),
        2 => Just("DOCKER_OPTS=--ipv6".to_string()),
        1 => Just("DOCKER_OPTS=$A".to_string()),
        2 => Just("# DOCKER_OPTS=\"--dns 8.8.8.8\"".to_string()),
        2 => Just("OTHER=1".to_string()),
        2 => Just("OTHER='x'; export OTHER".to_string()),
        2 => Just(String::new()),
        1 => Just("if [ -n \"$A\" ]; then".to_string()),
        1 => Just("fi".to_string()),
        1 => Just("true &&".to_string()),
        1 => Just("[ -n \"$B\" ] && DOCKER_OPTS=\"--debug\"".to_string()),
        1 => Just("cat >/dev/null <<EOF".to_string()),
        1 => Just("EOF".to_string()),
        1 => Just(":&#\"".to_string()),
        1 => Just("X=a\\".to_string()),
        1 => Just("unset DOCKER_OPTS".to_string()),
        1 => Just("DOCKER_OPTS=\"--ipv6\"#c".to_string()),
    ];
    prop::collection::vec(line, 0..6).prop_map(|lines| {
        let mut text = lines.join("\n");
        text.push('\n');
        text
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn every_accepted_edit_changes_only_the_dns_flags_the_shell_sees(text in defaults_file()) {
        let dir = tempfile::tempdir().unwrap();
        check_edit(dir.path(), &text)?;
    }
}

/// The property above is worth something only if many generated files are
/// edited, not only refused.
#[test]
fn the_generator_makes_files_that_are_edited() {
    let mut runner = proptest::test_runner::TestRunner::default();
    let mut accepted = 0;
    let dir = tempfile::tempdir().unwrap();
    for _ in 0..200 {
        let text = defaults_file().new_tree(&mut runner).unwrap().current();
        if check_edit(dir.path(), &text).unwrap() {
            accepted += 1;
        }
    }
    assert!(
        accepted >= 40,
        "only {accepted} of 200 generated files were edited"
    );
}
