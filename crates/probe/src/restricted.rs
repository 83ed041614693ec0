//! Syscalls that Docker's default seccomp profile refuses, tried in a
//! throwaway child so that one that succeeds changes nothing for the probe
//! (as root only: for other users most fail for want of privileges anyway).

use std::time::Duration;

use pcvmfs_core::probe::{RESTRICTED_SYSCALLS, StepResult};

use crate::tracer::describe;

/// Tries one syscall; returns 0 when it worked, else its errno.
fn attempt(name: &str) -> i32 {
    // SAFETY: each call is made with arguments that cannot touch memory
    // of ours (null pointers, zero lengths); the kernel validates them.
    let rc = unsafe {
        match name {
            "unshare" => libc::unshare(libc::CLONE_NEWNS) as libc::c_long,
            // A file system type that does not exist: if the call is let
            // through it fails with ENODEV and mounts nothing.
            "mount" => libc::mount(
                c"none".as_ptr(),
                c"/".as_ptr(),
                c"pcvmfs-no-such-fs".as_ptr(),
                libc::MS_RDONLY,
                std::ptr::null(),
            ) as libc::c_long,
            "keyctl" => libc::syscall(
                libc::SYS_keyctl,
                0,  /* KEYCTL_GET_KEYRING_ID */
                -3, /* session */
                0,
            ),
            // Keyring 0 does not exist: a call let through fails with EINVAL.
            "add_key" => libc::syscall(
                libc::SYS_add_key,
                c"user".as_ptr(),
                c"pcvmfs-probe".as_ptr(),
                std::ptr::null::<u8>(),
                0,
                0,
            ),
            "bpf" => libc::syscall(
                libc::SYS_bpf,
                0, /* BPF_MAP_CREATE */
                std::ptr::null::<u8>(),
                0,
            ),
            "kexec_load" => libc::syscall(libc::SYS_kexec_load, 0, 0, std::ptr::null::<u8>(), 0),
            _ => return libc::ENOSYS,
        }
    };
    if rc == -1 {
        std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
    } else {
        0
    }
}

/// Tries each restricted syscall in a child of its own.
pub fn run() -> Vec<StepResult> {
    RESTRICTED_SYSCALLS
        .iter()
        .map(|name| try_in_child(name))
        .collect()
}

fn try_in_child(name: &str) -> StepResult {
    // SAFETY: the child only makes the one syscall and exits.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        let code = attempt(name).min(255);
        // SAFETY: ends the child at once.
        unsafe { libc::_exit(code) };
    }
    let failed = |error: String| StepResult {
        step: name.to_string(),
        ok: false,
        errno: None,
        error: Some(error),
        skipped: false,
    };
    if pid < 0 {
        return failed("cannot fork".into());
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let mut status = 0;
        // SAFETY: waiting for our own child.
        let got = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if got == pid {
            if !libc::WIFEXITED(status) {
                return failed("the attempt died".into());
            }
            let errno = libc::WEXITSTATUS(status);
            // Refused means EPERM (seccomp's answer, and the capability
            // checks'); any other result means the call was let through.
            return StepResult {
                step: name.to_string(),
                ok: errno != libc::EPERM,
                errno: (errno != 0).then_some(errno),
                error: (errno != 0).then(|| describe(errno)),
                skipped: false,
            };
        }
        if std::time::Instant::now() >= deadline || got < 0 {
            // SAFETY: killing and reaping our own child.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
                libc::waitpid(pid, &mut status, 0);
            }
            return failed("the attempt did not finish in time".into());
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}
