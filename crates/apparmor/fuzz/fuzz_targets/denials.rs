//! Arbitrary bytes as a log: `parse_line` on their lossy text and the
//! streaming reader over the bytes must never panic and must agree, with
//! lines straddling the reader's buffer, and a line limit must drop exactly
//! the records of the longer lines.

#![no_main]

use std::io::BufReader;

use libfuzzer_sys::fuzz_target;
use pcvmfs_apparmor::denials::{DenialReader, parse_denials, parse_line};

fuzz_target!(|data: &[u8]| {
    // The first byte picks the reader's buffer size and the line limit.
    let Some((&knob, log)) = data.split_first() else {
        return;
    };
    let capacity = usize::from(knob % 64) + 1;
    let max_line_len = usize::from(knob);

    let text = String::from_utf8_lossy(log);
    let in_memory = parse_denials(&text);
    let streamed: Vec<_> = DenialReader::new(BufReader::with_capacity(capacity, log))
        .map(|denial| denial.expect("reading a byte slice cannot fail"))
        .collect();
    assert_eq!(streamed, in_memory);

    let limited: Vec<_> =
        DenialReader::with_max_line_len(BufReader::with_capacity(capacity, log), max_line_len)
            .map(|denial| denial.expect("reading a byte slice cannot fail"))
            .collect();
    let within: Vec<_> = raw_lines(log)
        .filter(|line| line.len() <= max_line_len)
        .filter_map(|line| parse_line(&String::from_utf8_lossy(line)))
        .collect();
    assert_eq!(limited, within);
});

/// The lines of raw bytes as `str::lines` splits text: on `\n`, without
/// the `\r` of a `\r\n`, and no empty line after a final line break.
fn raw_lines(log: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut pieces: Vec<&[u8]> = log.split(|&b| b == b'\n').collect();
    let last = pieces.pop().filter(|piece| !piece.is_empty());
    pieces
        .into_iter()
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
        .chain(last)
}
