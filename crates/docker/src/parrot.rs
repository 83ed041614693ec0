//! Running a parrot session in a container: `parrot_run` with the
//! session's arguments and environment as the chosen user, its log handed
//! over line by line as it streams (from standard error, or from the
//! session's debug file afterwards), never held whole in memory.

use pcvmfs_core::{ContainerSpec, ExecSpec, ExecStream, ParrotSession, SecurityOptions};

use crate::connect::DockerEngine;
use crate::error::{Error, Result};
use crate::scratch_container::ScratchContainer;

/// How much of standard error a run keeps besides handing it over.
const STDERR_KEPT: usize = 1 << 20;

/// What a parrot run left.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParrotRun {
    /// The command line that ran.
    pub argv: Vec<String>,
    /// The user it ran as (`None`: the container's).
    pub user: Option<String>,
    /// `parrot_run`'s exit code.
    pub exit_code: i64,
    /// Standard output, whole (the traced program's output).
    pub stdout: Vec<u8>,
    /// The first part of standard error (at most 1 MiB).
    pub stderr: Vec<u8>,
    /// How many bytes of log were handed over.
    pub log_bytes: u64,
}

/// Splits a byte stream into lines for the log sink, keeping at most one
/// unfinished line.
struct LineSplitter<'a> {
    partial: Vec<u8>,
    sink: &'a mut (dyn FnMut(&str) + Send),
    bytes: u64,
}

impl LineSplitter<'_> {
    fn push(&mut self, chunk: &[u8]) {
        self.bytes += chunk.len() as u64;
        let mut rest = chunk;
        while let Some(end) = rest.iter().position(|b| *b == b'\n') {
            self.partial.extend_from_slice(&rest[..end]);
            let line = String::from_utf8_lossy(&self.partial).into_owned();
            (self.sink)(line.trim_end_matches('\r'));
            self.partial.clear();
            rest = &rest[end + 1..];
        }
        self.partial.extend_from_slice(rest);
    }

    fn finish(&mut self) {
        if !self.partial.is_empty() {
            let line = String::from_utf8_lossy(&self.partial).into_owned();
            (self.sink)(&line);
            self.partial.clear();
        }
    }
}

/// The `TEST_USER` of an environment list (`KEY=VALUE`), if set.
fn test_user_of(env: Option<Vec<String>>) -> Option<String> {
    env.unwrap_or_default()
        .iter()
        .find_map(|kv| kv.strip_prefix("TEST_USER=").map(str::to_string))
        .filter(|u| !u.is_empty())
}

/// Collects a run's output: standard output whole, the first MiB of
/// standard error, and the log's lines for the sink.
struct RunOutput<'a> {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    lines: LineSplitter<'a>,
    log_on_stderr: bool,
}

impl<'a> RunOutput<'a> {
    fn new(session: &ParrotSession, sink: &'a mut (dyn FnMut(&str) + Send)) -> Self {
        RunOutput {
            stdout: Vec::new(),
            stderr: Vec::new(),
            lines: LineSplitter {
                partial: Vec::new(),
                sink,
                bytes: 0,
            },
            log_on_stderr: session.debug_file.is_none(),
        }
    }

    fn take(&mut self, chunk: ExecStream) {
        match chunk {
            ExecStream::Stdout(bytes) => self.stdout.extend_from_slice(&bytes),
            ExecStream::Stderr(bytes) => {
                let room = STDERR_KEPT.saturating_sub(self.stderr.len());
                self.stderr
                    .extend_from_slice(&bytes[..bytes.len().min(room)]);
                if self.log_on_stderr {
                    self.lines.push(&bytes);
                }
            }
        }
    }
}

impl DockerEngine {
    /// The `TEST_USER` of a container's environment (set by images built
    /// for parrot), if any.
    pub async fn test_user(&self, container: &str) -> Result<Option<String>> {
        let inspected = self
            .client
            .inspect_container(container, None)
            .await
            .map_err(|e| Error::engine(format!("inspect container {container}"), e))?;
        Ok(test_user_of(inspected.config.and_then(|c| c.env)))
    }

    /// Runs `session.argv(command)` with `session.env()` in a running
    /// container as `user` (default: the container's `TEST_USER`), in
    /// `workdir`. Each line of parrot's log goes to `on_log_line` as it
    /// arrives; with a debug file, the file is read afterwards. The
    /// session's timeout kills the whole run.
    pub async fn parrot(
        &self,
        container: &str,
        session: &ParrotSession,
        command: &[String],
        user: Option<&str>,
        workdir: Option<&str>,
        on_log_line: &mut (dyn FnMut(&str) + Send),
    ) -> Result<ParrotRun> {
        let argv = session.argv(command)?;
        let user = match user {
            Some(user) => Some(user.to_string()),
            None => self.test_user(container).await?,
        };
        let spec = ExecSpec {
            argv: argv.clone(),
            user: user.clone(),
            env: session.env()?,
            workdir: workdir.map(str::to_string),
            timeout: session.timeout,
        };
        let mut output = RunOutput::new(session, on_log_line);
        let exit_code = self
            .exec_streaming(container, &spec, &mut |chunk| output.take(chunk))
            .await?;
        output.lines.finish();
        if let Some(file) = &session.debug_file {
            let read = ExecSpec {
                user: user.clone(),
                timeout: session.timeout,
                ..ExecSpec::new(["cat", file.as_str()])
            };
            let lines = &mut output.lines;
            self.exec_streaming(container, &read, &mut |chunk| {
                if let ExecStream::Stdout(bytes) = chunk {
                    lines.push(&bytes);
                }
            })
            .await?;
            lines.finish();
        }
        let RunOutput {
            stdout,
            stderr,
            lines,
            ..
        } = output;
        Ok(ParrotRun {
            argv,
            user,
            exit_code,
            stdout,
            stderr,
            log_bytes: lines.bytes,
        })
    }
}

impl DockerEngine {
    /// The `TEST_USER` of an image's environment, if any.
    pub async fn image_test_user(&self, image: &str) -> Result<Option<String>> {
        let inspected = match self.client.inspect_image(image).await {
            Ok(inspected) => inspected,
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => {
                return Err(Error::NoSuchImage {
                    image: image.to_string(),
                });
            }
            Err(err) => return Err(Error::engine(format!("inspect image {image}"), err)),
        };
        Ok(test_user_of(inspected.config.and_then(|c| c.env)))
    }

    /// Runs a parrot session as the command of a new container from
    /// `image` (with an init as PID 1, so that parrot's fatal path cannot
    /// hang), as `user` (default: the image's `TEST_USER`), with
    /// `security`; the log streams to `on_log_line`; the container is
    /// removed afterwards.
    pub async fn parrot_in_image(
        &self,
        image: &str,
        session: &ParrotSession,
        command: &[String],
        user: Option<&str>,
        security: &SecurityOptions,
        on_log_line: &mut (dyn FnMut(&str) + Send),
    ) -> Result<ParrotRun> {
        let argv = session.argv(command)?;
        let user = match user {
            Some(user) => Some(user.to_string()),
            None => self.image_test_user(image).await?,
        };
        let spec = ContainerSpec {
            command: Some(argv.clone()),
            user: user.clone(),
            env: session.env()?,
            security: security.clone(),
            init: true,
            ..ContainerSpec::new(image)
        };
        let container = ScratchContainer::create(self, &spec).await?;
        let mut output = RunOutput::new(session, on_log_line);
        let action = format!("run parrot in {image}");
        let result = self
            .run_attached(container.id(), &action, session.timeout, &mut |chunk| {
                output.take(chunk)
            })
            .await;
        output.lines.finish();
        let RunOutput {
            stdout,
            stderr,
            lines,
            ..
        } = output;
        let removed = container.remove().await;
        let exit_code = result?;
        removed?;
        Ok(ParrotRun {
            argv,
            user,
            exit_code,
            stdout,
            stderr,
            log_bytes: lines.bytes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_split_across_chunks() {
        let mut seen = Vec::new();
        let mut sink = |line: &str| seen.push(line.to_string());
        let mut lines = LineSplitter {
            partial: Vec::new(),
            sink: &mut sink,
            bytes: 0,
        };
        lines.push(b"first li");
        lines.push(b"ne\r\nsecond\nthi");
        lines.push(b"rd");
        lines.finish();
        let bytes = lines.bytes;
        assert_eq!(seen, ["first line", "second", "third"]);
        assert_eq!(bytes, 24);
    }
}
