//! Arbitrary bytes as a log: `parse_line` on their lossy text and the
//! streaming reader over the bytes must never panic, must agree with each
//! other, and a small line limit must only ever drop records.

#![no_main]

use libfuzzer_sys::fuzz_target;
use pcvmfs_apparmor::denials::{DenialReader, parse_denials, parse_line};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = parse_line(&text);
    let in_memory = parse_denials(&text);
    let streamed: Vec<_> = DenialReader::new(data)
        .map(|denial| denial.expect("reading a byte slice cannot fail"))
        .collect();
    assert_eq!(streamed, in_memory);
    let limit = usize::from(data.first().copied().unwrap_or(0));
    let limited = DenialReader::with_max_line_len(data, limit)
        .map(|denial| denial.expect("reading a byte slice cannot fail"))
        .count();
    assert!(limited <= streamed.len());
});
