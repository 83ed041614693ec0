//! An interactive shell in a new container, like `docker run --rm -it`.

use std::io::Write;
use std::os::fd::RawFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bollard::container::LogOutput;
use bollard::query_parameters::{AttachContainerOptionsBuilder, ResizeContainerTTYOptionsBuilder};
use futures_util::StreamExt;
use pcvmfs_core::ContainerSpec;
use tokio::io::AsyncWriteExt;
use tokio::signal::unix::{SignalKind, signal};

use crate::connect::DockerEngine;
use crate::error::{Error, Result};

const STDIN: RawFd = 0;
const STDOUT: RawFd = 1;
/// What a terminal sends for end of input.
const CTRL_D: u8 = 4;

/// The terminal's settings before raw mode, restored when dropped.
struct RawTerminal {
    saved: libc::termios,
}

impl RawTerminal {
    /// Puts standard input in raw mode when it is a terminal, so that keys
    /// (Ctrl-C included) go to the container's shell.
    fn enter() -> Result<Option<RawTerminal>> {
        // SAFETY: isatty, tcgetattr and tcsetattr only read and write the
        // termios structure passed to them.
        unsafe {
            if libc::isatty(STDIN) != 1 {
                return Ok(None);
            }
            let mut saved: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(STDIN, &mut saved) != 0 {
                return Err(Error::Terminal(format!(
                    "cannot read the terminal's settings: {}",
                    std::io::Error::last_os_error()
                )));
            }
            let mut raw = saved;
            libc::cfmakeraw(&mut raw);
            if libc::tcsetattr(STDIN, libc::TCSANOW, &raw) != 0 {
                return Err(Error::Terminal(format!(
                    "cannot switch the terminal to raw mode: {}",
                    std::io::Error::last_os_error()
                )));
            }
            Ok(Some(RawTerminal { saved }))
        }
    }
}

impl Drop for RawTerminal {
    fn drop(&mut self) {
        // SAFETY: restores the settings read in `enter`.
        unsafe {
            libc::tcsetattr(STDIN, libc::TCSANOW, &self.saved);
        }
    }
}

/// The size of the terminal on standard output, as (rows, columns).
fn terminal_size() -> Option<(u16, u16)> {
    // SAFETY: TIOCGWINSZ fills the winsize structure passed to it.
    unsafe {
        let mut size: libc::winsize = std::mem::zeroed();
        if libc::ioctl(STDOUT, libc::TIOCGWINSZ, &mut size) == 0 && size.ws_row > 0 {
            Some((size.ws_row, size.ws_col))
        } else {
            None
        }
    }
}

/// Reads standard input on a thread of its own and hands it over, until
/// end of input or until `stop` is set. Polling with a short timeout lets
/// the thread end when the shell ends, instead of waiting for a key.
fn pump_stdin(stop: Arc<AtomicBool>) -> tokio::sync::mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while !stop.load(Ordering::Relaxed) {
            let mut fds = libc::pollfd {
                fd: STDIN,
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: poll on one valid pollfd.
            let ready = unsafe { libc::poll(&mut fds, 1, 100) };
            if ready <= 0 {
                continue;
            }
            // SAFETY: reads into a buffer of the given length.
            let n = unsafe { libc::read(STDIN, buf.as_mut_ptr().cast(), buf.len()) };
            if n <= 0 || tx.blocking_send(buf[..n as usize].to_vec()).is_err() {
                break;
            }
        }
    });
    rx
}

impl DockerEngine {
    /// Starts a container, connects this process's standard input and
    /// output to it, and removes it when the shell ends. Returns the shell's
    /// exit code. The container gets a terminal when standard input is one;
    /// input from a pipe or file is passed on as it is, as `docker run -i`
    /// does, since a shell on a terminal would discard input that arrives
    /// before its prompt.
    pub async fn shell(&self, spec: &ContainerSpec) -> Result<i64> {
        // SAFETY: isatty only inspects the descriptor.
        let tty = unsafe { libc::isatty(STDIN) == 1 };
        let spec = ContainerSpec {
            interactive: true,
            tty,
            ..spec.clone()
        };
        let id = self.create(&spec).await?;
        let result = self.attach_shell(&id, &spec.image, tty).await;
        let removed = self.remove(&id).await;
        let code = result?;
        removed?;
        Ok(code)
    }

    async fn attach_shell(&self, id: &str, image: &str, tty: bool) -> Result<i64> {
        let action = format!("start a shell in {image}");
        let options = AttachContainerOptionsBuilder::default()
            .stdin(true)
            .stdout(true)
            .stderr(true)
            .stream(true)
            .build();
        let attached = self
            .client
            .attach_container(id, Some(options))
            .await
            .map_err(|e| Error::engine(&action, e))?;
        self.client
            .start_container(id, None)
            .await
            .map_err(|e| Error::engine(&action, e))?;
        let _raw = RawTerminal::enter()?;
        self.resize(id).await;
        let mut resized = signal(SignalKind::window_change()).ok();
        let stop = Arc::new(AtomicBool::new(false));
        let mut keys = pump_stdin(stop.clone());
        let mut input = attached.input;
        let mut output = attached.output;
        let mut stdin_open = true;
        let mut stdout = std::io::stdout();
        loop {
            tokio::select! {
                chunk = output.next() => match chunk {
                    Some(Ok(LogOutput::StdOut { message } | LogOutput::Console { message })) => {
                        let _ = stdout.write_all(&message);
                        let _ = stdout.flush();
                    }
                    // Without a terminal the streams stay apart, as with
                    // `docker run -i`.
                    Some(Ok(LogOutput::StdErr { message })) => {
                        let mut stderr = std::io::stderr();
                        let _ = stderr.write_all(&message);
                        let _ = stderr.flush();
                    }
                    Some(Ok(LogOutput::StdIn { .. })) => {}
                    Some(Err(err)) => {
                        stop.store(true, Ordering::Relaxed);
                        return Err(Error::engine(&action, err));
                    }
                    None => break,
                },
                key = keys.recv(), if stdin_open => match key {
                    Some(bytes) => {
                        if input.write_all(&bytes).await.is_err() {
                            stdin_open = false;
                        }
                        let _ = input.flush().await;
                    }
                    None => {
                        // End of input. On a terminal, closing the
                        // connection's write side hangs the terminal up and
                        // can lose output still to come, so input ends as a
                        // terminal ends it: with Ctrl-D.
                        stdin_open = false;
                        if tty {
                            let _ = input.write_all(&[CTRL_D]).await;
                            let _ = input.flush().await;
                        } else {
                            let _ = input.shutdown().await;
                        }
                    }
                },
                Some(()) = async { match resized.as_mut() { Some(s) => s.recv().await, None => None } } => {
                    self.resize(id).await;
                }
            }
        }
        stop.store(true, Ordering::Relaxed);
        self.wait_exit(id, &action).await
    }

    /// Gives the container's terminal the size of ours.
    async fn resize(&self, id: &str) {
        if let Some((rows, cols)) = terminal_size() {
            let options = ResizeContainerTTYOptionsBuilder::default()
                .h(rows as i32)
                .w(cols as i32)
                .build();
            // A failed resize leaves the default size; the shell still works.
            let _ = self.client.resize_container_tty(id, options).await;
        }
    }
}
