//! Seccomp profiles in Docker's JSON format, the format that `docker run
//! --security-opt seccomp=FILE` takes: Docker's own default profile, kept
//! here as project data, and the least-privilege profile that lets
//! `parrot_run` trace under it.
//!
//! Under Docker's default profile parrot attaches to its child, but the
//! first time it reads the child's memory the filter answers `EPERM`:
//! `process_vm_readv` is only allowed with `CAP_SYS_PTRACE` (parrot logs
//! `tracer memory read failed: Operation not permitted`, the child's
//! `execve` fails, the run ends with status 1). `--cap-add SYS_PTRACE` makes
//! it work, but grants a capability (tracing other users' processes) and
//! three syscalls parrot does not need (`kcmp`, `pidfd_getfd`,
//! `process_madvise`). [`parrot_profile`] is the default profile plus one rule that
//! allows exactly [`PARROT_SYSCALLS`]; everything else the default refuses
//! stays refused.
//!
//! ```
//! use pcvmfs_docker::seccomp;
//! let default = seccomp::docker_default_profile();
//! let parrot = seccomp::parrot_profile();
//! assert!(!seccomp::allowed_unconditionally(&default, "process_vm_readv"));
//! assert!(seccomp::allowed_unconditionally(&parrot, "process_vm_readv"));
//! assert!(!seccomp::allowed_unconditionally(&parrot, "unshare"));
//! ```

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Value, json};

/// Where the rules of [`docker_default_profile`] come from.
///
/// Docker's default profile as Docker Engine 20.10.24 applies it, the
/// version of the engine pcvmfs is tested against: moby/moby at tag
/// `v20.10.24` (the engine reports git commit `5d6db84`), file
/// `profiles/seccomp/default.json`, which `go generate` writes from
/// `profiles/seccomp/default_linux.go`. The text was taken from Debian's
/// `golang-github-docker-docker-dev` 20.10.24+dfsg1-1+deb12u1
/// (`/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json`),
/// built from the same source package as Debian's `docker.io` engine.
///
/// Three changes, none of which changes a rule on x86_64:
/// - `archMap` keeps only x86_64 (with its sub-architectures x86 and x32);
///   the rules for other architectures stay, since their own conditions
///   already keep them off x86_64.
/// - Empty fields are left out (`"args": []`, `"comment": ""`,
///   `"includes": {}`, `"excludes": {}`, and `ptrace`'s `"args": null`).
/// - Debian splits the `clone3` rule into a non-MIPS one and a MIPS-only
///   one (Debian bug #1000318: MIPS numbers `ENOSYS` 89); it is folded back
///   into upstream's single rule: `clone3` fails with `ENOSYS` (38) unless
///   the container has `CAP_SYS_ADMIN`, so that glibc falls back to `clone`.
///
/// Resolved for x86_64 the way the 20.10.24 daemon resolves a profile
/// (arch, capabilities, kernel version), these rules give exactly the filter
/// that engine applies by default, for the default capabilities and for each
/// capability a rule is conditional on (compared against the OCI spec the
/// daemon hands to runc).
///
/// In this version `ptrace` is allowed on kernels 4.8 and later without a
/// capability; `process_vm_readv` and `process_vm_writev` only with
/// `CAP_SYS_PTRACE`. Later engines (moby pull request 42083, not
/// backported to 20.10) allow all three on 4.8 and later.
pub const DOCKER_DEFAULT_SOURCE: &str = "moby/moby v20.10.24 (commit 5d6db84) \
     profiles/seccomp/default.json (generated from profiles/seccomp/default_linux.go), \
     as shipped in Debian golang-github-docker-docker-dev 20.10.24+dfsg1-1+deb12u1; \
     x86_64 only";

/// Docker's default profile for x86_64, as described at
/// [`DOCKER_DEFAULT_SOURCE`].
const DOCKER_DEFAULT_JSON: &str = include_str!("seccomp/docker-default-x86_64.json");

/// The syscalls that parrot's tracer needs and that Docker 20.10's default
/// profile allows only conditionally; [`parrot_profile`] allows them
/// unconditionally.
///
/// - `ptrace`: parrot attaches to every process it runs and stops it at
///   each system call. The default allows it only on kernels 4.8 and later
///   (or with `CAP_SYS_PTRACE`), because before 4.8 a tracer could change a
///   system call after seccomp had checked it. Parrot cannot run at all
///   without `ptrace`, so the profile allows it on any kernel; on a kernel
///   older than 4.8 that re-opens the hole the gate closes, exactly as
///   `--cap-add SYS_PTRACE` would.
/// - `process_vm_readv`: parrot reads the traced process's memory (paths,
///   buffers, `execve` arguments) with it; refused, the traced program
///   cannot even be started.
/// - `process_vm_writev`: parrot writes system call results (file data,
///   `stat` buffers, rewritten paths) back into the traced process's memory.
///
/// The kernel still checks each call as it checks `ptrace` attach (same
/// user, dumpable target, Yama), so these give the container no process it
/// could not already trace.
pub const PARROT_SYSCALLS: &[&str] = &["ptrace", "process_vm_readv", "process_vm_writev"];

/// The comment of the one rule [`parrot_profile`] adds, so that a person
/// reading the written file sees why it is there.
const PARROT_RULE_COMMENT: &str = "pcvmfs: parrot_run traces with ptrace and reads and \
     writes the traced process's memory with process_vm_readv and process_vm_writev";

/// Docker's default seccomp profile for x86_64, as a JSON value in Docker's
/// format (`defaultAction`, `archMap`, `syscalls` with `names`, `action`,
/// `errnoRet`, `args`, `includes` and `excludes`). See
/// [`DOCKER_DEFAULT_SOURCE`] for where it comes from.
pub fn docker_default_profile() -> Value {
    // The text is part of the binary and a test parses it, so this cannot
    // fail at run time.
    serde_json::from_str(DOCKER_DEFAULT_JSON)
        .expect("the embedded Docker default seccomp profile is valid JSON")
}

/// Docker's default seccomp profile plus one unconditional
/// `SCMP_ACT_ALLOW` rule for [`PARROT_SYSCALLS`], and nothing else: every
/// syscall the default refuses (`unshare`, `mount`, `keyctl`, `kcmp`,
/// `pidfd_getfd`, ...) stays refused.
pub fn parrot_profile() -> Value {
    let mut profile = docker_default_profile();
    if let Some(rules) = profile.get_mut("syscalls").and_then(Value::as_array_mut) {
        rules.push(json!({
            "names": PARROT_SYSCALLS,
            "action": "SCMP_ACT_ALLOW",
            "comment": PARROT_RULE_COMMENT,
        }));
    }
    profile
}

/// Whether `profile` (Docker's format) lets `syscall` through for every
/// container: whatever its capabilities, architecture, kernel and the
/// call's arguments.
///
/// That is so when no rule naming the syscall has an action other than
/// `SCMP_ACT_ALLOW` or `SCMP_ACT_LOG`, and either the default action is one
/// of those two or some rule naming it has no `args`, `includes` or
/// `excludes`. A rule that can refuse the syscall under some condition
/// makes the answer `false`, as does a profile that is not an object.
pub fn allowed_unconditionally(profile: &Value, syscall: &str) -> bool {
    let rules = profile
        .get("syscalls")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let naming: Vec<&Value> = rules
        .iter()
        .filter(|rule| rule_names(rule).any(|name| name == syscall))
        .collect();
    if !naming.iter().all(|rule| rule_allows(rule)) {
        return false;
    }
    let default_allows = profile
        .get("defaultAction")
        .and_then(Value::as_str)
        .is_some_and(action_allows);
    default_allows || naming.iter().any(|rule| rule_is_unconditional(rule))
}

/// The syscall names of one rule: `names`, and the old single `name`.
fn rule_names(rule: &Value) -> impl Iterator<Item = &str> {
    let single = rule.get("name").and_then(Value::as_str);
    let many = rule
        .get("names")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str);
    single.into_iter().chain(many)
}

/// Whether an action lets the syscall run.
fn action_allows(action: &str) -> bool {
    matches!(action, "SCMP_ACT_ALLOW" | "SCMP_ACT_LOG")
}

fn rule_allows(rule: &Value) -> bool {
    rule.get("action")
        .and_then(Value::as_str)
        .is_some_and(action_allows)
}

/// Whether a rule applies to every call: no argument checks, and no
/// capability, architecture or kernel condition.
fn rule_is_unconditional(rule: &Value) -> bool {
    let no_args = match rule.get("args") {
        None | Some(Value::Null) => true,
        Some(Value::Array(args)) => args.is_empty(),
        Some(_) => false,
    };
    no_args && !has_condition(rule.get("includes")) && !has_condition(rule.get("excludes"))
}

/// Whether an `includes` or `excludes` object holds a condition; Docker
/// ignores empty lists, so they count as none.
fn has_condition(filter: Option<&Value>) -> bool {
    let Some(filter) = filter else {
        return false;
    };
    let nonempty_list = |key: &str| {
        filter
            .get(key)
            .and_then(Value::as_array)
            .is_some_and(|list| !list.is_empty())
    };
    let min_kernel = filter.get("minKernel").is_some_and(|v| !v.is_null());
    match filter {
        Value::Null => false,
        Value::Object(_) => nonempty_list("caps") || nonempty_list("arches") || min_kernel,
        // Not Docker's shape: assume the worst.
        _ => true,
    }
}

/// Writes `value` to `path` as pretty-printed JSON with a final newline,
/// atomically: into a temporary file beside it, synced to disk, then
/// renamed over `path`, so that a reader (`docker run`) sees either the old
/// file or the whole new one, never a part.
pub fn write_profile(value: &Value, path: &Path) -> io::Result<()> {
    let mut text = serde_json::to_string_pretty(value).map_err(io::Error::other)?;
    text.push('\n');
    let temp = temporary_path(path)?;
    let result = write_synced(&temp, text.as_bytes()).and_then(|()| {
        fs::rename(&temp, path)?;
        // The rename itself is only durable once the directory is synced.
        File::open(directory_of(path))?.sync_all()
    });
    if result.is_err() {
        // Gone already when the rename succeeded.
        let _ = fs::remove_file(&temp);
    }
    result
}

/// The directory that holds `path` (`.` for a bare file name).
fn directory_of(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// A temporary file name beside `path`, unique to this process and call,
/// so that concurrent writers never share one.
fn temporary_path(path: &Path) -> io::Result<PathBuf> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let name = path.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "cannot write a seccomp profile to {}: it names no file",
                path.display()
            ),
        )
    })?;
    let serial = NEXT.fetch_add(1, Ordering::Relaxed);
    Ok(directory_of(path).join(format!(
        ".{}.tmp-{}-{serial}",
        name.to_string_lossy(),
        std::process::id()
    )))
}

/// Creates `path` (it must not exist), writes `bytes` and syncs them.
fn write_synced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = OpenOptions::new().write(true).create_new(true).open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}
