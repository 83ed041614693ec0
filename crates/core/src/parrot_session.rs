//! A parrot session: how `parrot_run` is started (its arguments and
//! environment), and the interactive wrapper script that administrators
//! otherwise write by hand.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::container::check_env;
use crate::error::{Error, reject_nul};

/// The debug flags `parrot_run -d` accepts (cctools' debug subsystems).
pub const DEBUG_FLAGS: &[&str] = &[
    "all", "syscall", "notice", "debug", "channel", "process", "resolve", "libcall", "tcp", "dns",
    "auth", "local", "http", "ftp", "nest", "chirp", "dcap", "rfio", "lfc", "gfal", "grow",
    "multi", "hdfs", "bxgrid", "s3", "irods", "xrootd", "cvmfs", "wq", "login", "cache", "poll",
    "remote", "summary", "time", "pid", "sqlite", "ext", "fatal", "error", "none",
];

/// The environment variable of the repositories parrot serves.
pub const REPO_VARIABLE: &str = "PARROT_CVMFS_REPO";
/// Lets a session reach repositories other than the first one it used.
pub const SWITCHING_VARIABLE: &str = "PARROT_ALLOW_SWITCHING_CVMFS_REPOSITORIES";
/// The proxy chain parrot's HTTP client uses.
pub const PROXY_VARIABLE: &str = "HTTP_PROXY";
/// A CVMFS cache shared between sessions.
pub const ALIEN_CACHE_VARIABLE: &str = "PARROT_CVMFS_ALIEN_CACHE";

/// How to start `parrot_run`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParrotSession {
    /// The `parrot_run` program (on `PATH`, or a path).
    pub parrot: String,
    /// `PARROT_CVMFS_REPO`, rendered.
    pub repos: Option<String>,
    /// `HTTP_PROXY`, rendered.
    pub proxy: Option<String>,
    /// `-d` flags.
    pub debug: Vec<String>,
    /// `-o FILE`: the debug log goes there instead of standard error.
    pub debug_file: Option<String>,
    /// `-O BYTES`: rotate the debug file at this size.
    pub debug_rotate_bytes: Option<u64>,
    /// `-t DIR`: parrot's temporary directory.
    pub tempdir: Option<String>,
    /// `PARROT_CVMFS_ALIEN_CACHE`.
    pub alien_cache: Option<String>,
    /// `PARROT_ALLOW_SWITCHING_CVMFS_REPOSITORIES=yes`.
    pub allow_switching: bool,
    /// How long a run may take before it is killed.
    pub timeout: Option<Duration>,
    /// More arguments for `parrot_run`, before the command.
    pub extra_args: Vec<String>,
}

impl Default for ParrotSession {
    fn default() -> Self {
        ParrotSession {
            parrot: "parrot_run".into(),
            repos: None,
            proxy: None,
            debug: vec!["all".into()],
            debug_file: None,
            debug_rotate_bytes: None,
            tempdir: None,
            alien_cache: None,
            allow_switching: true,
            timeout: None,
            extra_args: Vec::new(),
        }
    }
}

/// Single-quotes a value for a POSIX shell: everything inside arrives
/// literally; a quote is closed, escaped and reopened.
pub fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', "'\\''"))
}

impl ParrotSession {
    /// Checks every value: known debug flags, no NUL anywhere, absolute
    /// paths where parrot wants them.
    pub fn check(&self) -> Result<(), Error> {
        if self.parrot.is_empty() {
            return Err(Error::parse("parrot program", "", "is empty"));
        }
        for flag in &self.debug {
            if !DEBUG_FLAGS.contains(&flag.as_str()) {
                return Err(Error::parse(
                    "parrot debug flag",
                    flag,
                    format!("parrot_run -d knows: {}", DEBUG_FLAGS.join(", ")),
                ));
            }
        }
        for (what, value) in [
            ("parrot program", Some(&self.parrot)),
            ("debug file", self.debug_file.as_ref()),
            ("temporary directory", self.tempdir.as_ref()),
            ("alien cache", self.alien_cache.as_ref()),
            ("PARROT_CVMFS_REPO", self.repos.as_ref()),
            ("HTTP_PROXY", self.proxy.as_ref()),
        ] {
            if let Some(value) = value {
                reject_nul(what, value)?;
            }
        }
        for (what, path) in [
            ("debug file", &self.debug_file),
            ("temporary directory", &self.tempdir),
            ("alien cache", &self.alien_cache),
        ] {
            if let Some(path) = path {
                if !path.starts_with('/') {
                    return Err(Error::parse(what, path, "must be an absolute path"));
                }
            }
        }
        for arg in &self.extra_args {
            reject_nul("parrot argument", arg)?;
        }
        if self.timeout == Some(Duration::ZERO) {
            return Err(Error::parse("timeout", "0", "must be more than zero"));
        }
        Ok(())
    }

    /// `parrot_run` and its options, then `command`.
    pub fn argv<S: AsRef<str>>(&self, command: &[S]) -> Result<Vec<String>, Error> {
        self.check()?;
        if command.is_empty() {
            return Err(Error::parse(
                "command",
                "",
                "is empty: give the program to run under parrot",
            ));
        }
        let mut argv = vec![self.parrot.clone()];
        for flag in &self.debug {
            argv.push("-d".into());
            argv.push(flag.clone());
        }
        if let Some(file) = &self.debug_file {
            argv.push("-o".into());
            argv.push(file.clone());
        }
        if let Some(bytes) = self.debug_rotate_bytes {
            argv.push("-O".into());
            argv.push(bytes.to_string());
        }
        if let Some(dir) = &self.tempdir {
            argv.push("-t".into());
            argv.push(dir.clone());
        }
        argv.extend(self.extra_args.iter().cloned());
        for arg in command {
            reject_nul("command", arg.as_ref())?;
            argv.push(arg.as_ref().to_string());
        }
        Ok(argv)
    }

    /// The environment parrot needs, in a fixed order.
    pub fn env(&self) -> Result<Vec<(String, String)>, Error> {
        self.check()?;
        let mut env = Vec::new();
        if self.allow_switching {
            env.push((SWITCHING_VARIABLE.to_string(), "yes".to_string()));
        }
        if let Some(repos) = &self.repos {
            env.push((REPO_VARIABLE.to_string(), repos.clone()));
        }
        if let Some(proxy) = &self.proxy {
            env.push((PROXY_VARIABLE.to_string(), proxy.clone()));
        }
        if let Some(cache) = &self.alien_cache {
            env.push((ALIEN_CACHE_VARIABLE.to_string(), cache.clone()));
        }
        check_env(&env)?;
        Ok(env)
    }

    /// The interactive wrapper: exports the environment, sets a
    /// `(parrot_env)` prompt, and `exec`s `parrot_run` with `shell`
    /// (`bash` or `sh`). Every value is single-quoted, so quotes, `$(...)`,
    /// backticks and newlines arrive literally.
    pub fn env_script(&self, shell: &str) -> Result<String, Error> {
        let (interpreter, prompt) = match shell {
            "bash" => ("/bin/bash", "(parrot_env) \\u@\\h:\\w\\$ "),
            "sh" => ("/bin/sh", "(parrot_env) $ "),
            other => return Err(Error::parse("shell", other, "expected bash or sh")),
        };
        let mut script = format!(
            "#!{interpreter}\n# Written by pcvmfs: the environment parrot_run needs, then parrot_run {shell}.\n"
        );
        for (key, value) in self.env()? {
            script.push_str(&format!("export {key}={}\n", shell_quote(&value)));
        }
        script.push_str(&format!("export PS1={}\n", shell_quote(prompt)));
        let argv: Vec<String> = self
            .argv(&[shell])?
            .iter()
            .map(|a| shell_quote(a))
            .collect();
        script.push_str(&format!("exec {} \"$@\"\n", argv.join(" ")));
        Ok(script)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session() -> ParrotSession {
        ParrotSession {
            repos: Some("<default-repositories> alice-ocdb.cern.ch:url=http://cvmfs-stratum-one.cern.ch/cvmfs/alice-ocdb.cern.ch,pubkey=/etc/cvmfs/keys/cern.ch/cern-it1.cern.ch.pub".into()),
            proxy: Some("http://ca-proxy.cern.ch:3128;DIRECT".into()),
            ..ParrotSession::default()
        }
    }

    #[test]
    fn argv_and_env_are_what_the_manual_instructions_set() {
        let s = ParrotSession {
            debug_file: Some("/tmp/parrot.debug".into()),
            debug_rotate_bytes: Some(1 << 20),
            tempdir: Some("/tmp/parrot".into()),
            ..session()
        };
        assert_eq!(
            s.argv(&["ls", "/cvmfs/alice.cern.ch"]).unwrap(),
            [
                "parrot_run",
                "-d",
                "all",
                "-o",
                "/tmp/parrot.debug",
                "-O",
                "1048576",
                "-t",
                "/tmp/parrot",
                "ls",
                "/cvmfs/alice.cern.ch"
            ]
        );
        let env = s.env().unwrap();
        assert_eq!(env[0], (SWITCHING_VARIABLE.to_string(), "yes".to_string()));
        assert_eq!(env[1].0, REPO_VARIABLE);
        assert_eq!(
            env[2],
            (
                PROXY_VARIABLE.to_string(),
                "http://ca-proxy.cern.ch:3128;DIRECT".to_string()
            )
        );
        let no_switch = ParrotSession {
            allow_switching: false,
            ..ParrotSession::default()
        };
        assert!(no_switch.env().unwrap().is_empty());
    }

    #[test]
    fn bad_values_are_refused() {
        let bad = |s: ParrotSession| s.argv(&["true"]).unwrap_err().to_string();
        assert!(
            bad(ParrotSession {
                debug: vec!["nosuchflag".into()],
                ..ParrotSession::default()
            })
            .contains("debug flag")
        );
        assert!(
            bad(ParrotSession {
                debug_file: Some("relative".into()),
                ..ParrotSession::default()
            })
            .contains("absolute")
        );
        assert!(
            bad(ParrotSession {
                proxy: Some("a\0b".into()),
                ..ParrotSession::default()
            })
            .contains("NUL")
        );
        assert!(
            bad(ParrotSession {
                timeout: Some(Duration::ZERO),
                ..ParrotSession::default()
            })
            .contains("more than zero")
        );
        assert!(ParrotSession::default().argv::<&str>(&[]).is_err());
        assert!(ParrotSession::default().env_script("zsh").is_err());
    }

    #[test]
    fn quoting_keeps_values_literal() {
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
        assert_eq!(shell_quote("$(x)`y`\n"), "'$(x)`y`\n'");
    }
}

/// What a local parrot run left.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LocalRun {
    /// The command line that ran.
    pub argv: Vec<String>,
    /// The exit code (128 + N when killed by signal N).
    pub exit_code: i64,
    /// Standard output, whole.
    pub stdout: Vec<u8>,
    /// The first MiB of standard error.
    pub stderr: Vec<u8>,
    /// How many bytes of log were handed over.
    pub log_bytes: u64,
    /// Whether the timeout killed it.
    pub timed_out: bool,
}

impl ParrotSession {
    /// Runs the session on this host (`pcvmfs.parrot_local`): `parrot_run`
    /// with the session's environment added to this process's, each line of
    /// its log (standard error, or the debug file afterwards) handed to
    /// `on_log_line` as it arrives. The timeout kills the run.
    pub fn run_local<S: AsRef<str>>(
        &self,
        command: &[S],
        on_log_line: &mut dyn FnMut(&str),
    ) -> Result<LocalRun, Error> {
        use std::io::{BufRead, Read};
        use std::process::{Command, Stdio};
        let argv = self.argv(command)?;
        use std::os::unix::process::CommandExt;
        // A process group of its own, so that a timeout kills parrot and
        // every process it started (which would otherwise hold its output
        // open).
        let mut child = Command::new(&argv[0])
            .process_group(0)
            .args(&argv[1..])
            .envs(self.env()?)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| Error::Read {
                what: "parrot program",
                path: argv[0].clone().into(),
                source,
            })?;
        let mut out = child.stdout.take().expect("piped");
        let stdout_reader = std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = out.read_to_end(&mut buf);
            buf
        });
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(64);
        let err = child.stderr.take().expect("piped");
        let stderr_reader = std::thread::spawn(move || {
            let mut reader = std::io::BufReader::new(err);
            let mut line = Vec::new();
            while reader
                .read_until(b'\n', &mut line)
                .map(|n| n > 0)
                .unwrap_or(false)
            {
                if tx.send(std::mem::take(&mut line)).is_err() {
                    break;
                }
            }
        });
        let deadline = self.timeout.map(|t| std::time::Instant::now() + t);
        let mut stderr = Vec::new();
        let mut log_bytes = 0u64;
        let mut timed_out = false;
        let log_on_stderr = self.debug_file.is_none();
        let mut handle = |bytes: Vec<u8>, stderr: &mut Vec<u8>| {
            log_bytes += bytes.len() as u64;
            let room = STDERR_KEPT.saturating_sub(stderr.len());
            stderr.extend_from_slice(&bytes[..bytes.len().min(room)]);
            if log_on_stderr {
                on_log_line(String::from_utf8_lossy(&bytes).trim_end_matches(['\n', '\r']));
            }
        };
        loop {
            match rx.recv_timeout(std::time::Duration::from_millis(50)) {
                Ok(bytes) => handle(bytes, &mut stderr),
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            }
            if deadline.is_some_and(|d| std::time::Instant::now() >= d) {
                timed_out = true;
                // SAFETY: signals the process group created above, whose id
                // is the child's pid.
                unsafe { libc::kill(-(child.id() as i32), libc::SIGKILL) };
                break;
            }
        }
        let status = child.wait().map_err(|source| Error::Read {
            what: "parrot program",
            path: argv[0].clone().into(),
            source,
        })?;
        while let Ok(bytes) = rx.try_recv() {
            handle(bytes, &mut stderr);
        }
        let _ = stderr_reader.join();
        let stdout = stdout_reader.join().unwrap_or_default();
        if let (Some(file), false) = (&self.debug_file, timed_out) {
            if let Ok(f) = std::fs::File::open(file) {
                for line in std::io::BufReader::new(f)
                    .split(b'\n')
                    .map_while(Result::ok)
                {
                    log_bytes += line.len() as u64 + 1;
                    on_log_line(String::from_utf8_lossy(&line).trim_end_matches('\r'));
                }
            }
        }
        use std::os::unix::process::ExitStatusExt;
        let exit_code = status
            .code()
            .map(i64::from)
            .or_else(|| status.signal().map(|s| 128 + i64::from(s)))
            .unwrap_or(-1);
        Ok(LocalRun {
            argv,
            exit_code,
            stdout,
            stderr,
            log_bytes,
            timed_out,
        })
    }
}

/// How much of standard error a local run keeps besides handing it over.
const STDERR_KEPT: usize = 1 << 20;
