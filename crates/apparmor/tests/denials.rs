//! AppArmor records read from real kernel and audit logs, in every form a
//! node writes them, and the reader's limits: hostile text never panics, a
//! huge line costs no more than itself, and a long stream costs constant
//! memory.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::{self, BufReader, Read};

use pcvmfs_apparmor::denials::{
    AuditStamp, Denial, DenialReader, RecordKind, parse_denials, parse_line,
};
use proptest::prelude::*;

const APPARMOR_LOG: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/fixtures/kernel-log/apparmor-denials.log"
);
const SELINUX_LOG: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/fixtures/kernel-log/selinux-denials.log"
);

fn read_fixture(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn some(text: &str) -> Option<String> {
    Some(text.to_string())
}

fn stamp(seconds: u64, millis: u32, serial: u64) -> Option<AuditStamp> {
    Some(AuditStamp {
        seconds,
        millis,
        serial,
    })
}

/// The ptrace denial of parrot_run that the first two fixture lines hold.
fn parrot_run_ptrace_denial() -> Denial {
    Denial {
        operation: some("ptrace"),
        profile: some("docker-default"),
        pid: Some(2412),
        comm: some("parrot_run"),
        requested_mask: some("trace"),
        denied_mask: some("trace"),
        peer: some("docker-default"),
        ..Denial::new(RecordKind::Denied)
    }
}

#[test]
fn every_fixture_line_gives_its_fields() {
    let log = read_fixture(APPARMOR_LOG);
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 7, "the fixture changed; read it again");

    // Bare record, as `journalctl -o cat` shows it: no stamp.
    assert_eq!(parse_line(lines[0]), Some(parrot_run_ptrace_denial()));

    // dmesg with its `[ 7251.403112]` stamp.
    assert_eq!(
        parse_line(lines[1]),
        Some(Denial {
            stamp: stamp(1436187162, 404, 77),
            ..parrot_run_ptrace_denial()
        })
    );
    assert_eq!(
        parse_line(lines[2]),
        Some(Denial {
            operation: some("ptrace"),
            profile: some("docker-default"),
            pid: Some(2413),
            comm: some("ls"),
            requested_mask: some("tracedby"),
            denied_mask: some("tracedby"),
            peer: some("docker-default"),
            stamp: stamp(1436187162, 404, 78),
            ..Denial::new(RecordKind::Denied)
        })
    );

    // Syslog.
    assert_eq!(
        parse_line(lines[3]),
        Some(Denial {
            operation: some("ptrace"),
            profile: some("docker-default"),
            pid: Some(311),
            comm: some("tokio-runtime-w"),
            requested_mask: some("read"),
            denied_mask: some("read"),
            peer: some("unconfined"),
            stamp: stamp(1636790954, 599, 77337),
            ..Denial::new(RecordKind::Denied)
        })
    );

    // A file denial with the ids of the process and of the file's owner.
    assert_eq!(
        parse_line(lines[4]),
        Some(Denial {
            operation: some("open"),
            profile: some("docker-default"),
            name: some("/proc/sysrq-trigger"),
            pid: Some(977),
            comm: some("sh"),
            requested_mask: some("w"),
            denied_mask: some("w"),
            fsuid: Some(1000),
            ouid: Some(0),
            stamp: stamp(1436190000, 1, 90),
            ..Denial::new(RecordKind::Denied)
        })
    );

    // A status record, whose info holds spaces and a comma.
    assert_eq!(
        parse_line(lines[5]),
        Some(Denial {
            operation: some("profile_replace"),
            info: some("same as current profile, skipping"),
            profile: some("unconfined"),
            name: some("docker-ptrace"),
            pid: Some(1002),
            comm: some("apparmor_parser"),
            stamp: stamp(1436190000, 2, 91),
            ..Denial::new(RecordKind::Status)
        })
    );

    // A network line among them is no record.
    assert_eq!(parse_line(lines[6]), None);
}

#[test]
fn the_whole_fixture_gives_six_records_in_order() {
    let denials = parse_denials(&read_fixture(APPARMOR_LOG));
    let summary: Vec<(RecordKind, Option<u32>)> =
        denials.iter().map(|d| (d.kind.clone(), d.pid)).collect();
    assert_eq!(
        summary,
        vec![
            (RecordKind::Denied, Some(2412)),
            (RecordKind::Denied, Some(2412)),
            (RecordKind::Denied, Some(2413)),
            (RecordKind::Denied, Some(311)),
            (RecordKind::Denied, Some(977)),
            (RecordKind::Status, Some(1002)),
        ]
    );
    assert!(denials.iter().all(|d| d.subject().is_some()));
}

#[test]
fn the_reader_over_the_fixture_file_agrees_with_the_text_parser() {
    let file = std::fs::File::open(APPARMOR_LOG).unwrap();
    let mut reader = DenialReader::new(BufReader::new(file));
    let streamed: Vec<Denial> = reader.by_ref().map(Result::unwrap).collect();
    assert_eq!(streamed, parse_denials(&read_fixture(APPARMOR_LOG)));
    assert_eq!(reader.lines_read(), 7);
    assert_eq!(reader.lines_too_long(), 0);
}

#[test]
fn selinux_denials_are_not_apparmor_records() {
    let log = read_fixture(SELINUX_LOG);
    assert!(log.lines().count() >= 2);
    assert_eq!(parse_denials(&log), Vec::new());
}

#[test]
fn the_kernel_command_line_is_not_a_record() {
    let line = "[    0.000000] Command line: BOOT_IMAGE=/boot/vmlinuz-6.1.0-18-amd64 \
                root=UUID=3f2a ro quiet apparmor=1 security=apparmor";
    assert_eq!(parse_line(line), None);
    assert_eq!(
        parse_line("[    0.000000] Kernel command line: apparmor=\"1\" security=apparmor"),
        None
    );
    assert_eq!(parse_line("module_apparmor=\"DENIED\" pid=1"), None);
}

#[test]
fn hex_encoded_values_are_decoded_and_quoted_values_are_literal() {
    // "/usr/bin/my app" holds a space, so the kernel writes it in hex.
    let line = "audit: type=1400 audit(1436190000.003:92): apparmor=\"DENIED\" \
                operation=\"exec\" profile=2F6F70742F6D7920617070 \
                name=2F746D702F612022712220C3A9 pid=42 \
                comm=2F7573722F62696E2F6D7920617070 requested_mask=\"x\" \
                denied_mask=\"x\" fsuid=0 ouid=0 target=2F746D702F6F7468657220617070";
    let denial = parse_line(line).unwrap();
    assert_eq!(denial.comm.as_deref(), Some("/usr/bin/my app"));
    assert_eq!(denial.profile.as_deref(), Some("/opt/my app"));
    assert_eq!(denial.name.as_deref(), Some("/tmp/a \"q\" é"));
    assert_eq!(
        denial.other.get("target").map(String::as_str),
        Some("/tmp/other app")
    );

    // Quoted, the same digits are the name itself.
    let quoted = parse_line("apparmor=\"DENIED\" name=\"2F746D70\" comm=\"CAFE\"").unwrap();
    assert_eq!(quoted.name.as_deref(), Some("2F746D70"));
    assert_eq!(quoted.comm.as_deref(), Some("CAFE"));

    // Bytes that are not UTF-8 (a Latin-1 file name) become U+FFFD.
    let latin1 = parse_line("apparmor=\"DENIED\" name=2F746D702FE9").unwrap();
    assert_eq!(latin1.name.as_deref(), Some("/tmp/\u{fffd}"));

    // Not hex (odd length, lower case, other letters): kept as written.
    let odd = parse_line("apparmor=\"DENIED\" name=ABC comm=2f62 peer=?").unwrap();
    assert_eq!(odd.name.as_deref(), Some("ABC"));
    assert_eq!(odd.comm.as_deref(), Some("2f62"));
    assert_eq!(odd.peer.as_deref(), Some("?"));
}

#[test]
fn auditd_records_with_type_and_msg() {
    let line = "type=AVC msg=audit(1436187162.404:77): apparmor=\"DENIED\" \
                operation=\"ptrace\" profile=\"docker-default\" pid=2412 comm=\"parrot_run\" \
                requested_mask=\"trace\" denied_mask=\"trace\" peer=\"docker-default\"";
    assert_eq!(
        parse_line(line),
        Some(Denial {
            stamp: stamp(1436187162, 404, 77),
            ..parrot_run_ptrace_denial()
        })
    );

    // auditd's numeric type, and its enriched format, which appends
    // translated fields after a group separator (0x1d).
    let enriched = "type=1400 audit(1436190000.001:90): apparmor=\"DENIED\" operation=\"open\" \
                    class=\"file\" profile=\"docker-default\" name=\"/proc/sysrq-trigger\" \
                    pid=977 comm=\"sh\" requested_mask=\"w\" denied_mask=\"w\" fsuid=1000 \
                    ouid=0\u{1d}FSUID=\"parrotuser\" OUID=\"root\"";
    let denial = parse_line(enriched).unwrap();
    assert_eq!(denial.stamp, stamp(1436190000, 1, 90));
    assert_eq!(denial.class.as_deref(), Some("file"));
    assert_eq!(denial.ouid, Some(0));
    assert_eq!(
        denial.other.iter().collect::<Vec<_>>(),
        [
            (&"FSUID".to_string(), &"parrotuser".to_string()),
            (&"OUID".to_string(), &"root".to_string())
        ]
    );
}

#[test]
fn journald_records_in_short_and_json_output() {
    // journald's audit transport takes the stamp off the message.
    let short = "Nov 13 09:09:14 node01 audit[311]: AVC apparmor=\"DENIED\" \
                 operation=\"ptrace\" profile=\"docker-default\" pid=311 \
                 comm=\"tokio-runtime-w\" requested_mask=\"read\" denied_mask=\"read\" \
                 peer=\"unconfined\"";
    let denial = parse_line(short).unwrap();
    assert_eq!((denial.pid, denial.stamp), (Some(311), None));
    assert_eq!(denial.peer.as_deref(), Some("unconfined"));

    // ... and keeps it in two fields, which `-o json` shows.
    let json = r#"{"__REALTIME_TIMESTAMP":"1636790954600123","_TRANSPORT":"audit","_AUDIT_ID":"77337","_SOURCE_REALTIME_TIMESTAMP":"1636790954599000","MESSAGE":"AVC apparmor=\"DENIED\" operation=\"ptrace\" profile=\"docker-default\" pid=311 comm=\"tokio-runtime-w\" requested_mask=\"read\" denied_mask=\"read\" peer=\"unconfined\"","_HOSTNAME":"node01"}"#;
    assert_eq!(
        parse_line(json),
        Some(Denial {
            stamp: stamp(1636790954, 599, 77337),
            ..denial.clone()
        })
    );

    // The kernel transport keeps the stamp in the message.
    let kernel = r#"{"_TRANSPORT":"kernel","MESSAGE":"audit: type=1400 audit(1436190000.002:91): apparmor=\"STATUS\" operation=\"profile_replace\" info=\"same as current profile, skipping\" profile=\"unconfined\" name=\"docker-ptrace\" pid=1002 comm=\"apparmor_parser\""}"#;
    let status = parse_line(kernel).unwrap();
    assert_eq!(status.kind, RecordKind::Status);
    assert_eq!(status.stamp, stamp(1436190000, 2, 91));
    assert_eq!(
        status.info.as_deref(),
        Some("same as current profile, skipping")
    );

    // JSON that is broken or holds no record is skipped.
    assert_eq!(parse_line(r#"{"MESSAGE":"apparmor=\"DENIED\""#), None);
    assert_eq!(parse_line(r#"{"MESSAGE":"kernel: apparmor=1"}"#), None);
}

#[test]
fn user_space_records_inside_msg_quotes() {
    let line = "type=USER_AVC msg=audit(1700000000.123:456): pid=812 uid=103 auid=4294967295 \
                ses=4294967295 subj=unconfined msg='apparmor=\"DENIED\" \
                operation=\"dbus_method_call\" bus=\"system\" path=\"/org/freedesktop/hostname1\" \
                interface=\"org.freedesktop.DBus.Properties\" member=\"GetAll\" mask=\"send\" \
                name=\"org.freedesktop.hostname1\" pid=2412 label=\"docker-default\" \
                peer_pid=1 peer_label=\"unconfined\"  exe=\"/usr/bin/dbus-daemon\" sauid=103 \
                hostname=? addr=? terminal=?'";
    let denial = parse_line(line).unwrap();
    assert_eq!(denial.stamp, stamp(1700000000, 123, 456));
    assert_eq!(denial.pid, Some(2412));
    assert_eq!(denial.label.as_deref(), Some("docker-default"));
    assert_eq!(denial.subject(), Some("docker-default"));
    assert_eq!(denial.profile, None);
    assert_eq!(denial.other["terminal"], "?");
    assert_eq!(denial.other["member"], "GetAll");
    assert!(!denial.other.contains_key("uid"));
}

#[test]
fn other_kinds_and_fields_are_kept() {
    let line = "[12.5] audit: type=1400 audit(1700000001.000:7): apparmor=\"ALLOWED\" \
                operation=\"capable\" class=\"cap\" profile=\"docker-ptrace\" pid=77 comm=\"gdb\" \
                capability=19  capname=\"sys_ptrace\" error=-13";
    let denial = parse_line(line).unwrap();
    assert_eq!(denial.kind, RecordKind::Allowed);
    assert_eq!(denial.error.as_deref(), Some("-13"));
    assert_eq!(denial.other["capability"], "19");
    assert_eq!(denial.other["capname"], "sys_ptrace");

    let hint = parse_line("apparmor=\"HINT\" operation=\"x\" pid=notanumber").unwrap();
    assert_eq!(hint.kind, RecordKind::Other("HINT".into()));
    assert_eq!(hint.pid, None);
    assert_eq!(hint.other["pid"], "notanumber");
    assert_eq!(
        parse_line("apparmor=\"AUDIT\"").map(|d| d.kind),
        Some(RecordKind::Audit)
    );
}

#[test]
fn records_serialise_to_json() {
    let denial = parse_line(read_fixture(APPARMOR_LOG).lines().nth(4).unwrap()).unwrap();
    let json: serde_json::Value = serde_json::to_value(&denial).unwrap();
    assert_eq!(json["kind"], "denied");
    assert_eq!(json["name"], "/proc/sysrq-trigger");
    assert_eq!(json["fsuid"], 1000);
    assert_eq!(
        json["stamp"],
        serde_json::json!({"seconds": 1436190000u64, "millis": 1, "serial": 90})
    );
    assert_eq!(json["label"], serde_json::Value::Null);
    assert_eq!(json["other"], serde_json::json!({}));
}

#[test]
fn bytes_that_are_not_utf8_are_read_lossily() {
    let mut log = b"\xff\xfe garbage \xc3\n".to_vec();
    log.extend_from_slice(
        b"apparmor=\"DENIED\" operation=\"open\" name=\"/tmp/\xe9t\xe9\" pid=5\n",
    );
    log.extend_from_slice(b"\x00\x00\x00apparmor=\"DENIED\" pid=6");
    let denials: Vec<Denial> = DenialReader::new(&log[..]).map(Result::unwrap).collect();
    assert_eq!(denials.len(), 1, "NUL is not a separator: {denials:?}");
    assert_eq!(denials[0].name.as_deref(), Some("/tmp/\u{fffd}t\u{fffd}"));
    assert_eq!(denials[0].pid, Some(5));
}

const TEN_MB: usize = 10 * 1024 * 1024;

#[test]
fn a_ten_megabyte_line() {
    // A record whose name is 10 MB: parsed in full.
    let name = "a".repeat(TEN_MB);
    let line = format!("apparmor=\"DENIED\" operation=\"open\" name=\"{name}\" pid=1");
    let denial = parse_line(&line).unwrap();
    assert_eq!(denial.name.map(|n| n.len()), Some(TEN_MB));
    assert_eq!(denial.pid, Some(1));

    // 10 MB of hex, and 10 MB of `apparmor=` that never starts a record.
    let hex = format!("apparmor=\"DENIED\" comm={}", "41".repeat(TEN_MB / 2));
    assert_eq!(
        parse_line(&hex).unwrap().comm.map(|c| c.len()),
        Some(TEN_MB / 2)
    );
    let decoys = "xapparmor=\"".repeat(TEN_MB / 11);
    assert_eq!(parse_line(&decoys), None);
    // False starts at word boundaries, each one scanned once (a parser
    // that rescanned the line per start would not finish).
    for false_start in [" apparmor=\"1\"", "'apparmor=\"", " apparmor=\"DENIED"] {
        let line = false_start.repeat(TEN_MB / false_start.len());
        assert_eq!(parse_line(&line), None, "{false_start}");
    }
    let quoted_starts = format!(
        "'apparmor=\"DENIED\"{}",
        " 'apparmor=\"".repeat(TEN_MB / 12)
    );
    assert!(parse_line(&quoted_starts).is_some());

    // Ten million fields: the map of other fields stays small.
    let fields: String = (0..TEN_MB / 16).map(|i| format!(" k{i:07}=v")).collect();
    let many = parse_line(&format!("apparmor=\"DENIED\"{fields}")).unwrap();
    assert!(many.other.len() <= 256, "{}", many.other.len());

    // Through the reader: read in full under the default limit, skipped
    // under a smaller one, and the records around it are found either way.
    let log = format!("apparmor=\"AUDIT\" pid=1\n{line}\napparmor=\"AUDIT\" pid=2\n");
    let read: Vec<Denial> = DenialReader::new(log.as_bytes())
        .map(Result::unwrap)
        .collect();
    assert_eq!(read.len(), 3);
    let mut limited = DenialReader::with_max_line_len(log.as_bytes(), 1024 * 1024);
    let pids: Vec<Option<u32>> = limited.by_ref().map(|d| d.unwrap().pid).collect();
    assert_eq!(pids, [Some(1), Some(2)]);
    assert_eq!((limited.lines_read(), limited.lines_too_long()), (3, 1));
}

/// Counts the bytes allocated and not yet freed by the current thread, and
/// their peak, so a test can see what its own work costs while other tests
/// run on other threads.
struct ThreadCountingAllocator;

thread_local! {
    static LIVE_BYTES: Cell<isize> = const { Cell::new(0) };
    static PEAK_BYTES: Cell<isize> = const { Cell::new(0) };
}

fn count_allocation(delta: isize) {
    let _ = LIVE_BYTES.try_with(|live| {
        let now = live.get() + delta;
        live.set(now);
        let _ = PEAK_BYTES.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

// SAFETY: every call is passed on to the system allocator unchanged; the
// counters are thread-local cells that never allocate.
unsafe impl GlobalAlloc for ThreadCountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let block = unsafe { System.alloc(layout) };
        if !block.is_null() {
            count_allocation(layout.size() as isize);
        }
        block
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let block = unsafe { System.alloc_zeroed(layout) };
        if !block.is_null() {
            count_allocation(layout.size() as isize);
        }
        block
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        unsafe { System.dealloc(block, layout) };
        count_allocation(-(layout.size() as isize));
    }

    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let moved = unsafe { System.realloc(block, layout, new_size) };
        if !moved.is_null() {
            count_allocation(new_size as isize - layout.size() as isize);
        }
        moved
    }
}

#[global_allocator]
static ALLOCATOR: ThreadCountingAllocator = ThreadCountingAllocator;

/// A log made on the fly: `lines` repeated `rounds` times, never held
/// whole in memory.
struct GeneratedLog {
    lines: Vec<Vec<u8>>,
    rounds_left: usize,
    line: usize,
    offset: usize,
}

impl Read for GeneratedLog {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut written = 0;
        while written < buf.len() && self.rounds_left > 0 {
            let line = &self.lines[self.line];
            let n = (line.len() - self.offset).min(buf.len() - written);
            buf[written..written + n].copy_from_slice(&line[self.offset..self.offset + n]);
            written += n;
            self.offset += n;
            if self.offset == line.len() {
                self.offset = 0;
                self.line += 1;
                if self.line == self.lines.len() {
                    self.line = 0;
                    self.rounds_left -= 1;
                }
            }
        }
        Ok(written)
    }
}

#[test]
fn the_reader_streams_a_long_log_in_constant_memory() {
    let mut lines: Vec<Vec<u8>> = read_fixture(APPARMOR_LOG)
        .lines()
        .chain(read_fixture(SELINUX_LOG).lines())
        .map(|line| format!("{line}\n").into_bytes())
        .collect();
    // A long line that is no record, and bytes that are not UTF-8.
    lines.push(format!("[ 1.0] {}\n", "noise ".repeat(2000)).into_bytes());
    lines.push(b"[ 1.1] usb 1-1: \xff\xfe bad descriptor\n".to_vec());
    let round_bytes: usize = lines.iter().map(Vec::len).sum();
    let rounds = (64 * 1024 * 1024) / round_bytes;
    let log = GeneratedLog {
        rounds_left: rounds,
        line: 0,
        offset: 0,
        lines,
    };

    let before = LIVE_BYTES.with(Cell::get);
    PEAK_BYTES.with(|peak| peak.set(before));
    let mut reader = DenialReader::new(BufReader::with_capacity(64 * 1024, log));
    let mut records = 0usize;
    for denial in reader.by_ref() {
        assert!(denial.unwrap().pid.is_some());
        records += 1;
    }
    let peak = PEAK_BYTES.with(Cell::get) - before;

    assert_eq!(records, 6 * rounds);
    assert_eq!(reader.lines_read(), 11 * rounds as u64);
    assert!(rounds * round_bytes >= 60 * 1024 * 1024);
    // The reader's 64 KiB buffer, one line and one record: nothing that
    // grows with the log.
    assert!(peak < 256 * 1024, "peak {peak} bytes over {rounds} rounds");
}

/// A value as the kernel writes it: quoted when safe to print, else hex.
fn kernel_value(value: &str) -> String {
    if !value.is_empty()
        && value
            .bytes()
            .all(|b| (0x21..=0x7e).contains(&b) && b != b'"')
    {
        format!("\"{value}\"")
    } else {
        value.bytes().map(|b| format!("{b:02X}")).collect()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in prop_oneof![
        any::<String>(),
        r#"[a-z_= "'()0-9.:A-F\x1d{}\\-]{0,80}"#,
        r#"(audit\(|apparmor="|type=AVC msg=|[a-z]{1,6}=|"|'|[0-9A-F]{1,6}| |\{"MESSAGE":"){0,24}"#,
    ]) {
        let _ = parse_line(&text);
        let _ = parse_denials(&text);
    }

    #[test]
    fn the_reader_agrees_with_the_text_parser_on_any_bytes(
        bytes in prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..400),
            proptest::collection::vec(
                prop_oneof![
                    Just(&b"apparmor=\"DENIED\" "[..]),
                    Just(&b"pid=7 "[..]),
                    Just(&b"comm=41 "[..]),
                    Just(&b"\r"[..]),
                    Just(&b"\n"[..]),
                    Just(&b"\xff"[..]),
                    Just(&b"\xe2\x82"[..]),
                    Just(&b" "[..]),
                ],
                0..40,
            )
            .prop_map(|pieces| pieces.concat()),
        ],
        capacity in 1usize..64,
        max in 0usize..64,
    ) {
        let limited = DenialReader::with_max_line_len(BufReader::with_capacity(capacity, &bytes[..]), max);
        let limited: Vec<Denial> = limited.map(Result::unwrap).collect();
        let all: Vec<Denial> = DenialReader::new(BufReader::with_capacity(capacity, &bytes[..]))
            .map(Result::unwrap)
            .collect();
        let text = String::from_utf8_lossy(&bytes);
        prop_assert_eq!(&all, &parse_denials(&text));
        // A limit only drops records: those of the lines within it, in
        // bytes as read (a byte that is not UTF-8 becomes three).
        let mut pieces: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
        let last = pieces.pop().filter(|piece| !piece.is_empty());
        let within: Vec<Denial> = pieces
            .into_iter()
            .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
            .chain(last)
            .filter(|line| line.len() <= max)
            .filter_map(|line| parse_line(&String::from_utf8_lossy(line)))
            .collect();
        prop_assert!(limited.len() <= all.len());
        prop_assert_eq!(limited.len(), within.len());
    }

    #[test]
    fn kernel_written_records_read_back(
        profile in any::<String>(),
        name in any::<String>(),
        comm in any::<String>(),
        pid in any::<u32>(),
        info in "[ -!#-~]{0,40}",
        seconds in any::<u32>(),
        millis in 0u32..1000,
        serial in any::<u32>(),
    ) {
        let line = format!(
            "[ 1.000001] audit: type=1400 audit({seconds}.{millis:03}:{serial}): apparmor=\"DENIED\" \
             operation=\"open\" info=\"{info}\" profile={} name={} pid={pid} comm={} \
             requested_mask=\"r\" denied_mask=\"r\" fsuid=0 ouid=0",
            kernel_value(&profile), kernel_value(&name), kernel_value(&comm),
        );
        let denial = parse_line(&line).unwrap();
        prop_assert_eq!(denial, Denial {
            operation: some("open"),
            info: Some(info),
            profile: Some(profile),
            name: Some(name),
            pid: Some(pid),
            comm: Some(comm),
            requested_mask: some("r"),
            denied_mask: some("r"),
            fsuid: Some(0),
            ouid: Some(0),
            stamp: stamp(u64::from(seconds), millis, u64::from(serial)),
            ..Denial::new(RecordKind::Denied)
        });
    }
}
