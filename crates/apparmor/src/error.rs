//! The error type of the AppArmor crate.

use std::path::PathBuf;

/// What can go wrong with AppArmor policy, the parser and the kernel.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Policy text that does not parse: where, and what was expected.
    #[error("line {line}, column {column}: {message}")]
    Parse {
        /// 1-based line.
        line: usize,
        /// 1-based column (in characters).
        column: usize,
        /// What was wrong or expected.
        message: String,
    },
    /// `apparmor_parser` refused the policy.
    #[error("apparmor_parser rejected the policy{}: {message}", line.map(|l| format!(" at line {l}")).unwrap_or_default())]
    Rejected {
        /// The line of the rendered policy, when the parser named one.
        line: Option<usize>,
        /// The parser's message.
        message: String,
        /// The text of that line, when known.
        source_line: Option<String>,
    },
    /// `apparmor_parser` is not installed.
    #[error(
        "apparmor_parser is not installed: install Debian's (or Ubuntu's) `apparmor` package (apt-get install apparmor)"
    )]
    ParserMissing,
    /// The kernel cannot load policy.
    #[error("the kernel cannot load AppArmor policy: {reason}")]
    KernelUnavailable {
        /// Why (module absent, disabled, securityfs not mounted).
        reason: String,
    },
    /// A name that is not a valid profile name.
    #[error("invalid AppArmor profile name {name:?}: {reason}")]
    BadName {
        /// The name.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A file could not be written (through the core's atomic writer).
    #[error(transparent)]
    Core(#[from] pcvmfs_core::Error),
    /// A file could not be read or written.
    #[error("{what} {path}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

/// The crate's result type.
pub type Result<T> = std::result::Result<T, Error>;
