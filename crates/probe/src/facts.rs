//! Facts about the probe's process, the kernel and the image.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pcvmfs_core::probe::{ProbeIdentity, ProbeImage, ProbeKernel, ProbeParrot};

fn read_trimmed(path: &str) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|s| {
            s.trim_matches(|c: char| c.is_whitespace() || c == '\0')
                .to_string()
        })
        .filter(|s| !s.is_empty())
}

/// A field of `/proc/self/status`; for `Uid` and `Gid` the effective id.
fn status_field<'a>(status: &'a str, key: &str) -> Option<&'a str> {
    let value = status
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))?;
    let index = usize::from(key == "Uid" || key == "Gid");
    value.split_whitespace().nth(index)
}

/// What the probe process is.
pub fn identity() -> ProbeIdentity {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let number = |key| status_field(&status, key).and_then(|v| v.parse().ok());
    // SAFETY: geteuid and getegid have no preconditions.
    let (euid, egid) = unsafe { (libc::geteuid(), libc::getegid()) };
    ProbeIdentity {
        uid: number("Uid").unwrap_or(euid),
        gid: number("Gid").unwrap_or(egid),
        cap_eff: status_field(&status, "CapEff").unwrap_or("").to_string(),
        cap_bnd: status_field(&status, "CapBnd").unwrap_or("").to_string(),
        no_new_privs: status_field(&status, "NoNewPrivs") == Some("1"),
        seccomp_mode: number("Seccomp").unwrap_or(0) as u8,
        seccomp_filters: number("Seccomp_filters"),
        lsm_label: read_trimmed("/proc/self/attr/current"),
        apparmor_label: read_trimmed("/proc/self/attr/apparmor/current"),
    }
}

/// The kernel as the container sees it.
pub fn kernel() -> ProbeKernel {
    ProbeKernel {
        release: read_trimmed("/proc/sys/kernel/osrelease").unwrap_or_else(|| "unknown".into()),
        yama_ptrace_scope: read_trimmed("/proc/sys/kernel/yama/ptrace_scope")
            .and_then(|s| s.parse().ok()),
    }
}

/// Where images keep their C library.
const LIBC_DIRS: &[&str] = &[
    "/lib/x86_64-linux-gnu",
    "/usr/lib/x86_64-linux-gnu",
    "/lib64",
    "/usr/lib64",
    "/lib",
    "/usr/lib",
];

/// The glibc version in a `libc.so.6`, read from its banner ("... release
/// version 2.36.") or else from its newest `GLIBC_x.y` symbol version,
/// without running it.
pub fn glibc_version(bytes: &[u8]) -> Option<String> {
    let banner = b"release version ";
    if let Some(at) = find(bytes, banner) {
        let rest = &bytes[at + banner.len()..];
        let version: String = rest
            .iter()
            .take_while(|b| b.is_ascii_digit() || **b == b'.')
            .map(|b| *b as char)
            .collect();
        let version = version.trim_end_matches('.').to_string();
        if version.contains('.') {
            return Some(version);
        }
    }
    let mut best: Option<(u32, u32)> = None;
    let marker = b"GLIBC_2.";
    let mut from = 0;
    while let Some(at) = find(&bytes[from..], marker) {
        let start = from + at + marker.len();
        let minor: String = bytes[start..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .map(|b| *b as char)
            .collect();
        if let Ok(minor) = minor.parse::<u32>() {
            best = best.max(Some((2, minor)));
        }
        from = start;
    }
    best.map(|(major, minor)| format!("{major}.{minor}"))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// `parrot_run` on `PATH`.
fn find_on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into());
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// Runs `parrot_run --check-driver cvmfs` for at most a few seconds.
fn cvmfs_driver(parrot: &Path) -> Option<bool> {
    let mut child = Command::new(parrot)
        .args(["--check-driver", "cvmfs"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    }
    let output = child.wait_with_output().ok()?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    if text.contains("is not enabled") {
        Some(false)
    } else if output.status.success() {
        Some(true)
    } else {
        None
    }
}

/// Facts of the image: its C library and its parrot.
pub fn image() -> ProbeImage {
    let libc = LIBC_DIRS
        .iter()
        .map(|dir| Path::new(dir).join("libc.so.6"))
        .find(|path| path.exists());
    let glibc_version = libc
        .as_ref()
        .and_then(|path| std::fs::read(path).ok())
        .and_then(|bytes| glibc_version(&bytes));
    let parrot = find_on_path("parrot_run").map(|path| ProbeParrot {
        cvmfs: cvmfs_driver(&path),
        path: path.display().to_string(),
    });
    ProbeImage {
        glibc_version,
        libc_path: libc.map(|p| p.display().to_string()),
        parrot,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glibc_versions_come_from_the_banner_or_the_symbol_versions() {
        let banner =
            b"\x00GNU C Library (Debian GLIBC 2.36-9+deb12u4) stable release version 2.36.\n";
        assert_eq!(glibc_version(banner).as_deref(), Some("2.36"));
        let symbols = b"GLIBC_2.2.5\x00GLIBC_2.17\x00GLIBC_2.34\x00GLIBC_PRIVATE\x00GLIBC_2.4";
        assert_eq!(glibc_version(symbols).as_deref(), Some("2.34"));
        assert_eq!(glibc_version(b"nothing here"), None);
    }

    #[test]
    fn this_machines_libc_has_a_version() {
        let path = LIBC_DIRS
            .iter()
            .map(|d| Path::new(d).join("libc.so.6"))
            .find(|p| p.exists())
            .unwrap();
        let version = glibc_version(&std::fs::read(path).unwrap()).unwrap();
        assert!(version.starts_with("2."), "{version}");
    }

    #[test]
    fn status_fields_give_effective_ids() {
        let status = "Uid:\t1000\t1001\t1002\t1003\nCapEff:\t00000000a80425fb\n";
        assert_eq!(status_field(status, "Uid"), Some("1001"));
        assert_eq!(status_field(status, "CapEff"), Some("00000000a80425fb"));
        assert_eq!(status_field(status, "Gid"), None);
    }
}
