//! The Docker default profile as a [`PolicyFile`], for this host or for
//! given inputs.

use std::path::Path;

use crate::docker_default::{DefaultInputs, docker_default_text};
use crate::error::Result;
use crate::install::{POLICY_DIR, check_profile_name};
use crate::policy::PolicyFile;

/// The policy a current Docker engine loads as `docker-default`, named
/// `name`, for this host (its `abi/3.0`, `tunables/global` and
/// `abstractions/base` decide the preamble). Add
/// [`PolicyFile::with_ptrace_peers`] for parrot.
pub fn docker_default(name: &str, daemon_profile: &str) -> Result<PolicyFile> {
    docker_default_for(&DefaultInputs::detect(
        name,
        daemon_profile,
        Path::new(POLICY_DIR),
    ))
}

/// The Docker default policy for explicit inputs.
pub fn docker_default_for(inputs: &DefaultInputs) -> Result<PolicyFile> {
    check_profile_name(&inputs.name)?;
    if !inputs.daemon_profile.is_empty() && inputs.daemon_profile != "unconfined" {
        check_profile_name(&inputs.daemon_profile)?;
    }
    PolicyFile::parse(&docker_default_text(inputs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Rule;

    #[test]
    fn both_host_forms_parse_render_back_and_take_the_ptrace_rule() {
        for inputs in [
            DefaultInputs::new("docker-default", "unconfined"),
            DefaultInputs {
                abi_3_0: true,
                tunables_global: true,
                abstractions_base: true,
                ..DefaultInputs::new("docker-ptrace", "unconfined")
            },
        ] {
            let policy = docker_default_for(&inputs).unwrap();
            assert_eq!(PolicyFile::parse(&policy.render()).unwrap(), policy);
            let profile = policy.profile(&inputs.name).unwrap();
            assert!(!profile.has_rule(&Rule::ptrace_own_peers()));
            let traced = policy.clone().with_ptrace_peers();
            assert!(
                traced
                    .profile(&inputs.name)
                    .unwrap()
                    .has_rule(&Rule::ptrace_own_peers())
            );
            let (only_default, only_traced) =
                profile.rule_difference(traced.profile(&inputs.name).unwrap());
            assert!(only_default.is_empty());
            assert_eq!(only_traced, [&Rule::ptrace_own_peers()]);
        }
    }

    #[test]
    fn names_that_could_break_the_profile_are_refused() {
        for name in ["a b", "x{", "", "../etc"] {
            assert!(
                docker_default_for(&DefaultInputs::new(name, "unconfined")).is_err(),
                "{name:?}"
            );
        }
        assert!(docker_default_for(&DefaultInputs::new("ok", "evil\nrule")).is_err());
    }
}
