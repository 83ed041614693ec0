//! The kernel's AppArmor state: enabled or not (and why not), the loaded
//! profiles and their modes, and the confinement of a process. Read through
//! [`HostTree`] so that the logic is tested on canned trees.

use pcvmfs_core::HostTree;
use serde::Serialize;

/// Where the AppArmor securityfs interface lives.
pub const SECURITYFS: &str = "/sys/kernel/security/apparmor";

/// A profile loaded in the kernel, as `profiles` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoadedProfile {
    /// The profile's name.
    pub name: String,
    /// Its mode: `enforce`, `complain`, `kill`, `unconfined`, ...
    pub mode: String,
}

/// The kernel's AppArmor state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppArmorStatus {
    /// Whether policy can be loaded and enforced.
    pub enabled: bool,
    /// Why not, when it is not.
    pub reason: Option<String>,
    /// The loaded profiles (empty when the list cannot be read).
    pub profiles: Vec<LoadedProfile>,
}

impl AppArmorStatus {
    /// The loaded profile with this name.
    pub fn profile(&self, name: &str) -> Option<&LoadedProfile> {
        self.profiles.iter().find(|p| p.name == name)
    }
}

/// Splits `name (mode)` as the kernel writes profiles and labels.
fn name_and_mode(line: &str) -> Option<LoadedProfile> {
    let line = line.trim();
    if line.is_empty() {
        return None;
    }
    match line.strip_suffix(')').and_then(|l| l.rsplit_once(" (")) {
        Some((name, mode)) => Some(LoadedProfile {
            name: name.to_string(),
            mode: mode.to_string(),
        }),
        None => Some(LoadedProfile {
            name: line.to_string(),
            mode: String::new(),
        }),
    }
}

/// The AppArmor state of the host `tree` describes.
pub fn status_of(tree: &dyn HostTree) -> AppArmorStatus {
    let disabled = |reason: &str| AppArmorStatus {
        enabled: false,
        reason: Some(reason.to_string()),
        profiles: Vec::new(),
    };
    let enabled = tree.read("/sys/module/apparmor/parameters/enabled");
    match enabled.as_deref().map(str::trim) {
        Err(_) if !tree.exists("/sys/module/apparmor") => {
            return disabled("the kernel has no AppArmor module (/sys/module/apparmor is missing)");
        }
        Ok("Y") => {}
        Ok(_) => {
            return disabled(
                "AppArmor is in the kernel but disabled (apparmor=0 or an lsm= list without apparmor on the kernel command line)",
            );
        }
        Err(_) => return disabled("the AppArmor module does not say whether it is enabled"),
    }
    if !tree.exists(SECURITYFS) {
        return disabled(
            "securityfs is not mounted, so policy cannot be loaded (mount -t securityfs securityfs /sys/kernel/security)",
        );
    }
    let profiles = tree
        .read(&format!("{SECURITYFS}/profiles"))
        .map(|text| text.lines().filter_map(name_and_mode).collect())
        .unwrap_or_default();
    AppArmorStatus {
        enabled: true,
        reason: None,
        profiles,
    }
}

/// The AppArmor confinement of process `pid`: its label and mode
/// (`docker-default`, `enforce`), or `unconfined`. `None` when the process
/// or its attributes cannot be read.
pub fn confinement_of(tree: &dyn HostTree, pid: u32) -> Option<LoadedProfile> {
    // Newer kernels keep each LSM's attributes apart; older ones share
    // `attr/current` between whichever LSM is active.
    [
        format!("/proc/{pid}/attr/apparmor/current"),
        format!("/proc/{pid}/attr/current"),
    ]
    .iter()
    .find_map(|path| tree.read(path).ok())
    .and_then(|text| name_and_mode(text.trim_end_matches('\0')))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pcvmfs_core::HostTreeAt;

    fn canned(files: &[(&str, &str)]) -> (tempfile::TempDir, HostTreeAt) {
        let dir = tempfile::tempdir().unwrap();
        let tree = HostTreeAt::populate(dir.path(), files).unwrap();
        (dir, tree)
    }

    #[test]
    fn enabled_with_profiles_and_a_confined_process() {
        let (_d, tree) = canned(&[
            ("/sys/module/apparmor/parameters/enabled", "Y\n"),
            (
                "/sys/kernel/security/apparmor/profiles",
                "docker-default (enforce)\n/usr/sbin/cupsd (complain)\nlsb_release (enforce)\n",
            ),
            (
                "/proc/42/attr/apparmor/current",
                "docker-default (enforce)\n",
            ),
            ("/proc/43/attr/current", "unconfined\n"),
        ]);
        let status = status_of(&tree);
        assert!(status.enabled && status.reason.is_none());
        assert_eq!(status.profiles.len(), 3);
        assert_eq!(status.profile("/usr/sbin/cupsd").unwrap().mode, "complain");
        let confined = confinement_of(&tree, 42).unwrap();
        assert_eq!(
            (confined.name.as_str(), confined.mode.as_str()),
            ("docker-default", "enforce")
        );
        assert_eq!(confinement_of(&tree, 43).unwrap().name, "unconfined");
        assert_eq!(confinement_of(&tree, 44), None);
    }

    #[test]
    fn disabled_absent_and_unmounted_say_why() {
        let (_d, off) = canned(&[("/sys/module/apparmor/parameters/enabled", "N\n")]);
        let status = status_of(&off);
        assert!(!status.enabled && status.reason.unwrap().contains("disabled"));
        let (_d, absent) = canned(&[("/proc/version", "Linux\n")]);
        assert!(
            status_of(&absent)
                .reason
                .unwrap()
                .contains("no AppArmor module")
        );
        let (_d, unmounted) = canned(&[("/sys/module/apparmor/parameters/enabled", "Y\n")]);
        assert!(
            status_of(&unmounted)
                .reason
                .unwrap()
                .contains("securityfs is not mounted")
        );
    }

    #[test]
    fn this_machine_agrees_with_its_own_files() {
        let status = status_of(&pcvmfs_core::LiveHost);
        let module = std::fs::read_to_string("/sys/module/apparmor/parameters/enabled")
            .is_ok_and(|s| s.trim() == "Y");
        assert_eq!(
            status.enabled,
            module && std::path::Path::new(SECURITYFS).exists()
        );
    }
}
