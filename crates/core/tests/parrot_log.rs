//! Parrot's debug log against the real runs in shared/fixtures/parrot/: each
//! case's outcome and findings are what the fixtures' README says the case
//! shows. Then the older format, parrot's exit-status rules on made-up
//! logs, hostile input, and a 100 MB stream read in constant memory.

use std::collections::BTreeSet;
use std::io::{self, BufReader, Read};
use std::path::PathBuf;

use pcvmfs_core::parrot_log::{
    EventKind, LogReader, OutcomeKind, ParrotLog, parse_line, parse_parrot_log, summarize,
    summarize_with_max_line_len,
};
use pcvmfs_core::report::Status;
use proptest::prelude::*;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/parrot")
}

/// One case: its recorded exit status, stdout and stderr.
struct Case {
    exit_status: i32,
    stdout: String,
    stderr: String,
}

fn case(name: &str) -> Case {
    let dir = fixtures();
    let read = |ext: &str| std::fs::read_to_string(dir.join(format!("{name}.{ext}"))).unwrap();
    let meta: serde_json::Value = serde_json::from_str(&read("json")).unwrap();
    Case {
        exit_status: i32::try_from(meta["exit_status"].as_i64().unwrap()).unwrap(),
        stdout: read("stdout"),
        stderr: read("stderr"),
    }
}

fn checks(log: &ParrotLog) -> Vec<&'static str> {
    log.findings().iter().map(|finding| finding.check).collect()
}

/// The cases this file has expectations for; a new fixture must be added.
const CASES: [&str; 10] = [
    "ok-true-debug-all",
    "exit-status-3",
    "cap-sys-ptrace-ok",
    "docker-default-seccomp",
    "seccomp-denies-ptrace",
    "cvmfs-no-driver",
    "check-driver-cvmfs",
    "version",
    "debug-file-o",
    "bad-debug-flag",
];

#[test]
fn every_fixture_case_has_expectations_here() {
    let on_disk: BTreeSet<String> = std::fs::read_dir(fixtures())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".json") && !name.ends_with(".profile.json"))
        .map(|name| name.trim_end_matches(".json").to_string())
        .collect();
    let here: BTreeSet<String> = CASES.iter().map(|name| name.to_string()).collect();
    assert_eq!(on_disk, here);
}

#[test]
fn ok_true_debug_all_succeeds() {
    let case = case("ok-true-debug-all");
    let log = parse_parrot_log(&case.stderr);
    let outcome = log.outcome(Some(case.exit_status));
    assert_eq!(outcome.kind, OutcomeKind::Succeeded);
    assert_eq!(outcome.status, Some(0));
    assert_eq!(log.outcome(None).kind, OutcomeKind::Succeeded);

    let summary = &log.summary;
    assert_eq!(summary.version.as_deref(), Some("8.0.0 DEVELOPMENT"));
    assert_eq!(summary.root_pid, Some(7));
    assert!(summary.root_execve_succeeded);
    assert_eq!(summary.count("process_started"), 1);
    assert_eq!(summary.count("attached"), 1);
    assert_eq!(summary.count("execve_succeeded"), 1);
    assert_eq!(summary.count("process_exited"), 1);
    assert_eq!(summary.count("program_exited"), 1);
    assert_eq!(summary.count("untested_kernel"), 1);
    assert_eq!(summary.count("fatal"), 0);
    assert!(summary.categories["syscall"] > 10);
    assert_eq!(
        summary.untested_kernel.as_deref(),
        Some("Linux 6.18.44-fc-v1147")
    );

    // It works; the only remark is the rseq call parrot does not know.
    let findings = log.findings();
    assert_eq!(checks(&log), ["parrot.syscalls"]);
    assert_eq!(findings[0].status, Status::Warn);
    assert!(findings[0].evidence.contains("334 (unknown334)"));
}

#[test]
fn exit_status_3_is_passed_through() {
    let case = case("exit-status-3");
    let log = parse_parrot_log(&case.stderr);
    let outcome = log.outcome(Some(case.exit_status));
    assert_eq!(outcome.kind, OutcomeKind::ProgramFailed);
    assert_eq!(outcome.status, Some(3));
    assert_eq!(outcome.signal, None);
    // The log alone says the same.
    assert_eq!(log.outcome(None).status, Some(3));
    assert!(
        log.events
            .iter()
            .any(|event| event.kind == EventKind::ProcessExited { pid: 8, code: 3 })
    );
    assert!(log.events.iter().any(|event| event.kind
        == EventKind::ProgramExited {
            program: "/bin/busybox".to_string(),
            status: 3
        }));
    assert_eq!(checks(&log), ["parrot.syscalls"]);
}

#[test]
fn cap_sys_ptrace_with_the_default_profile_works() {
    let case = case("cap-sys-ptrace-ok");
    let log = parse_parrot_log(&case.stderr);
    assert_eq!(
        log.outcome(Some(case.exit_status)).kind,
        OutcomeKind::Succeeded
    );
    assert_eq!(checks(&log), ["parrot.syscalls"]);
}

#[test]
fn docker_default_seccomp_refuses_the_tracers_memory_reads() {
    let case = case("docker-default-seccomp");
    let log = parse_parrot_log(&case.stderr);
    let outcome = log.outcome(Some(case.exit_status));
    assert_eq!(outcome.kind, OutcomeKind::ParrotFailed);
    assert_eq!(outcome.status, Some(1));
    let reason = outcome.reason.unwrap();
    assert!(
        reason.contains("tracer memory read failed: Operation not permitted"),
        "{reason}"
    );
    assert!(
        reason.contains("execve failed: No such file or directory"),
        "{reason}"
    );

    // Parrot attached: ptrace itself was allowed.
    assert_eq!(log.summary.ptrace_error, None);
    assert_eq!(log.summary.count("attached"), 1);
    assert_eq!(log.summary.count("execve_failed"), 1);
    assert!(!log.summary.root_execve_succeeded);

    let findings = log.findings();
    assert_eq!(checks(&log), ["parrot.tracer_memory"]);
    assert_eq!(findings[0].status, Status::Fail);
    assert!(findings[0].remedy.contains("seccomp profile"));
    assert!(findings[0].remedy.contains("pcvmfs doctor --image"));
}

#[test]
fn seccomp_denying_ptrace_kills_parrot() {
    let case = case("seccomp-denies-ptrace");
    let log = parse_parrot_log(&case.stderr);
    let outcome = log.outcome(Some(case.exit_status));
    assert_eq!(outcome.kind, OutcomeKind::ParrotFailed);
    assert_eq!(outcome.status, Some(137));
    assert_eq!(outcome.signal, Some(9));
    let reason = outcome.reason.unwrap();
    assert!(reason.contains("could not trace child"), "{reason}");
    assert!(reason.contains("Operation not permitted"), "{reason}");

    // The banner is one event listing its three causes.
    let banners: Vec<_> = log
        .events
        .iter()
        .filter_map(|event| match &event.kind {
            EventKind::PtraceDisabled { causes } => Some(causes),
            _ => None,
        })
        .collect();
    assert_eq!(banners.len(), 1);
    assert_eq!(banners[0].len(), 3);
    assert!(banners[0][0].starts_with("Syscall filtering (e.g. seccomp)"));
    assert!(banners[0][0].ends_with("inside containers."));
    assert!(banners[0][1].contains("PR_SET_DUMPABLE"));

    // The backtrace is folded into the fatal event, not left as lines.
    let fatal = log
        .events
        .iter()
        .find_map(|event| match &event.kind {
            EventKind::Fatal { message, backtrace } => Some((message, backtrace)),
            _ => None,
        })
        .unwrap();
    assert_eq!(fatal.0, "could not trace child");
    assert_eq!(fatal.1.len(), 6);
    assert_eq!(fatal.1[0], "debug.c:291");
    assert!(
        !log.events
            .iter()
            .any(|e| e.category.as_deref() == Some("error"))
    );

    assert!(log.events.iter().any(|event| event.kind
        == EventKind::PtraceError {
            context: "tracer_attach (tracer.c:105)".to_string(),
            error: "Operation not permitted".to_string(),
        }));

    let findings = log.findings();
    assert_eq!(checks(&log), ["parrot.ptrace_attach"]);
    assert!(
        findings[0]
            .evidence
            .contains("ptrace error: Operation not permitted")
    );
    assert!(findings[0].remedy.contains("security options"));
}

#[test]
fn cvmfs_without_the_driver_is_a_local_directory() {
    let case = case("cvmfs-no-driver");
    let log = parse_parrot_log(&case.stderr);
    // `ls` ran and failed: the program's failure, not parrot's.
    let outcome = log.outcome(Some(case.exit_status));
    assert_eq!(outcome.kind, OutcomeKind::ProgramFailed);
    assert_eq!(outcome.status, Some(1));

    assert_eq!(
        log.summary.cvmfs_path_served_locally.as_deref(),
        Some("/cvmfs/alice.cern.ch")
    );
    let findings = log.findings();
    assert_eq!(checks(&log), ["parrot.cvmfs_driver", "parrot.syscalls"]);
    assert!(findings[0].evidence.contains("/cvmfs/alice.cern.ch"));
    assert!(findings[0].remedy.contains("without CVMFS support"));
}

#[test]
fn check_driver_says_cvmfs_is_not_enabled() {
    let case = case("check-driver-cvmfs");
    let log = parse_parrot_log(&case.stdout);
    assert_eq!(log.summary.drivers_not_enabled, ["cvmfs"]);
    let outcome = log.outcome(Some(case.exit_status));
    assert_eq!(outcome.kind, OutcomeKind::ParrotFailed);
    assert_eq!(outcome.status, Some(1));
    assert!(
        outcome
            .reason
            .unwrap()
            .contains("cvmfs driver is not enabled")
    );
    assert_eq!(checks(&log), ["parrot.cvmfs_driver"]);
}

#[test]
fn version_prints_and_succeeds() {
    let case = case("version");
    let log = parse_parrot_log(&case.stdout);
    assert_eq!(log.summary.version.as_deref(), Some("8.0.0 DEVELOPMENT"));
    assert_eq!(
        log.outcome(Some(case.exit_status)).kind,
        OutcomeKind::Succeeded
    );
    assert!(log.findings().is_empty());
    assert!(parse_parrot_log(&case.stderr).events.is_empty());
}

#[test]
fn debug_file_keeps_notices_on_stderr() {
    let case = case("debug-file-o");
    // On stderr, only the notices: no end line, so the exit code decides.
    let notices = parse_parrot_log(&case.stderr);
    assert_eq!(notices.events.len(), 2);
    assert!(
        notices
            .events
            .iter()
            .all(|e| e.category.as_deref() == Some("notice"))
    );
    assert_eq!(notices.summary.program_end, None);
    assert_eq!(
        notices.outcome(Some(case.exit_status)).kind,
        OutcomeKind::Succeeded
    );
    assert_eq!(notices.outcome(None).kind, OutcomeKind::Unknown);

    // The file (catted to stdout after `rc_inner=0`) has the whole story.
    let file = parse_parrot_log(&case.stdout);
    assert_eq!(file.events[0].kind, EventKind::Raw);
    assert_eq!(file.events[0].text, "rc_inner=0");
    assert_eq!(file.outcome(None).kind, OutcomeKind::Succeeded);
    assert_eq!(file.summary.count("program_exited"), 1);
    assert_eq!(checks(&file), ["parrot.syscalls"]);
}

#[test]
fn an_unknown_debug_flag_prints_usage_and_fails() {
    let case = case("bad-debug-flag");
    let log = parse_parrot_log(&case.stdout);
    assert!(log.summary.usage_shown);
    let outcome = log.outcome(Some(case.exit_status));
    assert_eq!(outcome.kind, OutcomeKind::ParrotFailed);
    assert_eq!(outcome.status, Some(1));
    assert!(outcome.reason.unwrap().contains("usage"));
    assert!(log.findings().is_empty());
}

#[test]
fn streaming_agrees_with_the_in_memory_parse_on_every_fixture() {
    for name in CASES {
        let case = case(name);
        for text in [&case.stdout, &case.stderr] {
            let whole = parse_parrot_log(text);
            for capacity in [1, 7, 64, 4096] {
                let mut reader =
                    LogReader::new(BufReader::with_capacity(capacity, text.as_bytes()));
                let events: Vec<_> = reader.by_ref().map(Result::unwrap).collect();
                assert_eq!(events, whole.events, "{name} at {capacity}");
                assert_eq!(reader.summary(), whole.summary, "{name} at {capacity}");
                let summary =
                    summarize(BufReader::with_capacity(capacity, text.as_bytes())).unwrap();
                assert_eq!(summary, whole.summary, "{name} at {capacity}");
            }
        }
    }
}

#[test]
fn fixture_files_read_from_their_paths() {
    let path = fixtures().join("seccomp-denies-ptrace.stderr");
    let log = ParrotLog::from_path(&path).unwrap();
    let summary = pcvmfs_core::parrot_log::summarize_file(&path).unwrap();
    assert_eq!(log.summary, summary);
    assert!(matches!(
        pcvmfs_core::parrot_log::summarize_file(fixtures().join("no-such-case.stderr")),
        Err(pcvmfs_core::Error::Read { .. })
    ));
}

/// The older format, as quoted in the fixtures' README.
const PRE_7_15: &str = "\
parrot_run[9] process: ls exited normally with status 0
2015/07/06 12:52:42.40 parrot_run[9] debug: tracer_attach (tracer.c:105): ptrace error: Permission denied
2015/07/06 12:52:42.40 parrot_run[9] fatal: could not trace child
2015/07/06 12:52:42.40 parrot_run[9] notice: received signal 15 (Terminated), killing all my children...
2015/07/06 12:52:42.40 parrot_run[9] notice: sending myself 15 (Terminated), goodbye!
";

#[test]
fn pre_7_15_lines_parse() {
    let lines: Vec<_> = PRE_7_15.lines().map(|l| parse_line(l).unwrap()).collect();
    assert_eq!(lines[0].timestamp, None);
    assert_eq!(lines[0].program, "parrot_run");
    assert_eq!(lines[0].pid, 9);
    assert_eq!(lines[0].child_pid, None);
    assert_eq!(lines[0].category, "process");
    assert_eq!(lines[0].message, "ls exited normally with status 0");
    assert_eq!(lines[1].timestamp, Some("2015/07/06 12:52:42.40"));
    assert_eq!(lines[1].category, "debug");
    assert_eq!(lines[2].category, "fatal");
    assert_eq!(lines[2].message, "could not trace child");

    let log = parse_parrot_log(PRE_7_15);
    let kinds: Vec<_> = log.events.iter().map(|e| e.kind.name()).collect();
    assert_eq!(
        kinds,
        [
            "program_exited",
            "ptrace_error",
            "fatal",
            "parrot_signaled",
            "raw"
        ]
    );
    assert_eq!(
        log.events[3].kind,
        EventKind::ParrotSignaled {
            signal: 15,
            signal_name: Some("Terminated".to_string())
        }
    );
}

#[test]
fn pre_7_15_ptrace_failure_is_parrots() {
    // Without the first line (it comes from another, successful run).
    let failing: String = PRE_7_15.lines().skip(1).map(|l| format!("{l}\n")).collect();
    let log = parse_parrot_log(&failing);
    let outcome = log.outcome(None);
    assert_eq!(outcome.kind, OutcomeKind::ParrotFailed);
    assert_eq!(outcome.signal, Some(15));
    assert!(outcome.reason.unwrap().contains("Permission denied"));
    let killed = log.outcome(Some(143));
    assert_eq!((killed.status, killed.signal), (Some(143), Some(15)));
    assert_eq!(checks(&log), ["parrot.ptrace_attach"]);

    let ok = parse_parrot_log(PRE_7_15.lines().next().unwrap());
    assert_eq!(ok.outcome(None).kind, OutcomeKind::Succeeded);
    // Old format with no space after `]`.
    let tight = parse_parrot_log("parrot_run[9]process: ls exited normally with status 4");
    assert_eq!(tight.outcome(None).status, Some(4));
}

#[test]
fn a_program_killed_by_a_signal_makes_parrot_exit_1() {
    let log = parse_parrot_log(
        "parrot_run[5]<child:5> process: attaching to pid 6\n\
         parrot_run[5]<child:5> process: pid 6 exited abnormally with signal 11 (Segmentation fault)\n\
         parrot_run[5]<child:5> process: ./crash exited abnormally with signal 11 (Segmentation fault)\n",
    );
    let outcome = log.outcome(Some(1));
    assert_eq!(outcome.kind, OutcomeKind::ProgramKilled);
    assert_eq!((outcome.status, outcome.signal), (Some(1), Some(11)));
    assert!(outcome.reason.unwrap().contains("Segmentation fault"));
    assert_eq!(log.outcome(None).status, Some(1));
}

#[test]
fn an_execve_failure_exits_1_and_is_parrots() {
    let log = parse_parrot_log(
        "parrot_run[5]<child:5> process: attaching to pid 6\n\
         parrot_run[5]<child:6> process: execve: failed: No such file or directory\n\
         parrot_run[6]<child:6> notice: unable to execute nosuch: No such file or directory\n\
         parrot_run[5]<child:5> process: pid 6 exited normally with code 1\n\
         parrot_run[5]<child:5> process: nosuch exited normally with status 1\n",
    );
    let outcome = log.outcome(Some(1));
    assert_eq!(outcome.kind, OutcomeKind::ParrotFailed);
    assert!(outcome.reason.unwrap().contains("could not be executed"));

    // A grandchild's failed execve is not the root's.
    let grandchild = parse_parrot_log(
        "parrot_run[5]<child:5> process: attaching to pid 6\n\
         parrot_run[5]<child:6> process: execve: /bin/sh (/bin/sh) succeeded in 64-bit mode\n\
         parrot_run[5]<child:9> process: execve: failed: No such file or directory\n\
         parrot_run[5]<child:5> process: /bin/sh exited normally with status 1\n",
    );
    assert_eq!(grandchild.outcome(Some(1)).kind, OutcomeKind::ProgramFailed);
}

#[test]
fn parrots_own_death_shows_as_137_or_143() {
    let empty = parse_parrot_log("");
    for (code, signal) in [(137, 9), (143, 15)] {
        let outcome = empty.outcome(Some(code));
        assert_eq!(outcome.kind, OutcomeKind::ParrotFailed);
        assert_eq!((outcome.status, outcome.signal), (Some(code), Some(signal)));
    }
    assert_eq!(empty.outcome(Some(2)).kind, OutcomeKind::ProgramFailed);
    assert_eq!(empty.outcome(None).kind, OutcomeKind::Unknown);
}

#[test]
fn loader_error_20_is_the_fstatat_bug() {
    let log = parse_parrot_log(
        "2026/12/04 13:33:52.30 parrot_run[6]<child:6> process: pid 7 started\n\
         /bin/ls: error while loading shared libraries: libselinux.so.1: cannot stat shared object: Error 20\n",
    );
    assert!(log.events.iter().any(|event| event.kind
        == EventKind::LoaderCannotStat {
            library: Some("libselinux.so.1".to_string()),
            error: "Error 20".to_string(),
        }));
    let findings = log.findings();
    assert_eq!(checks(&log), ["parrot.loader_fstatat"]);
    assert!(findings[0].remedy.contains("AT_EMPTY_PATH"));
    assert!(findings[0].remedy.contains("older base"));

    // Another errno is not this bug.
    let other = parse_parrot_log(
        "x: error while loading shared libraries: liby.so: cannot stat shared object: No such file or directory",
    );
    assert!(other.findings().is_empty());
}

#[test]
fn cvmfs_repository_and_proxy_findings() {
    let log = parse_parrot_log(
        "2026/12/04 13:33:52.30 parrot_run[6]<child:7> notice: PARROT_CVMFS_REPO does not contain an entry for the CVMFS repository 'alice.cern.ch'\n\
         2026/12/04 13:33:52.30 parrot_run[6]<child:7> cvmfs: PARROT_CVMFS_REPO does not contain an entry for the CVMFS repository 'alice.cern.ch'\n\
         2026/12/04 13:33:52.30 parrot_run[6]<child:7> notice: CVMFS requires an http proxy.  None has been configured!\n\
         2026/12/04 13:33:52.30 parrot_run[6]<child:7> cvmfs: activating repository cms.cern.ch\n",
    );
    assert_eq!(log.summary.repositories_not_configured, ["alice.cern.ch"]);
    assert_eq!(log.summary.count("cvmfs"), 1);
    assert_eq!(
        checks(&log),
        ["parrot.cvmfs_repository", "parrot.cvmfs_proxy"]
    );
    assert!(log.findings()[0].evidence.contains("alice.cern.ch"));
}

#[test]
fn unknown_lines_are_raw_events_never_errors() {
    let log = parse_parrot_log("hello\n\n\u{1F99C} parrot\r\nparrot_run[1] weird-cat: x\n");
    assert_eq!(log.events.len(), 4);
    assert!(log.events.iter().all(|event| event.kind == EventKind::Raw));
    assert_eq!(log.summary.categories["weird-cat"], 1);
    assert_eq!(log.events[2].text, "\u{1F99C} parrot");
}

#[test]
fn error_lines_without_a_fatal_stay_events() {
    let log = parse_parrot_log(
        "parrot_run[1] error: something\nparrot_run[1] error: else\nparrot_run[1] process: pid 2 started\n",
    );
    let names: Vec<_> = log.events.iter().map(|e| (e.line, e.kind.name())).collect();
    assert_eq!(names, [(1, "raw"), (2, "raw"), (3, "process_started")]);
    assert_eq!(log.summary.categories["error"], 2);
}

#[test]
fn huge_lines_and_banners_stay_bounded() {
    let huge = format!(
        "parrot_run[1] debug: {}\nparrot_run[1] fatal: end\n",
        "x".repeat(10 << 20)
    );
    let summary = summarize(huge.as_bytes()).unwrap();
    assert_eq!((summary.lines, summary.lines_too_long), (2, 1));
    assert_eq!(summary.fatal.as_deref(), Some("end"));

    let banner = format!(
        "The `ptrace` system call appears to be disabled.\n{}",
        " - cause\n".repeat(100_000)
    );
    let log = parse_parrot_log(&banner);
    assert_eq!(log.events.len(), 1);
    let EventKind::PtraceDisabled { causes } = &log.events[0].kind else {
        panic!("{:?}", log.events[0]);
    };
    assert!(causes.len() <= 16);

    let backtrace = "parrot_run[1] error: frame\n".repeat(10_000) + "parrot_run[1] fatal: x\n";
    let log = parse_parrot_log(&backtrace);
    let fatal = log.events.last().unwrap();
    let EventKind::Fatal { backtrace, .. } = &fatal.kind else {
        panic!("{fatal:?}");
    };
    // Full batches of 64 held lines go out as events of their own; the
    // last, partial batch is the fatal error's backtrace.
    assert_eq!(backtrace.len(), 10_000 % 64);
    assert_eq!(log.events.len(), 10_000 - 10_000 % 64 + 1);

    let syscalls: String = (0..10_000)
        .map(|n| format!("parrot_run[1] notice: warning: system call {n} (x{n}) not supported\n"))
        .collect();
    assert!(
        summarize(syscalls.as_bytes())
            .unwrap()
            .unsupported_syscalls
            .len()
            <= 64
    );
    let categories: String = (0..10_000)
        .map(|n| format!("parrot_run[1] c{n}: x\n"))
        .collect();
    assert!(summarize(categories.as_bytes()).unwrap().categories.len() <= 66);
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048), capacity in 1usize..64) {
        let summary = summarize_with_max_line_len(BufReader::with_capacity(capacity, &bytes[..]), 100).unwrap();
        let mut reader = LogReader::with_max_line_len(BufReader::with_capacity(capacity, &bytes[..]), 100);
        let events: Vec<_> = reader.by_ref().map(Result::unwrap).collect();
        prop_assert_eq!(reader.summary(), summary.clone());
        let _ = summary.outcome(Some(137));
        let _ = summary.findings();
        let text = String::from_utf8_lossy(&bytes);
        for line in text.lines() {
            let _ = parse_line(line);
        }
        prop_assert!(events.len() as u64 <= summary.lines);
    }

    #[test]
    fn log_like_lines_never_panic(lines in proptest::collection::vec(
        "(2026/12/04 13:33:5[0-9]\\.[0-9]{2} )?parrot_run\\[[0-9]{1,12}\\](<child:[0-9]{0,11}>)? ?(process|debug|notice|fatal|error|cvmfs|local): (pid [0-9]{1,11} (started|exited normally with code -?[0-9]{1,11}|exited abnormally with signal [0-9]{1,11} \\(|received signal [0-9]*)|[a-z/ ]{0,10} exited (normally with status|abnormally with signal) -?[0-9]{0,12}( \\([A-Za-z ]*\\)?)?|warning: system call [0-9]{0,11} \\(?[a-z]*\\)? not supported|received signal [0-9]{0,11} \\(|ptrace error: |tracer memory read failed: |stat /cvmfs/[a-z.]*|execve: (failed: x|a \\(b\\) succeeded in 64-bit mode))",
        0..40,
    )) {
        let text = lines.join("\n");
        let log = parse_parrot_log(&text);
        for exit in [None, Some(0), Some(1), Some(137), Some(143)] {
            let _ = log.outcome(exit);
        }
        let _ = log.findings();
        // Backtrace lines fold into their fatal event.
        prop_assert!(log.events.len() <= lines.len());
        prop_assert_eq!(log.summary.lines, lines.len() as u64);
    }
}

/// Repeats real fixture logs until `total` bytes, without holding them.
struct RepeatedLog {
    pattern: Vec<u8>,
    at: usize,
    left: u64,
}

impl Read for RepeatedLog {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let mut written = 0;
        while written < out.len() && self.left > 0 {
            let take = (self.pattern.len() - self.at)
                .min(out.len() - written)
                .min(usize::try_from(self.left).unwrap_or(usize::MAX));
            out[written..written + take].copy_from_slice(&self.pattern[self.at..self.at + take]);
            written += take;
            self.at = (self.at + take) % self.pattern.len();
            self.left -= take as u64;
        }
        Ok(written)
    }
}

fn peak_resident_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Set in the child process that measures its own peak memory, alone.
const MEMORY_CHILD: &str = "PCVMFS_PARROT_LOG_MEMORY_CHILD";

#[test]
fn a_100_mb_stream_is_read_in_constant_memory() {
    // The peak resident size is the process's: measure in a process of its
    // own, so that the other tests' allocations do not count.
    if std::env::var_os(MEMORY_CHILD).is_none() {
        let status = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "a_100_mb_stream_is_read_in_constant_memory",
                "--test-threads=1",
            ])
            .env(MEMORY_CHILD, "1")
            .status()
            .unwrap();
        assert!(status.success());
        return;
    }
    let mut pattern = String::new();
    for name in [
        "ok-true-debug-all",
        "seccomp-denies-ptrace",
        "docker-default-seccomp",
    ] {
        pattern.push_str(&case(name).stderr);
    }
    let copies: u64 = (100 << 20) / pattern.len() as u64 + 1;
    let total = copies * pattern.len() as u64;
    let one = parse_parrot_log(&pattern).summary;

    let before = peak_resident_kib();
    let stream = RepeatedLog {
        pattern: pattern.clone().into_bytes(),
        at: 0,
        left: total,
    };
    let summary = summarize(BufReader::with_capacity(1 << 16, stream)).unwrap();
    let after = peak_resident_kib();

    assert_eq!(summary.lines, one.lines * copies);
    for (kind, count) in &one.counts {
        assert_eq!(summary.counts[kind], count * copies, "{kind}");
    }
    assert_eq!(summary.count("fatal"), copies);
    if let (Some(before), Some(after)) = (before, after) {
        assert!(
            after - before < 32 * 1024,
            "peak grew by {} KiB",
            after - before
        );
    }

    // The event reader holds one buffer's worth of events at most.
    let stream = RepeatedLog {
        pattern: pattern.into_bytes(),
        at: 0,
        left: 10 << 20,
    };
    let mut reader = LogReader::new(BufReader::with_capacity(1 << 16, stream));
    let mut events = 0u64;
    for event in reader.by_ref() {
        event.unwrap();
        events += 1;
    }
    assert!(events > 0 && events <= reader.lines_read());
}

#[test]
fn bytes_that_are_not_utf8_parse_as_their_lossy_text() {
    // Found by the fuzzer: invalid bytes in a program name grow threefold
    // in the lossy text, so the name must be ASCII for both to agree.
    let mut bytes = b"2026/12/04 13:33:50.32 ".to_vec();
    bytes.extend(std::iter::repeat_n(0xffu8, 110));
    bytes.extend_from_slice(
        b"parrot_run[6]<child:6> debug: found 1\n\xff[1] process: pid 2 started\n",
    );
    let text = String::from_utf8_lossy(&bytes);
    let streamed: Vec<_> = LogReader::new(&bytes[..]).map(Result::unwrap).collect();
    assert_eq!(streamed, parse_parrot_log(&text).events);
    assert!(streamed.iter().all(|event| event.category.is_none()));
}
