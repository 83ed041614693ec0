//! AppArmor's audit records (denials, allowed and audited accesses, policy
//! status) as the kernel writes them, read from whatever log holds them.
//!
//! The kernel writes one record per line, `apparmor="DENIED"` first, then
//! `key=value` fields: quoted values are literal, and a value the kernel
//! judged unsafe to print (spaces, quotes, control or non-ASCII bytes) is
//! written unquoted in upper-case hex, for example
//! `comm=2F7573722F62696E2F6D7920617070` for `/usr/bin/my app`. What comes
//! before the record depends on the log:
//!
//! | log | line |
//! | --- | --- |
//! | `dmesg` | `[ 7251.403112] audit: type=1400 audit(1436187162.404:77): apparmor="DENIED" ...` |
//! | syslog, `journalctl -k` | `Nov 13 09:09:14 node01 kernel: audit: type=1400 audit(...): apparmor="DENIED" ...` |
//! | journald's audit transport | `Nov 13 09:09:14 node01 audit[311]: AVC apparmor="DENIED" ...` |
//! | `journalctl -o json` | `{"MESSAGE":"audit: type=1400 audit(...): apparmor=\"DENIED\" ...", ...}` |
//! | auditd (`audit.log`) | `type=AVC msg=audit(1436187162.404:77): apparmor="DENIED" ...` |
//! | auditd, from user space (D-Bus) | `type=USER_AVC msg=audit(...): pid=1 ... msg='apparmor="DENIED" ...'` |
//! | bare | `apparmor="DENIED" operation="ptrace" ...` |
//!
//! Every other line (SELinux's `avc:  denied`, the kernel command line's
//! `apparmor=1`, anything else) is not a record and is skipped, never an
//! error. [`DenialReader`] streams a log of any size in constant memory.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, BufRead};
use std::sync::LazyLock;

use memchr::memmem;
use serde::{Serialize, Serializer};

/// What kind of record the kernel wrote: the value of `apparmor="..."`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RecordKind {
    /// `DENIED`: an access the policy refused.
    Denied,
    /// `ALLOWED`: an access a profile in complain mode let through.
    Allowed,
    /// `AUDIT`: an access allowed by a rule marked `audit`.
    Audit,
    /// `STATUS`: policy changes, such as a profile loaded or replaced.
    Status,
    /// Any other value (`HINT`, `ERROR`, `KILLED`, ...), as written.
    Other(String),
}

impl RecordKind {
    /// The kind for the value of `apparmor="..."`; the four common kinds
    /// match in any letter case.
    pub fn from_kernel(value: &str) -> Self {
        const KNOWN: [(&str, RecordKind); 4] = [
            ("DENIED", RecordKind::Denied),
            ("ALLOWED", RecordKind::Allowed),
            ("AUDIT", RecordKind::Audit),
            ("STATUS", RecordKind::Status),
        ];
        KNOWN
            .into_iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(value))
            .map_or_else(|| RecordKind::Other(value.to_string()), |(_, kind)| kind)
    }

    /// The kernel's spelling: `DENIED`, `ALLOWED`, `AUDIT`, `STATUS`, or
    /// the other value as written.
    pub fn as_str(&self) -> &str {
        match self {
            RecordKind::Denied => "DENIED",
            RecordKind::Allowed => "ALLOWED",
            RecordKind::Audit => "AUDIT",
            RecordKind::Status => "STATUS",
            RecordKind::Other(value) => value,
        }
    }
}

impl fmt::Display for RecordKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Serialised as one lower-case string (`"denied"`, `"status"`,
/// `"hint"`), so that JSON readers compare plain strings.
impl Serialize for RecordKind {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.as_str().to_ascii_lowercase())
    }
}

/// The audit subsystem's stamp of a record, `audit(1436187162.404:77)`:
/// when it happened and the serial number that ties together the records
/// of one event. Stamps order by time, then serial.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct AuditStamp {
    /// Seconds since the Unix epoch.
    pub seconds: u64,
    /// Milliseconds within that second (0 to 999).
    pub millis: u32,
    /// The event's serial number.
    pub serial: u64,
}

impl fmt::Display for AuditStamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:03}:{}", self.seconds, self.millis, self.serial)
    }
}

/// One AppArmor record. The fields the kernel writes for most records
/// have their own member; every other `key=value` of the record is kept in
/// [`Denial::other`]. Values are decoded: hex-encoded strings become text
/// (bytes that are not UTF-8 become U+FFFD), quotes are removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Denial {
    /// `apparmor=`: denied, allowed, audited or a status change.
    pub kind: RecordKind,
    /// `operation=`: what was attempted (`open`, `ptrace`, `exec`,
    /// `profile_replace`, ...).
    pub operation: Option<String>,
    /// `class=`: the mediation class (`file`, `net`, `signal`, ...), on
    /// newer kernels.
    pub class: Option<String>,
    /// `profile=`: the confining profile.
    pub profile: Option<String>,
    /// `label=`: the confining label, written instead of `profile=` by
    /// some records.
    pub label: Option<String>,
    /// `peer=`: the other side (the traced or signalled task's profile).
    pub peer: Option<String>,
    /// `name=`: the object, a path for file records or a profile name for
    /// status records.
    pub name: Option<String>,
    /// `pid=`: the process that made the attempt.
    pub pid: Option<u32>,
    /// `comm=`: that process's command name.
    pub comm: Option<String>,
    /// `requested_mask=`: the access asked for (`r`, `w`, `trace`, ...).
    pub requested_mask: Option<String>,
    /// `denied_mask=`: the part of it that was refused.
    pub denied_mask: Option<String>,
    /// `info=`: the kernel's explanation, when it gives one.
    pub info: Option<String>,
    /// `error=`: the error returned, as written (`-13` is `EACCES`).
    pub error: Option<String>,
    /// `fsuid=`: the file-system user id of the process. The kernel writes
    /// the invalid id as `-1`, which becomes `u32::MAX` here.
    pub fsuid: Option<u32>,
    /// `ouid=`: the owner of the object, `-1` read as for `fsuid`.
    pub ouid: Option<u32>,
    /// The audit stamp, when the line carries one (`audit(...)` before the
    /// record, or journald's audit fields).
    pub stamp: Option<AuditStamp>,
    /// Every other field of the record, by key, decoded like the others.
    /// A field of the members above whose value does not fit its type
    /// (`pid=abc`) is kept here as written.
    pub other: BTreeMap<String, String>,
}

impl Denial {
    /// A record of `kind` with no fields.
    pub fn new(kind: RecordKind) -> Self {
        Denial {
            kind,
            operation: None,
            class: None,
            profile: None,
            label: None,
            peer: None,
            name: None,
            pid: None,
            comm: None,
            requested_mask: None,
            denied_mask: None,
            info: None,
            error: None,
            fsuid: None,
            ouid: None,
            stamp: None,
            other: BTreeMap::new(),
        }
    }

    /// The confining profile: `profile=`, or else `label=`.
    pub fn subject(&self) -> Option<&str> {
        self.profile.as_deref().or(self.label.as_deref())
    }
}

/// Reads one line of a log: the AppArmor record it holds, or `None` when
/// it holds none. Never fails: a line that is not a well-formed record is
/// simply not one.
pub fn parse_line(line: &str) -> Option<Denial> {
    if !may_hold_record(line.as_bytes()) {
        return None;
    }
    parse_candidate(line)
}

/// Reads every AppArmor record of a log held in memory, in order; other
/// lines are skipped. For a log on disk or a pipe, [`DenialReader`] reads
/// in constant memory instead.
pub fn parse_denials(text: &str) -> Vec<Denial> {
    text.lines().filter_map(parse_line).collect()
}

/// Whether a line holds [`RECORD_KEY`]. Most lines of a log are not
/// AppArmor records, and one SIMD scan of the raw bytes rejects them
/// before they are even checked for UTF-8.
fn may_hold_record(line: &[u8]) -> bool {
    static RECORD_KEY_FINDER: LazyLock<memmem::Finder<'static>> =
        LazyLock::new(|| memmem::Finder::new(RECORD_KEY));
    RECORD_KEY_FINDER.find(line).is_some()
}

/// The record of a line that holds [`RECORD_KEY`].
fn parse_candidate(line: &str) -> Option<Denial> {
    if line.trim_start().starts_with('{') {
        parse_journal_json(line)
    } else {
        parse_text(line)
    }
}

/// The record of one raw line read from a log.
fn parse_line_bytes(line: &[u8]) -> Option<Denial> {
    if !may_hold_record(line) {
        return None;
    }
    // Checking alone is faster than converting, and logs are nearly
    // always valid UTF-8.
    match std::str::from_utf8(line) {
        Ok(text) => parse_candidate(text),
        Err(_) => parse_candidate(&String::from_utf8_lossy(line)),
    }
}

/// The longest line [`DenialReader::new`] reads; longer lines are skipped,
/// and no more than this much of one is held in memory. The kernel's audit
/// records are at most 8970 bytes, so only garbage is ever this long.
pub const DEFAULT_MAX_LINE_LEN: usize = 16 * 1024 * 1024;

/// A carry-over buffer that grew past this is given back after its line,
/// so one long line does not keep its memory for the rest of the log.
const KEPT_BUFFER_CAPACITY: usize = 64 * 1024;

/// The AppArmor records of a log read line by line from `R`, in constant
/// memory. Lines are parsed where they lie in the reader's buffer; only a
/// line that straddles two fills of that buffer is copied, into one
/// carry-over buffer reused for every such line. A line longer than the
/// limit is skipped once the limit is reached. Bytes that are not UTF-8
/// are read as U+FFFD. Iterating yields each record, or the read error
/// that ended the stream.
#[derive(Debug)]
pub struct DenialReader<R> {
    reader: R,
    /// The start of a line whose end is not in the reader's buffer yet.
    line: Vec<u8>,
    /// Whether the line being read is over the limit and being skipped.
    skipping: bool,
    max_line_len: usize,
    lines_read: u64,
    lines_too_long: u64,
    failed: bool,
}

impl<R: BufRead> DenialReader<R> {
    /// Reads records from `reader`, skipping lines longer than
    /// [`DEFAULT_MAX_LINE_LEN`].
    pub fn new(reader: R) -> Self {
        Self::with_max_line_len(reader, DEFAULT_MAX_LINE_LEN)
    }

    /// Reads records from `reader`, skipping lines longer than
    /// `max_line_len` bytes (not counting the line break), which bounds
    /// the memory used.
    pub fn with_max_line_len(reader: R, max_line_len: usize) -> Self {
        DenialReader {
            reader,
            line: Vec::new(),
            skipping: false,
            max_line_len,
            lines_read: 0,
            lines_too_long: 0,
            failed: false,
        }
    }

    /// How many lines have been read so far, records or not, skipped ones
    /// included.
    pub fn lines_read(&self) -> u64 {
        self.lines_read
    }

    /// How many lines were skipped because they were longer than the
    /// limit.
    pub fn lines_too_long(&self) -> u64 {
        self.lines_too_long
    }

    /// The underlying reader, positioned after the last line read (or in
    /// the middle of a line, if the last read failed).
    pub fn into_inner(self) -> R {
        self.reader
    }

    /// Reads lines until one holds a record; `None` at the end of the
    /// input.
    fn read_record(&mut self) -> io::Result<Option<Denial>> {
        loop {
            let buffer = match self.reader.fill_buf() {
                Ok(buffer) => buffer,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => return Err(error),
            };
            if buffer.is_empty() {
                // The end: what was carried over is a last line without a
                // line break.
                if self.skipping {
                    self.skipping = false;
                    self.lines_read += 1;
                } else if self.line.len() > self.max_line_len {
                    self.lines_read += 1;
                    self.lines_too_long += 1;
                    self.give_back_line();
                } else if !self.line.is_empty() {
                    self.lines_read += 1;
                    let denial = parse_line_bytes(&self.line);
                    self.give_back_line();
                    if denial.is_some() {
                        return Ok(denial);
                    }
                }
                return Ok(None);
            }
            let Some(end) = memchr::memchr(b'\n', buffer) else {
                // No line break in the buffer: carry it over to the next
                // fill, or drop it if the line is already too long.
                let taken = buffer.len();
                if !self.skipping {
                    // One byte of slack for the `\r` of a `\r\n` that
                    // the next fill may complete.
                    if self.line.len() + taken > self.max_line_len.saturating_add(1) {
                        self.start_skipping();
                    } else {
                        self.line.extend_from_slice(buffer);
                    }
                }
                self.reader.consume(taken);
                continue;
            };
            self.lines_read += 1;
            let before_break = if end > 0 {
                buffer.get(end - 1)
            } else {
                self.line.last()
            };
            let length = self.line.len() + end - usize::from(before_break == Some(&b'\r'));
            let denial = if self.skipping {
                self.skipping = false;
                None
            } else if length > self.max_line_len {
                self.lines_too_long += 1;
                self.give_back_line();
                None
            } else if self.line.is_empty() {
                parse_line_bytes(without_carriage_return(&buffer[..end]))
            } else {
                self.line.extend_from_slice(&buffer[..end]);
                let denial = parse_line_bytes(without_carriage_return(&self.line));
                self.give_back_line();
                denial
            };
            self.reader.consume(end + 1);
            if denial.is_some() {
                return Ok(denial);
            }
        }
    }

    fn start_skipping(&mut self) {
        self.skipping = true;
        self.lines_too_long += 1;
        self.give_back_line();
    }

    fn give_back_line(&mut self) {
        self.line.clear();
        self.line.shrink_to(KEPT_BUFFER_CAPACITY);
    }
}

/// A line without the `\r` of a `\r\n` line break, as `str::lines` reads
/// it.
fn without_carriage_return(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

impl<R: BufRead> Iterator for DenialReader<R> {
    type Item = io::Result<Denial>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        match self.read_record() {
            Ok(denial) => denial.map(Ok),
            Err(error) => {
                // A reader that failed once may fail forever; ending the
                // stream keeps `collect` and `for` loops finite.
                self.failed = true;
                Some(Err(error))
            }
        }
    }
}

/// What every record contains (its first field), in plain text and in
/// JSON alike (`apparmor="` or `apparmor=\"`), and what few other lines
/// do.
const RECORD_KEY: &str = "apparmor=";

/// The start of a record in plain text: the kernel always quotes the kind,
/// which tells a record from the kernel command line's `apparmor=1`.
const RECORD_START: &str = "apparmor=\"";

/// A record holds a few dozen fields at most; the cap keeps a hostile line
/// from becoming a map many times its own size.
const MAX_OTHER_FIELDS: usize = 256;

/// Fields the kernel writes with `audit_log_untrustedstring` or as a
/// label: an unquoted value of one of these is hex. Numeric fields are
/// absent on purpose, since `pid=2412` is also valid hex.
const HEX_ENCODED_KEYS: [&str; 16] = [
    "addr",
    "comm",
    "exe",
    "fstype",
    "label",
    "name",
    "ns",
    "ocomm",
    "options",
    "path",
    "peer",
    "peer_addr",
    "profile",
    "srcname",
    "target",
    "trans",
];

/// The record of a plain-text line: the first `apparmor="KIND"` that
/// starts a word, with the fields after it.
fn parse_text(line: &str) -> Option<Denial> {
    let bytes = line.as_bytes();
    static RECORD_START_FINDER: LazyLock<memmem::Finder<'static>> =
        LazyLock::new(|| memmem::Finder::new(RECORD_START));
    RECORD_START_FINDER.find_iter(bytes).find_map(|start| {
        let before = start.checked_sub(1).map(|i| bytes[i]);
        let in_user_message = before == Some(b'\'');
        if !(before.is_none() || in_user_message || before.is_some_and(is_separator)) {
            return None;
        }
        // The kind is checked before anything else is scanned, so a line
        // full of false starts costs one pass, not one per start.
        let (kind, fields) = split_kind(&line[start + RECORD_START.len()..])?;
        let fields = if in_user_message {
            &fields[..user_message_end(fields)]
        } else {
            fields
        };
        let mut denial = Denial::new(RecordKind::from_kernel(kind));
        for field in Fields::new(fields) {
            denial.set(field);
        }
        denial.stamp = find_stamp(&line[..start]);
        Some(denial)
    })
}

/// Splits what follows `apparmor="` into the kind, a word of letters,
/// and the rest of the record after its closing quote.
fn split_kind(text: &str) -> Option<(&str, &str)> {
    const LONGEST_KIND: usize = 32;
    let letters = text
        .bytes()
        .take(LONGEST_KIND + 1)
        .take_while(u8::is_ascii_alphabetic)
        .count();
    let rest = text[letters..].strip_prefix('"')?;
    (1..=LONGEST_KIND)
        .contains(&letters)
        .then(|| (&text[..letters], rest))
}

/// The end of a record that user space (D-Bus) quoted inside
/// `msg='...'`: the first `'` outside a double-quoted value.
fn user_message_end(record: &str) -> usize {
    let mut in_quotes = false;
    for (i, byte) in record.bytes().enumerate() {
        match byte {
            b'"' => in_quotes = !in_quotes,
            b'\'' if !in_quotes => return i,
            _ => {}
        }
    }
    record.len()
}

impl Denial {
    /// Stores one field; the first of two fields with the same key wins.
    fn set(&mut self, field: Field<'_>) {
        let text_slot = match field.key {
            "operation" => Some(&mut self.operation),
            "class" => Some(&mut self.class),
            "profile" => Some(&mut self.profile),
            "label" => Some(&mut self.label),
            "peer" => Some(&mut self.peer),
            "name" => Some(&mut self.name),
            "comm" => Some(&mut self.comm),
            "requested_mask" => Some(&mut self.requested_mask),
            "denied_mask" => Some(&mut self.denied_mask),
            "info" => Some(&mut self.info),
            "error" => Some(&mut self.error),
            _ => None,
        };
        if let Some(slot) = text_slot {
            if slot.is_none() {
                *slot = Some(field.decoded());
            }
            return;
        }
        let number_slot = match field.key {
            "pid" => Some((&mut self.pid, false)),
            "fsuid" => Some((&mut self.fsuid, true)),
            "ouid" => Some((&mut self.ouid, true)),
            _ => None,
        };
        if let Some((slot, minus_one_is_max)) = number_slot {
            if slot.is_none() {
                match parse_id(field.value, minus_one_is_max) {
                    Some(number) => *slot = Some(number),
                    None => self.keep_other(field),
                }
            }
            return;
        }
        self.keep_other(field);
    }

    fn keep_other(&mut self, field: Field<'_>) {
        if self.other.len() < MAX_OTHER_FIELDS && !self.other.contains_key(field.key) {
            self.other.insert(field.key.to_string(), field.decoded());
        }
    }
}

/// A number the kernel wrote with `%d` or `%u`; ids written with `%d` show
/// the invalid id (`(uid_t)-1`) as `-1`.
fn parse_id(value: &str, minus_one_is_max: bool) -> Option<u32> {
    if !value.bytes().all(|b| b.is_ascii_digit()) {
        return (minus_one_is_max && value == "-1").then_some(u32::MAX);
    }
    value.parse().ok()
}

/// The first `audit(SECONDS.MILLIS:SERIAL)` stamp in `prefix`.
fn find_stamp(prefix: &str) -> Option<AuditStamp> {
    const STAMP_START: &str = "audit(";
    static STAMP_START_FINDER: LazyLock<memmem::Finder<'static>> =
        LazyLock::new(|| memmem::Finder::new(STAMP_START));
    STAMP_START_FINDER
        .find_iter(prefix.as_bytes())
        .find_map(|at| parse_stamp(&prefix[at + STAMP_START.len()..]))
}

/// Parses `SECONDS.MILLIS:SERIAL)`, the kernel's `%llu.%03lu:%u)`.
fn parse_stamp(text: &str) -> Option<AuditStamp> {
    let (seconds, rest) = leading_number(text)?;
    let rest = rest.strip_prefix('.')?;
    let millis_digits = rest
        .get(..3)
        .filter(|d| d.bytes().all(|b| b.is_ascii_digit()))?;
    let rest = rest[3..].strip_prefix(':')?;
    let (serial, rest) = leading_number(rest)?;
    rest.starts_with(')').then_some(AuditStamp {
        seconds,
        millis: millis_digits.parse().ok()?,
        serial,
    })
}

/// The decimal number at the start of `text` and what follows it.
fn leading_number(text: &str) -> Option<(u64, &str)> {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let number = text[..digits].parse().ok()?;
    Some((number, &text[digits..]))
}

/// The part of a `journalctl -o json` entry that holds a record.
#[derive(serde::Deserialize)]
struct JournalEntry {
    #[serde(rename = "MESSAGE")]
    message: Option<String>,
    /// Set by journald's audit transport, which removes the stamp from
    /// the message and keeps it in these two fields.
    #[serde(rename = "_AUDIT_ID")]
    audit_id: Option<String>,
    #[serde(rename = "_SOURCE_REALTIME_TIMESTAMP")]
    source_realtime_micros: Option<String>,
}

fn parse_journal_json(line: &str) -> Option<Denial> {
    let entry: JournalEntry = serde_json::from_str(line).ok()?;
    let mut denial = parse_text(&entry.message?)?;
    if denial.stamp.is_none() {
        let serial = entry.audit_id?.parse().ok();
        let micros: Option<u64> = entry.source_realtime_micros?.parse().ok();
        denial.stamp = serial.zip(micros).map(|(serial, micros)| AuditStamp {
            seconds: micros / 1_000_000,
            millis: (micros / 1000 % 1000) as u32,
            serial,
        });
    }
    Some(denial)
}

/// One `key=value` field of a record, its value as written (without the
/// quotes, when quoted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Field<'a> {
    key: &'a str,
    value: &'a str,
    quoted: bool,
}

impl Field<'_> {
    /// The value as text: hex decoded when the kernel hex-encoded it.
    fn decoded(&self) -> String {
        if !self.quoted && HEX_ENCODED_KEYS.contains(&self.key) {
            if let Some(bytes) = decode_kernel_hex(self.value) {
                return String::from_utf8_lossy(&bytes).into_owned();
            }
        }
        self.value.to_string()
    }
}

/// The bytes of an upper-case hex string (the kernel's `audit_log_n_hex`),
/// or `None` when `text` is not one.
fn decode_kernel_hex(text: &str) -> Option<Vec<u8>> {
    fn nibble(digit: u8) -> Option<u8> {
        match digit {
            b'0'..=b'9' => Some(digit - b'0'),
            b'A'..=b'F' => Some(digit - b'A' + 10),
            _ => None,
        }
    }
    if text.is_empty() || !text.len().is_multiple_of(2) {
        return None;
    }
    text.as_bytes()
        .chunks_exact(2)
        .map(|pair| Some(nibble(pair[0])? << 4 | nibble(pair[1])?))
        .collect()
}

/// What separates fields: blanks, and the group separator (0x1d) before
/// the fields auditd adds in its enriched log format.
fn is_separator(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\r' | b'\n' | 0x1d)
}

fn is_key_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-'
}

/// The `key=value` fields of a record in order; words that are not fields
/// are skipped. A quoted value runs to the next `"` (the kernel never
/// quotes a value containing one), or to the end of an unterminated line.
struct Fields<'a> {
    text: &'a str,
    position: usize,
}

impl<'a> Fields<'a> {
    fn new(text: &'a str) -> Self {
        Fields { text, position: 0 }
    }

    fn advance_while(&mut self, keep_going: impl Fn(u8) -> bool) {
        let rest = &self.text.as_bytes()[self.position..];
        self.position += rest.iter().take_while(|&&b| keep_going(b)).count();
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = Field<'a>;

    fn next(&mut self) -> Option<Field<'a>> {
        let bytes = self.text.as_bytes();
        loop {
            self.advance_while(is_separator);
            if self.position >= bytes.len() {
                return None;
            }
            let key_start = self.position;
            self.advance_while(is_key_byte);
            let key_end = self.position;
            if key_end > key_start && bytes.get(key_end) == Some(&b'=') {
                let key = &self.text[key_start..key_end];
                let value_start = key_end + 1;
                if bytes.get(value_start) == Some(&b'"') {
                    let quoted_start = value_start + 1;
                    let quoted_end = bytes[quoted_start..]
                        .iter()
                        .position(|&b| b == b'"')
                        .map_or(bytes.len(), |i| quoted_start + i);
                    self.position = (quoted_end + 1).min(bytes.len());
                    return Some(Field {
                        key,
                        value: &self.text[quoted_start..quoted_end],
                        quoted: true,
                    });
                }
                self.position = value_start;
                self.advance_while(|b| !is_separator(b));
                return Some(Field {
                    key,
                    value: &self.text[value_start..self.position],
                    quoted: false,
                });
            }
            // Not a field: skip the rest of the word.
            self.advance_while(|b| !is_separator(b));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::{BufReader, Read};

    use super::*;

    fn fields(text: &str) -> Vec<(&str, &str, bool)> {
        Fields::new(text)
            .map(|f| (f.key, f.value, f.quoted))
            .collect()
    }

    #[test]
    fn fields_split_quoted_unquoted_and_skip_words() {
        assert_eq!(
            fields(r#"apparmor="DENIED" info="a b, c"  pid=7 kernel: x="" y= z"#),
            vec![
                ("apparmor", "DENIED", true),
                ("info", "a b, c", true),
                ("pid", "7", false),
                ("x", "", true),
                ("y", "", false),
            ]
        );
    }

    #[test]
    fn an_unterminated_quote_runs_to_the_end() {
        assert_eq!(fields(r#"a="b c"#), vec![("a", "b c", true)]);
        assert_eq!(fields(r#"a=""#), vec![("a", "", true)]);
    }

    #[test]
    fn kernel_hex_is_upper_case_pairs_only() {
        assert_eq!(decode_kernel_hex("2F62696E").as_deref(), Some(&b"/bin"[..]));
        assert_eq!(decode_kernel_hex("2f62"), None);
        assert_eq!(decode_kernel_hex("ABC"), None);
        assert_eq!(decode_kernel_hex(""), None);
        assert_eq!(decode_kernel_hex("FF00").as_deref(), Some(&[0xff, 0][..]));
    }

    #[test]
    fn only_string_fields_are_hex_decoded() {
        let denial = parse_line(
            "apparmor=\"DENIED\" pid=2412 comm=2F7573722F62696E2F6D7920617070 \
             name=\"2F62696E\" target=2F746D70 error=-13 fsuid=-1 ouid=4294967295",
        )
        .unwrap();
        assert_eq!(denial.pid, Some(2412));
        assert_eq!(denial.comm.as_deref(), Some("/usr/bin/my app"));
        assert_eq!(denial.name.as_deref(), Some("2F62696E"));
        assert_eq!(denial.other["target"], "/tmp");
        assert_eq!(denial.error.as_deref(), Some("-13"));
        assert_eq!(denial.fsuid, Some(u32::MAX));
        assert_eq!(denial.ouid, Some(u32::MAX));
    }

    #[test]
    fn stamps_need_the_kernel_form() {
        assert_eq!(
            parse_stamp("1436187162.404:77): x"),
            Some(AuditStamp {
                seconds: 1436187162,
                millis: 404,
                serial: 77
            })
        );
        assert_eq!(parse_stamp("1436187162.40:77)"), None);
        assert_eq!(parse_stamp("1436187162.404:77"), None);
        assert_eq!(parse_stamp(".404:77)"), None);
        assert_eq!(parse_stamp("99999999999999999999.404:77)"), None);
        assert_eq!(
            find_stamp("audit(x) audit(1.002:3): "),
            Some(AuditStamp {
                seconds: 1,
                millis: 2,
                serial: 3
            })
        );
    }

    #[test]
    fn the_reader_gives_back_a_grown_buffer_and_skips_long_lines() {
        let mut text = Vec::new();
        text.extend_from_slice(b"apparmor=\"DENIED\" pid=1\n");
        text.extend(std::iter::repeat_n(b'x', 300_000));
        text.extend_from_slice(b"\napparmor=\"AUDIT\" pid=2\r\nlast line");
        let mut reader = DenialReader::with_max_line_len(&text[..], 200_000);
        assert_eq!(reader.next().unwrap().unwrap().pid, Some(1));
        let second = reader.next().unwrap().unwrap();
        assert_eq!((second.kind, second.pid), (RecordKind::Audit, Some(2)));
        assert!(reader.line.capacity() <= KEPT_BUFFER_CAPACITY * 2);
        assert!(reader.next().is_none());
        assert_eq!(reader.lines_read(), 4);
        assert_eq!(reader.lines_too_long(), 1);
    }

    #[test]
    fn a_line_of_exactly_the_limit_is_read() {
        let line = b"apparmor=\"DENIED\" pid=1";
        let mut input = line.to_vec();
        input.push(b'\n');
        input.extend_from_slice(line);
        let reader = DenialReader::with_max_line_len(&input[..], line.len());
        assert_eq!(reader.map(Result::unwrap).count(), 2);
        let reader = DenialReader::with_max_line_len(&input[..], line.len() - 1);
        assert_eq!(reader.map(Result::unwrap).count(), 0);
    }

    #[test]
    fn lines_straddling_the_reader_buffer_are_carried_over() {
        let log = "noise\r\napparmor=\"DENIED\" pid=1 comm=2F62696E\r\n\napparmor=\"AUDIT\" pid=22";
        for capacity in 1..=log.len() + 1 {
            let reader = DenialReader::new(BufReader::with_capacity(capacity, log.as_bytes()));
            let found: Vec<(RecordKind, Option<u32>, Option<String>)> = reader
                .map(|d| d.map(|d| (d.kind, d.pid, d.comm)).unwrap())
                .collect();
            assert_eq!(
                found,
                [
                    (RecordKind::Denied, Some(1), Some("/bin".to_string())),
                    (RecordKind::Audit, Some(22), None)
                ],
                "buffer of {capacity} bytes"
            );
        }
        for capacity in 1..=8 {
            let input = BufReader::with_capacity(capacity, log.as_bytes());
            let mut reader = DenialReader::with_max_line_len(input, 30);
            assert_eq!(reader.by_ref().count(), 1, "buffer of {capacity} bytes");
            assert_eq!((reader.lines_read(), reader.lines_too_long()), (4, 1));
            assert!(reader.line.capacity() <= 64);
        }
    }

    #[test]
    fn a_failing_reader_ends_the_stream() {
        struct Broken;
        impl Read for Broken {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::other("disk on fire"))
            }
        }
        let mut reader = DenialReader::new(BufReader::new(Broken));
        assert!(reader.next().unwrap().is_err());
        assert!(reader.next().is_none());
    }

    #[test]
    fn kinds_serialise_lower_case() {
        let kinds = [
            RecordKind::from_kernel("DENIED"),
            RecordKind::from_kernel("allowed"),
            RecordKind::from_kernel("HINT"),
        ];
        assert_eq!(
            serde_json::to_string(&kinds).unwrap(),
            r#"["denied","allowed","hint"]"#
        );
        assert_eq!(kinds[2], RecordKind::Other("HINT".into()));
        assert_eq!(kinds[2].to_string(), "HINT");
    }
}
