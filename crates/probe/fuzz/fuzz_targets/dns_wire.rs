//! Arbitrary bytes as a DNS answer (what a hostile server could send the
//! probe) and as a query (what the test server reads): nothing panics, and
//! an answer the parser accepts gives addresses without further errors;
//! whatever the test server answers parses.

#![no_main]

#[allow(dead_code)]
#[path = "../../src/dns_wire.rs"]
mod dns_wire;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(message) = dns_wire::parse_message(data) {
        for name in ["cvmfs-proxy.example.org", "a", "."] {
            for qtype in [1, 28] {
                let _ = dns_wire::is_response_to(&message, 0x1234, name, qtype);
                let _ = dns_wire::addresses_for(&message, name, qtype);
            }
        }
    }
    let _ = dns_wire::parse_header(data);
    let _ = dns_wire::read_name(data, data.first().map_or(0, |&b| usize::from(b)));
    let mut zone = dns_wire::Zone::default();
    let _ = zone.add_spec("cvmfs-proxy.example.org=192.0.2.1");
    for udp in [true, false] {
        if let Some(served) = dns_wire::serve(data, &zone, udp) {
            // What the server sends is always a well-formed message.
            dns_wire::parse_message(&served.response).expect("the server's answer parses");
        }
    }
});
