//! Build contexts and root filesystems sent to the engine as tar streams.
//!
//! The archive is written by a thread while the engine already reads it,
//! in 1 MiB chunks through a bounded channel, so a context of gigabytes
//! costs a few megabytes of memory and no wait before the upload starts.
//! A build context honours `.dockerignore` (the Dockerfile and the
//! `.dockerignore` itself are always sent, as the Docker CLI does) and its
//! entries belong to root, as the CLI sends them; a root filesystem keeps
//! its owners and modes.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use pcvmfs_core::dockerignore::DockerIgnore;
use tokio::sync::mpsc;

use crate::error::{Error, Result};

/// Size of one chunk of the stream.
const CHUNK: usize = 1 << 20;
/// Chunks in flight between the packing thread and the upload.
const IN_FLIGHT: usize = 8;

/// How entries are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TarMode {
    /// A build context: `.dockerignore` applies, owners become root.
    BuildContext,
    /// A root filesystem: everything, owners kept.
    RootFs,
}

/// A tar stream being written, and the first error of its writer.
pub struct TarStream {
    /// The chunks, for the request body.
    pub body: mpsc::Receiver<io::Result<Bytes>>,
    /// The packing error, if packing failed (set before the stream ends).
    pub error: Arc<Mutex<Option<Error>>>,
    /// How many bytes of files (not of tar) went into the stream, once done.
    pub packed: Arc<Mutex<u64>>,
}

/// Sends writes as chunks over the channel.
struct ChannelWriter {
    tx: mpsc::Sender<io::Result<Bytes>>,
    buffer: Vec<u8>,
}

impl ChannelWriter {
    fn send(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buffer, Vec::with_capacity(CHUNK));
        self.tx
            .blocking_send(Ok(Bytes::from(chunk)))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the engine stopped reading"))
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buffer.extend_from_slice(data);
        if self.buffer.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

/// Checks that `dir` is a directory that can be packed, with a Dockerfile
/// when it is a build context.
pub fn check_directory(dir: &Path, mode: TarMode, dockerfile: &str) -> Result<()> {
    let io = |what, source| Error::Io {
        what,
        path: dir.display().to_string(),
        source,
    };
    let meta = fs::metadata(dir).map_err(|e| {
        io(
            match mode {
                TarMode::BuildContext => "cannot use the build context",
                TarMode::RootFs => "cannot use the root filesystem",
            },
            e,
        )
    })?;
    if !meta.is_dir() {
        return Err(io(
            "must be a directory:",
            io::Error::from(io::ErrorKind::NotADirectory),
        ));
    }
    if mode == TarMode::BuildContext && !dir.join(dockerfile).is_file() {
        return Err(io(
            "the build context has no Dockerfile",
            io::Error::from(io::ErrorKind::NotFound),
        ));
    }
    Ok(())
}

/// Starts packing `dir` on a thread; the returned stream yields its tar.
/// `dockerfile` is the Dockerfile's path in the context (always sent).
pub fn pack_directory(dir: &Path, mode: TarMode, dockerfile: &str) -> Result<TarStream> {
    check_directory(dir, mode, dockerfile)?;
    let ignore = match mode {
        TarMode::BuildContext => DockerIgnore::read(dir)?,
        TarMode::RootFs => DockerIgnore::default(),
    };
    let (tx, rx) = mpsc::channel(IN_FLIGHT);
    let error = Arc::new(Mutex::new(None));
    let packed = Arc::new(Mutex::new(0));
    let (dir, dockerfile) = (dir.to_path_buf(), dockerfile.to_string());
    let (thread_error, thread_packed) = (error.clone(), packed.clone());
    std::thread::Builder::new()
        .name("pcvmfs-tar".into())
        .spawn(move || {
            let writer = ChannelWriter {
                tx: tx.clone(),
                buffer: Vec::with_capacity(CHUNK),
            };
            let mut packer = Packer {
                root: &dir,
                mode,
                ignore: &ignore,
                dockerfile: &dockerfile,
                builder: tar::Builder::new(writer),
                packed: 0,
            };
            // A panic must not end the stream as if the archive were whole.
            let walked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let result = packer.walk(&dir, "").and_then(|()| {
                    let mut writer = packer.builder.into_inner().map_err(|e| (dir.clone(), e))?;
                    writer.flush().map_err(|e| (dir.clone(), e))
                });
                (result, packer.packed)
            }));
            let result = match walked {
                Ok((result, packed)) => {
                    *thread_packed.lock().unwrap() = packed;
                    result
                }
                Err(_) => Err((dir.clone(), io::Error::other("packing panicked"))),
            };
            if let Err((path, source)) = result {
                // The engine stopped reading: its own error says why.
                if source.kind() == io::ErrorKind::BrokenPipe {
                    return;
                }
                let message = source.to_string();
                *thread_error.lock().unwrap() = Some(Error::Io {
                    what: match mode {
                        TarMode::BuildContext => "cannot pack the build context at",
                        TarMode::RootFs => "cannot pack the root filesystem at",
                    },
                    path: path.display().to_string(),
                    source,
                });
                // The engine sees the stream fail, not a short archive.
                let _ = tx.blocking_send(Err(io::Error::other(message)));
            }
        })
        .map_err(|source| Error::Io {
            what: "cannot start packing",
            path: "a thread".into(),
            source,
        })?;
    Ok(TarStream {
        body: rx,
        error,
        packed,
    })
}

/// Streams the file `path` (a tarball) as it is.
pub fn stream_file(path: &Path) -> Result<TarStream> {
    use std::io::Read;
    let mut file = fs::File::open(path).map_err(|source| Error::Io {
        what: "cannot read",
        path: path.display().to_string(),
        source,
    })?;
    let (tx, rx) = mpsc::channel(IN_FLIGHT);
    let error = Arc::new(Mutex::new(None));
    let packed = Arc::new(Mutex::new(0));
    let (thread_error, thread_packed, path) = (error.clone(), packed.clone(), path.to_path_buf());
    std::thread::spawn(move || {
        let mut total = 0u64;
        loop {
            let mut chunk = vec![0; CHUNK];
            match file.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => {
                    chunk.truncate(n);
                    total += n as u64;
                    if tx.blocking_send(Ok(Bytes::from(chunk))).is_err() {
                        break;
                    }
                }
                Err(source) => {
                    let message = source.to_string();
                    *thread_error.lock().unwrap() = Some(Error::Io {
                        what: "cannot read",
                        path: path.display().to_string(),
                        source,
                    });
                    let _ = tx.blocking_send(Err(io::Error::other(message)));
                    break;
                }
            }
        }
        *thread_packed.lock().unwrap() = total;
    });
    Ok(TarStream {
        body: rx,
        error,
        packed,
    })
}

impl TarStream {
    /// The chunks as a stream, for [`bollard::body_try_stream`], and the
    /// packing error's slot.
    #[allow(clippy::type_complexity)]
    pub fn into_stream(
        self,
    ) -> (
        impl futures_util::Stream<Item = io::Result<Bytes>> + Send + 'static,
        Arc<Mutex<Option<Error>>>,
    ) {
        let stream = futures_util::stream::unfold(self.body, |mut rx| async move {
            rx.recv().await.map(|item| (item, rx))
        });
        (stream, self.error)
    }
}

type PackResult = std::result::Result<(), (PathBuf, io::Error)>;

struct Packer<'a> {
    root: &'a Path,
    mode: TarMode,
    ignore: &'a DockerIgnore,
    dockerfile: &'a str,
    builder: tar::Builder<ChannelWriter>,
    packed: u64,
}

impl Packer<'_> {
    fn excluded(&self, relative: &str) -> bool {
        if self.mode == TarMode::RootFs {
            return false;
        }
        // The CLI always sends the Dockerfile and .dockerignore.
        self.ignore.excludes_for_build(relative, self.dockerfile)
    }

    /// Packs the entries of `dir` (at `prefix` in the archive), sorted.
    fn walk(&mut self, dir: &Path, prefix: &str) -> PackResult {
        let mut entries: Vec<fs::DirEntry> = fs::read_dir(dir)
            .map_err(|e| (dir.to_path_buf(), e))?
            .collect::<io::Result<_>>()
            .map_err(|e| (dir.to_path_buf(), e))?;
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let path = entry.path();
            let Some(name) = entry.file_name().to_str().map(str::to_string) else {
                return Err((
                    path,
                    io::Error::new(io::ErrorKind::InvalidData, "the file name is not UTF-8"),
                ));
            };
            let relative = if prefix.is_empty() {
                name
            } else {
                format!("{prefix}/{name}")
            };
            let meta = fs::symlink_metadata(&path).map_err(|e| (path.clone(), e))?;
            let excluded = self.excluded(&relative);
            if meta.is_dir() {
                if !excluded {
                    self.append(&path, &relative, &meta)?;
                    self.walk(&path, &relative)?;
                } else if self.mode == TarMode::RootFs
                    || self
                        .ignore
                        .may_include_below_for_build(&relative, self.dockerfile)
                {
                    // An exception may re-include something below.
                    self.walk(&path, &relative)?;
                }
                continue;
            }
            if excluded {
                continue;
            }
            self.append(&path, &relative, &meta)?;
        }
        let _ = self.root;
        Ok(())
    }

    fn append(&mut self, path: &Path, relative: &str, meta: &fs::Metadata) -> PackResult {
        use std::os::unix::fs::MetadataExt;
        let file_type = meta.file_type();
        let mut header = tar::Header::new_gnu();
        header.set_metadata_in_mode(
            meta,
            match self.mode {
                TarMode::BuildContext => tar::HeaderMode::Deterministic,
                TarMode::RootFs => tar::HeaderMode::Complete,
            },
        );
        if self.mode == TarMode::BuildContext {
            // The CLI's context keeps modes and times, owned by root.
            header.set_mode(meta.mode() & 0o7777);
            header.set_mtime(meta.mtime().max(0) as u64);
            header.set_uid(0);
            header.set_gid(0);
        }
        let fail = |e| (path.to_path_buf(), e);
        if file_type.is_symlink() {
            let target = fs::read_link(path).map_err(fail)?;
            header.set_size(0);
            self.builder
                .append_link(&mut header, relative, &target)
                .map_err(fail)
        } else if file_type.is_dir() {
            header.set_size(0);
            self.builder
                .append_data(&mut header, format!("{relative}/"), io::empty())
                .map_err(fail)
        } else if file_type.is_file() {
            use std::io::Read;
            let file = fs::File::open(path).map_err(fail)?;
            let len = meta.len();
            header.set_size(len);
            // The header's size is the size read before: a file that grows
            // meanwhile is cut there, one that shrinks is an error, so the
            // archive never goes out of step.
            let mut counted = CountingReader {
                inner: file.take(len),
                count: 0,
            };
            self.builder
                .append_data(&mut header, relative, &mut counted)
                .map_err(fail)?;
            if counted.count != len {
                return Err((
                    path.to_path_buf(),
                    io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!(
                            "the file shrank from {len} to {} bytes while it was packed",
                            counted.count
                        ),
                    ),
                ));
            }
            self.packed += len;
            Ok(())
        } else {
            // Sockets, fifos and devices have no place in a context; a root
            // filesystem keeps its device nodes and fifos.
            if self.mode == TarMode::RootFs && !file_type_is_socket(meta) {
                header.set_size(0);
                return self
                    .builder
                    .append_data(&mut header, relative, io::empty())
                    .map_err(fail);
            }
            Ok(())
        }
    }
}

/// Counts what passes through.
struct CountingReader<R> {
    inner: R,
    count: u64,
}

impl<R: io::Read> io::Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        Ok(n)
    }
}

fn file_type_is_socket(meta: &fs::Metadata) -> bool {
    use std::os::unix::fs::FileTypeExt;
    meta.file_type().is_socket()
}

/// Packs a directory into memory (for small contexts and tests). It waits
/// on a channel, so it must not be called from inside an async runtime.
pub fn context_tar(dir: &Path) -> Result<Vec<u8>> {
    let stream = pack_directory(dir, TarMode::BuildContext, "Dockerfile")?;
    let TarStream {
        mut body, error, ..
    } = stream;
    let mut out = Vec::new();
    while let Some(chunk) = body.blocking_recv() {
        match chunk {
            Ok(bytes) => out.extend_from_slice(&bytes),
            Err(_) => break,
        }
    }
    if let Some(err) = error.lock().unwrap().take() {
        return Err(err);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(archive: &[u8]) -> Vec<String> {
        let mut tar = tar::Archive::new(archive);
        tar.entries()
            .unwrap()
            .map(|e| e.unwrap().path().unwrap().display().to_string())
            .collect()
    }

    #[test]
    fn dockerignore_is_honoured_and_build_files_are_always_sent() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::write(root.join("Dockerfile"), "FROM scratch\n").unwrap();
        fs::write(
            root.join(".dockerignore"),
            "# comment\nsecrets\n*.log\n!keep.log\nDockerfile\n.dockerignore\n",
        )
        .unwrap();
        fs::create_dir_all(root.join("secrets/deep")).unwrap();
        fs::write(root.join("secrets/deep/key"), "x").unwrap();
        fs::write(root.join("a.log"), "x").unwrap();
        fs::write(root.join("keep.log"), "x").unwrap();
        fs::create_dir(root.join("src")).unwrap();
        fs::write(root.join("src/main.c"), "int main;").unwrap();
        std::os::unix::fs::symlink("src/main.c", root.join("link")).unwrap();
        let archive = context_tar(root).unwrap();
        assert_eq!(
            names(&archive),
            [
                ".dockerignore",
                "Dockerfile",
                "keep.log",
                "link",
                "src/",
                "src/main.c"
            ]
        );
        let mut tar = tar::Archive::new(&archive[..]);
        for entry in tar.entries().unwrap() {
            let entry = entry.unwrap();
            assert_eq!(entry.header().uid().unwrap(), 0);
            if entry.path().unwrap().to_str() == Some("link") {
                assert_eq!(
                    entry.link_name().unwrap().unwrap().to_str(),
                    Some("src/main.c")
                );
            }
        }
    }

    #[test]
    fn contexts_without_a_dockerfile_or_unreadable_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let err = context_tar(dir.path()).unwrap_err().to_string();
        assert!(err.contains("no Dockerfile"), "{err}");
        let err = context_tar(&dir.path().join("missing"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("cannot use the build context"), "{err}");
        fs::write(dir.path().join("Dockerfile"), "FROM scratch\n").unwrap();
        fs::write(dir.path().join(".dockerignore"), "[\n").unwrap();
        assert!(context_tar(dir.path()).is_err());
    }

    #[test]
    fn large_contexts_stream_in_chunks() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("Dockerfile"), "FROM scratch\n").unwrap();
        fs::write(dir.path().join("big"), vec![7u8; 5 * CHUNK + 3]).unwrap();
        let mut stream = pack_directory(dir.path(), TarMode::BuildContext, "Dockerfile").unwrap();
        let mut chunks = 0;
        let mut total = 0;
        while let Some(chunk) = stream.body.blocking_recv() {
            let chunk = chunk.unwrap();
            assert!(chunk.len() <= CHUNK + 512 * 2 + 5 * CHUNK);
            total += chunk.len();
            chunks += 1;
        }
        assert!(chunks >= 5, "{chunks}");
        assert!(total > 5 * CHUNK);
        assert_eq!(*stream.packed.lock().unwrap(), (5 * CHUNK + 3 + 13) as u64);
    }
}
