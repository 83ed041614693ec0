//! `pcvmfs-probe --resolve` against `pcvmfs-test-dns`, both as built.
//!
//! Every query goes to 127.0.0.1 only: each probe run gets a resolv.conf
//! naming `nameserver 127.0.0.1` and the server's ephemeral `--port`, and a
//! hosts file of its own.

use std::io::{BufRead, BufReader, Write};
use std::net::UdpSocket;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pcvmfs_core::dns_lookup::{DnsVerifyReport, LookupSource};

const PROBE: &str = env!("CARGO_BIN_EXE_pcvmfs-probe");
const SERVER: &str = env!("CARGO_BIN_EXE_pcvmfs-test-dns");

/// A running test server; killed when dropped.
struct Server {
    child: Child,
    port: u16,
    log: Arc<Mutex<Vec<String>>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server(specs: &[&str]) -> Server {
    let mut child = Command::new(SERVER)
        .args(["--listen", "127.0.0.1:0", "--log"])
        .args(specs)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start pcvmfs-test-dns");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let ready = lines
        .next()
        .expect("a ready line")
        .expect("readable stderr");
    let port = ready
        .strip_prefix("ready 127.0.0.1:")
        .and_then(|p| p.parse::<u16>().ok())
        .unwrap_or_else(|| panic!("unexpected first line {ready:?}"));
    let log = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&log);
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            sink.lock().unwrap().push(line);
        }
    });
    Server { child, port, log }
}

/// Runs the probe with this resolv.conf and hosts file; returns its exit
/// code, its report and how long it took.
fn probe(
    resolv_conf: &str,
    hosts: &str,
    port: u16,
    names: &[&str],
) -> (i32, DnsVerifyReport, Duration) {
    assert!(
        resolv_conf
            .lines()
            .filter(|l| l.starts_with("nameserver"))
            .all(|l| l.trim() == "nameserver 127.0.0.1"),
        "tests must only ever query loopback"
    );
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("resolv.conf");
    std::fs::File::create(&conf)
        .unwrap()
        .write_all(resolv_conf.as_bytes())
        .unwrap();
    let hosts_path = dir.path().join("hosts");
    std::fs::write(&hosts_path, hosts).unwrap();
    let started = Instant::now();
    let out = Command::new(PROBE)
        .arg("--resolv-conf")
        .arg(&conf)
        .arg("--hosts")
        .arg(&hosts_path)
        .args(["--port", &port.to_string(), "--resolve"])
        .args(names)
        .output()
        .expect("run pcvmfs-probe");
    let took = started.elapsed();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let report = DnsVerifyReport::from_json(stdout.trim())
        .unwrap_or_else(|e| panic!("{e}: {stdout}\n{}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap_or(-1), report, took)
}

const CONF: &str = "nameserver 127.0.0.1\nsearch test.example\n";

#[test]
fn a_short_name_resolves_through_the_search_list_and_an_unknown_one_is_nxdomain() {
    let server = start_server(&["cvmfs-proxy.test.example=10.1.2.3"]);
    let (code, report, _) = probe(CONF, "", server.port, &["cvmfs-proxy", "nosuch.name"]);
    assert_eq!(code, 1, "one name fails");
    assert_eq!(report.resolv_conf.as_deref(), Some(CONF));
    assert!(report.resolv_conf_error.is_none());
    assert!(report.hosts_file);
    assert_eq!(report.resolver.search, ["test.example"]);
    assert_eq!(report.resolver.port, server.port);

    let ok = &report.lookups[0];
    assert!(ok.ok, "{ok:?}");
    assert_eq!(ok.source, Some(LookupSource::Dns));
    assert_eq!(ok.server.as_deref(), Some("127.0.0.1"));
    assert_eq!(ok.query.as_deref(), Some("cvmfs-proxy.test.example"));
    assert_eq!(ok.addresses, ["10.1.2.3"]);
    assert!(ok.error.is_none());
    let kinds: Vec<(&str, &str, &str)> = ok
        .attempts
        .iter()
        .map(|a| (a.query.as_str(), a.qtype.as_str(), a.rcode.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("cvmfs-proxy.test.example", "A", "NOERROR"),
            ("cvmfs-proxy.test.example", "AAAA", "NOERROR")
        ]
    );

    let bad = &report.lookups[1];
    assert!(!bad.ok);
    assert!(bad.source.is_none() && bad.addresses.is_empty());
    assert_eq!(
        bad.error.as_deref(),
        Some("NXDOMAIN for nosuch.name, nosuch.name.test.example via 127.0.0.1")
    );
    // One dot and ndots 1: as it is first, then with the search domain.
    let asked: Vec<&str> = bad.attempts.iter().map(|a| a.query.as_str()).collect();
    assert_eq!(asked, ["nosuch.name", "nosuch.name.test.example"]);
    assert!(bad.attempts.iter().all(|a| a.rcode == "NXDOMAIN"));

    let log = server.log.lock().unwrap().join("\n");
    assert!(
        log.contains("A cvmfs-proxy.test.example -> NOERROR, 1 answer"),
        "{log}"
    );
    assert!(log.contains("A nosuch.name -> NXDOMAIN"), "{log}");
}

#[test]
fn hosts_ipv6_and_truncated_answers_over_tcp() {
    let mut specs: Vec<String> = (1..=40)
        .map(|i| format!("big.test.example=10.0.1.{i}"))
        .collect();
    specs.push("v6.test.example.=fd00::6".into());
    specs.push("Mixed.Test.Example=10.0.0.7".into());
    specs.push("mixed.test.example=fd00::7".into());
    let specs: Vec<&str> = specs.iter().map(String::as_str).collect();
    let server = start_server(&specs);
    let hosts = "127.0.0.1 localhost\n10.9.9.9 From-Hosts\n";
    let (code, report, _) = probe(
        CONF,
        hosts,
        server.port,
        &[
            "big",
            "v6.test.example.",
            "MIXED",
            "from-hosts",
            "192.0.2.1",
        ],
    );
    assert_eq!(code, 0, "{report:?}");
    assert!(report.all_ok());

    let big = &report.lookups[0];
    assert_eq!(big.addresses.len(), 40);
    let transports: Vec<(&str, &str)> = big
        .attempts
        .iter()
        .filter(|a| a.qtype == "A")
        .map(|a| (a.transport.as_str(), a.rcode.as_str()))
        .collect();
    assert_eq!(transports, [("udp", "truncated"), ("tcp", "NOERROR")]);

    let v6 = &report.lookups[1];
    assert_eq!(v6.query.as_deref(), Some("v6.test.example"));
    assert_eq!(v6.addresses, ["fd00::6"]);
    assert_eq!(v6.attempts.len(), 2, "a trailing dot asks only as it is");

    assert_eq!(report.lookups[2].addresses, ["10.0.0.7", "fd00::7"]);

    let from_hosts = &report.lookups[3];
    assert_eq!(from_hosts.source, Some(LookupSource::Hosts));
    assert_eq!(from_hosts.addresses, ["10.9.9.9"]);
    assert!(from_hosts.attempts.is_empty());

    assert_eq!(report.lookups[4].source, Some(LookupSource::Literal));
}

#[test]
fn nothing_listening_fails_fast() {
    // A port nobody listens on: bind one, then free it.
    let port = UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (code, report, took) = probe(CONF, "", port, &["cvmfs-proxy"]);
    assert_eq!(code, 1);
    let l = &report.lookups[0];
    assert!(!l.ok);
    let error = l.error.as_deref().unwrap();
    assert!(
        error.starts_with("no answer from any server (timeout 2 s each): 127.0.0.1 "),
        "{error}"
    );
    // The first candidate's A query got no answer: the search stops there.
    assert!(
        l.attempts
            .iter()
            .all(|a| a.query == "cvmfs-proxy.test.example" && a.qtype == "A")
    );
    assert_eq!(l.attempts.len(), 2, "two rounds by default");
    assert!(took < Duration::from_secs(6), "took {took:?}");
}

#[test]
fn a_silent_server_times_out_within_the_configured_timeout() {
    // Bound but never read: queries vanish.
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let conf = "nameserver 127.0.0.1\nsearch test.example\noptions timeout:1 attempts:1\n";
    let (code, report, took) = probe(conf, "", port, &["cvmfs-proxy"]);
    assert_eq!(code, 1);
    assert_eq!(report.resolver.timeout_s, 1);
    let l = &report.lookups[0];
    assert_eq!(
        l.error.as_deref(),
        Some(
            "no answer from any server (timeout 1 s each): 127.0.0.1 timeout \
             (asking for cvmfs-proxy.test.example)"
        )
    );
    assert_eq!(l.attempts.len(), 1);
    assert_eq!(l.attempts[0].rcode, "timeout");
    assert!(l.attempts[0].ms >= 900, "{:?}", l.attempts[0]);
    assert!(took < Duration::from_secs(5), "took {took:?}");
    drop(silent);
}

#[test]
fn the_server_refuses_garbage_and_stops_on_sigterm() {
    let mut server = start_server(&["a.test=10.0.0.1"]);
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    socket.connect(("127.0.0.1", server.port)).unwrap();
    // A header announcing one question, then nothing.
    socket
        .send(&[0xab, 0xcd, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0])
        .unwrap();
    let mut buf = [0u8; 512];
    let n = socket.recv(&mut buf).unwrap();
    assert!(n >= 12);
    assert_eq!(&buf[..2], &[0xab, 0xcd]);
    assert_eq!(buf[2] & 0x80, 0x80, "a response");
    assert_eq!(buf[3] & 0x0f, 1, "FORMERR");
    assert_eq!(buf[3] & 0x80, 0, "no recursion available");

    // SAFETY: the pid is our own child's.
    let rc = unsafe { libc::kill(server.child.id() as libc::pid_t, libc::SIGTERM) };
    assert_eq!(rc, 0);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            assert!(status.success(), "{status:?}");
            break;
        }
        assert!(Instant::now() < deadline, "still running after SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    }
}
