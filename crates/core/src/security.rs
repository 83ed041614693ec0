//! Security options of a container: seccomp, AppArmor, capabilities and
//! `no-new-privileges`, as a user asks for them.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// The Linux capability names (without the `CAP_` prefix), in kernel order.
const CAPABILITY_NAMES: &[&str] = &[
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_ADMIN",
    "NET_RAW",
    "IPC_LOCK",
    "IPC_OWNER",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_CHROOT",
    "SYS_PTRACE",
    "SYS_PACCT",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_NICE",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "MKNOD",
    "LEASE",
    "AUDIT_WRITE",
    "AUDIT_CONTROL",
    "SETFCAP",
    "MAC_OVERRIDE",
    "MAC_ADMIN",
    "SYSLOG",
    "WAKE_ALARM",
    "BLOCK_SUSPEND",
    "AUDIT_READ",
    "PERFMON",
    "BPF",
    "CHECKPOINT_RESTORE",
];

/// A Linux capability, or `ALL`, as Docker's `--cap-add` and `--cap-drop`
/// take it. Written with or without `CAP_`, in any case; kept in the
/// canonical `CAP_SYS_PTRACE` form.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Capability(String);

impl Capability {
    /// The canonical name: `ALL`, or `CAP_` and the upper-case name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The kernel's bit number of this capability (`None` for `ALL`).
    pub fn bit(&self) -> Option<u32> {
        let bare = self.0.strip_prefix("CAP_")?;
        CAPABILITY_NAMES
            .iter()
            .position(|n| *n == bare)
            .map(|i| i as u32)
    }

    /// The capability with the given kernel bit number, if Linux defines one.
    pub fn from_bit(bit: u32) -> Option<Capability> {
        CAPABILITY_NAMES
            .get(bit as usize)
            .map(|n| Capability(format!("CAP_{n}")))
    }

    /// The capabilities set in a hexadecimal mask as `/proc/PID/status`
    /// shows them (`CapEff: 00000000a80425fb`).
    pub fn from_mask(hex: &str) -> Result<Vec<Capability>, Error> {
        let mask = u64::from_str_radix(hex.trim(), 16)
            .map_err(|_| Error::parse("capability mask", hex, "expected hexadecimal digits"))?;
        Ok((0..64)
            .filter(|bit| mask & (1u64 << bit) != 0)
            .filter_map(Capability::from_bit)
            .collect())
    }
}

impl FromStr for Capability {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Error> {
        let upper = text.trim().to_ascii_uppercase();
        if upper == "ALL" {
            return Ok(Capability(upper));
        }
        let bare = upper.strip_prefix("CAP_").unwrap_or(&upper);
        if CAPABILITY_NAMES.contains(&bare) {
            Ok(Capability(format!("CAP_{bare}")))
        } else {
            Err(Error::parse(
                "capability",
                text,
                "not a Linux capability (for example SYS_PTRACE or CAP_SYS_PTRACE, or ALL)",
            ))
        }
    }
}

impl TryFrom<String> for Capability {
    type Error = Error;
    fn try_from(text: String) -> Result<Self, Error> {
        text.parse()
    }
}

impl From<Capability> for String {
    fn from(cap: Capability) -> String {
        cap.0
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Which seccomp filter a container gets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeccompSetting {
    /// No filter at all (`seccomp=unconfined`).
    Unconfined,
    /// The profile in this JSON file, as `docker run --security-opt
    /// seccomp=FILE` takes it.
    Profile(PathBuf),
}

impl SeccompSetting {
    /// `"unconfined"` or a path to a profile file.
    pub fn parse(text: &str) -> Result<Self, Error> {
        if text == "unconfined" {
            Ok(SeccompSetting::Unconfined)
        } else if text.is_empty() {
            Err(Error::parse(
                "seccomp setting",
                text,
                "expected \"unconfined\" or the path of a seccomp profile (JSON)",
            ))
        } else {
            crate::error::reject_nul("seccomp profile path", text)?;
            Ok(SeccompSetting::Profile(PathBuf::from(text)))
        }
    }
}

/// Longest seccomp profile accepted; Docker's own default is about 20 KiB.
const MAX_SECCOMP_PROFILE_BYTES: u64 = 4 * 1024 * 1024;

/// The security options of a container, as a user asks for them. `None` and
/// empty lists mean the engine's defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityOptions {
    /// The seccomp filter; `None` keeps the engine's default profile.
    pub seccomp: Option<SeccompSetting>,
    /// The AppArmor profile name (`unconfined` is allowed); `None` keeps
    /// the engine's default (`docker-default` where AppArmor is on).
    pub apparmor: Option<String>,
    /// Capabilities added to the engine's default set.
    pub cap_add: Vec<Capability>,
    /// Capabilities dropped from the engine's default set.
    pub cap_drop: Vec<Capability>,
    /// Whether the container's processes may not gain privileges
    /// (`no-new-privileges`).
    pub no_new_privileges: bool,
    /// The SELinux label option (`type:container_t`, `disable`, ...);
    /// `None` keeps the engine's labelling.
    #[serde(default)]
    pub selinux_label: Option<String>,
}

impl SecurityOptions {
    /// Checks an AppArmor profile name: profile names can hold many
    /// characters, but not white space, control characters, or a leading
    /// character that the engine would read as something else.
    pub fn check_apparmor_name(name: &str) -> Result<(), Error> {
        let bad = |reason: &str| Err(Error::parse("AppArmor profile name", name, reason));
        if name.is_empty() {
            return bad("is empty");
        }
        if name.len() > 255 {
            return bad("is longer than 255 bytes");
        }
        if name.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return bad("contains white space or a control character");
        }
        if name.starts_with(['=', ':', '-']) {
            return bad("must not start with '=', ':' or '-'");
        }
        Ok(())
    }

    /// The `SecurityOpt` strings of the Engine API's `HostConfig`. A seccomp
    /// profile file is read and checked to be a JSON object here, because
    /// the engine takes the profile's content, not its path.
    pub fn engine_security_opts(&self) -> Result<Vec<String>, Error> {
        let mut opts = Vec::new();
        match &self.seccomp {
            None => {}
            Some(SeccompSetting::Unconfined) => opts.push("seccomp=unconfined".to_string()),
            Some(SeccompSetting::Profile(path)) => {
                let profile = read_seccomp_profile(path)?;
                opts.push(format!("seccomp={profile}"));
            }
        }
        if let Some(name) = &self.apparmor {
            Self::check_apparmor_name(name)?;
            opts.push(format!("apparmor={name}"));
        }
        if self.no_new_privileges {
            opts.push("no-new-privileges".to_string());
        }
        if let Some(label) = &self.selinux_label {
            check_selinux_label(label)?;
            opts.push(format!("label={label}"));
        }
        Ok(opts)
    }
}

impl SecurityOptions {
    /// The `docker run` flags that ask for these options, as separate
    /// arguments (`--cap-add`, `SYS_PTRACE`, ...); a seccomp profile is
    /// given by its path, as the Docker CLI takes it.
    pub fn docker_flags(&self) -> Vec<String> {
        let mut flags = Vec::new();
        let mut opt = |value: String| {
            flags.push("--security-opt".to_string());
            flags.push(value);
        };
        match &self.seccomp {
            None => {}
            Some(SeccompSetting::Unconfined) => opt("seccomp=unconfined".into()),
            Some(SeccompSetting::Profile(path)) => opt(format!("seccomp={}", path.display())),
        }
        if let Some(name) = &self.apparmor {
            opt(format!("apparmor={name}"));
        }
        if self.no_new_privileges {
            opt("no-new-privileges".into());
        }
        if let Some(label) = &self.selinux_label {
            opt(format!("label={label}"));
        }
        for cap in &self.cap_add {
            flags.push("--cap-add".into());
            flags.push(cap.as_str().trim_start_matches("CAP_").to_string());
        }
        for cap in &self.cap_drop {
            flags.push("--cap-drop".into());
            flags.push(cap.as_str().trim_start_matches("CAP_").to_string());
        }
        flags
    }
}

/// Checks an SELinux label option: `disable`, `nested`, or `user:`,
/// `role:`, `type:`, `level:`, `filetype:` followed by a value.
pub fn check_selinux_label(label: &str) -> Result<(), Error> {
    let ok = match label.split_once(':') {
        None => matches!(label, "disable" | "nested"),
        Some((key, value)) => {
            matches!(key, "user" | "role" | "type" | "level" | "filetype")
                && !value.is_empty()
                && value
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | ',' | '-'))
        }
    };
    if ok {
        Ok(())
    } else {
        Err(Error::parse(
            "SELinux label option",
            label,
            "expected disable, nested, or user:/role:/type:/level:/filetype: and a value",
        ))
    }
}

/// Reads a seccomp profile and returns it as compact JSON.
fn read_seccomp_profile(path: &Path) -> Result<String, Error> {
    let read_err = |source| Error::Read {
        what: "seccomp profile",
        path: path.to_path_buf(),
        source,
    };
    let size = std::fs::metadata(path).map_err(read_err)?.len();
    if size > MAX_SECCOMP_PROFILE_BYTES {
        return Err(Error::parse(
            "seccomp profile",
            &path.display().to_string(),
            format!(
                "is {size} bytes; a seccomp profile is at most {MAX_SECCOMP_PROFILE_BYTES} bytes"
            ),
        ));
    }
    let text = std::fs::read_to_string(path).map_err(read_err)?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        Error::parse(
            "seccomp profile",
            &path.display().to_string(),
            format!("is not valid JSON: {e}"),
        )
    })?;
    if !value.is_object() {
        return Err(Error::parse(
            "seccomp profile",
            &path.display().to_string(),
            "must be a JSON object with \"defaultAction\" and \"syscalls\"",
        ));
    }
    if value.get("defaultAction").is_none() {
        return Err(Error::parse(
            "seccomp profile",
            &path.display().to_string(),
            "has no \"defaultAction\"",
        ));
    }
    Ok(value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capability_names_are_canonicalised() {
        for text in [
            "sys_ptrace",
            "SYS_PTRACE",
            "CAP_SYS_PTRACE",
            " cap_sys_ptrace ",
        ] {
            assert_eq!(
                text.parse::<Capability>().unwrap().as_str(),
                "CAP_SYS_PTRACE"
            );
        }
        assert_eq!("all".parse::<Capability>().unwrap().as_str(), "ALL");
        assert_eq!(
            "CAP_SYS_PTRACE".parse::<Capability>().unwrap().bit(),
            Some(19)
        );
    }

    #[test]
    fn unknown_capabilities_are_refused() {
        for text in [
            "",
            "CAP_",
            "SYS_PTRACEX",
            "sys ptrace",
            "$(reboot)",
            "CAP_ALL",
        ] {
            let err = text.parse::<Capability>().unwrap_err().to_string();
            assert!(err.contains("capability"), "{err}");
        }
    }

    #[test]
    fn capability_masks_decode_like_the_kernel() {
        // Docker's default capability set as /proc/self/status shows it.
        let caps = Capability::from_mask("00000000a80425fb").unwrap();
        let names: Vec<&str> = caps.iter().map(|c| c.as_str()).collect();
        assert_eq!(
            names,
            [
                "CAP_CHOWN",
                "CAP_DAC_OVERRIDE",
                "CAP_FOWNER",
                "CAP_FSETID",
                "CAP_KILL",
                "CAP_SETGID",
                "CAP_SETUID",
                "CAP_SETPCAP",
                "CAP_NET_BIND_SERVICE",
                "CAP_NET_RAW",
                "CAP_SYS_CHROOT",
                "CAP_MKNOD",
                "CAP_AUDIT_WRITE",
                "CAP_SETFCAP"
            ]
        );
        assert!(Capability::from_mask("zz").is_err());
    }

    #[test]
    fn apparmor_names_that_could_smuggle_options_are_refused() {
        for name in ["", "a b", "x\ny", "-foo", "=x", ":y", &"p".repeat(300)] {
            assert!(
                SecurityOptions::check_apparmor_name(name).is_err(),
                "{name:?}"
            );
        }
        for name in ["docker-ptrace", "unconfined", "pcvmfs/docker.ptrace_1"] {
            SecurityOptions::check_apparmor_name(name).unwrap();
        }
    }

    #[test]
    fn security_opts_render_as_the_engine_takes_them() {
        let dir = tempfile::tempdir().unwrap();
        let profile = dir.path().join("p.json");
        std::fs::write(&profile, "{\n \"defaultAction\": \"SCMP_ACT_ALLOW\"\n}\n").unwrap();
        let opts = SecurityOptions {
            seccomp: Some(SeccompSetting::Profile(profile)),
            apparmor: Some("docker-ptrace".into()),
            no_new_privileges: true,
            ..Default::default()
        };
        assert_eq!(
            opts.engine_security_opts().unwrap(),
            [
                r#"seccomp={"defaultAction":"SCMP_ACT_ALLOW"}"#,
                "apparmor=docker-ptrace",
                "no-new-privileges"
            ]
        );
        let unconfined = SecurityOptions {
            seccomp: Some(SeccompSetting::parse("unconfined").unwrap()),
            ..Default::default()
        };
        assert_eq!(
            unconfined.engine_security_opts().unwrap(),
            ["seccomp=unconfined"]
        );
    }

    #[test]
    fn docker_flags_are_what_the_cli_takes() {
        let opts = SecurityOptions {
            seccomp: Some(SeccompSetting::Profile("/etc/pcvmfs/parrot.json".into())),
            cap_add: vec!["SYS_PTRACE".parse().unwrap()],
            cap_drop: vec!["ALL".parse().unwrap()],
            no_new_privileges: true,
            selinux_label: Some("disable".into()),
            ..Default::default()
        };
        assert_eq!(
            opts.docker_flags(),
            [
                "--security-opt",
                "seccomp=/etc/pcvmfs/parrot.json",
                "--security-opt",
                "no-new-privileges",
                "--security-opt",
                "label=disable",
                "--cap-add",
                "SYS_PTRACE",
                "--cap-drop",
                "ALL"
            ]
        );
        assert!(SecurityOptions::default().docker_flags().is_empty());
        assert!(check_selinux_label("type:spc_t").is_ok());
        for bad in ["", "type:", "foo:bar", "disable x", "type:a b"] {
            assert!(check_selinux_label(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn bad_seccomp_profiles_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let cases = [
            ("missing.json", None, "cannot read seccomp profile"),
            ("broken.json", Some("{\"defaultAction\":"), "not valid JSON"),
            ("array.json", Some("[1,2]"), "JSON object"),
            (
                "noaction.json",
                Some("{\"syscalls\":[]}"),
                "no \"defaultAction\"",
            ),
        ];
        for (name, content, expected) in cases {
            let path = dir.path().join(name);
            if let Some(content) = content {
                std::fs::write(&path, content).unwrap();
            }
            let opts = SecurityOptions {
                seccomp: Some(SeccompSetting::Profile(path)),
                ..Default::default()
            };
            let err = opts.engine_security_opts().unwrap_err().to_string();
            assert!(err.contains(expected) && err.contains(name), "{err}");
        }
        assert!(SeccompSetting::parse("").is_err());
        assert!(SeccompSetting::parse("a\0b").is_err());
    }
}
