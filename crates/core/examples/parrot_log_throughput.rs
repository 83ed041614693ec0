//! Streams a parrot debug log through [`summarize`] (or, with `--events`,
//! through the event-by-event [`LogReader`]) and prints how fast: bytes,
//! lines, events by kind (to check that a baseline found the same),
//! seconds, MB per second and the peak resident memory.
//! `benchmarks/parrot_log.py` runs it beside `grep` and a Python parser.
//!
//! ```text
//! cargo run --release -p pcvmfs-core --example parrot_log_throughput -- [--events] LOG_FILE
//! ```

use std::fs::File;
use std::io::BufReader;
use std::process::ExitCode;
use std::time::Instant;

use pcvmfs_core::parrot_log::{LogReader, LogSummary, summarize};

fn main() -> ExitCode {
    let mut events_mode = false;
    let mut path = None;
    for arg in std::env::args_os().skip(1) {
        if arg == "--events" {
            events_mode = true;
        } else {
            path = Some(arg);
        }
    }
    let Some(path) = path else {
        eprintln!("usage: parrot_log_throughput [--events] LOG_FILE");
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
    let input = BufReader::with_capacity(1 << 20, file);

    let start = Instant::now();
    let result: std::io::Result<LogSummary> = if events_mode {
        let mut reader = LogReader::new(input);
        let mut failure = None;
        for event in reader.by_ref() {
            if let Err(error) = event {
                failure = Some(error);
                break;
            }
        }
        failure.map_or_else(|| Ok(reader.summary()), Err)
    } else {
        summarize(input)
    };
    let summary = match result {
        Ok(summary) => summary,
        Err(error) => {
            eprintln!("{}: {error}", path.to_string_lossy());
            return ExitCode::FAILURE;
        }
    };
    let seconds = start.elapsed().as_secs_f64();

    println!("mode: {}", if events_mode { "events" } else { "summary" });
    println!("file bytes: {bytes}");
    println!("lines read: {}", summary.lines);
    println!("lines too long: {}", summary.lines_too_long);
    for (kind, count) in &summary.counts {
        println!("events {kind}: {count}");
    }
    println!("seconds: {seconds:.3}");
    println!("MB/s: {:.1}", bytes as f64 / 1e6 / seconds);
    println!("lines/s: {:.0}", summary.lines as f64 / seconds);
    match peak_resident_kib() {
        Some(kib) => println!("peak memory KiB: {kib}"),
        None => println!("peak memory KiB: unknown"),
    }
    ExitCode::SUCCESS
}

/// VmHWM of this process, from /proc.
fn peak_resident_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
