//! Streams a log file through [`DenialReader`] and prints how fast: lines
//! read, records found (and their fields, to check a baseline extracted
//! the same), seconds, lines per second, MB per second and the peak
//! resident memory. `benchmarks/apparmor_denials.py` runs it against a
//! Python parser.
//!
//! ```text
//! cargo run --release -p pcvmfs-apparmor --example denial_throughput -- LOG_FILE
//! ```

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufReader;
use std::process::ExitCode;
use std::time::Instant;

use pcvmfs_apparmor::denials::{Denial, DenialReader};

fn main() -> ExitCode {
    let Some(path) = std::env::args_os().nth(1) else {
        eprintln!("usage: denial_throughput LOG_FILE");
        return ExitCode::from(2);
    };
    let file = match File::open(&path) {
        Ok(file) => file,
        Err(error) => {
            eprintln!("{}: {error}", path.to_string_lossy());
            return ExitCode::FAILURE;
        }
    };
    let bytes = file.metadata().map(|m| m.len()).unwrap_or(0);

    let start = Instant::now();
    let mut reader = DenialReader::new(BufReader::with_capacity(256 * 1024, file));
    let mut records_by_kind: BTreeMap<String, u64> = BTreeMap::new();
    let mut records = 0u64;
    let mut fields = 0u64;
    for denial in reader.by_ref() {
        let denial = match denial {
            Ok(denial) => denial,
            Err(error) => {
                eprintln!("{}: {error}", path.to_string_lossy());
                return ExitCode::FAILURE;
            }
        };
        records += 1;
        fields += field_count(&denial);
        *records_by_kind.entry(denial.kind.to_string()).or_default() += 1;
    }
    let seconds = start.elapsed().as_secs_f64();
    let lines = reader.lines_read();

    println!("file bytes: {bytes}");
    println!("lines read: {lines}");
    println!("records found: {records}");
    println!("fields found: {fields}");
    for (kind, count) in &records_by_kind {
        println!("records {kind}: {count}");
    }
    println!("lines too long: {}", reader.lines_too_long());
    println!("seconds: {seconds:.3}");
    println!("lines/s: {:.0}", lines as f64 / seconds);
    println!("MB/s: {:.1}", bytes as f64 / 1e6 / seconds);
    match peak_rss_kib() {
        Some(kib) => println!("peak RSS kB: {kib}"),
        None => println!("peak RSS kB: unknown"),
    }
    ExitCode::SUCCESS
}

/// The fields a record has: the members that are set, the stamp, and the
/// other fields. The Python baseline counts the same way.
fn field_count(denial: &Denial) -> u64 {
    let texts = [
        &denial.operation,
        &denial.class,
        &denial.profile,
        &denial.label,
        &denial.peer,
        &denial.name,
        &denial.comm,
        &denial.requested_mask,
        &denial.denied_mask,
        &denial.info,
        &denial.error,
    ];
    let numbers = [denial.pid, denial.fsuid, denial.ouid];
    let set = texts.iter().filter(|t| t.is_some()).count()
        + numbers.iter().filter(|n| n.is_some()).count()
        + usize::from(denial.stamp.is_some())
        + denial.other.len();
    set as u64
}

/// The process's peak resident set (`VmHWM` of `/proc/self/status`), in
/// KiB.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
