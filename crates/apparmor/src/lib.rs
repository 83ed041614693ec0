//! pcvmfs-apparmor: AppArmor policy as data (model, parser, renderer), the
//! Docker default profile and its ptrace variant, validation with the real
//! `apparmor_parser`, the kernel's AppArmor state, installing and loading
//! profiles, and the kernel's denial records.

pub mod apparmor_parser;
pub mod denials;
pub mod docker_default;
pub mod docker_policy;
pub mod error;
pub mod install;
pub mod policy;
pub mod security_opt;
pub mod status;

pub use apparmor_parser::{find_parser, validate, validate_text};
pub use docker_policy::{docker_default, docker_default_for};
pub use error::{Error, Result};
pub use install::{install, remove};
pub use policy::{PolicyFile, Profile, Rule, RuleKind};
pub use security_opt::{parse_security_opt, security_opt};
pub use status::{AppArmorStatus, LoadedProfile, confinement_of, status_of};
