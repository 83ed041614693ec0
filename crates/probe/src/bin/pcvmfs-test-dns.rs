//! `pcvmfs-test-dns`: a tiny authoritative DNS server for tests.
//!
//! ```text
//! pcvmfs-test-dns [--listen 0.0.0.0:53] [--log] NAME=IPV4|IPV6 [NAME=... ...]
//! ```
//!
//! It answers A and AAAA queries for exactly the names given (ASCII case
//! and a trailing dot do not matter; a name given several times has several
//! addresses) with TTL 5 and AA set, NOERROR without records for another
//! type of a known name, NXDOMAIN for any other name, NOTIMP for opcodes
//! other than QUERY and FORMERR for what does not parse. It never forwards
//! and never recurses (RA is clear), so no query leaves the machine. It
//! listens on UDP and TCP (2-byte length prefix) at the same address; over
//! UDP an answer longer than 512 bytes goes out with TC set and no records,
//! so that clients retry over TCP. With port 0, the port is chosen by the
//! kernel (the same for UDP and TCP).
//!
//! Once bound it prints `ready <address>` to stderr; with `--log`, one line
//! per query. It runs until SIGTERM or SIGINT, also as PID 1 in a container
//! (which ignores signals that have no handler), and then exits with 0.

#[path = "../dns_wire.rs"]
mod dns_wire;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use dns_wire::Zone;

const USAGE: &str =
    "usage: pcvmfs-test-dns [--listen 0.0.0.0:53] [--log] NAME=IPV4|IPV6 [NAME=...]";

/// Set by the signal handler.
static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    // Only an atomic store: async-signal-safe.
    STOP.store(true, Ordering::SeqCst);
}

/// Binds UDP and TCP on the same address; with port 0, on the same
/// kernel-chosen port (retrying if TCP finds it taken).
fn bind(addr: SocketAddr) -> std::io::Result<(UdpSocket, TcpListener)> {
    let mut last = None;
    for _ in 0..20 {
        let udp = UdpSocket::bind(addr)?;
        let bound = udp.local_addr()?;
        match TcpListener::bind(bound) {
            Ok(tcp) => return Ok((udp, tcp)),
            Err(e) if addr.port() == 0 => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("cannot bind")))
}

fn serve_udp(socket: UdpSocket, zone: Arc<Zone>, log: bool) {
    let mut buf = vec![0u8; 65535];
    loop {
        let (n, peer) = match socket.recv_from(&mut buf) {
            Ok(x) => x,
            Err(_) => {
                // An ICMP error from an earlier answer, say: not fatal.
                std::thread::sleep(Duration::from_millis(10));
                continue;
            }
        };
        if let Some(served) = dns_wire::serve(&buf[..n], &zone, true) {
            if log {
                eprintln!("udp {peer} {}", served.summary);
            }
            let _ = socket.send_to(&served.response, peer);
        } else if log {
            eprintln!("udp {peer} {n} bytes ignored (not a query)");
        }
    }
}

fn serve_tcp_client(mut stream: TcpStream, zone: &Zone, log: bool) {
    let peer = stream
        .peer_addr()
        .map(|p| p.to_string())
        .unwrap_or_else(|_| "?".into());
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(10)));
    loop {
        let mut len = [0u8; 2];
        if stream.read_exact(&mut len).is_err() {
            return;
        }
        let mut query = vec![0u8; u16::from_be_bytes(len) as usize];
        if stream.read_exact(&mut query).is_err() {
            return;
        }
        let Some(served) = dns_wire::serve(&query, zone, false) else {
            if log {
                eprintln!("tcp {peer} {} bytes ignored (not a query)", query.len());
            }
            return;
        };
        if log {
            eprintln!("tcp {peer} {}", served.summary);
        }
        let Ok(length) = u16::try_from(served.response.len()) else {
            return;
        };
        let mut framed = length.to_be_bytes().to_vec();
        framed.extend_from_slice(&served.response);
        if stream.write_all(&framed).is_err() {
            return;
        }
    }
}

fn main() -> ExitCode {
    let mut listen: SocketAddr = SocketAddr::from(([0, 0, 0, 0], 53));
    let mut log = false;
    let mut zone = Zone::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--help" | "-h" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            "--log" => log = true,
            "--listen" => match args.next().map(|a| a.parse::<SocketAddr>()) {
                Some(Ok(a)) => listen = a,
                _ => {
                    eprintln!("pcvmfs-test-dns: --listen needs an address such as 0.0.0.0:53");
                    return ExitCode::from(2);
                }
            },
            spec => {
                if let Err(e) = zone.add_spec(spec) {
                    eprintln!("pcvmfs-test-dns: {e}\n{USAGE}");
                    return ExitCode::from(2);
                }
            }
        }
    }
    if zone == Zone::default() {
        eprintln!("pcvmfs-test-dns: no NAME=ADDRESS given\n{USAGE}");
        return ExitCode::from(2);
    }
    let handler = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
    // SAFETY: the handler only stores to an atomic.
    unsafe {
        libc::signal(libc::SIGTERM, handler);
        libc::signal(libc::SIGINT, handler);
    }
    let (udp, tcp) = match bind(listen) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("pcvmfs-test-dns: cannot listen on {listen}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let bound = udp.local_addr().unwrap_or(listen);
    let zone = Arc::new(zone);
    {
        let zone = Arc::clone(&zone);
        std::thread::spawn(move || serve_udp(udp, zone, log));
    }
    {
        let zone = Arc::clone(&zone);
        std::thread::spawn(move || {
            for stream in tcp.incoming().flatten() {
                let zone = Arc::clone(&zone);
                std::thread::spawn(move || serve_tcp_client(stream, &zone, log));
            }
        });
    }
    eprintln!("ready {bound}");
    while !STOP.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(50));
    }
    if log {
        eprintln!("pcvmfs-test-dns: stopping");
    }
    ExitCode::SUCCESS
}
