//! What a container is asked to be ([`ContainerSpec`]), what runs in it
//! ([`ExecSpec`], [`ExecOutput`]) and the security the engine really applied
//! ([`AppliedSecurity`]).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::dns::DnsOptions;
use crate::error::{Error, reject_nul};
use crate::mount::VolumeMount;
use crate::security::{Capability, SecurityOptions};

/// The label every container, image, network and volume that pcvmfs
/// creates carries, so that they can be found and cleaned up.
pub const MANAGED_LABEL: &str = "org.pcvmfs.managed";

/// A container to start.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerSpec {
    /// The image reference or id.
    pub image: String,
    /// The command; `None` keeps the image's own `CMD`.
    pub command: Option<Vec<String>>,
    /// The user (`name`, `uid` or `uid:gid`); `None` keeps the image's.
    pub user: Option<String>,
    /// Environment variables, in order.
    pub env: Vec<(String, String)>,
    /// Security options.
    pub security: SecurityOptions,
    /// DNS options; empty means the engine's settings.
    pub dns: DnsOptions,
    /// Bind mounts and volumes.
    pub volumes: Vec<VolumeMount>,
    /// Labels besides [`MANAGED_LABEL`], which is always added.
    pub labels: BTreeMap<String, String>,
    /// Attach standard input (an interactive shell).
    pub interactive: bool,
    /// Allocate a terminal; only with `interactive`.
    pub tty: bool,
    /// Run an init as PID 1 (`docker run --init`), which reaps orphans and
    /// passes signals on. Parrot needs one when it would otherwise be PID 1:
    /// on its fatal path it kills itself with a signal, which PID 1 of a PID
    /// namespace ignores, so it would hang.
    #[serde(default)]
    pub init: bool,
    /// The network to join (`bridge`, `host`, `none` or a user-defined
    /// network's name); `None` is the engine's default bridge.
    #[serde(default)]
    pub network: Option<String>,
}

impl ContainerSpec {
    /// A spec for `image` with every other setting at its default.
    pub fn new(image: impl Into<String>) -> Self {
        ContainerSpec {
            image: image.into(),
            ..Default::default()
        }
    }

    /// Checks everything that the engine would otherwise refuse late or
    /// read wrongly: an empty image, NUL bytes, malformed variable names,
    /// users and labels.
    pub fn check(&self) -> Result<(), Error> {
        if self.image.trim().is_empty() {
            return Err(Error::parse("image", &self.image, "is empty"));
        }
        if self
            .image
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(Error::parse("image", &self.image, "contains white space"));
        }
        if let Some(command) = &self.command {
            check_argv("command", command)?;
        }
        if let Some(user) = &self.user {
            check_user(user)?;
        }
        check_env(&self.env)?;
        if let Some(network) = &self.network {
            check_network(network)?;
        }
        for (key, value) in &self.labels {
            check_label(key, value)?;
        }
        Ok(())
    }

    /// All labels of the container, [`MANAGED_LABEL`] included.
    pub fn all_labels(&self) -> BTreeMap<String, String> {
        let mut labels = self.labels.clone();
        labels.insert(MANAGED_LABEL.to_string(), "true".to_string());
        labels
    }
}

/// A command to run in a running container.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecSpec {
    /// The program and its arguments; no shell is involved.
    pub argv: Vec<String>,
    /// The user; `None` is the container's user.
    pub user: Option<String>,
    /// Extra environment variables, in order.
    pub env: Vec<(String, String)>,
    /// The working directory; `None` is the container's.
    pub workdir: Option<String>,
    /// How long the command may run before it is killed.
    pub timeout: Option<Duration>,
}

impl ExecSpec {
    /// A spec that runs `argv` with every other setting at its default.
    pub fn new<S: Into<String>>(argv: impl IntoIterator<Item = S>) -> Self {
        ExecSpec {
            argv: argv.into_iter().map(Into::into).collect(),
            ..Default::default()
        }
    }

    /// Checks the command line, user, environment and working directory.
    pub fn check(&self) -> Result<(), Error> {
        check_argv("command", &self.argv)?;
        if let Some(user) = &self.user {
            check_user(user)?;
        }
        check_env(&self.env)?;
        if let Some(dir) = &self.workdir {
            reject_nul("working directory", dir)?;
            if !dir.starts_with('/') {
                return Err(Error::parse(
                    "working directory",
                    dir,
                    "must be an absolute path",
                ));
            }
        }
        if self.timeout == Some(Duration::ZERO) {
            return Err(Error::parse("timeout", "0", "must be more than zero"));
        }
        Ok(())
    }
}

/// What a finished command left behind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecOutput {
    /// The exit code (128 + N when killed by signal N).
    pub exit_code: i64,
    /// Everything written to standard output, byte for byte.
    pub stdout: Vec<u8>,
    /// Everything written to standard error, byte for byte.
    pub stderr: Vec<u8>,
}

/// The seccomp filter the engine really put on a container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "profile")]
pub enum AppliedSeccomp {
    /// The engine's default profile.
    Default,
    /// No filter (`seccomp=unconfined`, or a privileged container).
    Unconfined,
    /// A custom profile, as the JSON the engine was given.
    Custom(String),
}

/// The security settings the engine reports for a container (`docker
/// inspect`), which can differ from what was asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedSecurity {
    /// Whether the container is privileged (every layer switched off).
    pub privileged: bool,
    /// The seccomp filter.
    pub seccomp: AppliedSeccomp,
    /// The AppArmor profile, when the engine applied one.
    pub apparmor_profile: Option<String>,
    /// Capabilities added to the default set.
    pub cap_add: Vec<Capability>,
    /// Capabilities dropped from the default set.
    pub cap_drop: Vec<Capability>,
    /// Whether `no-new-privileges` is set.
    pub no_new_privileges: bool,
    /// Other `SecurityOpt` entries, as the engine holds them (label, ...).
    pub other_options: Vec<String>,
}

impl AppliedSecurity {
    /// Reads the relevant parts of an inspected container: `HostConfig`'s
    /// `Privileged`, `SecurityOpt`, `CapAdd`, `CapDrop` and the container's
    /// `AppArmorProfile`. Capability names the core does not know are kept
    /// out of the typed lists and listed in `other_options`.
    pub fn from_inspect(
        privileged: bool,
        security_opt: &[String],
        cap_add: &[String],
        cap_drop: &[String],
        apparmor_profile: Option<&str>,
    ) -> Self {
        let mut seccomp = AppliedSeccomp::Default;
        let mut no_new_privileges = false;
        let mut apparmor = apparmor_profile
            .filter(|p| !p.is_empty())
            .map(str::to_string);
        let mut other_options = Vec::new();
        for opt in security_opt {
            // The engine accepts both `key=value` and the old `key:value`.
            let (key, value) = match opt.split_once(['=', ':']) {
                Some((k, v)) => (k, Some(v)),
                None => (opt.as_str(), None),
            };
            match (key, value) {
                ("seccomp", Some("unconfined")) => seccomp = AppliedSeccomp::Unconfined,
                ("seccomp", Some(profile)) => seccomp = AppliedSeccomp::Custom(profile.to_string()),
                ("no-new-privileges", None | Some("true")) => no_new_privileges = true,
                ("no-new-privileges", Some("false")) => no_new_privileges = false,
                ("apparmor", Some(name)) if apparmor.is_none() => apparmor = Some(name.to_string()),
                ("apparmor", Some(_)) => {}
                _ => other_options.push(opt.clone()),
            }
        }
        if privileged {
            seccomp = AppliedSeccomp::Unconfined;
        }
        let mut caps = |names: &[String]| -> Vec<Capability> {
            names
                .iter()
                .filter_map(|n| match n.parse() {
                    Ok(cap) => Some(cap),
                    Err(_) => {
                        other_options.push(format!("capability={n}"));
                        None
                    }
                })
                .collect()
        };
        let cap_add = caps(cap_add);
        let cap_drop = caps(cap_drop);
        AppliedSecurity {
            privileged,
            seccomp,
            apparmor_profile: apparmor,
            cap_add,
            cap_drop,
            no_new_privileges,
            other_options,
        }
    }
}

fn check_argv(what: &'static str, argv: &[String]) -> Result<(), Error> {
    if argv.is_empty() {
        return Err(Error::parse(
            what,
            "",
            "is empty: give at least the program to run",
        ));
    }
    if argv[0].is_empty() {
        return Err(Error::parse(what, "", "names an empty program"));
    }
    for arg in argv {
        reject_nul(what, arg)?;
    }
    Ok(())
}

/// Checks a network name the way the engine does (`[a-zA-Z0-9][a-zA-Z0-9_.-]*`,
/// or a network id), so that a bad one fails before any engine call.
pub fn check_network(network: &str) -> Result<(), Error> {
    let valid = network.len() <= 128
        && network
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && network
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if valid {
        Ok(())
    } else {
        Err(Error::parse(
            "network",
            network,
            "a network name starts with a letter or digit and holds only letters, digits, '_', '.' and '-' (at most 128)",
        ))
    }
}

/// Checks a user as the engine takes it: `name`, `uid`, `name:group` or
/// `uid:gid`.
pub fn check_user(user: &str) -> Result<(), Error> {
    let bad = |reason: &str| Err(Error::parse("user", user, reason));
    if user.is_empty() {
        return bad("is empty");
    }
    if user.split(':').count() > 2 {
        return bad("expected NAME, UID, NAME:GROUP or UID:GID");
    }
    for part in user.split(':') {
        if part.is_empty() {
            return bad("has an empty user or group");
        }
        if part.len() > 256 || part.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return bad("contains white space or a control character");
        }
    }
    Ok(())
}

/// Checks environment variables: names non-empty and without `=`, no NUL
/// anywhere.
pub fn check_env(env: &[(String, String)]) -> Result<(), Error> {
    for (key, value) in env {
        if key.is_empty() {
            return Err(Error::parse(
                "environment variable",
                key,
                "has an empty name",
            ));
        }
        if key.contains('=') {
            return Err(Error::parse(
                "environment variable",
                key,
                "has '=' in its name",
            ));
        }
        reject_nul("environment variable", key)?;
        reject_nul("environment value", value)?;
    }
    Ok(())
}

/// Checks a label: a non-empty key without blanks or NUL, and a value without NUL.
pub fn check_label(key: &str, value: &str) -> Result<(), Error> {
    if key.is_empty() {
        return Err(Error::parse("label", key, "has an empty name"));
    }
    if key == MANAGED_LABEL {
        return Err(Error::parse("label", key, "is set by pcvmfs itself"));
    }
    reject_nul("label", key)?;
    reject_nul("label value", value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_managed_label_is_always_added_and_cannot_be_overridden() {
        let mut spec = ContainerSpec::new("busybox");
        spec.labels.insert("site".into(), "T2".into());
        assert_eq!(spec.all_labels()[MANAGED_LABEL], "true");
        assert_eq!(spec.all_labels()["site"], "T2");
        spec.labels.insert(MANAGED_LABEL.into(), "false".into());
        assert!(
            spec.check()
                .unwrap_err()
                .to_string()
                .contains("set by pcvmfs")
        );
    }

    #[test]
    fn malformed_specs_are_refused_before_the_engine_sees_them() {
        let base = ContainerSpec::new("img");
        base.check().unwrap();
        let cases: Vec<(ContainerSpec, &str)> = vec![
            (ContainerSpec::new(" "), "image"),
            (ContainerSpec::new("a b"), "white space"),
            (
                ContainerSpec {
                    command: Some(vec![]),
                    ..base.clone()
                },
                "is empty",
            ),
            (
                ContainerSpec {
                    command: Some(strings(&["sh", "a\0b"])),
                    ..base.clone()
                },
                "NUL",
            ),
            (
                ContainerSpec {
                    user: Some("a:b:c".into()),
                    ..base.clone()
                },
                "UID:GID",
            ),
            (
                ContainerSpec {
                    user: Some("a b".into()),
                    ..base.clone()
                },
                "white space",
            ),
            (
                ContainerSpec {
                    user: Some(":0".into()),
                    ..base.clone()
                },
                "empty user",
            ),
            (
                ContainerSpec {
                    env: vec![("A=B".into(), "c".into())],
                    ..base.clone()
                },
                "'='",
            ),
            (
                ContainerSpec {
                    env: vec![("".into(), "c".into())],
                    ..base.clone()
                },
                "empty name",
            ),
        ];
        for (spec, expected) in cases {
            let err = spec.check().unwrap_err().to_string();
            assert!(err.contains(expected), "{spec:?}: {err}");
        }
    }

    #[test]
    fn exec_specs_are_checked() {
        ExecSpec::new(["true"]).check().unwrap();
        let rel = ExecSpec {
            workdir: Some("tmp".into()),
            ..ExecSpec::new(["true"])
        };
        assert!(rel.check().unwrap_err().to_string().contains("absolute"));
        let zero = ExecSpec {
            timeout: Some(Duration::ZERO),
            ..ExecSpec::new(["true"])
        };
        assert!(zero.check().is_err());
        assert!(ExecSpec::new([""]).check().is_err());
    }

    #[test]
    fn applied_security_reads_what_the_engine_reports() {
        let applied = AppliedSecurity::from_inspect(
            false,
            &strings(&["seccomp=unconfined", "no-new-privileges", "label=disable"]),
            &strings(&["SYS_PTRACE"]),
            &strings(&["CAP_NET_RAW", "FROBNICATE"]),
            Some("docker-default"),
        );
        assert_eq!(applied.seccomp, AppliedSeccomp::Unconfined);
        assert!(applied.no_new_privileges);
        assert_eq!(applied.apparmor_profile.as_deref(), Some("docker-default"));
        assert_eq!(
            applied.cap_add,
            ["CAP_SYS_PTRACE".parse::<Capability>().unwrap()]
        );
        assert_eq!(applied.cap_drop.len(), 1);
        assert_eq!(
            applied.other_options,
            ["label=disable", "capability=FROBNICATE"]
        );

        let old_syntax = AppliedSecurity::from_inspect(
            false,
            &strings(&[
                "apparmor:docker-ptrace",
                "seccomp:{\"defaultAction\":\"SCMP_ACT_ALLOW\"}",
            ]),
            &[],
            &[],
            None,
        );
        assert_eq!(
            old_syntax.apparmor_profile.as_deref(),
            Some("docker-ptrace")
        );
        assert!(
            matches!(old_syntax.seccomp, AppliedSeccomp::Custom(ref p) if p.contains("SCMP_ACT_ALLOW"))
        );

        let privileged = AppliedSecurity::from_inspect(true, &[], &[], &[], Some(""));
        assert_eq!(privileged.seccomp, AppliedSeccomp::Unconfined);
        assert_eq!(privileged.apparmor_profile, None);
        let default = AppliedSecurity::from_inspect(false, &[], &[], &[], None);
        assert_eq!(default.seccomp, AppliedSeccomp::Default);
    }
}
