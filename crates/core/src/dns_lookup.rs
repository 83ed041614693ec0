//! The schema of the probe's DNS verification (`pcvmfs-probe --resolve
//! NAME...`): what `/etc/resolv.conf` said inside the container, the
//! resolver settings the probe took from it, and for each name how it was
//! looked up (`/etc/hosts` first, then each query sent to each name
//! server, with its answer code and how long it took) and what came back.
//!
//! The probe resolves names itself, like glibc's stub resolver, rather than
//! through the C library: a static binary copied into a `FROM scratch`
//! image has no NSS modules, and the report has to say which server said
//! what, which `getaddrinfo` does not tell.

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// The version of this schema; a report of another version is refused.
pub const DNS_VERIFY_SCHEMA: &str = "pcvmfs-dns-verify/1";

/// Where a lookup's addresses came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LookupSource {
    /// An exact (case-insensitive) entry of `/etc/hosts`.
    Hosts,
    /// An answer of a name server.
    Dns,
    /// The name was already an IP address; nothing was looked up.
    Literal,
}

/// One query sent to one name server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    /// The server's address (`10.0.0.2`, `fe80::1%eth0`).
    pub server: String,
    /// The name asked for, fully qualified, without the trailing dot.
    pub query: String,
    /// The record type asked for: `A` or `AAAA`.
    pub qtype: String,
    /// `udp`, or `tcp` (after a truncated UDP answer, or `options use-vc`).
    pub transport: String,
    /// The answer code (`NOERROR`, `NXDOMAIN`, `SERVFAIL`, `REFUSED`,
    /// `FORMERR`, `NOTIMP`, `RCODE<n>`), `timeout` when nothing valid came
    /// back in time, `truncated` for a UDP answer with TC set (a TCP
    /// attempt follows), or `error: <what>` (a refused port, an unparsable
    /// answer).
    pub rcode: String,
    /// How long it took, in milliseconds.
    pub ms: u64,
}

/// The lookup of one name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lookup {
    /// The name as given.
    pub name: String,
    /// Whether at least one address was found.
    pub ok: bool,
    /// Where the addresses came from, when the lookup worked.
    pub source: Option<LookupSource>,
    /// The name server that answered, when the source is DNS.
    pub server: Option<String>,
    /// The fully qualified name that was answered (a search-list candidate
    /// such as `cvmfs-proxy.example.org`), when the lookup worked.
    pub query: Option<String>,
    /// The addresses found: IPv4 ones first, each once.
    pub addresses: Vec<String>,
    /// Why the lookup failed: `NXDOMAIN for a.b via 10.0.0.2`, `no answer
    /// from any server (timeout 2 s each): ...`, `server 10.0.0.2 refused`.
    pub error: Option<String>,
    /// Every query sent, in order.
    pub attempts: Vec<Attempt>,
}

/// The resolver settings the probe used, read from `/etc/resolv.conf`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResolverSettings {
    /// The name servers asked, in order (at most three, as glibc;
    /// `127.0.0.1` when the file lists none).
    pub nameservers: Vec<String>,
    /// The search list (the last `search` or `domain` line).
    pub search: Vec<String>,
    /// `options ndots:N` (default 1).
    pub ndots: u32,
    /// The time given to each query, in seconds: `options timeout:N`
    /// capped at 2 (glibc's default is 5), so that a failing check is quick.
    pub timeout_s: u32,
    /// `options attempts:N` (default 2): rounds over the servers.
    pub attempts: u32,
    /// `options use-vc`: queries go over TCP.
    pub use_vc: bool,
    /// The port queries went to: 53, unless a test overrode it.
    pub port: u16,
}

/// The whole DNS verification report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnsVerifyReport {
    /// [`DNS_VERIFY_SCHEMA`].
    pub schema: String,
    /// The raw text of `/etc/resolv.conf`, when it could be read.
    pub resolv_conf: Option<String>,
    /// Why it could not be read (the defaults were used then, as glibc).
    pub resolv_conf_error: Option<String>,
    /// Whether `/etc/hosts` could be read.
    pub hosts_file: bool,
    /// The settings used.
    pub resolver: ResolverSettings,
    /// One lookup per name, in the order given.
    pub lookups: Vec<Lookup>,
}

impl DnsVerifyReport {
    /// Reads a report, refusing another schema version.
    pub fn from_json(text: &str) -> Result<DnsVerifyReport, Error> {
        let report: DnsVerifyReport = serde_json::from_str(text).map_err(|e| {
            Error::parse(
                "DNS verification report",
                text,
                format!("is not a DNS verification report: {e}"),
            )
        })?;
        if report.schema != DNS_VERIFY_SCHEMA {
            return Err(Error::parse(
                "DNS verification report",
                text,
                format!(
                    "has schema {:?}; this pcvmfs reads schema {DNS_VERIFY_SCHEMA:?}",
                    report.schema
                ),
            ));
        }
        Ok(report)
    }

    /// Whether every name resolved.
    pub fn all_ok(&self) -> bool {
        self.lookups.iter().all(|l| l.ok)
    }

    /// The lookup of this name.
    pub fn lookup(&self, name: &str) -> Option<&Lookup> {
        self.lookups.iter().find(|l| l.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> DnsVerifyReport {
        DnsVerifyReport {
            schema: DNS_VERIFY_SCHEMA.into(),
            resolv_conf: Some("nameserver 10.0.0.2\nsearch example.org\n".into()),
            resolv_conf_error: None,
            hosts_file: true,
            resolver: ResolverSettings {
                nameservers: vec!["10.0.0.2".into()],
                search: vec!["example.org".into()],
                ndots: 1,
                timeout_s: 2,
                attempts: 2,
                use_vc: false,
                port: 53,
            },
            lookups: vec![Lookup {
                name: "cvmfs-proxy".into(),
                ok: true,
                source: Some(LookupSource::Dns),
                server: Some("10.0.0.2".into()),
                query: Some("cvmfs-proxy.example.org".into()),
                addresses: vec!["10.0.0.7".into()],
                error: None,
                attempts: vec![Attempt {
                    server: "10.0.0.2".into(),
                    query: "cvmfs-proxy.example.org".into(),
                    qtype: "A".into(),
                    transport: "udp".into(),
                    rcode: "NOERROR".into(),
                    ms: 1,
                }],
            }],
        }
    }

    #[test]
    fn reports_round_trip_and_other_schemas_are_refused() {
        let report = sample();
        let json = serde_json::to_string(&report).unwrap();
        assert!(json.contains(r#""source":"dns""#), "{json}");
        let back = DnsVerifyReport::from_json(&json).unwrap();
        assert_eq!(back, report);
        assert!(back.all_ok());
        assert_eq!(back.lookup("cvmfs-proxy").unwrap().addresses, ["10.0.0.7"]);

        let other = json.replace(DNS_VERIFY_SCHEMA, "pcvmfs-dns-verify/2");
        assert!(DnsVerifyReport::from_json(&other).is_err());
        assert!(DnsVerifyReport::from_json("{}").is_err());
    }
}
