//! The error type of the core crate.

use std::path::PathBuf;

/// What can go wrong in the core: a value that does not parse, or a file
/// that cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A user-supplied value is malformed. `what` names the kind of value
    /// (for example "capability"), `input` the offending text (shortened when
    /// huge) and `reason` what is wrong with it.
    #[error("invalid {what} {input:?}: {reason}")]
    Parse {
        /// The kind of value, in the user's terms.
        what: &'static str,
        /// The offending text, shortened to a readable length.
        input: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A file named by the user could not be read.
    #[error("cannot read {what} {path}: {source}")]
    Read {
        /// What the file was meant to hold (for example "seccomp profile").
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A file could not be written (or backed up, or renamed into place).
    #[error("cannot write {what} {path}: {source}")]
    Write {
        /// What the file holds (for example "Docker daemon configuration").
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

/// Longest excerpt of a bad input kept in an error message.
const EXCERPT_CHARS: usize = 80;

impl Error {
    /// A parse error whose `input` is shortened so that a huge value does not
    /// flood the message.
    pub fn parse(what: &'static str, input: &str, reason: impl Into<String>) -> Self {
        Error::Parse {
            what,
            input: excerpt(input),
            reason: reason.into(),
        }
    }
}

/// The line (counting from 1) of the first byte that is not UTF-8, for
/// messages about a file that is not text.
pub(crate) fn non_utf8_line(err: &std::string::FromUtf8Error) -> usize {
    let valid = &err.as_bytes()[..err.utf8_error().valid_up_to()];
    1 + valid.iter().filter(|&&b| b == b'\n').count()
}

/// The first characters of `text`, with the total length when it was cut.
pub fn excerpt(text: &str) -> String {
    let count = text.chars().count();
    if count <= EXCERPT_CHARS {
        text.to_string()
    } else {
        let head: String = text.chars().take(EXCERPT_CHARS).collect();
        format!("{head}... ({count} characters)")
    }
}

/// Refuses text that holds a NUL byte, which no argv entry, environment
/// value or label can carry through the Engine API.
pub(crate) fn reject_nul(what: &'static str, text: &str) -> Result<(), Error> {
    if text.contains('\0') {
        Err(Error::parse(what, text, "contains a NUL byte"))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_inputs_are_shortened_in_messages() {
        let huge = "x".repeat(1_000_000);
        let message = Error::parse("label", &huge, "bad").to_string();
        assert!(message.len() < 200, "{}", message.len());
        assert!(message.contains("1000000 characters"));
    }
}
