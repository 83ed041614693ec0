//! What an engine says about itself (`docker info` and `docker version`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One of the engine's security options, such as `seccomp` with
/// `profile=default`, or `rootless`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityOption {
    /// The option's name: `seccomp`, `apparmor`, `selinux`, `userns`,
    /// `rootless`, `no-new-privileges`, `cgroupns`, ...
    pub name: String,
    /// Its attributes, such as `profile` for seccomp.
    pub attributes: BTreeMap<String, String>,
}

impl SecurityOption {
    /// Parses one entry of the engine's `SecurityOptions`: the current form
    /// `name=seccomp,profile=default`, or the bare name older engines
    /// report (`seccomp`).
    pub fn parse(text: &str) -> SecurityOption {
        let text = text.trim();
        if !text.starts_with("name=") {
            return SecurityOption {
                name: text.to_string(),
                attributes: BTreeMap::new(),
            };
        }
        let mut name = String::new();
        let mut attributes = BTreeMap::new();
        for part in text.split(',') {
            let (key, value) = part.split_once('=').unwrap_or((part, ""));
            if key == "name" && name.is_empty() {
                name = value.to_string();
            } else {
                attributes.insert(key.to_string(), value.to_string());
            }
        }
        SecurityOption { name, attributes }
    }
}

/// The engine and the host it runs on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineInfo {
    /// The engine's version (`20.10.24+dfsg1`).
    pub version: String,
    /// The API version the client and the engine agreed on (`1.41`).
    pub api_version: String,
    /// The highest API version the engine offers.
    pub engine_api_version: String,
    /// The host's operating system as the engine reports it.
    pub os: String,
    /// The host's kernel release.
    pub kernel_version: String,
    /// The host's architecture (`x86_64`).
    pub arch: String,
    /// The storage driver (`overlay2`, `fuse-overlayfs`, ...).
    pub storage_driver: String,
    /// The engine's security options.
    pub security_options: Vec<SecurityOption>,
}

impl EngineInfo {
    /// The security option with this name, if the engine has it.
    pub fn security_option(&self, name: &str) -> Option<&SecurityOption> {
        self.security_options.iter().find(|o| o.name == name)
    }
}

/// Compares two dotted API versions (`1.41` < `1.50`); a malformed part
/// counts as 0.
pub fn api_version_at_least(version: &str, minimum: &str) -> bool {
    let parts = |v: &str| -> Vec<u32> { v.split('.').map(|p| p.parse().unwrap_or(0)).collect() };
    parts(version) >= parts(minimum)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn current_and_old_security_option_forms_parse() {
        let seccomp = SecurityOption::parse("name=seccomp,profile=default");
        assert_eq!(seccomp.name, "seccomp");
        assert_eq!(seccomp.attributes["profile"], "default");
        assert_eq!(SecurityOption::parse("name=rootless").name, "rootless");
        assert!(SecurityOption::parse("name=cgroupns").attributes.is_empty());
        let old = SecurityOption::parse("seccomp");
        assert_eq!(old.name, "seccomp");
        let odd = SecurityOption::parse("name=userns,flag,name=x");
        assert_eq!(odd.name, "userns");
        assert_eq!(odd.attributes["flag"], "");
        assert_eq!(odd.attributes["name"], "x");
    }

    #[test]
    fn api_versions_compare_numerically() {
        assert!(api_version_at_least("1.41", "1.41"));
        assert!(api_version_at_least("1.50", "1.41"));
        assert!(!api_version_at_least("1.9", "1.41"));
        assert!(!api_version_at_least("garbage", "1.41"));
    }
}
