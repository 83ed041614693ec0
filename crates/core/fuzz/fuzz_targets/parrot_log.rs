//! Arbitrary bytes as a parrot log: the line parser on each lossy line, the
//! event reader at any buffer size and line limit, and the summary must
//! never panic, and the reader and the summary must agree with each other
//! and with the in-memory parse.

#![no_main]

use std::io::BufReader;

use libfuzzer_sys::fuzz_target;
use pcvmfs_core::parrot_log::{
    LogReader, parse_line, parse_parrot_log, summarize, summarize_with_max_line_len,
};

fuzz_target!(|data: &[u8]| {
    // The first byte picks the reader's buffer size and the line limit.
    let Some((&knob, log)) = data.split_first() else {
        return;
    };
    let capacity = usize::from(knob % 64) + 1;
    let max_line_len = usize::from(knob);

    let text = String::from_utf8_lossy(log);
    for line in text.lines() {
        if let Some(parsed) = parse_line(line) {
            assert!(line.contains(parsed.category));
            assert!(line.ends_with(parsed.message));
        }
    }

    let in_memory = parse_parrot_log(&text);
    let mut reader = LogReader::new(BufReader::with_capacity(capacity, log));
    let streamed: Vec<_> = reader
        .by_ref()
        .map(|event| event.expect("reading a byte slice cannot fail"))
        .collect();
    let summary = summarize(BufReader::with_capacity(capacity, log)).expect("byte slice");
    assert_eq!(reader.summary(), summary);
    // The readers decode line by line as the lossy text does as a whole: a
    // line break never sits inside a UTF-8 sequence.
    assert_eq!(streamed, in_memory.events);
    assert_eq!(summary, in_memory.summary);

    let limited = summarize_with_max_line_len(BufReader::with_capacity(capacity, log), max_line_len)
        .expect("byte slice");
    assert_eq!(limited.lines, summary.lines);
    for exit in [None, Some(0), Some(1), Some(137), Some(143), Some(i32::MIN)] {
        let _ = limited.outcome(exit);
        let _ = summary.outcome(exit);
    }
    let _ = limited.findings();
    let _ = summary.findings();
});
