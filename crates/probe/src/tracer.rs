//! The tracer's steps, as parrot takes them. Every wait has a deadline, and
//! the child (and its own child) is killed and reaped whatever happens.

use std::time::{Duration, Instant};

use pcvmfs_core::probe::{StepResult, TRACE_STEPS};

use crate::EXEC_TARGET;

/// How long any single wait may take.
const WAIT_LIMIT: Duration = Duration::from_secs(5);

/// Memory the tracer reads and writes in its child: a writable static, at
/// the same address in both after `fork`.
static mut MARKER: [u8; 16] = *b"pcvmfs-marker-01";
const WRITTEN: [u8; 16] = *b"written-by-probe";

/// parrot's options for `PTRACE_SEIZE`.
const SEIZE_OPTIONS: libc::c_int = libc::PTRACE_O_TRACESYSGOOD
    | libc::PTRACE_O_TRACEEXEC
    | libc::PTRACE_O_TRACEEXIT
    | libc::PTRACE_O_TRACECLONE
    | libc::PTRACE_O_TRACEFORK
    | libc::PTRACE_O_TRACEVFORK
    | libc::PTRACE_O_EXITKILL;

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// `Operation not permitted`, without Rust's ` (os error 1)`.
pub fn describe(errno: i32) -> String {
    let text = std::io::Error::from_raw_os_error(errno).to_string();
    match text.rfind(" (os error") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

/// The results so far; once a step fails, the rest are skipped.
struct Steps {
    results: Vec<StepResult>,
}

impl Steps {
    fn ok(&mut self, step: &str) {
        self.results.push(StepResult {
            step: step.into(),
            ok: true,
            errno: None,
            error: None,
            skipped: false,
        });
    }

    fn fail(&mut self, step: &str, errno: Option<i32>, error: impl Into<String>) {
        self.results.push(StepResult {
            step: step.into(),
            ok: false,
            errno,
            error: Some(error.into()),
            skipped: false,
        });
    }

    fn fail_errno(&mut self, step: &str, errno: i32) {
        self.fail(step, Some(errno), describe(errno));
    }

    fn finish(mut self) -> Vec<StepResult> {
        for step in TRACE_STEPS {
            if !self.results.iter().any(|r| r.step == *step) {
                self.results.push(StepResult {
                    step: step.to_string(),
                    ok: false,
                    errno: None,
                    error: Some("not tried: an earlier step failed".into()),
                    skipped: true,
                });
            }
        }
        self.results
    }
}

/// What a bounded wait saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Waited {
    Status(libc::pid_t, libc::c_int),
    TimedOut,
    Failed(i32),
}

fn wait_for(pid: libc::pid_t, flags: libc::c_int, limit: Duration) -> Waited {
    let deadline = Instant::now() + limit;
    loop {
        let mut status = 0;
        // SAFETY: waitpid writes the status of one child into `status`.
        let got = unsafe { libc::waitpid(pid, &mut status, flags | libc::WNOHANG) };
        if got > 0 {
            return Waited::Status(got, status);
        }
        if got < 0 {
            return Waited::Failed(errno());
        }
        if Instant::now() >= deadline {
            return Waited::TimedOut;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Kills and reaps the traced processes when dropped, so that none
/// outlives the probe.
struct Tracees(Vec<libc::pid_t>);

impl Tracees {
    /// Kills them all; returns whether every one was reaped in time.
    fn kill_and_reap(&mut self) -> bool {
        let mut all = true;
        for pid in self.0.drain(..) {
            // SAFETY: kill and waitpid on our own child.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            loop {
                match wait_for(pid, libc::__WALL, WAIT_LIMIT) {
                    Waited::Status(_, status)
                        if libc::WIFEXITED(status) || libc::WIFSIGNALED(status) =>
                    {
                        break;
                    }
                    Waited::Status(..) => continue,
                    Waited::Failed(e) if e == libc::ECHILD => break,
                    _ => {
                        all = false;
                        break;
                    }
                }
            }
        }
        all
    }
}

impl Drop for Tracees {
    fn drop(&mut self) {
        self.kill_and_reap();
    }
}

/// The child: stops itself, then (once the tracer lets it run) forks a
/// grandchild that exits at once, and execs the probe again.
fn child() -> ! {
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        libc::raise(libc::SIGSTOP);
        let grandchild = libc::fork();
        if grandchild == 0 {
            libc::_exit(0);
        }
        if grandchild > 0 {
            let mut status = 0;
            libc::waitpid(grandchild, &mut status, 0);
        }
        // The exec target has nothing to say; keep the caller's output clean
        // (under a test harness, /proc/self/exe is the harness).
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_WRONLY);
        if null >= 0 {
            libc::dup2(null, 1);
            libc::dup2(null, 2);
        }
        let path = c"/proc/self/exe";
        let arg0 = c"pcvmfs-probe";
        let arg1 = std::ffi::CString::new(EXEC_TARGET).unwrap_or_default();
        let argv = [arg0.as_ptr(), arg1.as_ptr(), std::ptr::null()];
        libc::execv(path.as_ptr(), argv.as_ptr());
        libc::_exit(127);
    }
}

fn marker_address() -> usize {
    std::ptr::addr_of_mut!(MARKER) as usize
}

fn ptrace(request: libc::c_uint, pid: libc::pid_t, addr: usize, data: usize) -> libc::c_long {
    // SAFETY: ptrace on our own child with plain integer arguments; the
    // kernel checks every address.
    unsafe {
        libc::ptrace(
            request,
            pid,
            addr as *mut libc::c_void,
            data as *mut libc::c_void,
        )
    }
}

fn process_vm(pid: libc::pid_t, write: bool, buf: &mut [u8; 16]) -> Result<(), i32> {
    let local = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    let remote = libc::iovec {
        iov_base: marker_address() as *mut libc::c_void,
        iov_len: buf.len(),
    };
    // SAFETY: both iovecs describe buffers of 16 bytes; the remote one is
    // checked by the kernel.
    let n = unsafe {
        if write {
            libc::process_vm_writev(pid, &local, 1, &remote, 1, 0)
        } else {
            libc::process_vm_readv(pid, &local, 1, &remote, 1, 0)
        }
    };
    match n {
        16 => Ok(()),
        -1 => Err(errno()),
        _ => Err(libc::EIO),
    }
}

/// `PTRACE_PEEKDATA`: -1 is a valid word, so errno tells.
fn peek(pid: libc::pid_t) -> Result<u64, i32> {
    // SAFETY: errno is thread-local; clearing it disambiguates -1.
    unsafe { *libc::__errno_location() = 0 };
    let word = ptrace(libc::PTRACE_PEEKDATA, pid, marker_address(), 0);
    match (word, errno()) {
        (-1, e) if e != 0 => Err(e),
        (w, _) => Ok(w as u64),
    }
}

fn word_of(bytes: &[u8]) -> u64 {
    u64::from_ne_bytes(bytes[..8].try_into().expect("8 bytes"))
}

/// Takes every step and returns their results.
pub fn run() -> Vec<StepResult> {
    let mut steps = Steps {
        results: Vec::new(),
    };
    // SAFETY: the child runs only async-signal-safe code before exec.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        child();
    }
    if pid < 0 {
        steps.fail_errno("fork", errno());
        return steps.finish();
    }
    let mut tracees = Tracees(vec![pid]);
    match wait_for(pid, libc::WUNTRACED, WAIT_LIMIT) {
        Waited::Status(_, s) if libc::WIFSTOPPED(s) => steps.ok("fork"),
        other => {
            steps.fail(
                "fork",
                None,
                format!("the child did not stop itself: {other:?}"),
            );
            return steps.finish();
        }
    }
    if ptrace(libc::PTRACE_SEIZE, pid, 0, SEIZE_OPTIONS as usize) == -1 {
        steps.fail_errno("seize", errno());
        return steps.finish();
    }
    steps.ok("seize");
    if ptrace(libc::PTRACE_INTERRUPT, pid, 0, 0) == -1 {
        steps.fail_errno("interrupt", errno());
        return steps.finish();
    }
    match wait_for(pid, libc::__WALL, WAIT_LIMIT) {
        Waited::Status(_, s) if libc::WIFSTOPPED(s) => steps.ok("interrupt"),
        other => {
            steps.fail(
                "interrupt",
                None,
                format!("no stop after PTRACE_INTERRUPT: {other:?}"),
            );
            return steps.finish();
        }
    }
    memory_steps(&mut steps, pid);
    follow_steps(&mut steps, &mut tracees, pid);
    if tracees.kill_and_reap() {
        steps.ok("kill_and_reap");
    } else {
        steps.fail(
            "kill_and_reap",
            None,
            "a traced process was not reaped in time",
        );
    }
    steps.finish()
}

fn memory_steps(steps: &mut Steps, pid: libc::pid_t) {
    // SAFETY: reading our own static.
    let original: [u8; 16] = unsafe { *std::ptr::addr_of!(MARKER) };
    let mut buf = [0u8; 16];
    match process_vm(pid, false, &mut buf) {
        Ok(()) if buf == original => steps.ok("process_vm_readv"),
        Ok(()) => steps.fail(
            "process_vm_readv",
            None,
            "read other bytes than the child holds",
        ),
        Err(e) => steps.fail_errno("process_vm_readv", e),
    }
    let mut written = WRITTEN;
    let vm_written = match process_vm(pid, true, &mut written) {
        Ok(()) => {
            steps.ok("process_vm_writev");
            true
        }
        Err(e) => {
            steps.fail_errno("process_vm_writev", e);
            false
        }
    };
    let expected = if vm_written {
        word_of(&WRITTEN)
    } else {
        word_of(&original)
    };
    match peek(pid) {
        Ok(word) if word == expected => steps.ok("peekdata"),
        Ok(_) => steps.fail("peekdata", None, "read another word than the child holds"),
        Err(e) => steps.fail_errno("peekdata", e),
    }
    let poked = !expected;
    if ptrace(libc::PTRACE_POKEDATA, pid, marker_address(), poked as usize) == -1 {
        steps.fail_errno("pokedata", errno());
    } else if peek(pid) == Ok(poked) {
        steps.ok("pokedata");
    } else {
        steps.fail("pokedata", None, "the poked word did not arrive");
    }
}

/// Lets the child run and follows its fork and exec to its end.
fn follow_steps(steps: &mut Steps, tracees: &mut Tracees, pid: libc::pid_t) {
    // The child sits in a group stop from its own SIGSTOP: end it, and let
    // it run.
    // SAFETY: signalling our own child.
    unsafe { libc::kill(pid, libc::SIGCONT) };
    if ptrace(libc::PTRACE_CONT, pid, 0, 0) == -1 {
        let e = errno();
        steps.fail_errno("follow_fork", e);
        steps.fail_errno("follow_exec", e);
        return;
    }
    let (mut forked, mut execed) = (false, false);
    let deadline = Instant::now() + WAIT_LIMIT;
    while Instant::now() < deadline {
        let (who, status) = match wait_for(
            -1,
            libc::__WALL,
            deadline.saturating_duration_since(Instant::now()),
        ) {
            Waited::Status(who, status) => (who, status),
            _ => break,
        };
        if libc::WIFEXITED(status) || libc::WIFSIGNALED(status) {
            tracees.0.retain(|p| *p != who);
            if who == pid {
                break;
            }
            continue;
        }
        if !libc::WIFSTOPPED(status) {
            continue;
        }
        let event = (status >> 16) & 0xff;
        let signal = libc::WSTOPSIG(status);
        if who == pid && (event == libc::PTRACE_EVENT_FORK || event == libc::PTRACE_EVENT_CLONE) {
            forked = true;
            let mut new_pid: libc::c_ulong = 0;
            if ptrace(
                libc::PTRACE_GETEVENTMSG,
                pid,
                0,
                &mut new_pid as *mut _ as usize,
            ) == 0
                && new_pid > 0
            {
                tracees.0.push(new_pid as libc::pid_t);
            }
        } else if who == pid && event == libc::PTRACE_EVENT_EXEC {
            execed = true;
        }
        // Pass real signals on; swallow the tracer's own stops.
        let deliver = if event == 0
            && signal != libc::SIGSTOP
            && signal != libc::SIGTRAP
            && signal & 0x80 == 0
        {
            signal
        } else {
            0
        };
        ptrace(libc::PTRACE_CONT, who, 0, deliver as usize);
    }
    let why = "the traced child did not report it within the time limit";
    if forked {
        steps.ok("follow_fork");
    } else {
        steps.fail("follow_fork", None, why);
    }
    if execed {
        steps.ok("follow_exec");
    } else {
        steps.fail("follow_exec", None, why);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_step_works_here_and_no_child_is_left_behind() {
        let steps = run();
        let names: Vec<&str> = steps.iter().map(|s| s.step.as_str()).collect();
        assert_eq!(names, TRACE_STEPS);
        // The test process may trace its children (no seccomp filter, no
        // LSM on the development machine), so every step passes.
        assert!(steps.iter().all(|s| s.ok), "{steps:?}");
        let mut status = 0;
        // SAFETY: asks whether any child is left; there must be none.
        let left = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG | libc::__WALL) };
        assert_eq!(left, -1, "a child is left behind");
        assert_eq!(errno(), libc::ECHILD);
    }

    #[test]
    fn errno_text_drops_rusts_suffix() {
        assert_eq!(describe(libc::EPERM), "Operation not permitted");
    }
}
