//! pcvmfs-docker: the Docker Engine implementation of the pcvmfs core
//! traits, over bollard and tokio.
//!
//! ```no_run
//! # async fn demo() -> Result<(), pcvmfs_docker::Error> {
//! use pcvmfs_core::{ContainerSpec, ExecSpec};
//! let engine = pcvmfs_docker::DockerEngine::connect(None).await?;
//! let mut spec = ContainerSpec::new("busybox:pcvmfs");
//! spec.command = Some(vec!["sleep".into(), "600".into()]);
//! let id = engine.start(&spec).await?;
//! let out = engine.exec(&id, &ExecSpec::new(["id", "-u"])).await?;
//! engine.remove(&id).await?;
//! # Ok(()) }
//! ```

pub mod build_context;
pub mod connect;
pub mod containers;
pub mod dns;
pub mod doctor;
pub mod error;
pub mod exec;
pub mod images;
pub mod inventory;
pub mod networks;
pub mod parrot;
pub mod pull;
pub mod readiness;
pub mod scratch_container;
pub mod seccomp;
pub mod shell;
pub mod system;

pub use connect::{DEFAULT_HOST, DockerEngine};
pub use doctor::{doctor, doctor_with_image};
pub use error::{Error, Result};
