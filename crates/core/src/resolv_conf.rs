//! The resolver configuration file `/etc/resolv.conf` (resolv.conf(5)):
//! a parser that keeps every line, so that what it reads renders back, and
//! the views the DNS diagnosis needs (which name servers are loopback ones).
//!
//! What is an error and what is kept: glibc ignores lines it does not
//! understand, and so does this parser, which keeps them as
//! [`ResolvConfLine::Unknown`] (an unknown directive, or a known one with no
//! argument such as a bare `nameserver`). Three things are refused with the
//! line number instead, because each means the file is not what it seems and
//! any diagnosis built on it would be wrong: a `nameserver` whose argument
//! is not an IPv4 or IPv6 address (glibc silently skips it, which is how a
//! typo turns into "DNS does not work"), a NUL byte, and a file larger than
//! [`MAX_BYTES`].

use std::fmt;
use std::io::Read;
use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;

use crate::error::{Error, non_utf8_line};

/// Largest file accepted. Real files are a few hundred bytes; a larger one
/// is not a resolver configuration.
pub const MAX_BYTES: usize = 64 * 1024;

/// The address systemd-resolved's stub listener puts in `/etc/resolv.conf`.
pub const SYSTEMD_RESOLVED_STUB: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 53));

/// Where systemd-resolved writes the file that lists its real upstream
/// servers.
pub const SYSTEMD_UPSTREAM_PATH: &str = "/run/systemd/resolve/resolv.conf";

/// What errors call the file.
const WHAT: &str = "resolv.conf";

/// One `nameserver` entry: an address, with the zone of a link-local IPv6
/// address (`fe80::1%eth0`) when there is one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Nameserver {
    /// The address.
    pub addr: IpAddr,
    /// The IPv6 zone (interface) after `%`, if any.
    pub zone: Option<String>,
}

impl Nameserver {
    /// Parses `192.0.2.1`, `2001:db8::1` or `fe80::1%eth0`.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let bad = |reason: &str| Err(Error::parse("name server", text, reason));
        let (addr_text, zone) = match text.split_once('%') {
            Some((addr, zone)) => (addr, Some(zone)),
            None => (text, None),
        };
        let Ok(addr) = addr_text.parse::<IpAddr>() else {
            return bad("is not an IPv4 or IPv6 address");
        };
        match zone {
            None => Ok(Nameserver { addr, zone: None }),
            Some("") => bad("has an empty zone after '%'"),
            Some(_) if addr.is_ipv4() => bad("has a zone, which only IPv6 addresses can have"),
            Some(zone) if zone.chars().any(char::is_whitespace) || zone.contains('\0') => {
                bad("has a zone with whitespace or NUL in it")
            }
            Some(zone) => Ok(Nameserver {
                addr,
                zone: Some(zone.to_string()),
            }),
        }
    }

    /// Whether the address is a loopback one (`127.0.0.0/8` or `::1`),
    /// which inside a container's own network namespace reaches nothing.
    pub fn is_loopback(&self) -> bool {
        self.addr.is_loopback()
    }
}

impl fmt::Display for Nameserver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.zone {
            Some(zone) => write!(f, "{}%{zone}", self.addr),
            None => write!(f, "{}", self.addr),
        }
    }
}

/// One line of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResolvConfLine {
    /// `nameserver ADDRESS`. Words after the address are ignored, as glibc
    /// does.
    Nameserver(Nameserver),
    /// `search DOMAIN...`.
    Search(Vec<String>),
    /// `domain NAME`, the obsolete single-domain form of `search`. Words
    /// after the name are ignored, as glibc does.
    Domain(String),
    /// `options OPTION...`.
    Options(Vec<String>),
    /// A comment, starting with `#` or `;`, kept whole.
    Comment(String),
    /// An empty or all-blank line.
    Blank,
    /// Any other line, trimmed: an unknown directive (`sortlist`, `lookup`)
    /// or a known one without its argument. glibc ignores these; they are
    /// kept so that the file renders back.
    Unknown(String),
}

impl ResolvConfLine {
    /// Classifies one line (without its newline); `number` counts from 1.
    /// With `skip_bad_servers`, a `nameserver` line whose address does not
    /// parse is kept as [`ResolvConfLine::Unknown`], since Docker skips
    /// it; otherwise it is an error.
    fn parse(line: &str, number: usize, skip_bad_servers: bool) -> Result<Self, Error> {
        let trimmed = line.trim();
        if trimmed.contains('\0') {
            return Err(Error::parse(
                WHAT,
                trimmed,
                format!("line {number} contains a NUL byte"),
            ));
        }
        if trimmed.is_empty() {
            return Ok(ResolvConfLine::Blank);
        }
        if trimmed.starts_with('#') || trimmed.starts_with(';') {
            return Ok(ResolvConfLine::Comment(trimmed.to_string()));
        }
        let mut words = trimmed.split_whitespace();
        let keyword = words.next().unwrap_or_default();
        let args: Vec<&str> = words.collect();
        let Some(first) = args.first() else {
            return Ok(ResolvConfLine::Unknown(trimmed.to_string()));
        };
        let owned = || args.iter().map(|s| s.to_string()).collect();
        Ok(match keyword {
            "nameserver" if skip_bad_servers && Nameserver::parse(first).is_err() => {
                ResolvConfLine::Unknown(trimmed.to_string())
            }
            "nameserver" => {
                let server = Nameserver::parse(first).map_err(|_| {
                    Error::parse(
                        WHAT,
                        trimmed,
                        format!(
                            "line {number}: nameserver {first:?} is not an IPv4 or IPv6 \
                             address (such as 192.0.2.53, 2001:db8::53 or fe80::1%eth0)"
                        ),
                    )
                })?;
                ResolvConfLine::Nameserver(server)
            }
            "search" => ResolvConfLine::Search(owned()),
            "domain" => ResolvConfLine::Domain(first.to_string()),
            "options" => ResolvConfLine::Options(owned()),
            _ => ResolvConfLine::Unknown(trimmed.to_string()),
        })
    }
}

impl fmt::Display for ResolvConfLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResolvConfLine::Nameserver(server) => write!(f, "nameserver {server}"),
            ResolvConfLine::Search(domains) => write!(f, "search {}", domains.join(" ")),
            ResolvConfLine::Domain(name) => write!(f, "domain {name}"),
            ResolvConfLine::Options(options) => write!(f, "options {}", options.join(" ")),
            ResolvConfLine::Comment(text) | ResolvConfLine::Unknown(text) => f.write_str(text),
            ResolvConfLine::Blank => Ok(()),
        }
    }
}

/// A parsed resolver configuration: every line, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResolvConf {
    /// The lines of the file.
    pub lines: Vec<ResolvConfLine>,
}

impl ResolvConf {
    /// Parses the text of a file. See the module documentation for what is
    /// refused and what is kept as unknown.
    pub fn parse(text: &str) -> Result<Self, Error> {
        Self::parse_lines(text, false)
    }

    /// Parses a file as Docker reads it: a `nameserver` line whose address
    /// does not parse is skipped (kept as
    /// [`ResolvConfLine::Unknown`]) rather than refused, and named in the
    /// second value, each as `line N: nameserver X`.
    pub fn parse_as_resolver(text: &str) -> Result<(Self, Vec<String>), Error> {
        let conf = Self::parse_lines(text, true)?;
        let skipped = conf
            .lines
            .iter()
            .enumerate()
            .filter_map(|(index, line)| match line {
                ResolvConfLine::Unknown(text)
                    if text.split_whitespace().next() == Some("nameserver") =>
                {
                    text.split_whitespace()
                        .nth(1)
                        .map(|server| format!("line {}: nameserver {server:?}", index + 1))
                }
                _ => None,
            })
            .collect();
        Ok((conf, skipped))
    }

    fn parse_lines(text: &str, skip_bad_servers: bool) -> Result<Self, Error> {
        if text.len() > MAX_BYTES {
            return Err(Error::parse(
                WHAT,
                text,
                format!(
                    "is {} bytes long, more than the {MAX_BYTES} a resolver configuration can sensibly hold",
                    text.len()
                ),
            ));
        }
        let lines = text
            .lines()
            .enumerate()
            .map(|(index, line)| ResolvConfLine::parse(line, index + 1, skip_bad_servers))
            .collect::<Result<_, _>>()?;
        Ok(ResolvConf { lines })
    }

    /// Reads and parses a file, refusing one larger than [`MAX_BYTES`]
    /// without reading all of it.
    pub fn read(path: &Path) -> Result<Self, Error> {
        let read_err = |source| Error::Read {
            what: WHAT,
            path: path.to_path_buf(),
            source,
        };
        let file = std::fs::File::open(path).map_err(read_err)?;
        let mut bytes = Vec::new();
        // One byte past the limit is enough to tell that the file is too big.
        file.take(MAX_BYTES as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(read_err)?;
        if bytes.len() > MAX_BYTES {
            return Err(Error::parse(
                WHAT,
                &path.display().to_string(),
                format!("is larger than {MAX_BYTES} bytes"),
            ));
        }
        let text = String::from_utf8(bytes).map_err(|err| {
            Error::parse(
                WHAT,
                &path.display().to_string(),
                format!("line {} is not UTF-8 text", non_utf8_line(&err)),
            )
        })?;
        Self::parse(&text)
    }

    /// The file's text: one line per entry, each ending in a newline.
    pub fn render(&self) -> String {
        self.lines.iter().map(|line| format!("{line}\n")).collect()
    }

    /// Every name server, in the order of the file.
    pub fn nameservers(&self) -> Vec<&Nameserver> {
        self.lines
            .iter()
            .filter_map(|line| match line {
                ResolvConfLine::Nameserver(server) => Some(server),
                _ => None,
            })
            .collect()
    }

    /// The loopback name servers (`127.0.0.0/8`, `::1`), such as dnsmasq's
    /// `127.0.1.1` or systemd-resolved's `127.0.0.53`.
    pub fn loopback_nameservers(&self) -> Vec<&Nameserver> {
        self.nameservers()
            .into_iter()
            .filter(|server| server.is_loopback())
            .collect()
    }

    /// The name servers that are not loopback ones: those a container in its
    /// own network namespace can reach.
    pub fn usable_nameservers(&self) -> Vec<&Nameserver> {
        self.nameservers()
            .into_iter()
            .filter(|server| !server.is_loopback())
            .collect()
    }

    /// The search list in effect: that of the last `search` or `domain`
    /// line, as glibc lets the last one win.
    pub fn search_domains(&self) -> Vec<&str> {
        self.lines
            .iter()
            .rev()
            .find_map(|line| match line {
                ResolvConfLine::Search(domains) => {
                    Some(domains.iter().map(String::as_str).collect())
                }
                ResolvConfLine::Domain(name) => Some(vec![name.as_str()]),
                _ => None,
            })
            .unwrap_or_default()
    }

    /// Every option, from all `options` lines in order.
    pub fn options(&self) -> Vec<&str> {
        self.lines
            .iter()
            .filter_map(|line| match line {
                ResolvConfLine::Options(options) => Some(options),
                _ => None,
            })
            .flatten()
            .map(String::as_str)
            .collect()
    }

    /// Whether this is systemd-resolved's stub file: its only name server is
    /// `127.0.0.53`. This is the test Docker applies before reading
    /// [`SYSTEMD_UPSTREAM_PATH`] instead (moby `libnetwork/resolvconf`,
    /// `Path()`).
    pub fn is_systemd_resolved_stub(&self) -> bool {
        matches!(
            self.nameservers().as_slice(),
            [only] if only.addr == SYSTEMD_RESOLVED_STUB && only.zone.is_none()
        )
    }
}
