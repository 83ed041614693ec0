//! Installing a profile: an atomic write into the policy directory (with a
//! backup of the file it replaces), then loading it with `apparmor_parser
//! -r`; and removing it again.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use pcvmfs_core::HostTree;

use crate::apparmor_parser::{run_on_file, validate};
use crate::error::{Error, Result};
use crate::policy::PolicyFile;
use crate::status::status_of;

/// Where profiles live on Debian and Ubuntu.
pub const POLICY_DIR: &str = "/etc/apparmor.d";

/// The suffix of the backup of a replaced profile file.
pub const BACKUP_SUFFIX: &str = ".pcvmfs-backup";

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

/// Writes `content` to `path` atomically: a temporary file in the same
/// directory, flushed to disk, renamed over the target; the directory is
/// synced too. An existing file is first copied to `path` +
/// [`BACKUP_SUFFIX`], and its mode and owner are kept.
pub fn write_atomically(path: &Path, content: &str) -> Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let existing = fs::metadata(path).ok();
    if existing.is_some() {
        let mut backup = path.as_os_str().to_owned();
        backup.push(BACKUP_SUFFIX);
        fs::copy(path, &backup).map_err(io("cannot back up", path))?;
    }
    let mut temp = tempfile::Builder::new()
        .prefix(".pcvmfs-")
        .tempfile_in(dir)
        .map_err(io("cannot write in", dir))?;
    temp.write_all(content.as_bytes())
        .map_err(io("cannot write in", dir))?;
    temp.as_file()
        .sync_all()
        .map_err(io("cannot write in", dir))?;
    let mode = existing
        .as_ref()
        .map_or(0o644, |m| m.permissions().mode() & 0o7777);
    fs::set_permissions(temp.path(), fs::Permissions::from_mode(mode))
        .map_err(io("cannot set the mode of", path))?;
    if let Some(meta) = &existing {
        // Keeping the owner needs privileges the caller may lack; a file
        // owned by the caller needs nothing.
        let _ = std::os::unix::fs::chown(temp.path(), Some(meta.uid()), Some(meta.gid()));
    }
    temp.persist(path).map_err(|e| Error::Io {
        what: "cannot replace",
        path: path.to_path_buf(),
        source: e.error,
    })?;
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io("cannot sync", dir))?;
    Ok(())
}

/// Installs the policy's first profile as `directory/NAME`: validated with
/// `apparmor_parser`, written atomically with a backup of any file it
/// replaces, then (with `load`) loaded or replaced in the kernel. Where the
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
    write_atomically(&path, &policy.render())?;
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
        write_atomically(&path, "one\n").unwrap();
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o644
        );
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        write_atomically(&path, "two\n").unwrap();
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
            .filter(|n| n.starts_with(".pcvmfs-"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }
}
