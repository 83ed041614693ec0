//! Replacing a configuration file so that a crash at any moment leaves
//! either the old or the new content, never a mix, with a backup of the old
//! file beside it.

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::Error;

/// What is appended to a file's name to name the copy of its previous
/// content.
pub const BACKUP_SUFFIX: &str = ".pcvmfs-backup";

/// Mode of a file that did not exist before: what package managers give
/// `/etc/default/docker` and `/etc/docker/daemon.json`.
const NEW_FILE_MODE: u32 = 0o644;

/// How many numbered backups of one file are kept before a write is
/// refused: more means something rewrites the file in a loop.
const MAX_BACKUPS: u32 = 1000;

/// Where the backups of a file go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackupName {
    /// Beside the file, under its name plus [`BACKUP_SUFFIX`]
    /// (`daemon.json.pcvmfs-backup`).
    Beside,
    /// Beside the file, hidden (`.NAME.pcvmfs-backup`): for directories
    /// whose reader loads every visible file, such as `/etc/apparmor.d`
    /// (apparmor_parser and the init scripts skip dot files).
    Hidden,
}

/// The first backup of `path`: `path` + [`BACKUP_SUFFIX`].
pub fn backup_path(path: &Path) -> PathBuf {
    numbered_backup(path, BackupName::Beside, 0)
}

/// Backup number `n` of `path`: the first has no number, later ones end in
/// `.1`, `.2`, ...
fn numbered_backup(path: &Path, style: BackupName, n: u32) -> PathBuf {
    let mut name = OsString::new();
    if style == BackupName::Hidden {
        name.push(".");
    }
    name.push(path.file_name().unwrap_or_default());
    name.push(BACKUP_SUFFIX);
    if n > 0 {
        name.push(format!(".{n}"));
    }
    path.with_file_name(name)
}

/// Writes `content` to `path` atomically: a temporary file in the same
/// directory is written, flushed to disk, given the existing file's mode and
/// (when permitted) owner, and renamed over `path`; then the directory is
/// flushed so that the rename survives a power cut. An existing file is
/// first copied, just as atomically, to [`backup_path`], or, when that name
/// already holds an older backup with other content, to the first free
/// `.1`, `.2`, ... after it: a backup is never overwritten, so the file as
/// it was before pcvmfs first changed it can always be restored. Returns
/// the backup written (or the existing one holding the same content).
/// When `path` is a symbolic link, the file it points to is replaced and
/// the link kept.
pub fn write_atomically(path: &Path, content: &[u8]) -> Result<Option<PathBuf>, Error> {
    write_atomically_with(path, content, BackupName::Beside)
}

/// [`write_atomically`], with the backups named as `style` says.
pub fn write_atomically_with(
    path: &Path,
    content: &[u8],
    style: BackupName,
) -> Result<Option<PathBuf>, Error> {
    let target = resolve_link(path)?;
    let dir = parent_dir(&target);
    let existing = match fs::metadata(&target) {
        Ok(meta) => Some(meta),
        Err(err) if err.kind() == ErrorKind::NotFound => None,
        Err(source) => {
            return Err(Error::Read {
                what: "file",
                path: target,
                source,
            });
        }
    };
    let mut backup = None;
    if let Some(meta) = &existing {
        let old = fs::read(&target).map_err(|source| Error::Read {
            what: "file",
            path: target.clone(),
            source,
        })?;
        // The first backup name that is free or already holds this content.
        let mut n = 0;
        let (path, free) = loop {
            let candidate = numbered_backup(&target, style, n);
            match fs::read(&candidate) {
                Ok(kept) if kept == old => break (candidate, false),
                Ok(_) => {}
                Err(err) if err.kind() == ErrorKind::NotFound => break (candidate, true),
                Err(source) => {
                    return Err(Error::Read {
                        what: "backup",
                        path: candidate,
                        source,
                    });
                }
            }
            n += 1;
            if n > MAX_BACKUPS {
                return Err(Error::Write {
                    what: "a backup of",
                    path: target.clone(),
                    source: std::io::Error::other(format!(
                        "{MAX_BACKUPS} backups of it exist already; remove old ones"
                    )),
                });
            }
        };
        if free {
            replace(&path, dir, &old, Some(meta), "backup")?;
        }
        backup = Some(path);
    }
    replace(&target, dir, content, existing.as_ref(), "file")?;
    Ok(backup)
}

/// Writes `content` through a temporary file renamed over `target`, with
/// the mode and owner of `like` (the file being replaced).
fn replace(
    target: &Path,
    dir: &Path,
    content: &[u8],
    like: Option<&fs::Metadata>,
    what: &'static str,
) -> Result<(), Error> {
    let write_error = |what: &'static str, path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Write { what, path, source }
    };
    let (temp_path, mut temp) =
        create_temp(dir, target).map_err(write_error("a temporary file next to", target))?;
    let written = (|| {
        temp.write_all(content)?;
        let mode = like.map_or(NEW_FILE_MODE, |m| m.permissions().mode() & 0o7777);
        if let Some(meta) = like {
            // Only root may give a file away; a file the caller already owns
            // needs nothing, so a refusal just leaves the caller as owner.
            match std::os::unix::fs::fchown(&temp, Some(meta.uid()), Some(meta.gid())) {
                Err(err) if err.kind() != ErrorKind::PermissionDenied => return Err(err),
                _ => {}
            }
        }
        // After chown, which clears the set-id bits.
        temp.set_permissions(fs::Permissions::from_mode(mode))?;
        temp.sync_all()
    })();
    if let Err(source) = written {
        let _ = fs::remove_file(&temp_path);
        return Err(Error::Write {
            what: "a temporary file for",
            path: temp_path,
            source,
        });
    }
    drop(temp);
    if let Err(source) = fs::rename(&temp_path, target) {
        let _ = fs::remove_file(&temp_path);
        return Err(Error::Write {
            what,
            path: target.to_path_buf(),
            source,
        });
    }
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(write_error("the directory", dir))
}

/// Creates a new, empty file beside `target` that no other writer uses:
/// the process id and a counter make the name unique, `create_new` makes
/// sure nothing is overwritten.
fn create_temp(dir: &Path, target: &Path) -> std::io::Result<(PathBuf, File)> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let base = target.file_name().unwrap_or_default();
    loop {
        let mut name = OsString::from(".");
        name.push(base);
        name.push(format!(
            ".pcvmfs-tmp-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let path = dir.join(name);
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
        {
            Ok(file) => return Ok((path, file)),
            // Left over by a writer that was killed with the same pid.
            Err(err) if err.kind() == ErrorKind::AlreadyExists => continue,
            Err(err) => return Err(err),
        }
    }
}

/// `path`, or the file it points to when it is a symbolic link, so that the
/// rename replaces the file rather than the link.
fn resolve_link(path: &Path) -> Result<PathBuf, Error> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            fs::canonicalize(path).map_err(|source| Error::Read {
                what: "the target of the link",
                path: path.to_path_buf(),
                source,
            })
        }
        _ => Ok(path.to_path_buf()),
    }
}

/// The directory holding `path`, `.` for a bare file name.
fn parent_dir(path: &Path) -> &Path {
    path.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}
