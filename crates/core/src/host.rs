//! Facts about the host that decide whether parrot can trace in a
//! container: kernel, architecture, Linux security modules, Yama, seccomp
//! and user namespaces. Read through [`HostTree`] so that the logic runs on
//! canned `/proc` and `/sys` trees in tests.

use std::io;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Read access to the files of a host's `/proc` and `/sys`.
pub trait HostTree {
    /// The content of an absolute path such as `/proc/sys/kernel/osrelease`.
    fn read(&self, path: &str) -> io::Result<String>;

    /// Whether an absolute path exists.
    fn exists(&self, path: &str) -> bool;

    /// The names in a directory (empty when it cannot be read).
    fn list(&self, dir: &str) -> Vec<String>;

    /// The architecture to assume when the tree does not say
    /// (`/proc/sys/kernel/arch` is missing before Linux 6.1).
    fn fallback_arch(&self) -> Option<String> {
        None
    }
}

/// The host this process runs on.
#[derive(Debug, Clone, Copy, Default)]
pub struct LiveHost;

impl HostTree for LiveHost {
    fn read(&self, path: &str) -> io::Result<String> {
        std::fs::read_to_string(path)
    }

    fn exists(&self, path: &str) -> bool {
        std::path::Path::new(path).exists()
    }

    fn list(&self, dir: &str) -> Vec<String> {
        list_dir(std::path::Path::new(dir))
    }

    fn fallback_arch(&self) -> Option<String> {
        Some(std::env::consts::ARCH.to_string())
    }
}

/// A copy of a host's files under a root directory (`ROOT/proc/...`).
#[derive(Debug, Clone)]
pub struct HostTreeAt {
    root: PathBuf,
}

impl HostTreeAt {
    /// A tree whose `/` is `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        HostTreeAt { root: root.into() }
    }

    /// Writes a canned tree under `root` (each absolute path with its
    /// content) and returns the tree: a host to test logic on.
    pub fn populate(root: impl Into<PathBuf>, files: &[(&str, &str)]) -> io::Result<Self> {
        let tree = HostTreeAt::new(root);
        for (path, content) in files {
            let full = tree.path(path);
            if let Some(parent) = full.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(full, content)?;
        }
        Ok(tree)
    }

    fn path(&self, path: &str) -> PathBuf {
        self.root.join(path.trim_start_matches('/'))
    }
}

impl HostTree for HostTreeAt {
    fn read(&self, path: &str) -> io::Result<String> {
        std::fs::read_to_string(self.path(path))
    }

    fn exists(&self, path: &str) -> bool {
        self.path(path).exists()
    }

    fn list(&self, dir: &str) -> Vec<String> {
        list_dir(&self.path(dir))
    }
}

fn list_dir(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|e| e.file_name().into_string().ok())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// SELinux's mode on the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SelinuxMode {
    /// Not in the kernel, or switched off.
    Disabled,
    /// Logs denials without enforcing them.
    Permissive,
    /// Enforces its policy.
    Enforcing,
}

impl SelinuxMode {
    /// The mode's name as `getenforce` prints it, in lower case.
    pub fn as_str(self) -> &'static str {
        match self {
            SelinuxMode::Disabled => "disabled",
            SelinuxMode::Permissive => "permissive",
            SelinuxMode::Enforcing => "enforcing",
        }
    }
}

/// The facts of a host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostFacts {
    /// The machine architecture (`x86_64`), or `unknown`.
    pub arch: String,
    /// The kernel release (`6.1.0-18-amd64`), or `unknown`.
    pub kernel_release: String,
    /// Whether the AppArmor module is loaded and enabled.
    pub apparmor_enabled: bool,
    /// SELinux's mode.
    pub selinux: SelinuxMode,
    /// Yama's `ptrace_scope` (0 to 3); `None` when Yama is not active.
    pub yama_ptrace_scope: Option<u8>,
    /// Whether the kernel has seccomp filtering.
    pub seccomp_available: bool,
    /// Whether unprivileged users may create user namespaces; `None` when
    /// the tree does not say.
    pub unprivileged_userns: Option<bool>,
}

fn read_trimmed(tree: &dyn HostTree, path: &str) -> Option<String> {
    tree.read(path).ok().map(|s| s.trim().to_string())
}

impl HostFacts {
    /// Reads the facts of the running host.
    pub fn live() -> HostFacts {
        HostFacts::read(&LiveHost)
    }

    /// Reads the facts from a tree.
    pub fn read(tree: &dyn HostTree) -> HostFacts {
        let arch = read_trimmed(tree, "/proc/sys/kernel/arch")
            .filter(|a| !a.is_empty())
            .or_else(|| tree.fallback_arch())
            .unwrap_or_else(|| "unknown".to_string());
        let kernel_release = read_trimmed(tree, "/proc/sys/kernel/osrelease")
            .filter(|r| !r.is_empty())
            .unwrap_or_else(|| "unknown".to_string());
        let apparmor_enabled =
            read_trimmed(tree, "/sys/module/apparmor/parameters/enabled").as_deref() == Some("Y");
        let selinux = match read_trimmed(tree, "/sys/fs/selinux/enforce").as_deref() {
            Some("1") => SelinuxMode::Enforcing,
            Some("0") => SelinuxMode::Permissive,
            _ => SelinuxMode::Disabled,
        };
        let yama_ptrace_scope =
            read_trimmed(tree, "/proc/sys/kernel/yama/ptrace_scope").and_then(|s| s.parse().ok());
        let seccomp_available = tree.exists("/proc/sys/kernel/seccomp/actions_avail")
            || tree
                .read("/proc/self/status")
                .map(|s| s.lines().any(|l| l.starts_with("Seccomp:")))
                .unwrap_or(false);
        HostFacts {
            arch,
            kernel_release,
            apparmor_enabled,
            selinux,
            yama_ptrace_scope,
            seccomp_available,
            unprivileged_userns: unprivileged_userns(tree),
        }
    }
}

/// Whether unprivileged user namespaces are allowed: the namespace limit
/// must be above zero, and neither Debian's `unprivileged_userns_clone` nor
/// Ubuntu's AppArmor restriction may forbid them.
fn unprivileged_userns(tree: &dyn HostTree) -> Option<bool> {
    let max: Option<u64> =
        read_trimmed(tree, "/proc/sys/user/max_user_namespaces").and_then(|s| s.parse().ok());
    let clone = read_trimmed(tree, "/proc/sys/kernel/unprivileged_userns_clone");
    let restricted = read_trimmed(
        tree,
        "/proc/sys/kernel/apparmor_restrict_unprivileged_userns",
    );
    let max = max?;
    Some(max > 0 && clone.as_deref() != Some("0") && restricted.as_deref() != Some("1"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canned(files: &[(&str, &str)]) -> (tempfile::TempDir, HostTreeAt) {
        let dir = tempfile::tempdir().unwrap();
        let tree = HostTreeAt::populate(dir.path(), files).unwrap();
        (dir, tree)
    }

    #[test]
    fn an_ubuntu_like_host_with_apparmor_and_yama_1() {
        let (_dir, tree) = canned(&[
            ("/proc/sys/kernel/arch", "x86_64\n"),
            ("/proc/sys/kernel/osrelease", "6.8.0-45-generic\n"),
            ("/sys/module/apparmor/parameters/enabled", "Y\n"),
            ("/proc/sys/kernel/yama/ptrace_scope", "1\n"),
            (
                "/proc/sys/kernel/seccomp/actions_avail",
                "kill_process kill_thread trap errno\n",
            ),
            ("/proc/sys/user/max_user_namespaces", "63422\n"),
            (
                "/proc/sys/kernel/apparmor_restrict_unprivileged_userns",
                "1\n",
            ),
        ]);
        let facts = HostFacts::read(&tree);
        assert_eq!(facts.arch, "x86_64");
        assert_eq!(facts.kernel_release, "6.8.0-45-generic");
        assert!(facts.apparmor_enabled);
        assert_eq!(facts.selinux, SelinuxMode::Disabled);
        assert_eq!(facts.yama_ptrace_scope, Some(1));
        assert!(facts.seccomp_available);
        assert_eq!(facts.unprivileged_userns, Some(false));
    }

    #[test]
    fn apparmor_off_and_every_yama_scope() {
        for scope in 0..=3u8 {
            let text = format!("{scope}\n");
            let (_dir, tree) = canned(&[
                ("/sys/module/apparmor/parameters/enabled", "N\n"),
                ("/proc/sys/kernel/yama/ptrace_scope", &text),
            ]);
            let facts = HostFacts::read(&tree);
            assert!(!facts.apparmor_enabled);
            assert_eq!(facts.yama_ptrace_scope, Some(scope));
        }
        let (_dir, tree) = canned(&[("/proc/sys/kernel/yama/ptrace_scope", "garbage")]);
        assert_eq!(HostFacts::read(&tree).yama_ptrace_scope, None);
    }

    #[test]
    fn an_el_host_with_selinux_enforcing_and_no_yama() {
        let (_dir, tree) = canned(&[
            ("/sys/fs/selinux/enforce", "1"),
            ("/proc/self/status", "Name:\tcat\nSeccomp:\t0\n"),
            ("/proc/sys/user/max_user_namespaces", "0\n"),
        ]);
        let facts = HostFacts::read(&tree);
        assert_eq!(facts.selinux, SelinuxMode::Enforcing);
        assert_eq!(facts.yama_ptrace_scope, None);
        assert!(facts.seccomp_available);
        assert_eq!(facts.unprivileged_userns, Some(false));
        assert_eq!(facts.arch, "unknown");
        assert_eq!(facts.kernel_release, "unknown");
        let (_dir, tree) = canned(&[("/sys/fs/selinux/enforce", "0")]);
        assert_eq!(HostFacts::read(&tree).selinux, SelinuxMode::Permissive);
    }

    #[test]
    fn an_empty_tree_yields_unknowns_not_errors() {
        let (_dir, tree) = canned(&[]);
        let facts = HostFacts::read(&tree);
        assert!(!facts.seccomp_available && !facts.apparmor_enabled);
        assert_eq!(facts.unprivileged_userns, None);
    }

    #[test]
    fn this_machine() {
        // Facts of the machine the tests run on, checked against what the
        // kernel says through other means.
        let facts = HostFacts::live();
        let osrelease = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap();
        assert_eq!(facts.kernel_release, osrelease.trim());
        assert_eq!(facts.arch, std::env::consts::ARCH);
        assert_eq!(
            facts.apparmor_enabled,
            std::fs::read_to_string("/sys/module/apparmor/parameters/enabled")
                .is_ok_and(|s| s.trim() == "Y")
        );
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        assert_eq!(facts.seccomp_available, status.contains("Seccomp:"));
    }
}
