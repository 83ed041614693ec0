//! `pcvmfs-probe --resolve NAME...`: resolves names the way glibc's stub
//! resolver does, in spirit, and reports every step as one JSON document
//! (`pcvmfs_core::dns_lookup::DnsVerifyReport`).
//!
//! For each name: an IP address is taken as it is; else an exact
//! (case-insensitive) entry of `/etc/hosts` wins; else the candidates
//! built from the search list and `ndots` are asked in turn (a name with at
//! least `ndots` dots as it is first, then with each search domain; fewer
//! dots: the search domains first, the name as it is last; a trailing dot:
//! only as it is), each for A then AAAA, each query to each server in turn
//! for `attempts` rounds. NOERROR and NXDOMAIN are answers; SERVFAIL,
//! REFUSED, a timeout or an error move to the next server. NXDOMAIN, no
//! address, and SERVFAIL everywhere move to the next candidate; no answer
//! at all from any server stops the lookup (glibc does the same: a timeout
//! ends the search).
//!
//! Differences from glibc, on purpose: each query gets `min(timeout, 2)`
//! seconds (glibc: 5 by default, doubling per round), so a failing check
//! takes seconds, not minutes; `attempts:0` counts as 1; A and AAAA go one
//! after the other; `LOCALDOMAIN`, `RES_OPTIONS`, the host name's domain as
//! a default search list, `rotate` and `nsswitch.conf` are not looked at.
//!
//! `--resolv-conf PATH`, `--hosts PATH` and `--port N` exist for tests only
//! (so that a test can point the probe at a server on loopback).

use std::fs::File;
use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV6, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use pcvmfs_core::dns_lookup::{
    Attempt, DNS_VERIFY_SCHEMA, DnsVerifyReport, Lookup, LookupSource, ResolverSettings,
};

use crate::dns_wire::{self, Message, TYPE_A, TYPE_AAAA};

/// glibc's `MAXNS`: name servers beyond the third are ignored.
const MAX_NAMESERVERS: usize = 3;
/// glibc's `MAXDNSRCH`: search domains beyond the sixth are ignored.
const MAX_SEARCH: usize = 6;
/// Largest `ndots`, `timeout` and `attempts` glibc takes.
const MAX_NDOTS: u32 = 15;
const MAX_TIMEOUT: u32 = 30;
const MAX_ATTEMPTS: u32 = 5;
/// The time given to each query is at most this (see the module's text).
const TIMEOUT_CAP: u32 = 2;
/// Largest file read (resolv.conf, hosts).
const MAX_FILE: u64 = 1024 * 1024;

/// A name server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    /// Its address.
    pub ip: IpAddr,
    /// The scope of a link-local IPv6 address (`%eth0`, `%2`), 0 if none.
    pub scope_id: u32,
    /// As the report shows it (`fe80::1%eth0`).
    pub text: String,
}

impl Server {
    fn socket_addr(&self, port: u16) -> SocketAddr {
        match self.ip {
            IpAddr::V6(ip) => SocketAddr::V6(SocketAddrV6::new(ip, port, 0, self.scope_id)),
            IpAddr::V4(_) => SocketAddr::new(self.ip, port),
        }
    }
}

/// What the resolver takes from `/etc/resolv.conf`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `nameserver` lines (at most three); `127.0.0.1` when there is none.
    pub servers: Vec<Server>,
    /// The last `search` or `domain` line.
    pub search: Vec<String>,
    /// `options ndots:N`.
    pub ndots: u32,
    /// `options timeout:N`, as written (capped at 30).
    pub timeout: u32,
    /// `options attempts:N` (capped at 5, at least 1).
    pub attempts: u32,
    /// `options use-vc`.
    pub use_vc: bool,
}

impl Config {
    /// The seconds given to each query.
    pub fn query_timeout(&self) -> u32 {
        self.timeout.clamp(1, TIMEOUT_CAP)
    }
}

/// Parses the text of `/etc/resolv.conf` as glibc does: unknown lines and
/// unparsable addresses are skipped, comments start with `#` or `;`.
pub fn parse_resolv_conf(text: &str) -> Config {
    let mut servers = Vec::new();
    let mut search = Vec::new();
    let mut ndots = 1;
    let mut timeout = 5;
    let mut attempts = 2;
    let mut use_vc = false;
    for line in text.lines() {
        let mut words = line
            .split_whitespace()
            .take_while(|w| !w.starts_with('#') && !w.starts_with(';'));
        match words.next() {
            Some("nameserver") => {
                if let Some(server) = words.next().and_then(parse_server) {
                    if servers.len() < MAX_NAMESERVERS {
                        servers.push(server);
                    }
                }
            }
            Some("domain") => {
                search = words.next().into_iter().filter_map(search_domain).collect();
            }
            Some("search") => {
                search = words.filter_map(search_domain).take(MAX_SEARCH).collect();
            }
            Some("options") => {
                for option in words {
                    let number = |prefix: &str| {
                        option
                            .strip_prefix(prefix)
                            .and_then(|n| n.parse::<u32>().ok())
                    };
                    if let Some(n) = number("ndots:") {
                        ndots = n.min(MAX_NDOTS);
                    } else if let Some(n) = number("timeout:") {
                        timeout = n.min(MAX_TIMEOUT);
                    } else if let Some(n) = number("attempts:") {
                        attempts = n.clamp(1, MAX_ATTEMPTS);
                    } else if option == "use-vc" || option == "usevc" {
                        use_vc = true;
                    }
                }
            }
            _ => {}
        }
    }
    if servers.is_empty() {
        servers.push(Server {
            ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
            scope_id: 0,
            text: "127.0.0.1".into(),
        });
    }
    Config {
        servers,
        search,
        ndots,
        timeout,
        attempts,
        use_vc,
    }
}

fn search_domain(word: &str) -> Option<String> {
    let domain = word.strip_suffix('.').unwrap_or(word);
    // Host-name characters only: anything else could not be matched in an
    // answer, whose odd bytes are shown escaped.
    let plain = domain
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    (!domain.is_empty() && plain && dns_wire::check_name(domain).is_ok())
        .then(|| domain.to_string())
}

fn parse_server(word: &str) -> Option<Server> {
    if let Ok(ip) = word.parse::<IpAddr>() {
        return Some(Server {
            ip,
            scope_id: 0,
            text: ip.to_string(),
        });
    }
    let (addr, zone) = word.split_once('%')?;
    let ip: std::net::Ipv6Addr = addr.parse().ok()?;
    let scope_id = match zone.parse::<u32>() {
        Ok(n) => n,
        Err(_) => {
            let name = std::ffi::CString::new(zone).ok()?;
            // SAFETY: a valid NUL-terminated string; the call only reads it.
            unsafe { libc::if_nametoindex(name.as_ptr()) }
        }
    };
    Some(Server {
        ip: IpAddr::V6(ip),
        scope_id,
        text: format!("{ip}%{zone}"),
    })
}

/// The names to ask for, in order, for `name`.
pub fn candidates(name: &str, config: &Config) -> Vec<String> {
    if let Some(absolute) = name.strip_suffix('.') {
        return vec![absolute.to_string()];
    }
    let dots = name.matches('.').count() as u32;
    let mut out = Vec::new();
    if dots >= config.ndots {
        out.push(name.to_string());
    }
    for domain in &config.search {
        out.push(format!("{name}.{domain}"));
    }
    if dots < config.ndots {
        out.push(name.to_string());
    }
    let mut unique: Vec<String> = Vec::new();
    for c in out {
        if dns_wire::check_name(&c).is_ok() && !unique.iter().any(|u| dns_wire::names_equal(u, &c))
        {
            unique.push(c);
        }
    }
    unique
}

/// The addresses `/etc/hosts` (its text) gives `name`: an exact,
/// case-insensitive match of a name or an alias; IPv4 ones first.
pub fn hosts_lookup(text: &str, name: &str) -> Vec<IpAddr> {
    let mut v4 = Vec::new();
    let mut v6 = Vec::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("");
        let mut words = line.split_whitespace();
        let Some(addr) = words.next() else { continue };
        let addr = addr.split('%').next().unwrap_or(addr);
        let Ok(ip) = addr.parse::<IpAddr>() else {
            continue;
        };
        if words.any(|w| dns_wire::names_equal(w, name)) {
            let list = if ip.is_ipv4() { &mut v4 } else { &mut v6 };
            if !list.contains(&ip) {
                list.push(ip);
            }
        }
    }
    v4.extend(v6);
    v4
}

/// Query ids: seeded from `/dev/urandom` (or the clock), then xorshift.
struct Ids(u64);

impl Ids {
    fn new() -> Ids {
        let mut seed = [0u8; 8];
        let ok = File::open("/dev/urandom")
            .and_then(|mut f| f.read_exact(&mut seed))
            .is_ok();
        let mut state = u64::from_le_bytes(seed);
        if !ok || state == 0 {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(0);
            state = (nanos ^ ((std::process::id() as u64) << 32)) | 1;
        }
        Ids(state)
    }

    fn next(&mut self) -> u16 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        (x >> 24) as u16
    }
}

/// How one exchange with one server ended.
enum Exchange {
    /// A matching answer.
    Answer(Message),
    /// A UDP answer with TC set: ask again over TCP.
    Truncated,
    /// Nothing valid in time.
    Timeout,
    /// Something else went wrong.
    Error(String),
}

fn udp_exchange(
    addr: SocketAddr,
    query: &[u8],
    id: u16,
    name: &str,
    qtype: u16,
    timeout: Duration,
) -> Exchange {
    let local: SocketAddr = match addr {
        SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        SocketAddr::V6(_) => (std::net::Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    let socket = match UdpSocket::bind(local).and_then(|s| s.connect(addr).map(|()| s)) {
        Ok(s) => s,
        Err(e) => return Exchange::Error(format!("cannot open a UDP socket to {addr}: {e}")),
    };
    if let Err(e) = socket.send(query) {
        return Exchange::Error(format!("cannot send: {e}"));
    }
    let deadline = Instant::now() + timeout;
    let mut buf = vec![0u8; 65535];
    let mut garbled: Option<String> = None;
    loop {
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return match garbled {
                Some(e) => Exchange::Error(format!("unparsable answer: {e}")),
                None => Exchange::Timeout,
            };
        }
        if let Err(e) = socket.set_read_timeout(Some(remaining)) {
            return Exchange::Error(format!("cannot set a timeout: {e}"));
        }
        let n = match socket.recv(&mut buf) {
            Ok(n) => n,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => continue,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) if e.kind() == ErrorKind::ConnectionRefused => {
                return Exchange::Error(format!("connection refused (nothing listens on {addr})"));
            }
            Err(e) => return Exchange::Error(format!("cannot receive: {e}")),
        };
        let packet = &buf[..n];
        // Answers to other queries (another id, not a response) are not
        // ours: keep waiting, as glibc does.
        let Ok(header) = dns_wire::parse_header(packet) else {
            continue;
        };
        if header.id != id || !header.qr() {
            continue;
        }
        if header.tc() {
            return Exchange::Truncated;
        }
        match dns_wire::parse_message(packet) {
            Ok(msg) if dns_wire::is_response_to(&msg, id, name, qtype) => {
                return Exchange::Answer(msg);
            }
            Ok(_) => garbled = Some("the question does not match the query".into()),
            Err(e) => garbled = Some(e.to_string()),
        }
    }
}

fn read_full(stream: &mut TcpStream, buf: &mut [u8], deadline: Instant) -> Result<(), Exchange> {
    let mut done = 0;
    while done < buf.len() {
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Err(Exchange::Timeout);
        }
        stream
            .set_read_timeout(Some(remaining))
            .map_err(|e| Exchange::Error(format!("cannot set a timeout: {e}")))?;
        match stream.read(&mut buf[done..]) {
            Ok(0) => return Err(Exchange::Error("tcp: connection closed early".into())),
            Ok(n) => done += n,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(Exchange::Error(format!("tcp: {e}"))),
        }
    }
    Ok(())
}

fn tcp_exchange(
    addr: SocketAddr,
    query: &[u8],
    id: u16,
    name: &str,
    qtype: u16,
    timeout: Duration,
) -> Exchange {
    let deadline = Instant::now() + timeout;
    let mut stream = match TcpStream::connect_timeout(&addr, timeout) {
        Ok(s) => s,
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
            return Exchange::Timeout;
        }
        Err(e) => return Exchange::Error(format!("tcp: cannot connect to {addr}: {e}")),
    };
    let mut framed = Vec::with_capacity(query.len() + 2);
    framed.extend_from_slice(&(query.len() as u16).to_be_bytes());
    framed.extend_from_slice(query);
    let remaining = deadline.saturating_duration_since(Instant::now());
    if remaining.is_zero() {
        return Exchange::Timeout;
    }
    if let Err(e) = stream
        .set_write_timeout(Some(remaining))
        .and_then(|()| stream.write_all(&framed))
    {
        return Exchange::Error(format!("tcp: cannot send: {e}"));
    }
    let mut len = [0u8; 2];
    if let Err(x) = read_full(&mut stream, &mut len, deadline) {
        return x;
    }
    let mut buf = vec![0u8; u16::from_be_bytes(len) as usize];
    if let Err(x) = read_full(&mut stream, &mut buf, deadline) {
        return x;
    }
    match dns_wire::parse_message(&buf) {
        Ok(msg) if dns_wire::is_response_to(&msg, id, name, qtype) => Exchange::Answer(msg),
        Ok(_) => Exchange::Error("tcp: the answer does not match the query".into()),
        Err(e) => Exchange::Error(format!("tcp: unparsable answer: {e}")),
    }
}

/// The resolver at work: its settings, the port, the query ids.
struct Resolver {
    config: Config,
    port: u16,
    ids: Ids,
    /// When the whole verification must end (see [`BUDGET`]).
    deadline: Instant,
}

/// The time the whole verification may take, well inside the minute
/// pcvmfs gives the probe's container: where every query times out (the
/// trap, with Google's servers blocked), names after it are reported as not
/// tried rather than the whole report being lost.
pub const BUDGET: Duration = Duration::from_secs(40);

/// How one query (one name, one type, all servers) ended.
enum QueryResult {
    /// NOERROR or NXDOMAIN from this server.
    Answer {
        server: String,
        rcode: u8,
        addrs: Vec<IpAddr>,
    },
    /// No server answered; the index of this query's first attempt.
    Failed { first_attempt: usize },
}

impl Resolver {
    /// Asks every server, round after round, until one answers.
    fn query(&mut self, name: &str, qtype: u16, attempts: &mut Vec<Attempt>) -> QueryResult {
        let first_attempt = attempts.len();
        let timeout = Duration::from_secs(self.config.query_timeout() as u64);
        for _round in 0..self.config.attempts {
            for server in self.config.servers.clone() {
                if Instant::now() >= self.deadline {
                    return QueryResult::Failed { first_attempt };
                }
                let addr = server.socket_addr(self.port);
                let id = self.ids.next();
                let query = match dns_wire::build_query(id, name, qtype) {
                    Ok(q) => q,
                    Err(_) => return QueryResult::Failed { first_attempt },
                };
                let mut record = |transport: &str, rcode: String, started: Instant| {
                    attempts.push(Attempt {
                        server: server.text.clone(),
                        query: name.to_string(),
                        qtype: dns_wire::type_name(qtype),
                        transport: transport.into(),
                        rcode,
                        ms: started.elapsed().as_millis() as u64,
                    });
                };
                let mut started = Instant::now();
                let mut transport = "udp";
                let mut outcome = if self.config.use_vc {
                    transport = "tcp";
                    tcp_exchange(addr, &query, id, name, qtype, timeout)
                } else {
                    udp_exchange(addr, &query, id, name, qtype, timeout)
                };
                if let Exchange::Truncated = outcome {
                    record("udp", "truncated".into(), started);
                    started = Instant::now();
                    transport = "tcp";
                    outcome = tcp_exchange(addr, &query, id, name, qtype, timeout);
                }
                match outcome {
                    Exchange::Answer(msg) => {
                        let rcode = msg.header.rcode();
                        record(transport, dns_wire::rcode_name(rcode), started);
                        if rcode == dns_wire::RCODE_NOERROR || rcode == dns_wire::RCODE_NXDOMAIN {
                            let (addrs, _canonical) = dns_wire::addresses_for(&msg, name, qtype);
                            return QueryResult::Answer {
                                server: server.text.clone(),
                                rcode,
                                addrs,
                            };
                        }
                    }
                    Exchange::Timeout => record(transport, "timeout".into(), started),
                    Exchange::Error(e) => record(transport, format!("error: {e}"), started),
                    Exchange::Truncated => {
                        record(transport, "error: truncated over TCP".into(), started);
                    }
                }
            }
        }
        QueryResult::Failed { first_attempt }
    }

    fn lookup(&mut self, name: &str, hosts: Option<&str>) -> Lookup {
        let mut lookup = Lookup {
            name: name.to_string(),
            ok: false,
            source: None,
            server: None,
            query: None,
            addresses: Vec::new(),
            error: None,
            attempts: Vec::new(),
        };
        if let Ok(ip) = name.parse::<IpAddr>() {
            lookup.ok = true;
            lookup.source = Some(LookupSource::Literal);
            lookup.query = Some(name.to_string());
            lookup.addresses = vec![ip.to_string()];
            return lookup;
        }
        if let Err(e) = dns_wire::check_name(name) {
            lookup.error = Some(format!("{name:?} is not a valid DNS name: {e}"));
            return lookup;
        }
        if name.is_empty() || name == "." {
            lookup.error = Some("an empty name cannot be looked up".into());
            return lookup;
        }
        let bare = name.strip_suffix('.').unwrap_or(name);
        if let Some(text) = hosts {
            let found = hosts_lookup(text, bare);
            if !found.is_empty() {
                lookup.ok = true;
                lookup.source = Some(LookupSource::Hosts);
                lookup.query = Some(bare.to_string());
                lookup.addresses = found.iter().map(IpAddr::to_string).collect();
                return lookup;
            }
        }
        let mut nxdomain: Vec<(String, String)> = Vec::new();
        let mut nodata: Vec<(String, String)> = Vec::new();
        let mut servfail: Vec<String> = Vec::new();
        let candidates = candidates(name, &self.config);
        if candidates.is_empty() {
            lookup.error = Some(format!(
                "{name:?} with any search domain is too long a name"
            ));
            return lookup;
        }
        for candidate in candidates {
            let (server, addrs4) = match self.query(&candidate, TYPE_A, &mut lookup.attempts) {
                QueryResult::Answer {
                    server,
                    rcode: dns_wire::RCODE_NXDOMAIN,
                    ..
                } => {
                    nxdomain.push((candidate, server));
                    continue;
                }
                QueryResult::Answer { server, addrs, .. } => (server, addrs),
                QueryResult::Failed { first_attempt } => {
                    let tried = &lookup.attempts[first_attempt..];
                    if !tried.is_empty() && tried.iter().all(|a| a.rcode == "SERVFAIL") {
                        servfail.push(candidate);
                        continue;
                    }
                    lookup.error = Some(self.failure(&candidate, tried));
                    return lookup;
                }
            };
            let addrs6 = match self.query(&candidate, TYPE_AAAA, &mut lookup.attempts) {
                QueryResult::Answer { addrs, .. } => addrs,
                QueryResult::Failed { .. } => Vec::new(),
            };
            let mut addrs: Vec<String> = Vec::new();
            for a in addrs4.iter().chain(&addrs6) {
                let a = a.to_string();
                if !addrs.contains(&a) {
                    addrs.push(a);
                }
            }
            if addrs.is_empty() {
                nodata.push((candidate, server));
                continue;
            }
            lookup.ok = true;
            lookup.source = Some(LookupSource::Dns);
            lookup.server = Some(server);
            lookup.query = Some(candidate);
            lookup.addresses = addrs;
            return lookup;
        }
        let mut parts = Vec::new();
        for (what, list) in [
            ("NXDOMAIN for", &nxdomain),
            ("no A or AAAA record for", &nodata),
        ] {
            let mut servers: Vec<&str> = Vec::new();
            for (_, s) in list.iter() {
                if !servers.contains(&s.as_str()) {
                    servers.push(s);
                }
            }
            for s in servers {
                let names: Vec<&str> = list
                    .iter()
                    .filter(|(_, t)| t == s)
                    .map(|(n, _)| n.as_str())
                    .collect();
                parts.push(format!("{what} {} via {s}", names.join(", ")));
            }
        }
        if !servfail.is_empty() {
            parts.push(format!(
                "every server failed (SERVFAIL) for {}",
                servfail.join(", ")
            ));
        }
        lookup.error = Some(parts.join("; "));
        lookup
    }

    /// Why no server answered a query: `server S refused`, or `no answer
    /// from any server (timeout T s each): S timeout; ...`.
    fn failure(&self, query: &str, tried: &[Attempt]) -> String {
        let mut per_server: Vec<(String, Vec<String>)> = Vec::new();
        for a in tried {
            match per_server.iter_mut().find(|(s, _)| *s == a.server) {
                Some((_, outcomes)) => {
                    if !outcomes.contains(&a.rcode) {
                        outcomes.push(a.rcode.clone());
                    }
                }
                None => per_server.push((a.server.clone(), vec![a.rcode.clone()])),
            }
        }
        let servers: Vec<&str> = per_server.iter().map(|(s, _)| s.as_str()).collect();
        let all = |rcode: &str| {
            !per_server.is_empty() && per_server.iter().all(|(_, o)| o.as_slice() == [rcode])
        };
        let plural = if servers.len() == 1 {
            "server"
        } else {
            "servers"
        };
        if all("REFUSED") {
            return format!("{plural} {} refused {query}", servers.join(", "));
        }
        let detail: Vec<String> = per_server
            .iter()
            .map(|(s, o)| format!("{s} {}", o.join(", ")))
            .collect();
        format!(
            "no answer from any server (timeout {} s each): {} (asking for {query})",
            self.config.query_timeout(),
            detail.join("; ")
        )
    }
}

/// Reads at most [`MAX_FILE`] bytes of a text file.
fn read_text(path: &Path) -> std::io::Result<String> {
    let mut bytes = Vec::new();
    File::open(path)?.take(MAX_FILE).read_to_end(&mut bytes)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// The whole verification, from the files at these paths.
pub fn verify(resolv_conf: &Path, hosts: &Path, port: u16, names: &[String]) -> DnsVerifyReport {
    let (text, error) = match read_text(resolv_conf) {
        Ok(text) => (Some(text), None),
        Err(e) => (
            None,
            Some(format!("cannot read {}: {e}", resolv_conf.display())),
        ),
    };
    let config = parse_resolv_conf(text.as_deref().unwrap_or(""));
    let hosts_text = read_text(hosts).ok();
    let resolver_settings = ResolverSettings {
        nameservers: config.servers.iter().map(|s| s.text.clone()).collect(),
        search: config.search.clone(),
        ndots: config.ndots,
        timeout_s: config.query_timeout(),
        attempts: config.attempts,
        use_vc: config.use_vc,
        port,
    };
    let mut resolver = Resolver {
        config,
        port,
        ids: Ids::new(),
        deadline: Instant::now() + BUDGET,
    };
    let lookups = names
        .iter()
        .map(|n| {
            if Instant::now() >= resolver.deadline {
                return Lookup {
                    name: n.clone(),
                    ok: false,
                    source: None,
                    server: None,
                    query: None,
                    addresses: Vec::new(),
                    error: Some(format!(
                        "not tried: the {} s the verification may take were used up by the \
                         names before it",
                        BUDGET.as_secs()
                    )),
                    attempts: Vec::new(),
                };
            }
            resolver.lookup(n, hosts_text.as_deref())
        })
        .collect();
    DnsVerifyReport {
        schema: DNS_VERIFY_SCHEMA.into(),
        resolv_conf: text,
        resolv_conf_error: error,
        hosts_file: hosts_text.is_some(),
        resolver: resolver_settings,
        lookups,
    }
}

/// The usage of this mode.
pub const USAGE: &str = "pcvmfs-probe --resolve NAME [NAME...]";

/// Runs `[--resolv-conf PATH] [--hosts PATH] [--port N] --resolve NAME...`
/// (the arguments after the program's name): prints the report; exit code
/// 0 when every name resolved, 1 when one did not, 2 for bad arguments.
pub fn main(args: &[String]) -> ExitCode {
    let mut resolv_conf = PathBuf::from("/etc/resolv.conf");
    let mut hosts = PathBuf::from("/etc/hosts");
    let mut port = 53u16;
    let mut names: Option<Vec<String>> = None;
    let mut i = 0;
    while i < args.len() {
        let value = args.get(i + 1);
        match (args[i].as_str(), value) {
            ("--resolve", _) => {
                names = Some(args[i + 1..].to_vec());
                break;
            }
            ("--resolv-conf", Some(v)) => resolv_conf = PathBuf::from(v),
            ("--hosts", Some(v)) => hosts = PathBuf::from(v),
            ("--port", Some(v)) => match v.parse::<u16>() {
                Ok(p) if p != 0 => port = p,
                _ => {
                    eprintln!("pcvmfs-probe: --port {v:?} is not a port number");
                    return ExitCode::from(2);
                }
            },
            (other, _) => {
                eprintln!("pcvmfs-probe: unexpected argument {other:?}; usage: {USAGE}");
                return ExitCode::from(2);
            }
        }
        i += 2;
    }
    let names = match names {
        Some(n) if !n.is_empty() => n,
        _ => {
            eprintln!("pcvmfs-probe: no name to resolve; usage: {USAGE}");
            return ExitCode::from(2);
        }
    };
    let report = verify(&resolv_conf, &hosts, port, &names);
    match serde_json::to_string(&report) {
        Ok(json) => println!("{json}"),
        Err(err) => {
            eprintln!("pcvmfs-probe: cannot write the report: {err}");
            return ExitCode::FAILURE;
        }
    }
    if report.all_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolv_conf_is_read_like_glibc() {
        let c = parse_resolv_conf(
            "# comment\n; other comment\nnameserver 10.0.0.2\nnameserver bogus\n\
             nameserver fe80::1%1\nnameserver 2001:db8::1 # trailing\nnameserver 10.0.0.9\n\
             domain first.example\nsearch a.example b.example. # c.example\n\
             options ndots:3 timeout:9 attempts:0 rotate use-vc\n",
        );
        let servers: Vec<&str> = c.servers.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(servers, ["10.0.0.2", "fe80::1%1", "2001:db8::1"]);
        assert_eq!(c.servers[1].scope_id, 1);
        assert_eq!(c.search, ["a.example", "b.example"]);
        assert_eq!(c.ndots, 3);
        assert_eq!(c.timeout, 9);
        assert_eq!(c.query_timeout(), 2);
        assert_eq!(c.attempts, 1);
        assert!(c.use_vc);

        let empty = parse_resolv_conf("");
        assert_eq!(empty.servers[0].text, "127.0.0.1");
        assert_eq!(
            (empty.ndots, empty.attempts, empty.query_timeout()),
            (1, 2, 2)
        );
        assert!(empty.search.is_empty());
        assert_eq!(parse_resolv_conf("options timeout:1 ndots:99").ndots, 15);
        assert_eq!(parse_resolv_conf("options timeout:1").query_timeout(), 1);
        assert_eq!(parse_resolv_conf("options timeout:0").query_timeout(), 1);
        // The last of search and domain wins.
        assert_eq!(
            parse_resolv_conf("search a.x b.x\ndomain c.x").search,
            ["c.x"]
        );
        let many = parse_resolv_conf("search a b c d e f g h");
        assert_eq!(many.search.len(), 6);
    }

    #[test]
    fn candidates_follow_ndots_and_the_search_list() {
        let c = parse_resolv_conf("search test.example other.example\n");
        assert_eq!(
            candidates("proxy", &c),
            ["proxy.test.example", "proxy.other.example", "proxy"]
        );
        assert_eq!(
            candidates("a.b", &c),
            ["a.b", "a.b.test.example", "a.b.other.example"]
        );
        assert_eq!(candidates("a.b.", &c), ["a.b"]);
        let c = parse_resolv_conf("search test.example\noptions ndots:2\n");
        assert_eq!(candidates("a.b", &c), ["a.b.test.example", "a.b"]);
        assert_eq!(candidates("a.b.c", &c), ["a.b.c", "a.b.c.test.example"]);
        // A candidate too long for the wire is dropped.
        let long = vec!["a"; 120].join(".");
        let c = parse_resolv_conf(&format!("search {}\n", vec!["b"; 20].join(".")));
        assert_eq!(candidates(&long, &c), [long.as_str()]);
    }

    #[test]
    fn hosts_entries_match_exactly_ignoring_case() {
        let hosts = "127.0.0.1 localhost\n# 10.9.9.9 proxy\n10.0.0.5 Proxy.example proxy # x\n\
                     fd00::5 proxy\n10.0.0.6 proxy-two\nbogus proxy\n10.0.0.5 proxy\n";
        let found = hosts_lookup(hosts, "PROXY");
        assert_eq!(
            found,
            [
                "10.0.0.5".parse::<IpAddr>().unwrap(),
                "fd00::5".parse().unwrap()
            ]
        );
        assert!(hosts_lookup(hosts, "prox").is_empty());
        assert_eq!(hosts_lookup(hosts, "proxy.example").len(), 1);
    }

    #[test]
    fn failures_are_told_in_words() {
        let r = Resolver {
            config: parse_resolv_conf("nameserver 10.0.0.2\nnameserver 10.0.0.3\n"),
            port: 53,
            ids: Ids::new(),
            deadline: Instant::now() + BUDGET,
        };
        let attempt = |server: &str, rcode: &str| Attempt {
            server: server.into(),
            query: "a.b".into(),
            qtype: "A".into(),
            transport: "udp".into(),
            rcode: rcode.into(),
            ms: 1,
        };
        let refused = [
            attempt("10.0.0.2", "REFUSED"),
            attempt("10.0.0.3", "REFUSED"),
        ];
        assert_eq!(
            r.failure("a.b", &refused),
            "servers 10.0.0.2, 10.0.0.3 refused a.b"
        );
        let mixed = [
            attempt("10.0.0.2", "timeout"),
            attempt("10.0.0.3", "REFUSED"),
            attempt("10.0.0.2", "timeout"),
        ];
        assert_eq!(
            r.failure("a.b", &mixed),
            "no answer from any server (timeout 2 s each): 10.0.0.2 timeout; 10.0.0.3 REFUSED \
             (asking for a.b)"
        );
    }

    #[test]
    fn past_the_budget_no_server_is_asked() {
        let mut r = Resolver {
            // Never reached: the deadline is already over.
            config: parse_resolv_conf("nameserver 127.0.0.1\n"),
            port: 9,
            ids: Ids::new(),
            deadline: Instant::now(),
        };
        let l = r.lookup("cvmfs-proxy.example.org", None);
        assert!(!l.ok);
        assert!(l.attempts.is_empty(), "{:?}", l.attempts);
    }

    #[test]
    fn literals_and_bad_names_need_no_server() {
        let mut r = Resolver {
            config: parse_resolv_conf("nameserver 127.0.0.1\n"),
            port: 53,
            ids: Ids::new(),
            deadline: Instant::now() + BUDGET,
        };
        let l = r.lookup("10.1.2.3", None);
        assert!(l.ok && l.source == Some(LookupSource::Literal) && l.attempts.is_empty());
        let l = r.lookup("a..b", None);
        assert!(!l.ok && l.attempts.is_empty(), "{l:?}");
        let l = r.lookup("", None);
        assert!(!l.ok && l.attempts.is_empty());
        let l = r.lookup("Proxy.", Some("10.0.0.5 proxy\n"));
        assert_eq!(l.source, Some(LookupSource::Hosts));
        assert_eq!(l.query.as_deref(), Some("Proxy"));
        assert_eq!(l.addresses, ["10.0.0.5"]);
    }

    #[test]
    fn ids_vary() {
        let mut ids = Ids::new();
        let a: Vec<u16> = (0..8).map(|_| ids.next()).collect();
        assert!(a.windows(2).any(|w| w[0] != w[1]));
    }
}
