//! pcvmfs-core: the domain of pcvmfs, with no Docker client and no async runtime.
//!
//! It holds the plain data that flows between the user and an engine
//! ([`ContainerSpec`], [`SecurityOptions`], [`DnsOptions`], [`ExecOutput`],
//! [`EngineInfo`], [`AppliedSecurity`]), the facts of the host
//! ([`HostFacts`], read through the [`HostTree`] trait so that they can be
//! tested on canned trees), the doctor's [`Report`], and the traits an engine
//! implements ([`ContainerRuntime`], [`ImageBuilder`]).

pub mod atomic_file;
pub mod container;
pub mod cvmfs_repo;
pub mod daemon_dns;
pub mod diagnosis;
pub mod dns;
pub mod dns_check;
pub mod dns_diagnosis;
pub mod dns_lookup;
pub mod dockerd_startup;
pub mod dockerignore;
pub mod doctor;
pub mod engine;
pub mod engine_info;
pub mod error;
pub mod host;
pub mod image_recipe;
pub mod image_ref;
pub mod mount;
pub mod parrot_log;
pub mod parrot_session;
pub mod probe;
pub mod proxy_chain;
pub mod pull_progress;
pub mod registry_auth;
pub mod report;
pub mod resolv_conf;
pub mod security;
pub mod selinux;

pub use container::{
    AppliedSeccomp, AppliedSecurity, ContainerSpec, ExecOutput, ExecSpec, MANAGED_LABEL,
};
pub use dns::DnsOptions;
pub use engine::{BuildEvent, ContainerRuntime, ExecStream, Image, ImageBuilder};
pub use engine_info::{EngineInfo, SecurityOption};
pub use error::Error;
pub use host::{HostFacts, HostTree, HostTreeAt, LiveHost, SelinuxMode};
pub use image_recipe::{CctoolsSource, ImageRecipe};
pub use image_ref::ImageRef;
pub use mount::VolumeMount;
pub use parrot_session::ParrotSession;
pub use probe::{ProbeReport, StepResult};
pub use report::{Finding, Report, Status};
pub use security::{Capability, SeccompSetting, SecurityOptions};
