//! Driving Debian's `apparmor_parser`: validation without the kernel, and
//! loading, replacing and unloading profiles. Its error messages are mapped
//! back to a line of the text that was given.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::{Error, Result};
use crate::policy::PolicyFile;

/// Where `apparmor_parser` is looked for besides `PATH` (it lives in an
/// `sbin` directory, which users' `PATH` often lacks).
const SBIN_DIRS: &[&str] = &["/usr/sbin", "/sbin"];

/// The `apparmor_parser` program: on `PATH` or in `/usr/sbin` or `/sbin`.
pub fn find_parser() -> Result<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(SBIN_DIRS.iter().map(PathBuf::from))
        .map(|dir| dir.join("apparmor_parser"))
        .find(|candidate| candidate.is_file())
        .ok_or(Error::ParserMissing)
}

/// Lines the parser prints that say nothing about the policy (no cache on
/// a kernel without AppArmor).
fn is_noise(line: &str) -> bool {
    line.trim().is_empty()
        || line.starts_with("Cache read/write disabled")
        || line.starts_with("Warning: unable to find a suitable fs")
        || line.starts_with("Use --subdomainfs to override")
}

/// Reads the parser's complaint: `AppArmor parser error for FILE in
/// profile P at line N: MESSAGE`. The line counts only when FILE is the
/// file that was given (an error in an included file names that file).
fn rejection(stderr: &str, file: &Path, text: &str) -> Error {
    let lines: Vec<&str> = stderr.lines().filter(|l| !is_noise(l)).collect();
    let message = if lines.is_empty() {
        "it failed without saying why".to_string()
    } else {
        lines.join("\n")
    };
    let file_name = file.display().to_string();
    let line = lines.iter().find_map(|l| {
        let rest = l.strip_prefix("AppArmor parser error for ")?;
        let (place, _) = rest.split_once(": ")?;
        // "in profile X" names the file the parser was reading at the time.
        let (_, inner) = place.split_once(" in profile ")?;
        let (where_, number) = inner.rsplit_once(" at line ")?;
        (where_ == file_name)
            .then(|| number.trim().parse::<usize>().ok())
            .flatten()
    });
    // Show the message without the temporary file's name.
    let message = message
        .replace(&format!("for {file_name} in profile {file_name} "), "")
        .replace(&file_name, "the policy");
    Error::Rejected {
        line,
        source_line: line
            .and_then(|n| text.lines().nth(n.checked_sub(1)?))
            .map(str::to_string),
        message,
    }
}

/// Runs the parser with `args` on `text`, written to a temporary file.
fn run_on_text(args: &[&str], text: &str) -> Result<()> {
    // Missing parser first: no temporary file for nothing.
    find_parser()?;
    let io = |what, source| Error::Io {
        what,
        path: std::env::temp_dir(),
        source,
    };
    let mut file = tempfile::Builder::new()
        .prefix("pcvmfs-apparmor-")
        .suffix(".profile")
        .tempfile()
        .map_err(|e| io("cannot make a temporary file in", e))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.flush())
        .map_err(|e| io("cannot write a temporary file in", e))?;
    run_parser(args, file.path(), text)
}

/// Checks policy text with the real parser, without the kernel and without
/// the cache, so it works where the kernel has no AppArmor. A rejection
/// names the line of `text` the parser complained about.
pub fn validate_text(text: &str) -> Result<()> {
    run_on_text(&["--skip-kernel-load", "--skip-cache", "--quiet"], text)
}

/// Checks a policy with the real parser (see [`validate_text`]).
pub fn validate(policy: &PolicyFile) -> Result<()> {
    validate_text(&policy.render())
}

/// Runs the parser on a policy file with `args` (loading, replacing or
/// removing it).
pub(crate) fn run_on_file(args: &[&str], path: &Path) -> Result<()> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    run_parser(args, path, &text)
}

/// Runs the parser with `args` on `path`, whose content is `text` (for
/// mapping a refusal back to its line).
fn run_parser(args: &[&str], path: &Path, text: &str) -> Result<()> {
    let parser = find_parser()?;
    let output = Command::new(&parser)
        .args(args)
        .arg(path)
        .output()
        .map_err(|e| Error::Io {
            what: "cannot run",
            path: parser.clone(),
            source: e,
        })?;
    if output.status.success() {
        Ok(())
    } else {
        Err(rejection(
            &String::from_utf8_lossy(&output.stderr),
            path,
            text,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_in_the_given_file_are_mapped_to_its_lines() {
        let text = "profile t {\n  capability,\n  network\n  foo bar baz,\n}\n";
        let err = rejection(
            "Cache read/write disabled: interface file missing. (Kernel needs AppArmor 2.4 compatibility patch.)\n\
             AppArmor parser error for /tmp/x.profile in profile /tmp/x.profile at line 4: syntax error, unexpected TOK_ID, expecting TOK_END_OF_RULE\n",
            Path::new("/tmp/x.profile"),
            text,
        );
        let Error::Rejected {
            line,
            source_line,
            message,
        } = err
        else {
            panic!()
        };
        assert_eq!(line, Some(4));
        assert_eq!(source_line.as_deref(), Some("  foo bar baz,"));
        assert!(
            message.starts_with("AppArmor parser error at line 4: syntax error"),
            "{message}"
        );
        assert!(!message.contains("Cache"), "{message}");
    }

    #[test]
    fn errors_in_included_files_have_no_line_of_ours() {
        let err = rejection(
            "AppArmor parser error for /tmp/x.profile in profile /etc/apparmor.d/abstractions/base at line 9: bad\n",
            Path::new("/tmp/x.profile"),
            "profile t {\n}\n",
        );
        assert!(matches!(err, Error::Rejected { line: None, .. }), "{err:?}");
        let empty = rejection("", Path::new("/tmp/x"), "");
        assert!(empty.to_string().contains("without saying why"));
    }
}
