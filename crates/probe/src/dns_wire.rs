//! The DNS wire format (RFC 1035), as much of it as a stub resolver and a
//! tiny authoritative test server need: building queries, parsing answers
//! (A, AAAA, CNAME, name compression), and answering queries from a fixed
//! table of names (for `pcvmfs-test-dns`).
//!
//! Everything parsed here comes from the network and is untrusted: every
//! read is bounds-checked, counts are never trusted for allocation, a name
//! is at most 255 bytes of 63-byte labels, and a compressed name follows at
//! most [`MAX_POINTERS`] pointers and never the same one twice. Parsing
//! returns a [`WireError`]; it never panics.
//!
//! This file is shared by the probe and by the test server
//! (`#[path = "../dns_wire.rs"]`), so each binary uses only part of it.
#![allow(dead_code)]

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Record type A (an IPv4 address).
pub const TYPE_A: u16 = 1;
/// Record type CNAME (an alias).
pub const TYPE_CNAME: u16 = 5;
/// Record type AAAA (an IPv6 address).
pub const TYPE_AAAA: u16 = 28;
/// Class IN.
pub const CLASS_IN: u16 = 1;

/// Answer code: no error.
pub const RCODE_NOERROR: u8 = 0;
/// Answer code: the query could not be parsed.
pub const RCODE_FORMERR: u8 = 1;
/// Answer code: the server failed.
pub const RCODE_SERVFAIL: u8 = 2;
/// Answer code: the name does not exist.
pub const RCODE_NXDOMAIN: u8 = 3;
/// Answer code: the kind of query is not implemented.
pub const RCODE_NOTIMP: u8 = 4;
/// Answer code: the server refuses to answer.
pub const RCODE_REFUSED: u8 = 5;

/// The header is 12 bytes.
pub const HEADER_LEN: usize = 12;
/// Largest name on the wire, length bytes included (RFC 1035 2.3.4).
pub const MAX_NAME_LEN: usize = 255;
/// Largest label.
pub const MAX_LABEL_LEN: usize = 63;
/// Most compression pointers followed in one name.
pub const MAX_POINTERS: usize = 32;
/// Largest UDP message without EDNS (RFC 1035 4.2.1).
pub const MAX_UDP_LEN: usize = 512;

const FLAG_QR: u16 = 0x8000;
const FLAG_AA: u16 = 0x0400;
const FLAG_TC: u16 = 0x0200;
const FLAG_RD: u16 = 0x0100;
const FLAG_RA: u16 = 0x0080;

/// What is wrong with a message or a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WireError {
    /// The message ends before what its header or a length announced.
    Truncated {
        /// Where the missing bytes were expected.
        at: usize,
    },
    /// A label is longer than 63 bytes.
    LabelTooLong {
        /// The label's length.
        len: usize,
    },
    /// A name is longer than 255 bytes.
    NameTooLong,
    /// A name has an empty label (`a..b`, or a leading dot).
    EmptyLabel,
    /// A compression pointer leads back to a pointer already followed.
    CompressionLoop {
        /// Where the pointer points.
        target: usize,
    },
    /// A name follows more than [`MAX_POINTERS`] pointers.
    TooManyPointers,
    /// A compression pointer points outside the message.
    PointerOutOfBounds {
        /// Where it points.
        target: usize,
    },
    /// A label type other than a length or a pointer (0x40, 0x80).
    BadLabelType {
        /// The length byte.
        byte: u8,
    },
    /// A record's data does not fit its type (an A record of 5 bytes).
    BadRdata {
        /// The record type.
        rtype: u16,
        /// Its data length.
        len: usize,
    },
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireError::Truncated { at } => write!(f, "message truncated at byte {at}"),
            WireError::LabelTooLong { len } => {
                write!(f, "label of {len} bytes (at most {MAX_LABEL_LEN})")
            }
            WireError::NameTooLong => write!(f, "name longer than {MAX_NAME_LEN} bytes"),
            WireError::EmptyLabel => write!(f, "name has an empty label"),
            WireError::CompressionLoop { target } => {
                write!(f, "compression loop through byte {target}")
            }
            WireError::TooManyPointers => {
                write!(
                    f,
                    "name follows more than {MAX_POINTERS} compression pointers"
                )
            }
            WireError::PointerOutOfBounds { target } => {
                write!(f, "compression pointer to byte {target}, past the end")
            }
            WireError::BadLabelType { byte } => write!(f, "unknown label type 0x{byte:02x}"),
            WireError::BadRdata { rtype, len } => {
                write!(f, "{} record with {len} bytes of data", type_name(*rtype))
            }
        }
    }
}

impl std::error::Error for WireError {}

/// The name of a record type (`A`, `AAAA`, `CNAME`, `TYPE<n>`).
pub fn type_name(rtype: u16) -> String {
    match rtype {
        TYPE_A => "A".into(),
        TYPE_CNAME => "CNAME".into(),
        TYPE_AAAA => "AAAA".into(),
        other => format!("TYPE{other}"),
    }
}

/// The name of an answer code (`NOERROR`, `NXDOMAIN`, `RCODE<n>`).
pub fn rcode_name(rcode: u8) -> String {
    match rcode {
        RCODE_NOERROR => "NOERROR".into(),
        RCODE_FORMERR => "FORMERR".into(),
        RCODE_SERVFAIL => "SERVFAIL".into(),
        RCODE_NXDOMAIN => "NXDOMAIN".into(),
        RCODE_NOTIMP => "NOTIMP".into(),
        RCODE_REFUSED => "REFUSED".into(),
        other => format!("RCODE{other}"),
    }
}

/// Whether two names are the same name: ASCII case and a trailing dot do
/// not matter.
pub fn names_equal(a: &str, b: &str) -> bool {
    a.strip_suffix('.')
        .unwrap_or(a)
        .eq_ignore_ascii_case(b.strip_suffix('.').unwrap_or(b))
}

/// The message header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// The query id.
    pub id: u16,
    /// The flags word (QR, opcode, AA, TC, RD, RA, rcode).
    pub flags: u16,
    /// Questions.
    pub qdcount: u16,
    /// Answer records.
    pub ancount: u16,
    /// Authority records.
    pub nscount: u16,
    /// Additional records.
    pub arcount: u16,
}

impl Header {
    /// Whether this is a response.
    pub fn qr(&self) -> bool {
        self.flags & FLAG_QR != 0
    }
    /// The opcode (0 is a standard query).
    pub fn opcode(&self) -> u8 {
        ((self.flags >> 11) & 0xf) as u8
    }
    /// Authoritative answer.
    pub fn aa(&self) -> bool {
        self.flags & FLAG_AA != 0
    }
    /// Truncated.
    pub fn tc(&self) -> bool {
        self.flags & FLAG_TC != 0
    }
    /// Recursion desired.
    pub fn rd(&self) -> bool {
        self.flags & FLAG_RD != 0
    }
    /// Recursion available.
    pub fn ra(&self) -> bool {
        self.flags & FLAG_RA != 0
    }
    /// The answer code.
    pub fn rcode(&self) -> u8 {
        (self.flags & 0xf) as u8
    }

    fn write(&self, out: &mut Vec<u8>) {
        for word in [
            self.id,
            self.flags,
            self.qdcount,
            self.ancount,
            self.nscount,
            self.arcount,
        ] {
            out.extend_from_slice(&word.to_be_bytes());
        }
    }
}

/// A question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    /// The name, dotted, without the trailing dot (empty for the root).
    pub name: String,
    /// The record type.
    pub qtype: u16,
    /// The class.
    pub qclass: u16,
}

/// The data of a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RData {
    /// An IPv4 address.
    A(Ipv4Addr),
    /// An IPv6 address.
    Aaaa(Ipv6Addr),
    /// The canonical name of an alias.
    Cname(String),
    /// Any other type, kept as bytes.
    Other(Vec<u8>),
}

/// A resource record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The owner name.
    pub name: String,
    /// The record type.
    pub rtype: u16,
    /// The class.
    pub class: u16,
    /// Time to live, in seconds.
    pub ttl: u32,
    /// The data.
    pub data: RData,
}

/// A parsed message: the header, the questions and the answer records
/// (authority and additional records are not needed and not parsed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The header.
    pub header: Header,
    /// The questions.
    pub questions: Vec<Question>,
    /// The answer records.
    pub answers: Vec<Record>,
}

/// A bounds-checked reader over a message.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn bytes(&mut self, n: usize) -> Result<&'a [u8], WireError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&end| end <= self.buf.len())
            .ok_or(WireError::Truncated { at: self.pos })?;
        let out = &self.buf[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    fn u16(&mut self) -> Result<u16, WireError> {
        let b = self.bytes(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Result<u32, WireError> {
        let b = self.bytes(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn name(&mut self) -> Result<String, WireError> {
        let (name, next) = read_name(self.buf, self.pos)?;
        self.pos = next;
        Ok(name)
    }
}

/// Reads the (possibly compressed) name at `start`; returns it dotted
/// (bytes that are not letters, digits, `-` or `_` escaped as `\DDD`, as
/// `dig` does) and the position just after it in the message.
pub fn read_name(buf: &[u8], start: usize) -> Result<(String, usize), WireError> {
    let mut name = String::new();
    let mut pos = start;
    // Where reading continues after the name: set at the first pointer.
    let mut next: Option<usize> = None;
    let mut followed: Vec<usize> = Vec::new();
    // Wire length so far, including the final zero byte.
    let mut wire_len = 1usize;
    loop {
        let len = *buf.get(pos).ok_or(WireError::Truncated { at: pos })?;
        match len & 0xc0 {
            0x00 => {
                if len == 0 {
                    return Ok((name, next.unwrap_or(pos + 1)));
                }
                let len = len as usize;
                wire_len += len + 1;
                if wire_len > MAX_NAME_LEN {
                    return Err(WireError::NameTooLong);
                }
                let label = buf
                    .get(pos + 1..pos + 1 + len)
                    .ok_or(WireError::Truncated { at: pos + 1 })?;
                if !name.is_empty() {
                    name.push('.');
                }
                for &b in label {
                    if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
                        name.push(b as char);
                    } else {
                        name.push_str(&format!("\\{b:03}"));
                    }
                }
                pos += 1 + len;
            }
            0xc0 => {
                let low = *buf
                    .get(pos + 1)
                    .ok_or(WireError::Truncated { at: pos + 1 })?;
                let target = (((len & 0x3f) as usize) << 8) | low as usize;
                if target >= buf.len() {
                    return Err(WireError::PointerOutOfBounds { target });
                }
                if followed.contains(&target) {
                    return Err(WireError::CompressionLoop { target });
                }
                if followed.len() >= MAX_POINTERS {
                    return Err(WireError::TooManyPointers);
                }
                followed.push(target);
                if next.is_none() {
                    next = Some(pos + 2);
                }
                pos = target;
            }
            _ => return Err(WireError::BadLabelType { byte: len }),
        }
    }
}

/// Appends `name` (dotted; a trailing dot is allowed) in wire form,
/// uncompressed.
pub fn encode_name(name: &str, out: &mut Vec<u8>) -> Result<(), WireError> {
    let name = name.strip_suffix('.').unwrap_or(name);
    let mut wire_len = 1usize;
    if !name.is_empty() {
        for label in name.split('.') {
            if label.is_empty() {
                return Err(WireError::EmptyLabel);
            }
            if label.len() > MAX_LABEL_LEN {
                return Err(WireError::LabelTooLong { len: label.len() });
            }
            wire_len += label.len() + 1;
            if wire_len > MAX_NAME_LEN {
                return Err(WireError::NameTooLong);
            }
        }
        for label in name.split('.') {
            out.push(label.len() as u8);
            out.extend_from_slice(label.as_bytes());
        }
    }
    out.push(0);
    Ok(())
}

/// Checks that `name` can be sent as a query name.
pub fn check_name(name: &str) -> Result<(), WireError> {
    encode_name(name, &mut Vec::new())
}

/// A standard query for `name` and `qtype`, class IN, recursion desired.
pub fn build_query(id: u16, name: &str, qtype: u16) -> Result<Vec<u8>, WireError> {
    let mut out = Vec::with_capacity(HEADER_LEN + name.len() + 6);
    Header {
        id,
        flags: FLAG_RD,
        qdcount: 1,
        ancount: 0,
        nscount: 0,
        arcount: 0,
    }
    .write(&mut out);
    encode_name(name, &mut out)?;
    out.extend_from_slice(&qtype.to_be_bytes());
    out.extend_from_slice(&CLASS_IN.to_be_bytes());
    Ok(out)
}

/// Reads the header alone.
pub fn parse_header(buf: &[u8]) -> Result<Header, WireError> {
    let mut r = Reader { buf, pos: 0 };
    Ok(Header {
        id: r.u16()?,
        flags: r.u16()?,
        qdcount: r.u16()?,
        ancount: r.u16()?,
        nscount: r.u16()?,
        arcount: r.u16()?,
    })
}

/// Parses the header, the questions and the answer records.
pub fn parse_message(buf: &[u8]) -> Result<Message, WireError> {
    let header = parse_header(buf)?;
    let mut r = Reader {
        buf,
        pos: HEADER_LEN,
    };
    // The counts are untrusted: grow as records actually parse.
    let mut questions = Vec::new();
    for _ in 0..header.qdcount {
        let name = r.name()?;
        let qtype = r.u16()?;
        let qclass = r.u16()?;
        questions.push(Question {
            name,
            qtype,
            qclass,
        });
    }
    let mut answers = Vec::new();
    for _ in 0..header.ancount {
        let name = r.name()?;
        let rtype = r.u16()?;
        let class = r.u16()?;
        let ttl = r.u32()?;
        let rdlen = r.u16()? as usize;
        let rdata_start = r.pos;
        let rdata = r.bytes(rdlen)?;
        let data = match rtype {
            TYPE_A => match <[u8; 4]>::try_from(rdata) {
                Ok(b) => RData::A(Ipv4Addr::from(b)),
                Err(_) => return Err(WireError::BadRdata { rtype, len: rdlen }),
            },
            TYPE_AAAA => match <[u8; 16]>::try_from(rdata) {
                Ok(b) => RData::Aaaa(Ipv6Addr::from(b)),
                Err(_) => return Err(WireError::BadRdata { rtype, len: rdlen }),
            },
            TYPE_CNAME => {
                // The target may point anywhere before, but must end
                // exactly where the data ends.
                let (target, end) = read_name(buf, rdata_start)?;
                if end != r.pos {
                    return Err(WireError::BadRdata { rtype, len: rdlen });
                }
                RData::Cname(target)
            }
            _ => RData::Other(rdata.to_vec()),
        };
        answers.push(Record {
            name,
            rtype,
            class,
            ttl,
            data,
        });
    }
    Ok(Message {
        header,
        questions,
        answers,
    })
}

/// Whether `msg` is the response to the query `id` for `name`/`qtype`: a
/// response, standard opcode, same id, and (unless it carries no question,
/// which some servers do with an error code) the same single question.
pub fn is_response_to(msg: &Message, id: u16, name: &str, qtype: u16) -> bool {
    if !msg.header.qr() || msg.header.opcode() != 0 || msg.header.id != id {
        return false;
    }
    match msg.questions.as_slice() {
        [] => msg.header.rcode() != RCODE_NOERROR,
        [q] => q.qtype == qtype && q.qclass == CLASS_IN && names_equal(&q.name, name),
        _ => false,
    }
}

/// The addresses of type `qtype` that `msg` gives for `name`, following
/// the CNAME chain in the answer section (at most 16 links; a loop ends
/// it). Returns the addresses and the canonical name reached.
pub fn addresses_for(msg: &Message, name: &str, qtype: u16) -> (Vec<IpAddr>, String) {
    let mut current = name.strip_suffix('.').unwrap_or(name).to_string();
    let mut seen: Vec<String> = Vec::new();
    for _ in 0..16 {
        let addrs: Vec<IpAddr> = msg
            .answers
            .iter()
            .filter(|r| r.class == CLASS_IN && r.rtype == qtype && names_equal(&r.name, &current))
            .filter_map(|r| match r.data {
                RData::A(a) => Some(IpAddr::V4(a)),
                RData::Aaaa(a) => Some(IpAddr::V6(a)),
                _ => None,
            })
            .collect();
        if !addrs.is_empty() {
            return (addrs, current);
        }
        let alias = msg.answers.iter().find_map(|r| match &r.data {
            RData::Cname(target) if r.class == CLASS_IN && names_equal(&r.name, &current) => {
                Some(target.clone())
            }
            _ => None,
        });
        match alias {
            Some(target) if !seen.iter().any(|s| names_equal(s, &target)) => {
                seen.push(current);
                current = target;
            }
            _ => break,
        }
    }
    (Vec::new(), current)
}

/// The names a test server answers for, each with its addresses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Zone {
    entries: Vec<(String, IpAddr)>,
}

impl Zone {
    /// Adds `name` (a trailing dot and ASCII case do not matter) with one
    /// address; a name may be added several times.
    pub fn add(&mut self, name: &str, addr: IpAddr) -> Result<(), WireError> {
        check_name(name)?;
        let name = name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase();
        self.entries.push((name, addr));
        Ok(())
    }

    /// Parses `NAME=ADDRESS`.
    pub fn add_spec(&mut self, spec: &str) -> Result<(), String> {
        let (name, addr) = spec
            .split_once('=')
            .ok_or_else(|| format!("{spec:?} is not NAME=ADDRESS"))?;
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| format!("{addr:?} in {spec:?} is not an IPv4 or IPv6 address"))?;
        self.add(name, addr)
            .map_err(|e| format!("{name:?} in {spec:?} is not a DNS name: {e}"))
    }

    fn has(&self, name: &str) -> bool {
        self.entries.iter().any(|(n, _)| names_equal(n, name))
    }

    fn lookup(&self, name: &str, qtype: u16) -> Vec<IpAddr> {
        self.entries
            .iter()
            .filter(|(n, _)| names_equal(n, name))
            .map(|(_, a)| *a)
            .filter(|a| match a {
                IpAddr::V4(_) => qtype == TYPE_A,
                IpAddr::V6(_) => qtype == TYPE_AAAA,
            })
            .collect()
    }
}

/// A test server's answer and a one-line summary for its log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Served {
    /// The response to send.
    pub response: Vec<u8>,
    /// `A cvmfs-proxy.example.org -> NOERROR, 1 answer`.
    pub summary: String,
}

/// TTL of the test server's answers.
pub const TEST_TTL: u32 = 5;

/// Answers `query` authoritatively from `zone`: the zone's addresses with
/// AA set, NOERROR without answers for a known name and another type,
/// NXDOMAIN for any other name, NOTIMP for an opcode other than QUERY,
/// FORMERR for a query that does not parse, REFUSED for a class other than
/// IN. Never recursion (RA is clear). `None` for what gets no answer at all:
/// fewer than 12 bytes, or a response. Over UDP (`udp`), an answer longer
/// than 512 bytes is sent without its records and with TC set.
pub fn serve(query: &[u8], zone: &Zone, udp: bool) -> Option<Served> {
    let header = parse_header(query).ok()?;
    if header.qr() {
        return None;
    }
    // Keep the opcode and RD of the query; QR and AA set; RA clear.
    let base = FLAG_QR | (header.flags & (0x7800 | FLAG_RD));
    let bare = |rcode: u8, summary: String| {
        let mut out = Vec::with_capacity(HEADER_LEN);
        Header {
            id: header.id,
            flags: base | rcode as u16,
            qdcount: 0,
            ancount: 0,
            nscount: 0,
            arcount: 0,
        }
        .write(&mut out);
        Some(Served {
            response: out,
            summary,
        })
    };
    if header.opcode() != 0 {
        return bare(
            RCODE_NOTIMP,
            format!("opcode {} -> NOTIMP", header.opcode()),
        );
    }
    let msg = match parse_message(query) {
        Ok(msg) if msg.questions.len() == 1 && header.ancount == 0 => msg,
        Ok(_) => return bare(RCODE_FORMERR, "not one question -> FORMERR".into()),
        Err(e) => return bare(RCODE_FORMERR, format!("unparsable ({e}) -> FORMERR")),
    };
    let q = &msg.questions[0];
    let (rcode, addrs) = if q.qclass != CLASS_IN {
        (RCODE_REFUSED, Vec::new())
    } else if zone.has(&q.name) {
        (RCODE_NOERROR, zone.lookup(&q.name, q.qtype))
    } else {
        (RCODE_NXDOMAIN, Vec::new())
    };
    let write = |answers: &[IpAddr], tc: bool| -> Option<Vec<u8>> {
        let mut out = Vec::new();
        Header {
            id: header.id,
            flags: base | FLAG_AA | if tc { FLAG_TC } else { 0 } | rcode as u16,
            qdcount: 1,
            ancount: answers.len() as u16,
            nscount: 0,
            arcount: 0,
        }
        .write(&mut out);
        encode_name(&q.name, &mut out).ok()?;
        out.extend_from_slice(&q.qtype.to_be_bytes());
        out.extend_from_slice(&q.qclass.to_be_bytes());
        for addr in answers {
            // The owner is the question's name: a pointer to byte 12.
            out.extend_from_slice(&[0xc0, HEADER_LEN as u8]);
            let (rtype, data): (u16, Vec<u8>) = match addr {
                IpAddr::V4(a) => (TYPE_A, a.octets().to_vec()),
                IpAddr::V6(a) => (TYPE_AAAA, a.octets().to_vec()),
            };
            out.extend_from_slice(&rtype.to_be_bytes());
            out.extend_from_slice(&CLASS_IN.to_be_bytes());
            out.extend_from_slice(&TEST_TTL.to_be_bytes());
            out.extend_from_slice(&(data.len() as u16).to_be_bytes());
            out.extend_from_slice(&data);
        }
        Some(out)
    };
    let addrs = &addrs[..addrs.len().min(u16::MAX as usize)];
    // A question name that cannot be written back (its labels hold bytes
    // shown escaped) gets FORMERR rather than silence.
    let Some(mut response) = write(addrs, false) else {
        return bare(
            RCODE_FORMERR,
            "a question name that cannot be echoed -> FORMERR".into(),
        );
    };
    let mut truncated = false;
    if udp && response.len() > MAX_UDP_LEN {
        response = write(&[], true)?;
        truncated = true;
    }
    let what = if q.qclass == CLASS_IN {
        type_name(q.qtype)
    } else {
        format!("{} CLASS{}", type_name(q.qtype), q.qclass)
    };
    let summary = format!(
        "{what} {} -> {}, {} answer{}{}",
        q.name,
        rcode_name(rcode),
        addrs.len(),
        if addrs.len() == 1 { "" } else { "s" },
        if truncated { " (truncated, TC)" } else { "" }
    );
    Some(Served { response, summary })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A response header (QR, RD, RA) with these counts.
    fn header(id: u16, rcode: u8, qd: u16, an: u16) -> Vec<u8> {
        let mut out = Vec::new();
        Header {
            id,
            flags: FLAG_QR | FLAG_RD | FLAG_RA | rcode as u16,
            qdcount: qd,
            ancount: an,
            nscount: 0,
            arcount: 0,
        }
        .write(&mut out);
        out
    }

    fn question(out: &mut Vec<u8>, name: &str, qtype: u16) {
        encode_name(name, out).unwrap();
        out.extend_from_slice(&qtype.to_be_bytes());
        out.extend_from_slice(&CLASS_IN.to_be_bytes());
    }

    fn record(out: &mut Vec<u8>, owner: &[u8], rtype: u16, data: &[u8]) {
        out.extend_from_slice(owner);
        out.extend_from_slice(&rtype.to_be_bytes());
        out.extend_from_slice(&CLASS_IN.to_be_bytes());
        out.extend_from_slice(&300u32.to_be_bytes());
        out.extend_from_slice(&(data.len() as u16).to_be_bytes());
        out.extend_from_slice(data);
    }

    #[test]
    fn queries_round_trip() {
        let q = build_query(0x1234, "cvmfs-proxy.Example.org.", TYPE_AAAA).unwrap();
        let msg = parse_message(&q).unwrap();
        assert_eq!(msg.header.id, 0x1234);
        assert!(msg.header.rd() && !msg.header.qr() && !msg.header.tc());
        assert_eq!(msg.header.opcode(), 0);
        assert_eq!(
            msg.questions,
            [Question {
                name: "cvmfs-proxy.Example.org".into(),
                qtype: TYPE_AAAA,
                qclass: CLASS_IN
            }]
        );
        assert!(msg.answers.is_empty());
    }

    #[test]
    fn names_are_checked_when_encoded() {
        assert_eq!(check_name("a..b"), Err(WireError::EmptyLabel));
        assert_eq!(check_name(".a"), Err(WireError::EmptyLabel));
        let long = "a".repeat(64);
        assert_eq!(check_name(&long), Err(WireError::LabelTooLong { len: 64 }));
        assert!(check_name(&"a".repeat(63)).is_ok());
        // 127 labels of 1 byte: 254 bytes with the root; 128: too long.
        assert!(check_name(&vec!["a"; 127].join(".")).is_ok());
        assert_eq!(
            check_name(&vec!["a"; 128].join(".")),
            Err(WireError::NameTooLong)
        );
        assert!(check_name("").is_ok());
    }

    #[test]
    fn answers_with_compression_and_cname_chains_parse() {
        // www.example.org CNAME web.example.org (compressed suffix),
        // web.example.org A 10.0.0.7 and A 10.0.0.8.
        let mut m = header(7, 0, 1, 3);
        question(&mut m, "www.example.org", TYPE_A);
        let mut cname = vec![3];
        cname.extend_from_slice(b"web");
        cname.extend_from_slice(&[0xc0, 16]); // -> "example.org" in the question
        record(&mut m, &[0xc0, 12], TYPE_CNAME, &cname);
        let web = (m.len() - cname.len()) as u8;
        record(&mut m, &[0xc0, web], TYPE_A, &[10, 0, 0, 7]);
        record(&mut m, &[0xc0, web], TYPE_A, &[10, 0, 0, 8]);
        let msg = parse_message(&m).unwrap();
        assert!(is_response_to(&msg, 7, "WWW.example.org.", TYPE_A));
        assert!(!is_response_to(&msg, 8, "www.example.org", TYPE_A));
        assert!(!is_response_to(&msg, 7, "www.example.org", TYPE_AAAA));
        assert!(!is_response_to(&msg, 7, "ww.example.org", TYPE_A));
        assert_eq!(msg.answers[0].data, RData::Cname("web.example.org".into()));
        let (addrs, canonical) = addresses_for(&msg, "www.example.org", TYPE_A);
        assert_eq!(canonical, "web.example.org");
        assert_eq!(
            addrs,
            [
                IpAddr::V4(Ipv4Addr::new(10, 0, 0, 7)),
                IpAddr::V4(Ipv4Addr::new(10, 0, 0, 8))
            ]
        );
    }

    #[test]
    fn cname_loops_in_answers_end() {
        let mut m = header(1, 0, 1, 2);
        question(&mut m, "a.x", TYPE_A);
        let mut b = Vec::new();
        encode_name("b.x", &mut b).unwrap();
        let mut a = Vec::new();
        encode_name("a.x", &mut a).unwrap();
        record(&mut m, &[0xc0, 12], TYPE_CNAME, &b);
        record(&mut m, &b, TYPE_CNAME, &a);
        let msg = parse_message(&m).unwrap();
        let (addrs, _) = addresses_for(&msg, "a.x", TYPE_A);
        assert!(addrs.is_empty());
    }

    #[test]
    fn hostile_messages_are_refused() {
        // Shorter than a header.
        assert_eq!(
            parse_message(&[0, 1, 0x81]),
            Err(WireError::Truncated { at: 2 })
        );
        // A header announcing 65535 answers and nothing after it.
        let m = header(1, 0, 0, u16::MAX);
        assert!(matches!(
            parse_message(&m),
            Err(WireError::Truncated { .. })
        ));
        // Huge question count.
        let m = header(1, 0, u16::MAX, u16::MAX);
        assert!(parse_message(&m).is_err());
        // A question cut in the middle of its name.
        let mut m = header(1, 0, 1, 0);
        m.extend_from_slice(&[5, b'a', b'b']);
        assert!(matches!(
            parse_message(&m),
            Err(WireError::Truncated { .. })
        ));
        // A pointer to itself.
        let mut m = header(1, 0, 1, 0);
        m.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1]);
        assert_eq!(
            parse_message(&m),
            Err(WireError::CompressionLoop { target: 12 })
        );
        // Two pointers to each other.
        let mut m = header(1, 0, 1, 0);
        m.extend_from_slice(&[1, b'a', 0xc0, 16, 0xc0, 12]);
        assert!(matches!(
            parse_message(&m),
            Err(WireError::CompressionLoop { .. })
        ));
        // A pointer past the end.
        let mut m = header(1, 0, 1, 0);
        m.extend_from_slice(&[0xc1, 0x00, 0, 1, 0, 1]);
        assert_eq!(
            parse_message(&m),
            Err(WireError::PointerOutOfBounds { target: 256 })
        );
        // A pointer cut after its first byte.
        let mut m = header(1, 0, 1, 0);
        m.push(0xc0);
        assert!(matches!(
            parse_message(&m),
            Err(WireError::Truncated { .. })
        ));
        // Label types 0x40 and 0x80.
        for byte in [0x41, 0x80] {
            let mut m = header(1, 0, 1, 0);
            m.extend_from_slice(&[byte, 0, 0, 1, 0, 1]);
            assert_eq!(parse_message(&m), Err(WireError::BadLabelType { byte }));
        }
        // A name longer than 255 bytes, in 63-byte labels.
        let mut m = header(1, 0, 1, 0);
        for _ in 0..5 {
            m.push(63);
            m.extend_from_slice(&[b'a'; 63]);
        }
        m.extend_from_slice(&[0, 0, 1, 0, 1]);
        assert_eq!(parse_message(&m), Err(WireError::NameTooLong));
        // A long name built from a chain of pointers, each adding a label.
        let mut m = header(1, 0, 0, 0);
        m.extend_from_slice(&[1, b'a', 0]);
        for i in 0..200usize {
            let prev = 12 + if i == 0 { 0 } else { 3 + (i - 1) * 4 };
            m.extend_from_slice(&[1, b'a', 0xc0 | (prev >> 8) as u8, prev as u8]);
        }
        let last = m.len() - 4;
        assert!(matches!(
            read_name(&m, last),
            Err(WireError::TooManyPointers | WireError::NameTooLong)
        ));
        // An A record of 5 bytes, and a record cut short of its length.
        let mut m = header(1, 0, 1, 1);
        question(&mut m, "a.x", TYPE_A);
        record(&mut m, &[0xc0, 12], TYPE_A, &[1, 2, 3, 4, 5]);
        assert_eq!(
            parse_message(&m),
            Err(WireError::BadRdata {
                rtype: TYPE_A,
                len: 5
            })
        );
        let mut m = header(1, 0, 1, 1);
        question(&mut m, "a.x", TYPE_A);
        record(&mut m, &[0xc0, 12], TYPE_A, &[1, 2, 3, 4]);
        m.truncate(m.len() - 2);
        assert!(matches!(
            parse_message(&m),
            Err(WireError::Truncated { .. })
        ));
        // A CNAME whose name runs past its data length.
        let mut m = header(1, 0, 1, 1);
        question(&mut m, "a.x", TYPE_A);
        let mut target = Vec::new();
        encode_name("b.x", &mut target).unwrap();
        m.extend_from_slice(&[0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 1, 0, 2]);
        m.extend_from_slice(&target);
        assert!(matches!(parse_message(&m), Err(WireError::BadRdata { .. })));
        // A label of 64 bytes cannot even be written (0x40 is a label type).
        let mut m = header(1, 0, 1, 0);
        m.push(64);
        m.extend_from_slice(&[b'a'; 64]);
        m.extend_from_slice(&[0, 0, 1, 0, 1]);
        assert_eq!(parse_message(&m), Err(WireError::BadLabelType { byte: 64 }));
    }

    #[test]
    fn odd_bytes_in_labels_are_escaped() {
        let mut m = vec![3, b'a', b'.', 0xff, 0];
        m.insert(0, 0); // the name starts at 1
        let (name, next) = read_name(&m, 1).unwrap();
        assert_eq!(name, "a\\046\\255");
        assert_eq!(next, m.len());
    }

    fn zone() -> Zone {
        let mut z = Zone::default();
        z.add_spec("cvmfs-proxy.test.example=10.1.2.3").unwrap();
        z.add_spec("cvmfs-proxy.test.example.=fd00::3").unwrap();
        z
    }

    #[test]
    fn the_test_server_answers_its_names_only() {
        let z = zone();
        let q = build_query(9, "CVMFS-proxy.test.example", TYPE_A).unwrap();
        let s = serve(&q, &z, true).unwrap();
        let msg = parse_message(&s.response).unwrap();
        assert!(is_response_to(&msg, 9, "cvmfs-proxy.test.example", TYPE_A));
        assert!(msg.header.aa() && !msg.header.ra() && msg.header.rd());
        assert_eq!(msg.header.rcode(), RCODE_NOERROR);
        assert_eq!(msg.answers.len(), 1);
        assert_eq!(msg.answers[0].ttl, TEST_TTL);
        assert_eq!(msg.answers[0].data, RData::A(Ipv4Addr::new(10, 1, 2, 3)));
        assert!(s.summary.contains("NOERROR, 1 answer"), "{}", s.summary);

        let q = build_query(10, "cvmfs-proxy.test.example", TYPE_AAAA).unwrap();
        let msg = parse_message(&serve(&q, &z, true).unwrap().response).unwrap();
        let (addrs, _) = addresses_for(&msg, "cvmfs-proxy.test.example", TYPE_AAAA);
        assert_eq!(addrs, ["fd00::3".parse::<IpAddr>().unwrap()]);

        let q = build_query(11, "cvmfs-proxy.test.example", 16).unwrap();
        let msg = parse_message(&serve(&q, &z, true).unwrap().response).unwrap();
        assert_eq!(msg.header.rcode(), RCODE_NOERROR);
        assert!(msg.answers.is_empty());

        let q = build_query(12, "other.test.example", TYPE_A).unwrap();
        let msg = parse_message(&serve(&q, &z, true).unwrap().response).unwrap();
        assert_eq!(msg.header.rcode(), RCODE_NXDOMAIN);
        assert!(msg.header.aa());

        // Another opcode, garbage, a response, a runt.
        let mut q = build_query(13, "x", TYPE_A).unwrap();
        q[2] |= 2 << 3; // opcode STATUS
        let msg = parse_message(&serve(&q, &z, true).unwrap().response).unwrap();
        assert_eq!(msg.header.rcode(), RCODE_NOTIMP);
        let mut q = build_query(14, "x", TYPE_A).unwrap();
        q.truncate(14);
        let msg = parse_message(&serve(&q, &z, true).unwrap().response).unwrap();
        assert_eq!(msg.header.rcode(), RCODE_FORMERR);
        assert_eq!(msg.header.id, 14);
        let mut q = build_query(15, "x", TYPE_A).unwrap();
        q[2] |= 0x80;
        assert!(serve(&q, &z, true).is_none());
        assert!(serve(&[1, 2, 3], &z, true).is_none());
    }

    #[test]
    fn big_answers_are_truncated_over_udp_only() {
        let mut z = Zone::default();
        for i in 0..40 {
            z.add_spec(&format!("big.test=10.0.0.{i}")).unwrap();
        }
        let q = build_query(1, "big.test", TYPE_A).unwrap();
        let udp = serve(&q, &z, true).unwrap().response;
        assert!(udp.len() <= MAX_UDP_LEN);
        let msg = parse_message(&udp).unwrap();
        assert!(msg.header.tc());
        assert!(msg.answers.is_empty());
        let tcp = serve(&q, &z, false).unwrap().response;
        let msg = parse_message(&tcp).unwrap();
        assert!(!msg.header.tc());
        assert_eq!(msg.answers.len(), 40);
    }

    #[test]
    fn zone_specs_are_checked() {
        let mut z = Zone::default();
        assert!(z.add_spec("no-equals").is_err());
        assert!(z.add_spec("a=not-an-ip").is_err());
        assert!(z.add_spec("a..b=1.2.3.4").is_err());
        assert!(z.add_spec("host=fe80::1").is_ok());
    }

    proptest::proptest! {
        #[test]
        fn parsing_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600)) {
            let _ = parse_message(&bytes);
            for start in 0..bytes.len().min(40) {
                let _ = read_name(&bytes, start);
            }
            if let Ok(msg) = parse_message(&bytes) {
                let _ = addresses_for(&msg, "a.b", TYPE_A);
            }
            let _ = serve(&bytes, &zone(), true);
        }

        #[test]
        fn parsing_mutated_answers_never_panics(
            flips in proptest::collection::vec((0usize..200, proptest::prelude::any::<u8>()), 1..8),
            cut in 0usize..200,
        ) {
            let z = zone();
            let q = build_query(3, "cvmfs-proxy.test.example", TYPE_A).unwrap();
            let mut bytes = serve(&q, &z, false).unwrap().response;
            for (at, b) in flips {
                if let Some(slot) = bytes.get_mut(at) {
                    *slot = b;
                }
            }
            bytes.truncate(cut.max(1));
            if let Ok(msg) = parse_message(&bytes) {
                let _ = addresses_for(&msg, "cvmfs-proxy.test.example", TYPE_A);
            }
        }
    }
}
