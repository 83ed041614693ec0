//! Parrot's debug log: its lines, the events they record, the outcome of the
//! run they describe, and what the log alone says is wrong.
//!
//! `parrot_run -d FLAGS` writes one line per debug message, in one of two
//! formats:
//!
//! ```text
//! 2026/12/04 13:33:51.28 parrot_run[6]<child:6> process: pid 7 started     (cctools 7.15 and later)
//! 2015/07/06 12:52:42.40 parrot_run[9] fatal: could not trace child        (before 7.15)
//! parrot_run[9] process: ls exited normally with status 0                  (before 7.15, no time)
//! ```
//!
//! Among them sit lines that are not parrot's: what the traced program
//! writes on the same stream, the multi-line "ptrace appears to be
//! disabled" banner, usage text, `--check-driver` answers. Every line
//! becomes an [`Event`]; nothing is an error, and an unknown line is kept
//! as [`EventKind::Raw`].
//!
//! Logs of `-d all` runs are huge, so the reading is streaming: a
//! [`LogReader`] yields events from any [`BufRead`] in constant memory, and
//! [`summarize`] keeps only counts and the facts that decide the
//! [`Outcome`] and the [`LogFinding`]s, without allocating per line.
//! [`parse_parrot_log`] is the convenience over text already in memory.

use std::borrow::Cow;
use std::collections::{BTreeMap, VecDeque};
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::Path;
use std::sync::LazyLock;

use memchr::memmem;
use serde::Serialize;

use crate::error::Error;
use crate::report::{Finding, Status};

/// Longest line, in bytes without its line break, that the readers parse by
/// default; longer lines are counted in [`LogSummary::lines_too_long`] and
/// skipped, so that memory stays bounded whatever the input.
pub const DEFAULT_MAX_LINE_LEN: usize = 64 * 1024;

/// Most `error:` lines kept while waiting to see whether a `fatal:` line
/// follows them (parrot prints its backtrace before the fatal message).
const MAX_BACKTRACE_LINES: usize = 64;

/// Most lines of the "ptrace appears to be disabled" banner kept.
const MAX_BANNER_LINES: usize = 16;

/// Most distinct values kept in each list of a [`LogSummary`] (unsupported
/// system calls, repositories, categories), so that a hostile log cannot
/// grow it.
const MAX_DISTINCT: usize = 64;

/// Size of the read buffer of [`summarize_file`] and [`LogReader::open`].
const FILE_BUFFER_BYTES: usize = 1 << 20;

/// One line in parrot's debug format, borrowed from the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LogLine<'a> {
    /// `2026/12/04 13:33:51.28`, when the line has one.
    pub timestamp: Option<&'a str>,
    /// The program that wrote the line (`parrot_run`).
    pub program: &'a str,
    /// The pid in brackets: the parrot process that wrote the line.
    pub pid: u32,
    /// The traced process the line is about (`<child:N>`, cctools 7.15 and
    /// later).
    pub child_pid: Option<u32>,
    /// The debug flag the line belongs to: `process`, `debug`, `notice`,
    /// `fatal`, `syscall`, `cvmfs`, `http`, `local`, ...
    pub category: &'a str,
    /// The text after `category: `.
    pub message: &'a str,
}

/// Parses one line in either of parrot's formats, or `None` when the line
/// is not one of parrot's (the traced program's output, a banner line).
pub fn parse_line(line: &str) -> Option<LogLine<'_>> {
    let header = Header::parse(line.as_bytes())?;
    // Every part ends at an ASCII delimiter, so each is valid UTF-8 again.
    let text = |bytes| std::str::from_utf8(bytes).ok();
    Some(LogLine {
        timestamp: match header.timestamp {
            Some(timestamp) => Some(text(timestamp)?),
            None => None,
        },
        program: text(header.program)?,
        pid: header.pid,
        child_pid: header.child_pid,
        category: text(header.category)?,
        message: text(header.message)?,
    })
}

/// A line in parrot's format as bytes: the readers' fast path, which
/// decodes a message only when its category can hold an event.
#[derive(Debug, Clone, Copy)]
struct Header<'a> {
    timestamp: Option<&'a [u8]>,
    program: &'a [u8],
    pid: u32,
    child_pid: Option<u32>,
    category: &'a [u8],
    message: &'a [u8],
}

impl<'a> Header<'a> {
    fn parse(bytes: &'a [u8]) -> Option<Self> {
        let (timestamp, at) = match timestamp_len(bytes) {
            Some(len) => (Some(&bytes[..len]), len + 1),
            None => (None, 0),
        };
        let rest = &bytes[at..];
        // Nearly every line is parrot_run's: skip the scan for it. Other
        // names are short, where a plain scan beats a memchr call. A name
        // is printable ASCII, so that bytes and their lossy text agree.
        let open = if rest.starts_with(b"parrot_run[") {
            10
        } else {
            rest.iter()
                .take(257)
                .position(|&b| b == b'[' || !b.is_ascii_graphic())?
        };
        if open == 0 || rest[open] != b'[' {
            return None;
        }
        let program = &rest[..open];
        let (pid, rest) = leading_digits(&rest[open + 1..])?;
        let mut rest = rest.strip_prefix(b"]")?;
        let mut child_pid = None;
        if let Some(child) = rest.strip_prefix(b"<child:") {
            let (pid, after) = leading_digits(child)?;
            child_pid = Some(pid);
            rest = after.strip_prefix(b">")?;
        }
        while let [b' ', tail @ ..] = rest {
            rest = tail;
        }
        let word = rest
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_' || **b == b'-')
            .count();
        if word == 0 || rest.get(word) != Some(&b':') {
            return None;
        }
        let message = &rest[word + 1..];
        Some(Header {
            timestamp,
            program,
            pid,
            child_pid,
            category: &rest[..word],
            message: message.strip_prefix(b" ").unwrap_or(message),
        })
    }

    /// The category as text (it is ASCII by construction).
    fn category(&self) -> &'a str {
        std::str::from_utf8(self.category).unwrap_or_default()
    }
}

/// A decimal `u32` at the start of `bytes`, and the bytes after it.
fn leading_digits(bytes: &[u8]) -> Option<(u32, &[u8])> {
    let mut value: u32 = 0;
    let mut digits = 0;
    for byte in bytes {
        if !byte.is_ascii_digit() {
            break;
        }
        value = value.checked_mul(10)?.checked_add(u32::from(byte - b'0'))?;
        digits += 1;
    }
    (digits > 0).then(|| (value, &bytes[digits..]))
}

/// The length of a leading `YYYY/MM/DD HH:MM:SS[.ff]` followed by a space.
fn timestamp_len(bytes: &[u8]) -> Option<usize> {
    // Checked position by position: this runs on every line.
    let shape: &[u8; 19] = bytes.get(..19)?.try_into().ok()?;
    let digit = |at: usize| shape[at].is_ascii_digit();
    let fits = digit(0)
        && digit(1)
        && digit(2)
        && digit(3)
        && shape[4] == b'/'
        && digit(5)
        && digit(6)
        && shape[7] == b'/'
        && digit(8)
        && digit(9)
        && shape[10] == b' '
        && digit(11)
        && digit(12)
        && shape[13] == b':'
        && digit(14)
        && digit(15)
        && shape[16] == b':'
        && digit(17)
        && digit(18);
    if !fits {
        return None;
    }
    let mut len = 19;
    if bytes.get(len) == Some(&b'.') {
        len += 1;
        while bytes.get(len).is_some_and(u8::is_ascii_digit) {
            len += 1;
        }
    }
    (bytes.get(len) == Some(&b' ')).then_some(len)
}

/// A decimal number at the start of `text`, and the text after it.
fn leading_u32(text: &str) -> Option<(u32, &str)> {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let value = text.get(..digits)?.parse().ok()?;
    Some((value, &text[digits..]))
}

/// A signed decimal number at the start of `text`, and the text after it.
fn leading_i32(text: &str) -> Option<(i32, &str)> {
    let sign = usize::from(text.starts_with('-'));
    let digits = text[sign..].bytes().take_while(u8::is_ascii_digit).count();
    let value = text.get(..sign + digits)?.parse().ok()?;
    Some((value, &text[sign + digits..]))
}

/// `N (Name)...`: a signal number and the name in the parentheses after it.
fn signal_and_name(text: &str) -> Option<(i32, Option<String>, &str)> {
    let (signal, rest) = leading_i32(text)?;
    match rest.strip_prefix(" (").and_then(|r| r.split_once(')')) {
        Some((name, after)) => Some((signal, Some(name.to_string()), after)),
        None => Some((signal, None, rest)),
    }
}

/// What one event of the log records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventKind {
    /// `pid N started`: parrot forked the process it will trace.
    ProcessStarted {
        /// The new process.
        pid: u32,
    },
    /// `attaching to pid N`: parrot starts tracing the root process.
    Attached {
        /// The root process.
        pid: u32,
    },
    /// `pid N exited normally with code C`.
    ProcessExited {
        /// The traced process.
        pid: u32,
        /// Its exit code.
        code: i32,
    },
    /// `pid N exited abnormally with signal S (Name)`.
    ProcessKilled {
        /// The traced process.
        pid: u32,
        /// The signal that ended it.
        signal: i32,
        /// The signal's description, as parrot printed it.
        signal_name: Option<String>,
    },
    /// `pid N received signal S (Name) (state X)`.
    SignalReceived {
        /// The traced process.
        pid: u32,
        /// The signal delivered to it.
        signal: i32,
        /// The signal's description.
        signal_name: Option<String>,
    },
    /// `PROGRAM exited normally with status N`: the root program's end,
    /// parrot's last line; parrot exits with the same status.
    ProgramExited {
        /// The program, as given to parrot.
        program: String,
        /// Its exit status.
        status: i32,
    },
    /// `PROGRAM exited abnormally with signal N (Name)`: the root program
    /// was killed; parrot exits with status 1.
    ProgramKilled {
        /// The program, as given to parrot.
        program: String,
        /// The signal that killed it.
        signal: i32,
        /// The signal's description.
        signal_name: Option<String>,
    },
    /// `execve: PATH (PHYSICAL) succeeded in 64-bit mode`.
    ExecveSucceeded {
        /// The program now running.
        path: String,
    },
    /// `execve: failed: ERROR`, or the root's `unable to execute PATH: ERROR`.
    ExecveFailed {
        /// The program that could not start, when the line names it.
        path: Option<String>,
        /// Why, as `strerror` put it.
        error: String,
    },
    /// `FUNCTION (FILE:LINE): ptrace error: ERROR`.
    PtraceError {
        /// Where in parrot the call failed (`tracer_attach (tracer.c:105)`).
        context: String,
        /// Why (`Operation not permitted`).
        error: String,
    },
    /// The banner parrot prints when `ptrace` is refused, folded into one
    /// event.
    PtraceDisabled {
        /// The causes the banner lists, one per item.
        causes: Vec<String>,
    },
    /// `fatal: MESSAGE`: parrot gives up; the backtrace it printed just
    /// before (as `error:` lines) is folded in.
    Fatal {
        /// The fatal message.
        message: String,
        /// The `error:` lines that preceded it, oldest first.
        backtrace: Vec<String>,
    },
    /// `PARROT has not been tested on Linux VERSION yet, this may not work`.
    UntestedKernel {
        /// Parrot's name and version (`parrot_run 8.0.0 DEVELOPMENT`).
        parrot: String,
        /// The kernel (`Linux 6.18.44`).
        kernel: String,
    },
    /// `warning: system call N (name) not supported for program P`.
    UnsupportedSyscall {
        /// The system call number.
        number: u32,
        /// Its name as parrot knows it (`unknown334` for one it does not).
        name: String,
        /// The program that made the call.
        program: Option<String>,
    },
    /// `tracer memory read failed: ERROR`: parrot could not read the
    /// tracee's memory (`process_vm_readv` refused).
    TracerMemoryReadFailed {
        /// Why.
        error: String,
    },
    /// `received signal N (Name), killing all my children...`: parrot
    /// itself was signalled.
    ParrotSignaled {
        /// The signal.
        signal: i32,
        /// Its description.
        signal_name: Option<String>,
    },
    /// `parrot_run version V (...)`.
    Version {
        /// The version (`8.0.0 DEVELOPMENT`).
        version: String,
    },
    /// A line of the `cvmfs` category, or a CVMFS notice, with no more
    /// specific kind.
    Cvmfs {
        /// Its message.
        message: String,
    },
    /// A CVMFS repository that `PARROT_CVMFS_REPO` does not cover.
    CvmfsRepositoryNotConfigured {
        /// The repository, when the line names it (`alice.cern.ch`).
        repository: Option<String>,
    },
    /// `CVMFS requires an http proxy.  None has been configured!`
    CvmfsProxyMissing,
    /// A `local:` operation on a `/cvmfs/` path: the local driver, not the
    /// CVMFS one, served it.
    CvmfsServedLocally {
        /// The path.
        path: String,
    },
    /// `DRIVER is not enabled`, the answer of `--check-driver DRIVER`.
    DriverNotEnabled {
        /// The driver (`cvmfs`).
        driver: String,
    },
    /// The dynamic loader's `cannot stat shared object: ERROR`.
    LoaderCannotStat {
        /// The library it could not stat, when the line names it.
        library: Option<String>,
        /// The error (`Error 20`).
        error: String,
    },
    /// `Use: parrot_run [options] <command> ...`: parrot printed its usage
    /// (a bad option) and exits 1.
    Usage,
    /// Any other line.
    Raw,
}

/// Every kind's name, in the order of [`EventKind::index`].
const KIND_NAMES: [&str; 25] = [
    "process_started",
    "attached",
    "process_exited",
    "process_killed",
    "signal_received",
    "program_exited",
    "program_killed",
    "execve_succeeded",
    "execve_failed",
    "ptrace_error",
    "ptrace_disabled",
    "fatal",
    "untested_kernel",
    "unsupported_syscall",
    "tracer_memory_read_failed",
    "parrot_signaled",
    "version",
    "cvmfs",
    "cvmfs_repository_not_configured",
    "cvmfs_proxy_missing",
    "cvmfs_served_locally",
    "driver_not_enabled",
    "loader_cannot_stat",
    "usage",
    "raw",
];

impl EventKind {
    /// The kind's name, as in [`LogSummary::counts`] and in JSON
    /// (`process_exited`).
    pub fn name(&self) -> &'static str {
        KIND_NAMES[self.index()]
    }

    fn index(&self) -> usize {
        match self {
            EventKind::ProcessStarted { .. } => 0,
            EventKind::Attached { .. } => 1,
            EventKind::ProcessExited { .. } => 2,
            EventKind::ProcessKilled { .. } => 3,
            EventKind::SignalReceived { .. } => 4,
            EventKind::ProgramExited { .. } => 5,
            EventKind::ProgramKilled { .. } => 6,
            EventKind::ExecveSucceeded { .. } => 7,
            EventKind::ExecveFailed { .. } => 8,
            EventKind::PtraceError { .. } => 9,
            EventKind::PtraceDisabled { .. } => 10,
            EventKind::Fatal { .. } => 11,
            EventKind::UntestedKernel { .. } => 12,
            EventKind::UnsupportedSyscall { .. } => 13,
            EventKind::TracerMemoryReadFailed { .. } => 14,
            EventKind::ParrotSignaled { .. } => 15,
            EventKind::Version { .. } => 16,
            EventKind::Cvmfs { .. } => 17,
            EventKind::CvmfsRepositoryNotConfigured { .. } => 18,
            EventKind::CvmfsProxyMissing => 19,
            EventKind::CvmfsServedLocally { .. } => 20,
            EventKind::DriverNotEnabled { .. } => 21,
            EventKind::LoaderCannotStat { .. } => 22,
            EventKind::Usage => 23,
            EventKind::Raw => 24,
        }
    }
}

/// One event of the log, with the line it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    /// The line number (1-based) of the event's line; for a folded event,
    /// of its first line for the banner and of the `fatal:` line for a
    /// fatal error.
    pub line: u64,
    /// The line's time, when it has one.
    pub timestamp: Option<String>,
    /// The parrot process that wrote it, for a line in parrot's format.
    pub pid: Option<u32>,
    /// The traced process it is about (`<child:N>`).
    pub child_pid: Option<u32>,
    /// Its debug category, for a line in parrot's format.
    pub category: Option<String>,
    /// The message of a line in parrot's format, or the whole line.
    pub text: String,
    /// What it records.
    #[serde(flatten)]
    pub kind: EventKind,
}

/// Finds `ptrace error: ` in a debug message.
static PTRACE_ERROR: LazyLock<memmem::Finder<'static>> =
    LazyLock::new(|| memmem::Finder::new(b"ptrace error: "));
/// Finds the root program's end in a `process:` message.
static EXITED_NORMALLY: LazyLock<memmem::FinderRev<'static>> =
    LazyLock::new(|| memmem::FinderRev::new(b" exited normally with status "));
/// Finds the root program's death by signal in a `process:` message.
static EXITED_ABNORMALLY: LazyLock<memmem::FinderRev<'static>> =
    LazyLock::new(|| memmem::FinderRev::new(b" exited abnormally with signal "));
/// Finds a `/cvmfs/` path in a `local:` message.
static CVMFS_PATH: LazyLock<memmem::Finder<'static>> =
    LazyLock::new(|| memmem::Finder::new(b" /cvmfs/"));

/// Bytes as text, replacing what is not UTF-8 (the check alone is faster
/// than the lossy decoder's for the usual, valid line).
fn decode(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// The event of a log line, from its category and message: the message is
/// decoded only for the categories and prefixes that can hold one.
fn classify_header(header: &Header<'_>) -> EventKind {
    let message = header.message;
    let text = || decode(message);
    match header.category {
        b"process" => classify_process(&text()).unwrap_or(EventKind::Raw),
        b"debug" => {
            let interesting = message.starts_with(b"tracer memory read failed: ")
                || PTRACE_ERROR.find(message).is_some()
                || message
                    .strip_prefix(header.program)
                    .is_some_and(|rest| rest.starts_with(b" version "));
            if interesting {
                let program = String::from_utf8_lossy(header.program);
                classify_debug(&program, &text()).unwrap_or(EventKind::Raw)
            } else {
                EventKind::Raw
            }
        }
        b"notice" => {
            let text = text();
            classify_notice(&text)
                .or_else(|| classify_cvmfs(&text))
                .unwrap_or(EventKind::Raw)
        }
        b"cvmfs" => {
            let text = text();
            classify_cvmfs(&text).unwrap_or_else(|| EventKind::Cvmfs {
                message: text.into_owned(),
            })
        }
        b"local" if CVMFS_PATH.find(message).is_some() => {
            served_locally(&text()).unwrap_or(EventKind::Raw)
        }
        _ => EventKind::Raw,
    }
}

fn classify_process(message: &str) -> Option<EventKind> {
    if let Some(rest) = message.strip_prefix("pid ") {
        let (pid, rest) = leading_u32(rest)?;
        if rest == " started" {
            return Some(EventKind::ProcessStarted { pid });
        }
        if let Some(code) = rest.strip_prefix(" exited normally with code ") {
            let (code, _) = leading_i32(code)?;
            return Some(EventKind::ProcessExited { pid, code });
        }
        if let Some(signal) = rest.strip_prefix(" exited abnormally with signal ") {
            let (signal, signal_name, _) = signal_and_name(signal)?;
            return Some(EventKind::ProcessKilled {
                pid,
                signal,
                signal_name,
            });
        }
        if let Some(signal) = rest.strip_prefix(" received signal ") {
            let (signal, signal_name, _) = signal_and_name(signal)?;
            return Some(EventKind::SignalReceived {
                pid,
                signal,
                signal_name,
            });
        }
        return None;
    }
    if let Some(rest) = message.strip_prefix("attaching to pid ") {
        let (pid, rest) = leading_u32(rest)?;
        return rest.is_empty().then_some(EventKind::Attached { pid });
    }
    if let Some(rest) = message.strip_prefix("execve: ") {
        if let Some(error) = rest.strip_prefix("failed: ") {
            return Some(EventKind::ExecveFailed {
                path: None,
                error: error.to_string(),
            });
        }
        if rest.ends_with(" succeeded in 64-bit mode")
            || rest.ends_with(" succeeded in 32-bit mode")
        {
            let path = rest.split(" (").next().unwrap_or(rest);
            return Some(EventKind::ExecveSucceeded {
                path: path.to_string(),
            });
        }
        return None;
    }
    let bytes = message.as_bytes();
    if let Some(at) = EXITED_NORMALLY.rfind(bytes) {
        let (program, status) = (
            &message[..at],
            &message[at + EXITED_NORMALLY.needle().len()..],
        );
        let (status, _) = leading_i32(status)?;
        return Some(EventKind::ProgramExited {
            program: program.to_string(),
            status,
        });
    }
    if let Some(at) = EXITED_ABNORMALLY.rfind(bytes) {
        let (program, signal) = (
            &message[..at],
            &message[at + EXITED_ABNORMALLY.needle().len()..],
        );
        let (signal, signal_name, _) = signal_and_name(signal)?;
        return Some(EventKind::ProgramKilled {
            program: program.to_string(),
            signal,
            signal_name,
        });
    }
    None
}

fn classify_debug(program: &str, message: &str) -> Option<EventKind> {
    if let Some(error) = message.strip_prefix("tracer memory read failed: ") {
        return Some(EventKind::TracerMemoryReadFailed {
            error: error.to_string(),
        });
    }
    if let Some(at) = memmem::find(message.as_bytes(), b"ptrace error: ") {
        let context = message[..at].trim_end_matches([' ', ':']);
        return Some(EventKind::PtraceError {
            context: context.to_string(),
            error: message[at + "ptrace error: ".len()..].to_string(),
        });
    }
    message
        .strip_prefix(program)
        .and_then(version_of)
        .map(|version| EventKind::Version { version })
}

/// The version in ` version V (released ...)`.
fn version_of(rest: &str) -> Option<String> {
    let version = rest.strip_prefix(" version ")?;
    let version = version.split(" (").next().unwrap_or(version).trim();
    (!version.is_empty()).then(|| version.to_string())
}

fn classify_notice(message: &str) -> Option<EventKind> {
    if let Some(rest) = message.strip_prefix("warning: system call ") {
        let (number, rest) = leading_u32(rest)?;
        let (name, rest) = rest.strip_prefix(" (")?.split_once(')')?;
        let rest = rest.strip_prefix(" not supported")?;
        let program = rest.strip_prefix(" for program ").map(str::to_string);
        return Some(EventKind::UnsupportedSyscall {
            number,
            name: name.to_string(),
            program,
        });
    }
    if let Some(rest) = message.strip_prefix("received signal ") {
        let (signal, signal_name, rest) = signal_and_name(rest)?;
        return rest.starts_with(", killing all my children").then_some(
            EventKind::ParrotSignaled {
                signal,
                signal_name,
            },
        );
    }
    if let Some(rest) = message.strip_prefix("unable to execute ") {
        let (path, error) = rest.rsplit_once(": ")?;
        return Some(EventKind::ExecveFailed {
            path: Some(path.to_string()),
            error: error.to_string(),
        });
    }
    if let Some((parrot, rest)) = message.split_once(" has not been tested on ") {
        let kernel = rest.strip_suffix(" yet, this may not work").unwrap_or(rest);
        return Some(EventKind::UntestedKernel {
            parrot: parrot.to_string(),
            kernel: kernel.to_string(),
        });
    }
    None
}

/// The CVMFS driver's messages that matter, whichever category carries
/// them (parrot logs them as both `cvmfs` and `notice`).
fn classify_cvmfs(message: &str) -> Option<EventKind> {
    const NO_ENTRY: &str = "PARROT_CVMFS_REPO does not contain an entry for the CVMFS repository '";
    if let Some(rest) = message.strip_prefix(NO_ENTRY) {
        let repository = rest.split('\'').next().unwrap_or(rest);
        return Some(EventKind::CvmfsRepositoryNotConfigured {
            repository: Some(repository.to_string()),
        });
    }
    if message.starts_with("No CVMFS filesystems have been configured") {
        return Some(EventKind::CvmfsRepositoryNotConfigured { repository: None });
    }
    if message
        .contains("parrot has not been configured to know how to access this CVMFS repository")
    {
        // `ERROR: Did not find /cvmfs/REPO/ on local filesystem ...`
        let repository = message
            .split_once("/cvmfs/")
            .and_then(|(_, rest)| rest.split(['/', ' ']).next())
            .filter(|repo| !repo.is_empty())
            .map(str::to_string);
        return Some(EventKind::CvmfsRepositoryNotConfigured { repository });
    }
    if message.starts_with("CVMFS requires an http proxy") {
        return Some(EventKind::CvmfsProxyMissing);
    }
    None
}

/// A `local:` operation on a `/cvmfs/` path.
fn served_locally(message: &str) -> Option<EventKind> {
    let at = memmem::find(message.as_bytes(), b"/cvmfs/")?;
    // Only an operation's path argument: `stat /cvmfs/...`, not a value
    // that happens to contain the text.
    if at == 0 || message.as_bytes()[at - 1] != b' ' {
        return None;
    }
    let path = message[at..].split(' ').next().unwrap_or_default();
    Some(EventKind::CvmfsServedLocally {
        path: path.to_string(),
    })
}

/// The event of a line that is not in parrot's format.
fn classify_other_line(text: &str) -> EventKind {
    if let Some(at) = memmem::find(text.as_bytes(), b"cannot stat shared object") {
        let before = &text[..at];
        let library = before
            .trim_end_matches([' ', ':'])
            .rsplit(": ")
            .next()
            .filter(|lib| !lib.is_empty() && !lib.contains(' '))
            .map(str::to_string);
        let error = text[at + "cannot stat shared object".len()..]
            .trim_start_matches([':', ' '])
            .to_string();
        return EventKind::LoaderCannotStat { library, error };
    }
    let trimmed = text.trim();
    if let Some(driver) = trimmed.strip_suffix(" is not enabled")
        && !driver.is_empty()
        && !driver.contains(' ')
    {
        return EventKind::DriverNotEnabled {
            driver: driver.to_string(),
        };
    }
    if trimmed.starts_with("Use: ") && trimmed.contains("[options] <command>") {
        return EventKind::Usage;
    }
    if let Some(version) = trimmed.strip_prefix("parrot_run").and_then(version_of) {
        return EventKind::Version { version };
    }
    EventKind::Raw
}

/// Where an event is going: the reader's queue, the summary, or both.
trait EventSink {
    fn event(&mut self, meta: &Meta<'_>, kind: EventKind);
}

/// The line an event came from, borrowed: its header when it is in
/// parrot's format, and its text (the message, or the whole line) as bytes,
/// which only the sinks that need it decode.
struct Meta<'a> {
    line: u64,
    header: Option<Header<'a>>,
    text: &'a [u8],
}

impl Meta<'_> {
    fn text(&self) -> String {
        String::from_utf8_lossy(self.text).into_owned()
    }
}

/// An `error:` line kept until it is known whether a `fatal:` follows.
#[derive(Debug, Clone)]
struct HeldError {
    line: u64,
    timestamp: Option<Vec<u8>>,
    program: Vec<u8>,
    pid: u32,
    child_pid: Option<u32>,
    message: Vec<u8>,
}

/// The "ptrace appears to be disabled" banner being collected.
#[derive(Debug, Clone)]
struct Banner {
    line: u64,
    first: Vec<u8>,
    causes: Vec<String>,
}

/// Turns lines into events, folding the multi-line ones: the ptrace banner
/// and a backtrace with the `fatal:` line that ends it.
#[derive(Debug, Default, Clone)]
struct Folder {
    banner: Option<Banner>,
    held: Vec<HeldError>,
}

const PTRACE_BANNER: &str = "The `ptrace` system call appears to be disabled";

impl Folder {
    fn push(&mut self, line: u64, bytes: &[u8], sink: &mut impl EventSink) {
        let header = Header::parse(bytes);
        if let Some(banner) = &mut self.banner {
            if header.is_none() && is_banner_continuation(bytes) {
                let text = String::from_utf8_lossy(bytes);
                if let Some(cause) = text.strip_prefix(" - ") {
                    if banner.causes.len() < MAX_BANNER_LINES {
                        banner.causes.push(cause.trim().to_string());
                    }
                } else if let Some(last) = banner.causes.last_mut()
                    && text.starts_with("  ")
                    && last.len() < 1024
                {
                    last.push(' ');
                    last.push_str(text.trim());
                }
                return;
            }
            self.close_banner(sink);
        }
        match header {
            Some(header) if header.category == b"error" => {
                if self.held.len() == MAX_BACKTRACE_LINES {
                    self.release_held(sink);
                }
                self.held.push(HeldError {
                    line,
                    timestamp: header.timestamp.map(<[u8]>::to_vec),
                    program: header.program.to_vec(),
                    pid: header.pid,
                    child_pid: header.child_pid,
                    message: header.message.to_vec(),
                });
            }
            Some(header) if header.category == b"fatal" => {
                let backtrace = self
                    .held
                    .drain(..)
                    .map(|held| String::from_utf8_lossy(&held.message).into_owned())
                    .collect();
                let kind = EventKind::Fatal {
                    message: String::from_utf8_lossy(header.message).into_owned(),
                    backtrace,
                };
                sink.event(&header_meta(line, header), kind);
            }
            Some(header) => {
                self.release_held(sink);
                let kind = classify_header(&header);
                sink.event(&header_meta(line, header), kind);
            }
            None => {
                self.release_held(sink);
                if bytes.starts_with(PTRACE_BANNER.as_bytes()) {
                    self.banner = Some(Banner {
                        line,
                        first: bytes.to_vec(),
                        causes: Vec::new(),
                    });
                } else {
                    let meta = Meta {
                        line,
                        header: None,
                        text: bytes,
                    };
                    sink.event(&meta, classify_other_line(&String::from_utf8_lossy(bytes)));
                }
            }
        }
    }

    /// Emits what is still held at the end of the input.
    fn finish(&mut self, sink: &mut impl EventSink) {
        self.close_banner(sink);
        self.release_held(sink);
    }

    fn close_banner(&mut self, sink: &mut impl EventSink) {
        if let Some(banner) = self.banner.take() {
            let meta = Meta {
                line: banner.line,
                header: None,
                text: &banner.first,
            };
            let kind = EventKind::PtraceDisabled {
                causes: banner.causes,
            };
            sink.event(&meta, kind);
        }
    }

    /// `error:` lines that no `fatal:` followed are events of their own.
    fn release_held(&mut self, sink: &mut impl EventSink) {
        if self.held.is_empty() {
            return;
        }
        for held in self.held.drain(..) {
            let header = Header {
                timestamp: held.timestamp.as_deref(),
                program: &held.program,
                pid: held.pid,
                child_pid: held.child_pid,
                category: b"error",
                message: &held.message,
            };
            sink.event(&header_meta(held.line, header), EventKind::Raw);
        }
    }
}

fn header_meta(line: u64, header: Header<'_>) -> Meta<'_> {
    Meta {
        line,
        header: Some(header),
        text: header.message,
    }
}

/// Whether a line belongs to the ptrace banner after its first line.
fn is_banner_continuation(text: &[u8]) -> bool {
    text.starts_with(b"Some possible causes") || text.starts_with(b" - ") || text.starts_with(b"  ")
}

/// Splits a byte stream into lines of bounded length, without copying the
/// lines that sit whole in the reader's buffer.
#[derive(Debug)]
struct LineSplitter<R> {
    reader: R,
    /// The start of a line that straddles two reads of the buffer.
    partial: Vec<u8>,
    /// Whether the current line already exceeded the limit.
    skipping: bool,
    max_line_len: usize,
    lines: u64,
    too_long: u64,
    at_end: bool,
}

impl<R: BufRead> LineSplitter<R> {
    fn new(reader: R, max_line_len: usize) -> Self {
        LineSplitter {
            reader,
            partial: Vec::new(),
            skipping: false,
            max_line_len,
            lines: 0,
            too_long: 0,
            at_end: false,
        }
    }

    /// Hands every complete line of the next buffer to `on_line` with its
    /// number; `Ok(false)` once the input is exhausted.
    fn read_chunk(&mut self, on_line: &mut impl FnMut(u64, &[u8])) -> io::Result<bool> {
        if self.at_end {
            return Ok(false);
        }
        let buffer = match self.reader.fill_buf() {
            Ok(buffer) => buffer,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => return Ok(true),
            Err(error) => return Err(error),
        };
        let max = self.max_line_len;
        if buffer.is_empty() {
            self.at_end = true;
            if self.skipping {
                self.lines += 1;
                self.too_long += 1;
            } else if !self.partial.is_empty() {
                self.lines += 1;
                deliver(&self.partial, self.lines, max, &mut self.too_long, on_line);
            }
            self.partial = Vec::new();
            self.skipping = false;
            return Ok(false);
        }
        let length = buffer.len();
        let mut start = 0;
        if self.skipping || !self.partial.is_empty() {
            match memchr::memchr(b'\n', buffer) {
                None => {
                    if !self.skipping {
                        // One byte of slack for the `\r` of a `\r\n`.
                        if self.partial.len() + length > max.saturating_add(1) {
                            self.skipping = true;
                            self.partial.clear();
                        } else {
                            self.partial.extend_from_slice(buffer);
                        }
                    }
                    self.reader.consume(length);
                    return Ok(true);
                }
                Some(end) => {
                    self.lines += 1;
                    if self.skipping || self.partial.len() + end > max.saturating_add(1) {
                        self.too_long += 1;
                    } else {
                        self.partial.extend_from_slice(&buffer[..end]);
                        deliver(&self.partial, self.lines, max, &mut self.too_long, on_line);
                    }
                    self.partial.clear();
                    self.skipping = false;
                    start = end + 1;
                }
            }
        }
        let base = start;
        for end in memchr::memchr_iter(b'\n', &buffer[base..]) {
            let end = base + end;
            self.lines += 1;
            deliver(
                &buffer[start..end],
                self.lines,
                max,
                &mut self.too_long,
                on_line,
            );
            start = end + 1;
        }
        let rest = &buffer[start..];
        if rest.len() > max.saturating_add(1) {
            self.skipping = true;
        } else {
            self.partial.extend_from_slice(rest);
        }
        self.reader.consume(length);
        Ok(true)
    }
}

/// Hands one line (without its `\r`) to `on_line`, or counts it as too
/// long.
fn deliver(
    bytes: &[u8],
    number: u64,
    max: usize,
    too_long: &mut u64,
    on_line: &mut impl FnMut(u64, &[u8]),
) {
    let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
    if bytes.len() > max {
        *too_long += 1;
        return;
    }
    on_line(number, bytes);
}

/// How the root program ended, from parrot's last line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProgramEnd {
    /// The program, as given to parrot.
    pub program: String,
    /// Its exit status, when it exited.
    pub status: Option<i32>,
    /// The signal that killed it, when it was killed.
    pub signal: Option<i32>,
    /// The signal's description.
    pub signal_name: Option<String>,
}

/// A system call parrot does not support, and how often it was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnsupportedCall {
    /// The system call number.
    pub number: u32,
    /// Its name as parrot printed it.
    pub name: String,
    /// How many times parrot warned about it.
    pub count: u64,
}

/// Counts and the facts of a log that decide its outcome and findings, in
/// memory that does not grow with the log.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LogSummary {
    /// Lines read, including the ones too long to parse.
    pub lines: u64,
    /// Lines longer than the reader's limit, skipped.
    pub lines_too_long: u64,
    /// Lines in parrot's debug format.
    pub log_lines: u64,
    /// Events by kind name ([`EventKind::name`]).
    pub counts: BTreeMap<String, u64>,
    /// Lines in parrot's format by category (`syscall`, `process`, ...);
    /// past the first 64 distinct unknown names, the rest count as
    /// `(other)`.
    pub categories: BTreeMap<String, u64>,
    /// Parrot's version, when the log shows it.
    pub version: Option<String>,
    /// The kernel parrot warned it has not been tested on.
    pub untested_kernel: Option<String>,
    /// The root process parrot attached to.
    pub root_pid: Option<u32>,
    /// How the root program ended (parrot's last line), when the log says.
    pub program_end: Option<ProgramEnd>,
    /// Whether the root process's `execve` succeeded.
    pub root_execve_succeeded: bool,
    /// Why the root process's `execve` failed, when it failed before ever
    /// succeeding.
    pub root_execve_failure: Option<String>,
    /// The first `ptrace error:` message.
    pub ptrace_error: Option<String>,
    /// Whether parrot printed its "ptrace appears to be disabled" banner.
    pub ptrace_disabled_banner: bool,
    /// The first `fatal:` message.
    pub fatal: Option<String>,
    /// The first `tracer memory read failed:` error.
    pub tracer_memory_read_failure: Option<String>,
    /// The signal parrot itself received, when it was signalled.
    pub parrot_signal: Option<i32>,
    /// Whether parrot printed its usage text.
    pub usage_shown: bool,
    /// Drivers `--check-driver` reported as not enabled.
    pub drivers_not_enabled: Vec<String>,
    /// The system calls parrot warned it does not support.
    pub unsupported_syscalls: Vec<UnsupportedCall>,
    /// The first line of the dynamic loader's `cannot stat shared object`.
    pub loader_cannot_stat: Option<String>,
    /// The CVMFS repositories `PARROT_CVMFS_REPO` does not cover (`*` when
    /// no repository is configured at all).
    pub repositories_not_configured: Vec<String>,
    /// Whether the CVMFS driver complained that no HTTP proxy is set.
    pub cvmfs_proxy_missing: bool,
    /// The first `/cvmfs/` path the local driver served.
    pub cvmfs_path_served_locally: Option<String>,
}

impl LogSummary {
    /// The count of events of one kind (by [`EventKind::name`]).
    pub fn count(&self, kind: &str) -> u64 {
        self.counts.get(kind).copied().unwrap_or(0)
    }

    /// The outcome of the run, judged with parrot's exit status when known.
    pub fn outcome(&self, exit_code: Option<i32>) -> Outcome {
        outcome(self, exit_code)
    }

    /// What the log says is wrong, each with its remedy.
    pub fn findings(&self) -> Vec<LogFinding> {
        findings(self)
    }
}

/// The categories counted in a fixed table, most frequent first, so that
/// counting a line is a few comparisons and no allocation.
const KNOWN_CATEGORIES: [&str; 24] = [
    "syscall", "libcall", "local", "debug", "resolve", "process", "notice", "cvmfs", "http",
    "pstree", "error", "fatal", "cache", "auth", "channel", "poll", "tcp", "dns", "ftp", "chirp",
    "xrootd", "remote", "login", "summary",
];

/// The summary being built: counts in fixed arrays, turned into maps by
/// [`Tally::summary`].
#[derive(Debug, Clone, Default)]
struct Tally {
    summary: LogSummary,
    kinds: [u64; KIND_NAMES.len()],
    categories: [u64; KNOWN_CATEGORIES.len()],
    other_categories: BTreeMap<String, u64>,
}

impl Tally {
    fn count_category(&mut self, category: &[u8]) {
        if let Some(index) = KNOWN_CATEGORIES
            .iter()
            .position(|known| known.as_bytes() == category)
        {
            self.categories[index] += 1;
            return;
        }
        let category = std::str::from_utf8(category).unwrap_or_default();
        if let Some(count) = self.other_categories.get_mut(category) {
            *count += 1;
        } else if self.other_categories.len() < MAX_DISTINCT {
            self.other_categories.insert(category.to_string(), 1);
        } else {
            *self
                .other_categories
                .entry("(other)".to_string())
                .or_default() += 1;
        }
    }

    fn summary(&self, lines: u64, too_long: u64) -> LogSummary {
        let mut summary = self.summary.clone();
        summary.lines = lines;
        summary.lines_too_long = too_long;
        summary.counts = KIND_NAMES
            .iter()
            .zip(self.kinds)
            .filter(|(_, count)| *count > 0)
            .map(|(name, count)| (name.to_string(), count))
            .collect();
        summary.categories = self.other_categories.clone();
        for (name, count) in KNOWN_CATEGORIES.iter().zip(self.categories) {
            if count > 0 {
                summary.categories.insert(name.to_string(), count);
            }
        }
        summary
    }

    /// Whether an event about process `child` concerns the root process.
    fn is_root(&self, child: Option<u32>) -> bool {
        match (child, self.summary.root_pid) {
            (Some(child), Some(root)) => child == root,
            // The format before 7.15 does not say which process a line is
            // about: take it as the root's.
            _ => true,
        }
    }
}

impl EventSink for Tally {
    fn event(&mut self, meta: &Meta<'_>, kind: EventKind) {
        self.kinds[kind.index()] += 1;
        if let Some(header) = &meta.header {
            self.summary.log_lines += 1;
            self.count_category(header.category);
        }
        let child = meta.header.and_then(|header| header.child_pid);
        let summary = &mut self.summary;
        match kind {
            EventKind::Raw => {}
            EventKind::Attached { pid } => {
                summary.root_pid.get_or_insert(pid);
            }
            EventKind::ProgramExited { program, status } => {
                summary.program_end = Some(ProgramEnd {
                    program,
                    status: Some(status),
                    signal: None,
                    signal_name: None,
                });
            }
            EventKind::ProgramKilled {
                program,
                signal,
                signal_name,
            } => {
                summary.program_end = Some(ProgramEnd {
                    program,
                    status: None,
                    signal: Some(signal),
                    signal_name,
                });
            }
            EventKind::ExecveSucceeded { .. } => {
                if self.is_root(child) {
                    self.summary.root_execve_succeeded = true;
                    self.summary.root_execve_failure = None;
                }
            }
            EventKind::ExecveFailed { error, path } => {
                // `unable to execute` is only ever the root's.
                let root = path.is_some() || self.is_root(child);
                let summary = &mut self.summary;
                if root && !summary.root_execve_succeeded && summary.root_execve_failure.is_none() {
                    summary.root_execve_failure = Some(error);
                }
            }
            EventKind::PtraceError { .. } => {
                summary.ptrace_error.get_or_insert_with(|| meta.text());
            }
            EventKind::PtraceDisabled { .. } => summary.ptrace_disabled_banner = true,
            EventKind::Fatal { message, .. } => {
                summary.fatal.get_or_insert(message);
            }
            EventKind::UntestedKernel { kernel, .. } => {
                summary.untested_kernel.get_or_insert(kernel);
            }
            EventKind::UnsupportedSyscall { number, name, .. } => {
                let calls = &mut summary.unsupported_syscalls;
                if let Some(call) = calls.iter_mut().find(|call| call.number == number) {
                    call.count += 1;
                } else if calls.len() < MAX_DISTINCT {
                    calls.push(UnsupportedCall {
                        number,
                        name,
                        count: 1,
                    });
                }
            }
            EventKind::TracerMemoryReadFailed { error } => {
                summary.tracer_memory_read_failure.get_or_insert(error);
            }
            EventKind::ParrotSignaled { signal, .. } => {
                summary.parrot_signal.get_or_insert(signal);
            }
            EventKind::Version { version } => {
                summary.version.get_or_insert(version);
            }
            EventKind::CvmfsRepositoryNotConfigured { repository } => {
                let repository = repository.unwrap_or_else(|| "*".to_string());
                let repos = &mut summary.repositories_not_configured;
                if repos.len() < MAX_DISTINCT && !repos.contains(&repository) {
                    repos.push(repository);
                }
            }
            EventKind::CvmfsProxyMissing => summary.cvmfs_proxy_missing = true,
            EventKind::CvmfsServedLocally { path } => {
                summary.cvmfs_path_served_locally.get_or_insert(path);
            }
            EventKind::DriverNotEnabled { driver } => {
                let drivers = &mut summary.drivers_not_enabled;
                if drivers.len() < MAX_DISTINCT && !drivers.contains(&driver) {
                    drivers.push(driver);
                }
            }
            EventKind::LoaderCannotStat { .. } => {
                summary
                    .loader_cannot_stat
                    .get_or_insert_with(|| meta.text());
            }
            EventKind::Usage => summary.usage_shown = true,
            EventKind::ProcessStarted { .. }
            | EventKind::ProcessExited { .. }
            | EventKind::ProcessKilled { .. }
            | EventKind::SignalReceived { .. }
            | EventKind::Cvmfs { .. } => {}
        }
    }
}

/// The reader's sink: the event goes both to the queue and to the tally.
struct Recorder<'a> {
    queue: &'a mut VecDeque<Event>,
    tally: &'a mut Tally,
}

impl EventSink for Recorder<'_> {
    fn event(&mut self, meta: &Meta<'_>, kind: EventKind) {
        let header = meta.header;
        self.queue.push_back(Event {
            line: meta.line,
            timestamp: header
                .and_then(|h| h.timestamp)
                .map(|t| String::from_utf8_lossy(t).into_owned()),
            pid: header.map(|h| h.pid),
            child_pid: header.and_then(|h| h.child_pid),
            category: header.map(|h| h.category().to_string()),
            text: meta.text(),
            kind: kind.clone(),
        });
        self.tally.event(meta, kind);
    }
}

/// The events of a log read from any [`BufRead`], in constant memory: the
/// reader holds one buffer's worth of events at most, and lines longer than
/// its limit are skipped and counted.
#[derive(Debug)]
pub struct LogReader<R> {
    lines: LineSplitter<R>,
    folder: Folder,
    queue: VecDeque<Event>,
    tally: Tally,
    finished: bool,
}

impl LogReader<BufReader<File>> {
    /// A reader over the log file at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let file = File::open(path).map_err(|source| read_error(path, source))?;
        Ok(LogReader::new(BufReader::with_capacity(
            FILE_BUFFER_BYTES,
            file,
        )))
    }
}

impl<R: BufRead> LogReader<R> {
    /// A reader with the default line limit ([`DEFAULT_MAX_LINE_LEN`]).
    pub fn new(reader: R) -> Self {
        LogReader::with_max_line_len(reader, DEFAULT_MAX_LINE_LEN)
    }

    /// A reader that skips lines longer than `max_line_len` bytes (not
    /// counting the line break).
    pub fn with_max_line_len(reader: R, max_line_len: usize) -> Self {
        LogReader {
            lines: LineSplitter::new(reader, max_line_len),
            folder: Folder::default(),
            queue: VecDeque::new(),
            tally: Tally::default(),
            finished: false,
        }
    }

    /// Lines read so far, including the ones too long to parse.
    pub fn lines_read(&self) -> u64 {
        self.lines.lines
    }

    /// Lines skipped so far for being longer than the limit.
    pub fn lines_too_long(&self) -> u64 {
        self.lines.too_long
    }

    /// The summary of the events read so far (of the whole log once the
    /// reader is exhausted).
    pub fn summary(&self) -> LogSummary {
        self.tally.summary(self.lines.lines, self.lines.too_long)
    }
}

impl<R: BufRead> Iterator for LogReader<R> {
    type Item = io::Result<Event>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(event) = self.queue.pop_front() {
                return Some(Ok(event));
            }
            if self.finished {
                return None;
            }
            let LogReader {
                lines,
                folder,
                queue,
                tally,
                finished,
            } = self;
            let mut recorder = Recorder { queue, tally };
            match lines.read_chunk(&mut |number, text| folder.push(number, text, &mut recorder)) {
                Ok(true) => {}
                Ok(false) => {
                    folder.finish(&mut recorder);
                    *finished = true;
                }
                Err(error) => {
                    *finished = true;
                    return Some(Err(error));
                }
            }
        }
    }
}

/// A parsed log held in memory: all its events and their summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParrotLog {
    /// Every event, in the order of the log.
    pub events: Vec<Event>,
    /// Counts and outcome-relevant facts.
    pub summary: LogSummary,
}

impl ParrotLog {
    /// Reads and parses the log file at `path`, keeping every event (use
    /// [`summarize_file`] for a log too big to hold).
    pub fn from_path(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let mut reader = LogReader::open(path)?;
        let events = reader
            .by_ref()
            .collect::<io::Result<Vec<_>>>()
            .map_err(|source| read_error(path, source))?;
        Ok(ParrotLog {
            events,
            summary: reader.summary(),
        })
    }

    /// Events by kind name.
    pub fn counts(&self) -> &BTreeMap<String, u64> {
        &self.summary.counts
    }

    /// The outcome of the run, judged with parrot's exit status when known.
    pub fn outcome(&self, exit_code: Option<i32>) -> Outcome {
        outcome(&self.summary, exit_code)
    }

    /// What the log says is wrong, each with its remedy.
    pub fn findings(&self) -> Vec<LogFinding> {
        findings(&self.summary)
    }
}

/// Parses a whole log held in memory. Never fails: lines it does not know
/// are [`EventKind::Raw`] events.
pub fn parse_parrot_log(text: &str) -> ParrotLog {
    let mut reader = LogReader::new(text.as_bytes());
    // Reading a byte slice cannot fail.
    let events = reader.by_ref().flatten().collect();
    ParrotLog {
        events,
        summary: reader.summary(),
    }
}

/// Reads a log to its end and keeps only its [`LogSummary`]: constant
/// memory, and no allocation for the ordinary lines, whatever the size.
pub fn summarize<R: BufRead>(reader: R) -> io::Result<LogSummary> {
    summarize_with_max_line_len(reader, DEFAULT_MAX_LINE_LEN)
}

/// [`summarize`] with a line limit other than [`DEFAULT_MAX_LINE_LEN`].
pub fn summarize_with_max_line_len<R: BufRead>(
    reader: R,
    max_line_len: usize,
) -> io::Result<LogSummary> {
    let mut lines = LineSplitter::new(reader, max_line_len);
    let mut folder = Folder::default();
    let mut tally = Tally::default();
    while lines.read_chunk(&mut |number, text| folder.push(number, text, &mut tally))? {}
    folder.finish(&mut tally);
    Ok(tally.summary(lines.lines, lines.too_long))
}

/// [`summarize`] over the log file at `path`.
pub fn summarize_file(path: impl AsRef<Path>) -> Result<LogSummary, Error> {
    let path = path.as_ref();
    let file = File::open(path).map_err(|source| read_error(path, source))?;
    summarize(BufReader::with_capacity(FILE_BUFFER_BYTES, file))
        .map_err(|source| read_error(path, source))
}

fn read_error(path: &Path, source: io::Error) -> Error {
    Error::Read {
        what: "parrot log",
        path: path.to_path_buf(),
        source,
    }
}

/// How a run under parrot ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeKind {
    /// The program ran and exited with status 0.
    Succeeded,
    /// The program ran and exited with a non-zero status.
    ProgramFailed,
    /// The program was killed by a signal (parrot then exits 1).
    ProgramKilled,
    /// Parrot itself failed: it could not trace, could not start the
    /// program, was killed, or was asked something it cannot do.
    ParrotFailed,
    /// Neither the log nor an exit status says how the run ended.
    Unknown,
}

/// The outcome of a run: its kind, the status parrot exited with, the
/// signal involved, and why when parrot failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// How the run ended.
    pub kind: OutcomeKind,
    /// The exit status: the one observed, or else the one the log implies.
    pub status: Option<i32>,
    /// The signal that killed the program, or parrot.
    pub signal: Option<i32>,
    /// Why, in words, when the run did not simply succeed or fail.
    pub reason: Option<String>,
}

/// Judges how the run ended from the log's summary and parrot's exit status
/// (when it was observed), by parrot's rules: parrot exits with its
/// program's status; 1 when the program was killed by a signal or could
/// not be executed; and 137 or 143 when parrot itself was killed (SIGKILL
/// after a fatal error, SIGTERM).
pub fn outcome(summary: &LogSummary, exit_code: Option<i32>) -> Outcome {
    let parrot_failed = |status: Option<i32>, signal: Option<i32>, reason: String| Outcome {
        kind: OutcomeKind::ParrotFailed,
        status,
        signal,
        reason: Some(reason),
    };
    // Parrot's own death by signal shows as 128 + the signal.
    let killed_parrot = exit_code
        .filter(|code| *code == 128 + 9 || *code == 128 + 15)
        .map(|code| code - 128);
    let end_status = summary.program_end.as_ref().and_then(|end| end.status);
    let status = exit_code.or(end_status);

    if let Some(fatal) = &summary.fatal {
        let signal = killed_parrot.or(summary.parrot_signal);
        let mut reason = format!("fatal: {fatal}");
        if let Some(ptrace) = ptrace_evidence(summary) {
            reason = format!("{reason} ({ptrace})");
        }
        return parrot_failed(status, signal, reason);
    }
    if summary.program_end.is_none() || end_status != exit_code && killed_parrot.is_some() {
        if let Some(signal) = killed_parrot.or(summary.parrot_signal) {
            let mut reason = format!("parrot was killed by signal {signal}");
            if let Some(ptrace) = ptrace_evidence(summary) {
                reason = format!("{reason} after {ptrace}");
            }
            return parrot_failed(status, Some(signal), reason);
        }
        if let Some(ptrace) = ptrace_evidence(summary) {
            return parrot_failed(status, None, ptrace);
        }
    }
    let failed = status.is_some_and(|status| status != 0);
    if failed {
        if let Some(error) = &summary.tracer_memory_read_failure {
            let mut reason = format!("tracer memory read failed: {error}");
            if let Some(exec) = &summary.root_execve_failure {
                reason = format!("{reason}; the program's execve failed: {exec}");
            }
            return parrot_failed(status, None, reason);
        }
        if summary.usage_shown {
            return parrot_failed(
                status,
                None,
                "parrot_run printed its usage: an option it does not know".to_string(),
            );
        }
        if let Some(driver) = summary.drivers_not_enabled.first() {
            return parrot_failed(
                status,
                None,
                format!("the {driver} driver is not enabled in this parrot"),
            );
        }
        if let Some(exec) = &summary.root_execve_failure
            && status == Some(1)
        {
            return parrot_failed(
                status,
                None,
                format!("the program could not be executed: {exec}"),
            );
        }
    }
    if let Some(end) = &summary.program_end
        && let Some(signal) = end.signal
    {
        let name = end.signal_name.as_deref().unwrap_or("unknown signal");
        return Outcome {
            kind: OutcomeKind::ProgramKilled,
            status: exit_code.or(Some(1)),
            signal: Some(signal),
            reason: Some(format!(
                "{} was killed by signal {signal} ({name})",
                end.program
            )),
        };
    }
    match status {
        Some(0) => Outcome {
            kind: OutcomeKind::Succeeded,
            status,
            signal: None,
            reason: None,
        },
        Some(code) => Outcome {
            kind: OutcomeKind::ProgramFailed,
            status,
            signal: None,
            reason: summary
                .program_end
                .is_none()
                .then(|| format!("the log does not show the program's end; parrot exited {code}")),
        },
        None => Outcome {
            kind: OutcomeKind::Unknown,
            status: None,
            signal: None,
            reason: Some("the log does not show how the run ended".to_string()),
        },
    }
}

/// What shows that ptrace was refused at attach, if anything.
fn ptrace_evidence(summary: &LogSummary) -> Option<String> {
    if let Some(error) = &summary.ptrace_error {
        Some(format!("ptrace error: {}", after_ptrace_error(error)))
    } else if summary.ptrace_disabled_banner {
        Some("the ptrace system call appears to be disabled".to_string())
    } else {
        None
    }
}

fn after_ptrace_error(message: &str) -> &str {
    message
        .split_once("ptrace error: ")
        .map_or(message, |(_, error)| error)
}

/// One thing the log shows is wrong, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogFinding {
    /// What was checked, as a dotted name (`parrot.ptrace_attach`).
    pub check: &'static str,
    /// How bad it is.
    pub status: Status,
    /// The lines of the log that show it.
    pub evidence: String,
    /// What to do about it.
    pub remedy: String,
}

impl From<LogFinding> for Finding {
    fn from(finding: LogFinding) -> Self {
        Finding::new(finding.check, finding.status, finding.evidence).with_remedy(finding.remedy)
    }
}

/// What the log alone shows is wrong, each with its remedy, most serious
/// first.
pub fn findings(summary: &LogSummary) -> Vec<LogFinding> {
    let mut found = Vec::new();
    let fail = |check, evidence: String, remedy: &str| LogFinding {
        check,
        status: Status::Fail,
        evidence,
        remedy: remedy.to_string(),
    };

    let could_not_trace = summary
        .fatal
        .as_deref()
        .filter(|fatal| fatal.contains("could not trace"));
    if summary.ptrace_error.is_some() || summary.ptrace_disabled_banner || could_not_trace.is_some()
    {
        let mut evidence = Vec::new();
        if let Some(error) = &summary.ptrace_error {
            evidence.push(error.clone());
        }
        if summary.ptrace_disabled_banner {
            evidence.push("The `ptrace` system call appears to be disabled.".to_string());
        }
        if let Some(fatal) = could_not_trace {
            evidence.push(format!("fatal: {fatal}"));
        }
        found.push(fail(
            "parrot.ptrace_attach",
            evidence.join("; "),
            "ptrace was refused when parrot attached to its child: a seccomp profile without \
             ptrace, an LSM (AppArmor, SELinux, Yama's ptrace_scope), or a parent that disabled \
             dumping (PR_SET_DUMPABLE). Check the container's security options next: \
             `pcvmfs doctor --image IMAGE` says which layer refuses it.",
        ));
    }
    if let Some(error) = &summary.tracer_memory_read_failure {
        found.push(fail(
            "parrot.tracer_memory",
            format!("tracer memory read failed: {error}"),
            "parrot attached, but reading the traced program's memory (process_vm_readv) was \
             refused: a seccomp profile without the ptrace system calls, or a missing \
             CAP_SYS_PTRACE. Run the container with pcvmfs's parrot seccomp profile (or \
             `--cap-add SYS_PTRACE`); `pcvmfs doctor --image IMAGE` checks it.",
        ));
    }
    if let Some(line) = summary
        .loader_cannot_stat
        .as_deref()
        .filter(|line| line.contains("Error 20") || line.contains("Not a directory"))
    {
        found.push(fail(
            "parrot.loader_fstatat",
            line.to_string(),
            "this parrot mishandles fstatat with AT_EMPTY_PATH, which the dynamic loader of \
             glibc 2.33 and later uses, so every shared library fails with `Error 20`: use an \
             image with an older base (glibc before 2.33) or a parrot with the fix.",
        ));
    }
    let cvmfs_lines = summary.categories.get("cvmfs").copied().unwrap_or(0);
    let cvmfs_said_anything = cvmfs_lines > 0
        || !summary.repositories_not_configured.is_empty()
        || summary.cvmfs_proxy_missing;
    let driver_off = summary
        .drivers_not_enabled
        .iter()
        .any(|driver| driver == "cvmfs");
    if driver_off {
        found.push(fail(
            "parrot.cvmfs_driver",
            "cvmfs is not enabled".to_string(),
            CVMFS_DRIVER_REMEDY,
        ));
    } else if let Some(path) = &summary.cvmfs_path_served_locally
        && !cvmfs_said_anything
    {
        found.push(fail(
            "parrot.cvmfs_driver",
            format!("{path} was served by the local driver, and the CVMFS driver wrote nothing"),
            CVMFS_DRIVER_REMEDY,
        ));
    }
    if !summary.repositories_not_configured.is_empty() {
        found.push(fail(
            "parrot.cvmfs_repository",
            format!(
                "PARROT_CVMFS_REPO does not cover: {}",
                summary.repositories_not_configured.join(", ")
            ),
            "add the repository to PARROT_CVMFS_REPO (`REPO:pubkey=KEY,url=STRATUM1_URL`, or \
             `<default-repositories>` for the CERN and OSG ones), or pass it with \
             `--cvmfs-repos`.",
        ));
    }
    if summary.cvmfs_proxy_missing {
        found.push(fail(
            "parrot.cvmfs_proxy",
            "CVMFS requires an http proxy.  None has been configured!".to_string(),
            "set HTTP_PROXY to the site's squid (`http://squid:3128;DIRECT` to fail over to \
             direct access), or give `proxies=` in PARROT_CVMFS_REPO.",
        ));
    }
    if !summary.unsupported_syscalls.is_empty() {
        let calls: Vec<String> = summary
            .unsupported_syscalls
            .iter()
            .map(|call| format!("{} ({}) x{}", call.number, call.name, call.count))
            .collect();
        found.push(LogFinding {
            check: "parrot.syscalls",
            status: Status::Warn,
            evidence: format!("system calls not supported: {}", calls.join(", ")),
            remedy: "usually harmless: the program gets ENOSYS and falls back (glibc does for \
                     rseq, 334). If the program fails right after such a warning, use a newer \
                     parrot that supports the call."
                .to_string(),
        });
    }
    found
}

const CVMFS_DRIVER_REMEDY: &str = "this parrot was built without CVMFS support, so /cvmfs \
     is just a local directory: use a parrot built with libcvmfs (cctools configured \
     `--with-cvmfs-path`); `parrot_run --check-driver cvmfs` must print `cvmfs is enabled`.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn current_format() {
        let line = parse_line(
            "2026/12/04 13:33:52.30 parrot_run[6]<child:7> process: execve: /bin/busybox about to start",
        )
        .unwrap();
        assert_eq!(line.timestamp, Some("2026/12/04 13:33:52.30"));
        assert_eq!(line.program, "parrot_run");
        assert_eq!(line.pid, 6);
        assert_eq!(line.child_pid, Some(7));
        assert_eq!(line.category, "process");
        assert_eq!(line.message, "execve: /bin/busybox about to start");
    }

    #[test]
    fn old_format_with_and_without_space() {
        let line = parse_line("parrot_run[9] process: ls exited normally with status 0").unwrap();
        assert_eq!((line.timestamp, line.pid, line.child_pid), (None, 9, None));
        let tight = parse_line("parrot_run[9]process: x").unwrap();
        assert_eq!((tight.category, tight.message), ("process", "x"));
    }

    #[test]
    fn not_log_lines() {
        for text in [
            "",
            "Killed",
            "ls: /cvmfs/alice.cern.ch: No such file or directory",
            "parrot_run[] x: y",
            "parrot_run[9 x: y",
            "parrot_run[9]<child:> x: y",
            "parrot_run[99999999999] x: y",
            "a b[9] x: y",
            "parrot_run[9] : y",
            "2026/12/04 13:33:52.30",
        ] {
            assert_eq!(parse_line(text), None, "{text:?}");
        }
    }

    #[test]
    fn kind_names_match_serde() {
        let kind = EventKind::ProcessExited { pid: 1, code: 0 };
        let json = serde_json::to_value(&kind).unwrap();
        assert_eq!(json["kind"], kind.name());
        assert_eq!(EventKind::Raw.name(), "raw");
    }

    #[test]
    fn lines_straddling_the_buffer_are_whole() {
        let text =
            "parrot_run[1] process: pid 2 started\nparrot_run[1] process: attaching to pid 2\nlast";
        for capacity in 1..8 {
            let reader = LogReader::new(BufReader::with_capacity(capacity, text.as_bytes()));
            let kinds: Vec<_> = reader.map(|e| e.unwrap().kind.name()).collect();
            assert_eq!(kinds, ["process_started", "attached", "raw"]);
        }
    }

    #[test]
    fn too_long_lines_are_skipped_and_counted() {
        let text = format!("{}\nparrot_run[1] fatal: x\n", "y".repeat(100));
        let summary = summarize_with_max_line_len(text.as_bytes(), 50).unwrap();
        assert_eq!((summary.lines, summary.lines_too_long), (2, 1));
        assert_eq!(summary.fatal.as_deref(), Some("x"));
    }
}
