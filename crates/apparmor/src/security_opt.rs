//! The `--security-opt` value that applies a profile to a container.

use crate::error::{Error, Result};
use crate::install::check_profile_name;

/// `apparmor=NAME`, the form Docker takes today.
pub fn security_opt(name: &str) -> Result<String> {
    if name != "unconfined" {
        check_profile_name(name)?;
    }
    Ok(format!("apparmor={name}"))
}

/// A parsed AppArmor security option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppArmorOption {
    /// The profile name.
    pub name: String,
    /// A note for the user, such as that the legacy form was used.
    pub note: Option<String>,
}

/// Parses `apparmor=NAME`, or the legacy `apparmor:NAME` with a note.
pub fn parse_security_opt(text: &str) -> Result<AppArmorOption> {
    let (name, note) = if let Some(name) = text.strip_prefix("apparmor=") {
        (name, None)
    } else if let Some(name) = text.strip_prefix("apparmor:") {
        (
            name,
            Some(format!(
                "apparmor:{name} is the legacy syntax (Docker before 1.12); write apparmor={name}"
            )),
        )
    } else {
        return Err(Error::BadName {
            name: text.to_string(),
            reason: "expected apparmor=NAME".to_string(),
        });
    };
    if name != "unconfined" {
        check_profile_name(name)?;
    }
    Ok(AppArmorOption {
        name: name.to_string(),
        note,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_forms_parse_and_the_legacy_one_has_a_note() {
        assert_eq!(
            security_opt("docker-ptrace").unwrap(),
            "apparmor=docker-ptrace"
        );
        let current = parse_security_opt("apparmor=docker-ptrace").unwrap();
        assert_eq!(
            (current.name.as_str(), current.note),
            ("docker-ptrace", None)
        );
        let legacy = parse_security_opt("apparmor:docker-ptrace").unwrap();
        assert_eq!(legacy.name, "docker-ptrace");
        assert!(legacy.note.unwrap().contains("apparmor=docker-ptrace"));
        assert!(parse_security_opt("seccomp=x").is_err());
        assert!(parse_security_opt("apparmor=a b").is_err());
        assert!(security_opt("x,y").is_err());
        assert_eq!(security_opt("unconfined").unwrap(), "apparmor=unconfined");
    }
}
