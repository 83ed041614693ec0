//! Installing a profile: an atomic write into the policy directory (with a
//! backup of the file it replaces), then loading it with `apparmor_parser
//! -r`; and removing it again.

use std::fs;
use std::path::{Path, PathBuf};

use pcvmfs_core::HostTree;
use pcvmfs_core::atomic_file::{BackupName, write_atomically_with};

use crate::apparmor_parser::{run_on_file, validate};
use crate::error::{Error, Result};
use crate::policy::PolicyFile;
use crate::status::status_of;

/// Where profiles live on Debian and Ubuntu.
pub const POLICY_DIR: &str = "/etc/apparmor.d";

/// Checks that a profile name can also be a file name in the policy
/// directory.
pub fn check_profile_name(name: &str) -> Result<()> {
    let bad = |reason: &str| {
        Err(Error::BadName {
            name: name.to_string(),
            reason: reason.to_string(),
        })
    };
    if name.is_empty() {
        return bad("is empty");
    }
    if name.len() > 200 {
        return bad("is longer than 200 bytes");
    }
    if name.contains('/') || name.starts_with('.') {
        return bad(
            "must not hold '/' or start with '.': it is also the file name in the policy directory",
        );
    }
    if name.chars().any(|c| {
        c.is_whitespace() || c.is_control() || matches!(c, '"' | '{' | '}' | ',' | '#' | '=' | ':')
    }) {
        return bad("must not hold white space, quotes, braces, ',', '#', '=' or ':'");
    }
    if name.starts_with('-') {
        return bad("must not start with '-'");
    }
    Ok(())
}

fn io<'a>(what: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> Error + 'a {
    move |source| Error::Io {
        what,
        path: path.to_path_buf(),
        source,
    }
}

/// Installs the policy's first profile as `directory/NAME`: validated with
/// `apparmor_parser`, written atomically with a backup of any file it
/// replaces (hidden, `.NAME.pcvmfs-backup`, so that it is never loaded), then (with `load`) loaded or replaced in the kernel. Where the
/// kernel cannot load policy, `load` fails before anything is written.
/// Returns the file's path.
pub fn install(
    policy: &PolicyFile,
    directory: &Path,
    load: bool,
    host: &dyn HostTree,
) -> Result<PathBuf> {
    let name = policy
        .profiles()
        .next()
        .map(|p| p.name.clone())
        .ok_or_else(|| Error::BadName {
            name: String::new(),
            reason: "the policy holds no profile to install".to_string(),
        })?;
    check_profile_name(&name)?;
    if load {
        let status = status_of(host);
        if !status.enabled {
            return Err(Error::KernelUnavailable {
                reason: status.reason.unwrap_or_default(),
            });
        }
    }
    validate(policy)?;
    let path = directory.join(&name);
    // Hidden: apparmor_parser and the boot scripts load every visible file
    // of the policy directory, and a visible backup would load its old
    // profile under the same name.
    write_atomically_with(&path, policy.render().as_bytes(), BackupName::Hidden)?;
    if load {
        run_on_file(&["--replace", "--quiet"], &path)?;
    }
    Ok(path)
}

/// Unloads profile `name` (when the kernel has AppArmor) and deletes
/// `directory/NAME`. Returns whether a file was deleted.
pub fn remove(name: &str, directory: &Path, host: &dyn HostTree) -> Result<bool> {
    check_profile_name(name)?;
    let path = directory.join(name);
    if !path.exists() {
        return Ok(false);
    }
    let status = status_of(host);
    if status.enabled && status.profile(name).is_some() {
        run_on_file(&["--remove", "--quiet"], &path)?;
    }
    fs::remove_file(&path).map_err(io("cannot delete", &path))?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn names_that_are_not_file_names_are_refused() {
        for name in [
            "",
            "a/b",
            ".hidden",
            "a b",
            "-x",
            "x\ny",
            "a,b",
            "a:b",
            &"n".repeat(201),
        ] {
            assert!(check_profile_name(name).is_err(), "{name:?}");
        }
        for name in ["docker-ptrace", "pcvmfs.parrot_1"] {
            check_profile_name(name).unwrap();
        }
    }

    #[test]
    fn an_atomic_write_keeps_a_backup_and_the_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p");
        pcvmfs_core::atomic_file::write_atomically(&path, b"one\n").unwrap();
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o644
        );
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        pcvmfs_core::atomic_file::write_atomically(&path, b"two\n").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "two\n");
        assert_eq!(
            fs::read_to_string(dir.path().join("p.pcvmfs-backup")).unwrap(),
            "one\n"
        );
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let leftovers: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.contains("pcvmfs-tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }
}
