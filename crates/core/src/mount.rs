//! Bind mounts of host paths into a container (`docker run -v`).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{Error, reject_nul};

/// A host path mounted into a container, as `SOURCE:TARGET[:ro|rw]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VolumeMount {
    /// The host path, or the name of a named volume.
    pub source: String,
    /// The absolute path inside the container.
    pub target: String,
    /// Whether the mount is read-only.
    pub read_only: bool,
}

impl VolumeMount {
    /// Parses `SOURCE:TARGET`, `SOURCE:TARGET:ro` or `SOURCE:TARGET:rw`.
    pub fn parse(text: &str) -> Result<Self, Error> {
        reject_nul("volume", text)?;
        let bad = |reason: &str| Err(Error::parse("volume", text, reason));
        let parts: Vec<&str> = text.split(':').collect();
        let (source, target, read_only) = match parts.as_slice() {
            [source, target] => (*source, *target, false),
            [source, target, "ro"] => (*source, *target, true),
            [source, target, "rw"] => (*source, *target, false),
            [_, _, mode] => {
                return bad(&format!("unknown mode {mode:?}: expected \"ro\" or \"rw\""));
            }
            _ => return bad("expected SOURCE:TARGET or SOURCE:TARGET:ro"),
        };
        if source.is_empty() {
            return bad("the source is empty");
        }
        if !target.starts_with('/') {
            return bad("the target must be an absolute path inside the container");
        }
        Ok(VolumeMount {
            source: source.to_string(),
            target: target.to_string(),
            read_only,
        })
    }
}

impl fmt::Display for VolumeMount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.source, self.target)?;
        if self.read_only {
            f.write_str(":ro")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mounts_render_back_to_what_parses() {
        for text in ["/srv/cvmfs:/cvmfs:ro", "cache:/var/cache", "/a:/b"] {
            let mount = VolumeMount::parse(text).unwrap();
            assert_eq!(VolumeMount::parse(&mount.to_string()).unwrap(), mount);
        }
        assert!(VolumeMount::parse("/a:/b:rw").unwrap().read_only.eq(&false));
        assert_eq!(
            VolumeMount::parse("/a:/b:ro").unwrap().to_string(),
            "/a:/b:ro"
        );
    }

    #[test]
    fn malformed_mounts_say_what_is_wrong() {
        for (text, expected) in [
            ("/a", "SOURCE:TARGET"),
            (":/b", "source is empty"),
            ("/a:b", "absolute"),
            ("/a:/b:rx", "unknown mode"),
            ("/a:/b:ro:x", "SOURCE:TARGET"),
            ("/a\0:/b", "NUL"),
        ] {
            let err = VolumeMount::parse(text).unwrap_err().to_string();
            assert!(err.contains(expected), "{text:?}: {err}");
        }
    }
}
