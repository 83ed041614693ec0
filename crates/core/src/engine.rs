//! What an engine must do for pcvmfs, as traits with plain data in and out.
//! `pcvmfs-docker` implements them over the Docker Engine API.

use std::future::Future;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::container::{AppliedSecurity, ContainerSpec, ExecOutput, ExecSpec};

/// An image in the engine's store.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Image {
    /// The image id (`sha256:...`).
    pub id: String,
    /// Its tags (`repo:tag`).
    pub tags: Vec<String>,
    /// Its size in bytes, when the engine reports it.
    pub size: Option<i64>,
    /// When it was created, in seconds since the Unix epoch.
    #[serde(default)]
    pub created: Option<i64>,
    /// Its labels.
    #[serde(default)]
    pub labels: std::collections::BTreeMap<String, String>,
    /// Its registry digests (`repo@sha256:...`), for pulled or pushed images.
    #[serde(default)]
    pub digests: Vec<String>,
}

/// One line of a build's output, or a step of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "text")]
pub enum BuildEvent {
    /// A line the build wrote (a step header, a command's output).
    Output(String),
    /// The build failed with this message.
    Error(String),
}

/// A piece of a running command's output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExecStream {
    /// Bytes written to standard output.
    Stdout(Vec<u8>),
    /// Bytes written to standard error.
    Stderr(Vec<u8>),
}

/// Builds images.
pub trait ImageBuilder {
    /// The engine's error type.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Builds the directory `context` (which holds a `Dockerfile`) and tags
    /// the result `tag`; every line of output goes to `on_event` as it
    /// arrives.
    fn build_directory(
        &self,
        context: &Path,
        tag: &str,
        on_event: &mut (dyn FnMut(BuildEvent) + Send),
    ) -> impl Future<Output = Result<Image, Self::Error>> + Send;
}

/// Starts containers, runs commands in them and removes them.
pub trait ContainerRuntime {
    /// The engine's error type.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Creates and starts a container; returns its id.
    fn start(
        &self,
        spec: &ContainerSpec,
    ) -> impl Future<Output = Result<String, Self::Error>> + Send;

    /// Runs a command to its end and returns its output.
    fn exec(
        &self,
        container: &str,
        spec: &ExecSpec,
    ) -> impl Future<Output = Result<ExecOutput, Self::Error>> + Send;

    /// Runs a command, handing its output to `on_output` as it arrives
    /// (for long runs); returns the exit code.
    fn exec_streaming(
        &self,
        container: &str,
        spec: &ExecSpec,
        on_output: &mut (dyn FnMut(ExecStream) + Send),
    ) -> impl Future<Output = Result<i64, Self::Error>> + Send;

    /// The security settings the engine applied to a container.
    fn applied_security(
        &self,
        container: &str,
    ) -> impl Future<Output = Result<AppliedSecurity, Self::Error>> + Send;

    /// Stops and removes a container and its anonymous volumes.
    fn remove(&self, container: &str) -> impl Future<Output = Result<(), Self::Error>> + Send;
}
