//! The seccomp profiles as data (the parrot profile is the default plus one
//! rule, writing is atomic and round-trips) and on the real engine: the
//! engine takes both, the parrot profile still refuses what the default
//! refuses, and `process_vm_readv`/`process_vm_writev` go from refused
//! under the default to allowed under the parrot profile.

mod common;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use pcvmfs_core::{AppliedSeccomp, Capability, ExecSpec, SeccompSetting};
use pcvmfs_docker::DockerEngine;
use pcvmfs_docker::seccomp::{
    DOCKER_DEFAULT_SOURCE, PARROT_SYSCALLS, allowed_unconditionally, docker_default_profile,
    parrot_profile, write_profile,
};
use serde_json::{Value, json};

fn rules(profile: &Value) -> &Vec<Value> {
    profile["syscalls"].as_array().expect("a syscalls list")
}

fn names(rule: &Value) -> Vec<&str> {
    rule["names"]
        .as_array()
        .expect("a names list")
        .iter()
        .map(|n| n.as_str().expect("a syscall name"))
        .collect()
}

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/../../../shared/fixtures/parrot/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).expect(&path)).unwrap()
}

#[test]
fn the_default_profile_is_docker_20_10_for_x86_64() {
    let profile = docker_default_profile();
    assert_eq!(profile["defaultAction"], "SCMP_ACT_ERRNO");
    // Docker 20.10's profile has no defaultErrnoRet: the engine's default
    // errno is EPERM.
    assert!(profile.get("defaultErrnoRet").is_none());
    assert_eq!(
        profile["archMap"],
        json!([{
            "architecture": "SCMP_ARCH_X86_64",
            "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]
        }])
    );
    let rules = rules(&profile);
    assert_eq!(rules.len(), 27);
    assert_eq!(rules.iter().map(|r| names(r).len()).sum::<usize>(), 414);
    assert_eq!(names(&rules[0]).len(), 346, "the unconditional allow list");
    // 20.10's ptrace rule: on kernels 4.8 and later, alone.
    assert!(rules.contains(&json!({
        "names": ["ptrace"],
        "action": "SCMP_ACT_ALLOW",
        "includes": {"minKernel": "4.8"}
    })));
    assert!(rules.contains(&json!({
        "names": ["kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv",
                  "process_vm_writev", "ptrace"],
        "action": "SCMP_ACT_ALLOW",
        "includes": {"caps": ["CAP_SYS_PTRACE"]}
    })));
    assert!(rules.contains(&json!({
        "names": ["clone3"],
        "action": "SCMP_ACT_ERRNO",
        "errnoRet": 38,
        "excludes": {"caps": ["CAP_SYS_ADMIN"]}
    })));
    assert!(DOCKER_DEFAULT_SOURCE.contains("v20.10.24"));
}

#[test]
fn no_rule_names_a_syscall_twice_and_every_rule_is_well_formed() {
    for profile in [docker_default_profile(), parrot_profile()] {
        for rule in rules(&profile) {
            let names = names(rule);
            assert!(!names.is_empty(), "{rule}");
            let distinct: HashSet<&str> = names.iter().copied().collect();
            assert_eq!(distinct.len(), names.len(), "a name twice in {rule}");
            let action = rule["action"].as_str().unwrap();
            assert!(action.starts_with("SCMP_ACT_"), "{rule}");
            let known = [
                "names", "action", "errnoRet", "args", "comment", "includes", "excludes",
            ];
            for key in rule.as_object().unwrap().keys() {
                assert!(
                    known.contains(&key.as_str()),
                    "unknown field {key} in {rule}"
                );
            }
        }
    }
}

#[test]
fn the_parrot_profile_is_the_default_plus_exactly_one_rule() {
    let default = docker_default_profile();
    let parrot = parrot_profile();
    let (default_rules, parrot_rules) = (rules(&default), rules(&parrot));
    assert_eq!(parrot_rules.len(), default_rules.len() + 1);
    assert_eq!(
        &parrot_rules[..default_rules.len()],
        default_rules.as_slice()
    );
    let added = parrot_rules.last().unwrap();
    assert_eq!(names(added), PARROT_SYSCALLS);
    assert_eq!(added["action"], "SCMP_ACT_ALLOW");
    for condition in ["args", "includes", "excludes", "errnoRet"] {
        assert!(added.get(condition).is_none(), "{condition} in {added}");
    }
    // Everything but the rule list is the default's too.
    let mut without_rules = parrot.clone();
    without_rules["syscalls"] = default["syscalls"].clone();
    assert_eq!(without_rules, default);
    assert_eq!(
        PARROT_SYSCALLS,
        ["ptrace", "process_vm_readv", "process_vm_writev"]
    );
}

#[test]
fn allowed_unconditionally_tells_what_each_profile_lets_through() {
    let default = docker_default_profile();
    let parrot = parrot_profile();
    for syscall in PARROT_SYSCALLS {
        assert!(!allowed_unconditionally(&default, syscall), "{syscall}");
        assert!(allowed_unconditionally(&parrot, syscall), "{syscall}");
    }
    for syscall in ["read", "execve", "wait4", "openat"] {
        assert!(allowed_unconditionally(&default, syscall), "{syscall}");
        assert!(allowed_unconditionally(&parrot, syscall), "{syscall}");
    }
    // Refused (or allowed only with a capability, an argument or an
    // architecture) by the default, and so by the parrot profile.
    for syscall in [
        "unshare",
        "mount",
        "setns",
        "keyctl",
        "kcmp",
        "pidfd_getfd",
        "clone",
        "clone3",
        "personality",
        "no_such_syscall",
        "arch_prctl",
        "bpf",
    ] {
        assert!(!allowed_unconditionally(&default, syscall), "{syscall}");
        assert!(!allowed_unconditionally(&parrot, syscall), "{syscall}");
    }
    // The two deny profiles the parrot fixtures were made with.
    let deny_process_vm = fixture("seccomp-deny-process-vm.profile.json");
    assert!(!allowed_unconditionally(
        &deny_process_vm,
        "process_vm_readv"
    ));
    assert!(allowed_unconditionally(&deny_process_vm, "ptrace"));
    let deny_ptrace = fixture("seccomp-deny-ptrace.profile.json");
    assert!(!allowed_unconditionally(&deny_ptrace, "ptrace"));
    assert!(allowed_unconditionally(&deny_ptrace, "process_vm_readv"));
    // The old single-name form, empty conditions, and things that are not
    // profiles.
    let old = json!({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
        {"name": "ptrace", "action": "SCMP_ACT_ALLOW", "args": [], "includes": {}, "excludes": {"caps": []}},
        {"names": ["kill"], "action": "SCMP_ACT_ALLOW", "args": null},
        {"names": ["tkill"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}]},
    ]});
    assert!(allowed_unconditionally(&old, "ptrace"));
    assert!(allowed_unconditionally(&old, "kill"));
    assert!(!allowed_unconditionally(&old, "tkill"));
    assert!(!allowed_unconditionally(&json!(null), "read"));
    assert!(!allowed_unconditionally(&json!({"syscalls": 3}), "read"));
    // An allow rule does not win over a rule that can refuse the call.
    let mixed = json!({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
        {"names": ["ptrace"], "action": "SCMP_ACT_ALLOW"},
        {"names": ["ptrace"], "action": "SCMP_ACT_ERRNO", "excludes": {"caps": ["CAP_SYS_PTRACE"]}},
    ]});
    assert!(!allowed_unconditionally(&mixed, "ptrace"));
}

#[test]
fn write_profile_round_trips_and_replaces_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("parrot.json");
    write_profile(&parrot_profile(), &path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.ends_with("}\n"), "pretty JSON with a final newline");
    assert!(text.contains("\n  \"syscalls\": ["), "pretty-printed");
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap(),
        parrot_profile()
    );
    // Over an existing file: replaced whole, and no temporary file left.
    write_profile(&docker_default_profile(), &path).unwrap();
    let again: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(again, docker_default_profile());
    let entries: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(entries, ["parrot.json"]);
    // A directory that does not exist: an error, and nothing written.
    let missing = dir.path().join("no/such/dir/p.json");
    assert!(write_profile(&parrot_profile(), &missing).is_err());
    assert!(write_profile(&parrot_profile(), Path::new("/")).is_err());
}

/// The two profiles, written where the engine can be given them.
struct ProfileFiles {
    _dir: tempfile::TempDir,
    default: PathBuf,
    parrot: PathBuf,
}

fn profile_files() -> ProfileFiles {
    let dir = tempfile::tempdir().unwrap();
    let default = dir.path().join("docker-default.json");
    let parrot = dir.path().join("parrot.json");
    write_profile(&docker_default_profile(), &default).unwrap();
    write_profile(&parrot_profile(), &parrot).unwrap();
    ProfileFiles {
        _dir: dir,
        default,
        parrot,
    }
}

/// Starts a busybox container (root by default) with `seccomp`; `None`
/// keeps the engine's own default profile.
async fn started(
    engine: &DockerEngine,
    tests: &common::TestContainers,
    seccomp: Option<SeccompSetting>,
    cap_add: &[Capability],
) -> String {
    let mut spec = tests.spec(&["sleep", "600"]);
    spec.security.seccomp = seccomp;
    spec.security.cap_add = cap_add.to_vec();
    engine.start(&spec).await.unwrap()
}

async fn sh(engine: &DockerEngine, id: &str, user: Option<&str>, script: &str) -> (i64, String) {
    let spec = ExecSpec {
        user: user.map(str::to_string),
        ..ExecSpec::new(["sh", "-c", script])
    };
    let out = engine.exec(id, &spec).await.unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.exit_code, text)
}

#[tokio::test]
async fn the_engine_takes_both_profiles() {
    let tests = common::TestContainers::new("seccomp-accepted");
    let engine = common::engine().await;
    let files = profile_files();
    let cases = [
        ("default", files.default.clone(), vec![]),
        ("parrot", files.parrot.clone(), vec![]),
        // With CAP_SYS_PTRACE the default's own ptrace rule applies too, so
        // the filter has two allow rules for the same calls.
        (
            "parrot + SYS_PTRACE",
            files.parrot.clone(),
            vec!["SYS_PTRACE".parse::<Capability>().unwrap()],
        ),
    ];
    for (what, path, caps) in cases {
        let id = started(
            &engine,
            &tests,
            Some(SeccompSetting::Profile(path.clone())),
            &caps,
        )
        .await;
        let (code, status) = sh(&engine, &id, None, "grep '^Seccomp:' /proc/self/status").await;
        assert_eq!((code, status.as_str()), (0, "Seccomp:\t2\n"), "{what}");
        let applied = engine.applied_security(&id).await.unwrap();
        let AppliedSeccomp::Custom(json) = applied.seccomp else {
            panic!("{what}: the engine reports {:?}", applied.seccomp);
        };
        let written: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(&json).unwrap(),
            written,
            "{what}"
        );
        engine.remove(&id).await.unwrap();
    }
    assert_eq!(tests.count(&engine).await, 0);
}

#[tokio::test]
async fn the_parrot_profile_still_refuses_what_the_default_refuses() {
    let tests = common::TestContainers::new("seccomp-refuses");
    let engine = common::engine().await;
    let files = profile_files();
    // `unshare -U` needs no capability, so only seccomp refuses it: it shows
    // the refusal is the filter's, not the kernel's. `unshare -m` and
    // `mount` would also need CAP_SYS_ADMIN, which the container lacks.
    let refused = [
        (
            "unshare -U true",
            "unshare(0x10000000): Operation not permitted",
        ),
        (
            "unshare -m true",
            "unshare(0x20000): Operation not permitted",
        ),
        (
            "mkdir -p /mnt && mount -t tmpfs none /mnt",
            "permission denied (are you root?)",
        ),
    ];
    let profiles = [
        ("the engine's default", None),
        ("the default", Some(SeccompSetting::Profile(files.default))),
        ("parrot", Some(SeccompSetting::Profile(files.parrot))),
    ];
    for (what, seccomp) in profiles {
        let id = started(&engine, &tests, seccomp, &[]).await;
        for (script, message) in refused {
            let (code, text) = sh(&engine, &id, None, script).await;
            assert_ne!(code, 0, "{what}: {script} worked: {text}");
            assert!(text.contains(message), "{what}: {script}: {text}");
        }
        engine.remove(&id).await.unwrap();
    }
    let id = started(&engine, &tests, Some(SeccompSetting::Unconfined), &[]).await;
    let (code, text) = sh(&engine, &id, None, "unshare -U true").await;
    assert_eq!(code, 0, "without seccomp, unshare -U works: {text}");
    engine.remove(&id).await.unwrap();
}

/// Where a program is loaded: the usual address of a non-PIE x86_64
/// executable.
const LOAD_ADDRESS: u64 = 0x40_0000;
/// The ELF header (64 bytes) and its one program header (56 bytes).
const HEADERS_LEN: u64 = 64 + 56;

/// A static x86_64 Linux program of 224 bytes, with no libc, that calls
/// `syscall_number` (`process_vm_readv` is 310, `process_vm_writev` 311) on
/// itself, moving 8 bytes between its own buffer and its own ELF header,
/// and exits with 0 when the 8 bytes were moved and with the errno
/// otherwise (1 for `EPERM`). Busybox has no applet that makes these calls;
/// this is the smallest program that does, and the kernel checks seccomp on
/// the syscall number before it looks at whose memory is asked for.
fn process_memory_probe(syscall_number: u32) -> Vec<u8> {
    let mut code = Vec::new();
    code.extend([0xb8, 39, 0, 0, 0]); //           mov eax, 39 (getpid)
    code.extend([0x0f, 0x05]); //                  syscall
    code.extend([0x89, 0xc7]); //                  mov edi, eax (pid: itself)
    code.extend([0x48, 0x8d, 0x35, 0x30, 0, 0, 0]); // lea rsi, [rip+0x30] (local iovec)
    code.extend([0xba, 1, 0, 0, 0]); //            mov edx, 1
    code.extend([0x4c, 0x8d, 0x15, 0x34, 0, 0, 0]); // lea r10, [rip+0x34] (remote iovec)
    code.extend([0x41, 0xb8, 1, 0, 0, 0]); //      mov r8d, 1
    code.extend([0x45, 0x31, 0xc9]); //            xor r9d, r9d (flags)
    code.push(0xb8); //                            mov eax, syscall_number
    code.extend(syscall_number.to_le_bytes());
    code.extend([0x0f, 0x05]); //                  syscall
    code.extend([0x48, 0x89, 0xc7]); //            mov rdi, rax
    code.extend([0xf7, 0xdf]); //                  neg edi (-errno -> errno)
    code.extend([0x48, 0x83, 0xf8, 8]); //         cmp rax, 8
    code.extend([0x75, 0x02]); //                  jne exit
    code.extend([0x31, 0xff]); //                  xor edi, edi
    code.extend([0xb8, 231, 0, 0, 0]); //   exit:  mov eax, 231 (exit_group)
    code.extend([0x0f, 0x05]); //                  syscall
    assert_eq!(
        code.len(),
        0x40,
        "the lea offsets above assume 64 bytes of code"
    );
    let data_address = LOAD_ADDRESS + HEADERS_LEN + code.len() as u64;
    let buffer_address = data_address + 32;
    let mut data = Vec::new();
    for word in [buffer_address, 8, LOAD_ADDRESS, 8, 0] {
        // local iovec {buffer, 8}, remote iovec {ELF header, 8}, buffer
        data.extend(word.to_le_bytes());
    }
    let total = HEADERS_LEN + (code.len() + data.len()) as u64;
    let mut elf = Vec::new();
    elf.extend(b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0"); // 64-bit, little-endian
    elf.extend(2u16.to_le_bytes()); // an executable
    elf.extend(0x3eu16.to_le_bytes()); // x86_64
    elf.extend(1u32.to_le_bytes());
    elf.extend((LOAD_ADDRESS + HEADERS_LEN).to_le_bytes()); // entry point
    elf.extend(64u64.to_le_bytes()); // program headers follow this header
    elf.extend(0u64.to_le_bytes()); // no section headers
    elf.extend(0u32.to_le_bytes());
    for half in [64u16, 56, 1, 0, 0, 0] {
        elf.extend(half.to_le_bytes());
    }
    elf.extend(1u32.to_le_bytes()); // PT_LOAD of the whole file,
    elf.extend(7u32.to_le_bytes()); // readable, writable (the buffer) and executable
    for word in [0, LOAD_ADDRESS, LOAD_ADDRESS, total, total, 0x1000] {
        elf.extend(word.to_le_bytes());
    }
    elf.extend(code);
    elf.extend(data);
    assert_eq!(elf.len() as u64, total);
    elf
}

/// A shell script that writes `program` to `path` with busybox's `printf`
/// (octal escapes), makes it executable and runs it.
fn write_and_run(program: &[u8], path: &str) -> String {
    let escaped: String = program.iter().map(|b| format!("\\{b:03o}")).collect();
    format!("printf '{escaped}' > {path} && chmod 755 {path} && {path}")
}

#[tokio::test]
async fn process_vm_readv_and_writev_are_refused_by_the_default_and_allowed_for_parrot() {
    let tests = common::TestContainers::new("seccomp-process-vm");
    let engine = common::engine().await;
    let files = profile_files();
    let profiles = [
        ("the engine's default", None, 1),
        (
            "the default",
            Some(SeccompSetting::Profile(files.default)),
            1,
        ),
        ("parrot", Some(SeccompSetting::Profile(files.parrot)), 0),
        ("unconfined", Some(SeccompSetting::Unconfined), 0),
    ];
    for (what, seccomp, expected) in profiles {
        let id = started(&engine, &tests, seccomp, &[]).await;
        for (syscall, number) in [("process_vm_readv", 310), ("process_vm_writev", 311)] {
            for user in [None, Some("parrotuser")] {
                let path = format!("/tmp/{syscall}-{}", user.unwrap_or("root"));
                let script = write_and_run(&process_memory_probe(number), &path);
                let (code, text) = sh(&engine, &id, user, &script).await;
                assert_eq!(
                    code, expected,
                    "{what}, {syscall} as {user:?}: exit {code} (0: allowed, 1: EPERM) {text}"
                );
            }
        }
        engine.remove(&id).await.unwrap();
    }
    assert_eq!(tests.count(&engine).await, 0);
}

/// The rules of a Docker-format profile that apply to one container, the
/// way Docker 20.10's daemon picks them (`setupSeccomp` in moby's
/// `profiles/seccomp/seccomp_linux.go`): a rule is dropped when the
/// architecture or any capability is in its `excludes`, or the kernel is at
/// least its `excludes.minKernel`; and when its `includes` names other
/// architectures, a capability the container lacks, or a newer kernel. Each
/// kept rule is written as the OCI spec holds it.
fn rules_for_container(
    profile: &Value,
    arch: &str,
    caps: &[String],
    kernel: (u32, u32),
) -> Vec<Value> {
    let list = |filter: &Value, key: &str| -> Vec<String> {
        filter[key]
            .as_array()
            .map(|a| a.iter().map(|v| v.as_str().unwrap().to_string()).collect())
            .unwrap_or_default()
    };
    let at_least = |filter: &Value| {
        filter["minKernel"]
            .as_str()
            .map(|v| kernel >= major_minor(v))
    };
    let has = |cap: &String| caps.contains(cap);
    rules(profile)
        .iter()
        .filter(|rule| {
            let (inc, exc) = (&rule["includes"], &rule["excludes"]);
            let excluded = list(exc, "arches").iter().any(|a| a == arch)
                || list(exc, "caps").iter().any(has)
                || at_least(exc) == Some(true);
            let included = (list(inc, "arches").is_empty()
                || list(inc, "arches").iter().any(|a| a == arch))
                && list(inc, "caps").iter().all(has)
                && at_least(inc) != Some(false);
            !excluded && included
        })
        .map(oci_rule)
        .collect()
}

/// A rule as runc is given it: names, action, errno, and arguments with
/// `valueTwo` spelled out.
fn oci_rule(rule: &Value) -> Value {
    let mut oci = json!({"names": rule["names"], "action": rule["action"]});
    if let Some(errno) = rule.get("errnoRet").filter(|v| !v.is_null()) {
        oci["errnoRet"] = errno.clone();
    }
    if let Some(args) = rule["args"].as_array().filter(|a| !a.is_empty()) {
        let args: Vec<Value> = args
            .iter()
            .map(|a| {
                json!({
                    "index": a["index"],
                    "value": a["value"],
                    "valueTwo": a.get("valueTwo").cloned().unwrap_or(json!(0)),
                    "op": a["op"],
                })
            })
            .collect();
        oci["args"] = json!(args);
    }
    oci
}

/// `6.18.44-fc` -> (6, 18).
fn major_minor(version: &str) -> (u32, u32) {
    let mut parts = version
        .split(['.', '-'])
        .map(|p| p.parse::<u32>().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
}

/// The OCI spec the daemon handed to runc for a container: where Docker
/// with its own containerd (Debian's `docker.io`), or with the system's
/// containerd (Docker's own packages), keeps the bundle.
fn oci_spec(id: &str) -> Value {
    let candidates = [
        format!(
            "/run/docker/containerd/daemon/io.containerd.runtime.v2.task/moby/{id}/config.json"
        ),
        format!("/run/containerd/io.containerd.runtime.v2.task/moby/{id}/config.json"),
    ];
    for path in &candidates {
        if let Ok(text) = std::fs::read_to_string(path) {
            return serde_json::from_str(&text).unwrap();
        }
    }
    panic!(
        "the runc bundle of container {id} is in none of {candidates:?}: this test reads the \
         engine's own filter there, so it needs a local engine and root"
    );
}

/// The embedded default is exactly what the engine applies when no profile
/// is given, for the default capabilities and with the capabilities its
/// rules depend on.
#[cfg(target_arch = "x86_64")]
#[tokio::test]
async fn the_embedded_default_is_the_engines_own_default() {
    let tests = common::TestContainers::new("seccomp-engine-default");
    let engine = common::engine().await;
    let info = engine.info().await.unwrap();
    let kernel = major_minor(&info.kernel_version);
    let profile = docker_default_profile();
    let cap_sets: [&[&str]; 5] = [
        &[],
        &["SYS_PTRACE"],
        &["SYS_ADMIN"],
        &["DAC_READ_SEARCH", "SYS_BOOT", "SYS_PACCT", "SYS_RAWIO"],
        &["SYS_TIME", "SYS_TTY_CONFIG", "SYS_NICE", "SYSLOG"],
    ];
    for caps in cap_sets {
        let caps: Vec<Capability> = caps.iter().map(|c| c.parse().unwrap()).collect();
        let id = started(&engine, &tests, None, &caps).await;
        let spec = oci_spec(&id);
        engine.remove(&id).await.unwrap();
        let seccomp = &spec["linux"]["seccomp"];
        let bounding: Vec<String> = spec["process"]["capabilities"]["bounding"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_string())
            .collect();
        let engine_rules: Vec<Value> = seccomp["syscalls"]
            .as_array()
            .unwrap()
            .iter()
            .map(oci_rule)
            .collect();
        let ours = rules_for_container(&profile, "amd64", &bounding, kernel);
        let context = format!(
            "Docker {} on Linux {}, --cap-add {caps:?}: the embedded profile ({DOCKER_DEFAULT_SOURCE}) \
             is not this engine's default",
            info.version, info.kernel_version
        );
        assert_eq!(
            seccomp["defaultAction"], profile["defaultAction"],
            "{context}"
        );
        assert_eq!(
            seccomp["architectures"],
            json!(["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]),
            "{context}"
        );
        assert_eq!(engine_rules, ours, "{context}");
    }
    assert_eq!(tests.count(&engine).await, 0);
}
