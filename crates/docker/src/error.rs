//! The error type of the Docker engine crate.

use std::time::Duration;

/// What can go wrong between pcvmfs and a Docker engine, in the user's terms.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The engine could not be reached at all.
    #[error("cannot reach the Docker engine at {host}: {reason}. {hint}")]
    Unreachable {
        /// Where pcvmfs looked (`unix:///var/run/docker.sock`).
        host: String,
        /// What happened.
        reason: String,
        /// What to check.
        hint: String,
    },
    /// The engine answered with an error.
    #[error("the Docker engine refused to {action}: {message}")]
    Engine {
        /// What pcvmfs asked for, in words (`start a container from busybox:1`).
        action: String,
        /// The engine's message.
        message: String,
        /// The HTTP status, when there was one.
        status: Option<u16>,
    },
    /// An image that was asked for is not in the engine's store.
    #[error("no such image: {image} (build it with pcvmfs, or pull it first)")]
    NoSuchImage {
        /// The image reference.
        image: String,
    },
    /// A container that was asked for does not exist (any more).
    #[error("no such container: {container}")]
    NoSuchContainer {
        /// The container id or name.
        container: String,
    },
    /// A build failed.
    #[error("building {tag} failed{step}: {message}{output}", step = step.as_ref().map(|s| format!(" at {s}")).unwrap_or_default(), output = if last_lines.is_empty() { String::new() } else { format!("\nlast lines of output:\n{}", last_lines.join("\n")) })]
    Build {
        /// The tag being built.
        tag: String,
        /// The step that failed (`Step 2/3 : RUN false`), when known.
        step: Option<String>,
        /// The engine's message.
        message: String,
        /// The last lines the build wrote.
        last_lines: Vec<String>,
    },
    /// The registry has no such repository, tag or digest.
    #[error("no such image in the registry: {reference} ({message})")]
    PullNotFound {
        /// The reference asked for.
        reference: String,
        /// The engine's message.
        message: String,
    },
    /// The registry refused the credentials, or asked for some.
    #[error("access denied by registry {registry} for {reference}: {message}{hint}")]
    AccessDenied {
        /// The registry (`127.0.0.1:5000`).
        registry: String,
        /// The reference asked for.
        reference: String,
        /// The engine's message.
        message: String,
        /// What to do (pass credentials, or which credential helper holds them).
        hint: String,
    },
    /// The registry could not be reached.
    #[error("registry {registry} is unreachable: {message}")]
    RegistryUnreachable {
        /// The registry's address.
        registry: String,
        /// The engine's message.
        message: String,
    },
    /// The pull started and then failed (a connection cut, a bad layer).
    #[error("pulling {reference} failed after {downloaded} bytes: {message}")]
    PullInterrupted {
        /// The reference asked for.
        reference: String,
        /// Bytes downloaded before the failure.
        downloaded: u64,
        /// The engine's message.
        message: String,
    },
    /// A command ran longer than its timeout.
    #[error("{argv:?} in container {container} did not finish within {timeout:?}{}", if *killed { "; it was killed" } else { "; it could not be killed from here (a remote engine or another PID namespace) and may still run" })]
    ExecTimeout {
        /// The container.
        container: String,
        /// The command.
        argv: Vec<String>,
        /// The timeout.
        timeout: Duration,
        /// Whether the command and its children were killed.
        killed: bool,
    },
    /// A value from the user was malformed, or a file could not be read.
    #[error(transparent)]
    Core(#[from] pcvmfs_core::Error),
    /// A local file or directory could not be used.
    #[error("{what} {path}: {source}")]
    Io {
        /// What was being done (`cannot read the build context`).
        what: &'static str,
        /// The path.
        path: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The terminal could not be set up for an interactive shell.
    #[error("interactive shell: {0}")]
    Terminal(String),
}

impl Error {
    /// Wraps an engine error with the action that caused it.
    pub(crate) fn engine(action: impl Into<String>, err: bollard::errors::Error) -> Error {
        use bollard::errors::Error as B;
        match err {
            B::DockerResponseServerError {
                status_code,
                message,
            } => Error::Engine {
                action: action.into(),
                message,
                status: Some(status_code),
            },
            other => Error::Engine {
                action: action.into(),
                message: other.to_string(),
                status: None,
            },
        }
    }

    /// The HTTP status of an engine error, if any.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Engine { status, .. } => *status,
            _ => None,
        }
    }
}

/// The crate's result type.
pub type Result<T> = std::result::Result<T, Error>;
