//! What name servers Docker gives a container, worked out from the host's
//! resolver configuration the way the daemon does it, and the classic trap
//! that follows: a host whose `/etc/resolv.conf` only lists a loopback
//! resolver (dnsmasq's `127.0.1.1`, systemd-resolved's `127.0.0.53`) makes
//! Docker silently hand containers Google's public servers, which a site
//! firewall often blocks.
//!
//! The rules follow moby's `libnetwork/resolvconf` package
//! (`resolvconf.go`: `Path`, `GetSpecific`, `FilterResolvDNS`) and its use in
//! `libnetwork/sandbox_dns_unix.go` (`setupDNS`, `updateDNS`,
//! `rebuildDNS`), as in Docker Engine 20.10 to 24:
//!
//! - `Path()`: when the only name server of `/etc/resolv.conf` is
//!   `127.0.0.53`, systemd-resolved is assumed and
//!   `/run/systemd/resolve/resolv.conf` is read instead.
//! - `FilterResolvDNS`: loopback name servers (`127.x.x.x`, `::1`) are
//!   removed; IPv6 ones are removed too when IPv6 is off for the network; if
//!   none is left, `8.8.8.8` and `8.8.4.4` are used (plus
//!   `2001:4860:4860::8888` and `2001:4860:4860::8844` when IPv6 is on).
//! - The daemon's `dns` setting replaces the host's servers unfiltered.
//! - On the default bridge the filtered list is written into the
//!   container's file; IPv6 is assumed off there, Docker's default.
//! - On user-defined networks the container's file names the embedded
//!   resolver `127.0.0.11`, which forwards to the filtered list; `setupDNS`
//!   filters with IPv6 on ("no info about ipv6" at that point).
//! - With `--network host` and no daemon `dns`, the host's `/etc/resolv.conf`
//!   is copied as it is, and its loopback servers work since the container
//!   shares the host's network namespace.
//!
//! Docker Engine 25 and later rewrote this (`libnetwork/internal/resolvconf`,
//! `TransformForIntNS`): on user-defined networks the embedded resolver then
//! forwards queries for the host's loopback servers from the host's
//! namespace, so the trap remains only on the default bridge. This module
//! models the older behaviour, which is what grid sites mostly run, and says
//! so in its evidence.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::report::{Finding, Status};
use crate::resolv_conf::{Nameserver, ResolvConf, SYSTEMD_UPSTREAM_PATH};

/// The address of Docker's embedded DNS resolver on user-defined networks.
pub const EMBEDDED_RESOLVER: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 11));

/// Docker's IPv4 fallback servers (Google Public DNS).
pub const DEFAULT_IPV4_SERVERS: [IpAddr; 2] = [
    IpAddr::V4(Ipv4Addr::new(8, 8, 8, 8)),
    IpAddr::V4(Ipv4Addr::new(8, 8, 4, 4)),
];

/// Docker's IPv6 fallback servers (Google Public DNS), added when IPv6 is on.
pub const DEFAULT_IPV6_SERVERS: [IpAddr; 2] = [
    IpAddr::V6(Ipv6Addr::new(0x2001, 0x4860, 0x4860, 0, 0, 0, 0, 0x8888)),
    IpAddr::V6(Ipv6Addr::new(0x2001, 0x4860, 0x4860, 0, 0, 0, 0, 0x8844)),
];

/// Check name of the trap finding.
pub const CHECK_TRAP: &str = "dns.trap";
/// Check name of the finding about dropped loopback servers.
pub const CHECK_LOOPBACK_DROPPED: &str = "dns.loopback_dropped";
/// Check name of the finding about the daemon's `dns` setting.
pub const CHECK_DAEMON: &str = "dns.daemon";

/// What the remedy asks for, whichever init system the host runs.
const DAEMON_DNS_REMEDY: &str = "Set the site's resolvers for all containers: add \
\"dns\": [\"<site resolver>\", ...] to /etc/docker/daemon.json (on sysvinit hosts, \
DOCKER_OPTS=\"--dns <site resolver>\" in /etc/default/docker), then restart the daemon \
(systemctl restart docker, or service docker restart)";

/// What Docker does with DNS for containers on one network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsDiagnosis {
    /// The servers containers' queries go to, in order: those written into
    /// the container's `/etc/resolv.conf`, or, with the embedded resolver,
    /// those it forwards to.
    pub container_servers: Vec<IpAddr>,
    /// Whether the container's file names the embedded resolver
    /// [`EMBEDDED_RESOLVER`] (user-defined networks).
    pub embedded_resolver: bool,
    /// Whether Docker found no usable server and fell back to Google's.
    pub falls_back_to_public: bool,
    /// The findings, `dns.trap` first.
    pub findings: Vec<Finding>,
}

/// The kind of network a container joins, as far as DNS is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NetworkKind {
    /// The default bridge (`bridge`, or its alias `default`).
    DefaultBridge,
    /// The host's network namespace.
    Host,
    /// No network at all.
    None,
    /// A user-defined network, served by the embedded resolver.
    UserDefined,
}

impl NetworkKind {
    fn of(network: &str) -> Self {
        match network {
            "bridge" | "default" => NetworkKind::DefaultBridge,
            "host" => NetworkKind::Host,
            "none" => NetworkKind::None,
            _ => NetworkKind::UserDefined,
        }
    }
}

/// Which generation of Docker's DNS rules the engine follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EngineRules {
    /// Docker Engine 20.10 to 24: loopback servers are dropped everywhere.
    #[default]
    Before25,
    /// Docker Engine 25 and later: on user-defined networks the embedded
    /// resolver forwards queries for the host's loopback servers from the
    /// host's namespace, so they keep working there.
    Since25,
}

impl EngineRules {
    /// The rules of the engine whose version (`ServerVersion`, such as
    /// `20.10.24` or `27.3.1`) is `version`; unknown versions get the older
    /// rules, which are the stricter ones.
    pub fn for_version(version: &str) -> Self {
        let major = version
            .trim()
            .trim_start_matches('v')
            .split(['.', '-', '+'])
            .next()
            .and_then(|m| m.parse::<u32>().ok());
        match major {
            // Docker's calendar versions (17.03 to 20.10) are all older.
            Some(m) if (25..1000).contains(&m) => EngineRules::Since25,
            _ => EngineRules::Before25,
        }
    }
}

/// Works out the servers containers on `network` get and whether the
/// loopback trap applies, by the rules of Docker Engine 20.10 to 24 (see
/// [`diagnose_with`] for newer engines).
///
/// `host` is the host's `/etc/resolv.conf`; `systemd_upstream` is
/// `/run/systemd/resolve/resolv.conf` when it could be read; `daemon_dns`
/// is the daemon's configured `dns` (empty when unset); `network` is
/// `bridge`, `host`, `none` or a user-defined network's name.
pub fn diagnose(
    host: &ResolvConf,
    systemd_upstream: Option<&ResolvConf>,
    daemon_dns: &[IpAddr],
    network: &str,
) -> DnsDiagnosis {
    diagnose_with(
        host,
        systemd_upstream,
        daemon_dns,
        network,
        EngineRules::Before25,
    )
}

/// [`diagnose`] for an engine that follows `rules`.
pub fn diagnose_with(
    host: &ResolvConf,
    systemd_upstream: Option<&ResolvConf>,
    daemon_dns: &[IpAddr],
    network: &str,
    rules: EngineRules,
) -> DnsDiagnosis {
    let kind = NetworkKind::of(network);
    let embedded_resolver = kind == NetworkKind::UserDefined;
    if !daemon_dns.is_empty() {
        return with_daemon_dns(daemon_dns, network, kind, embedded_resolver);
    }
    if kind == NetworkKind::Host {
        let servers: Vec<IpAddr> = host.nameservers().iter().map(|s| s.addr).collect();
        let evidence = format!(
            "containers on the host network use the host's /etc/resolv.conf as it is \
             ({}); its loopback servers work there, as the namespace is shared",
            list(&servers)
        );
        return DnsDiagnosis {
            container_servers: servers,
            embedded_resolver: false,
            falls_back_to_public: false,
            findings: vec![Finding::new(CHECK_TRAP, Status::Ok, evidence)],
        };
    }

    // Path(): systemd-resolved's stub sends Docker to the upstream file.
    let (source, source_name, stub_note) = match (host.is_systemd_resolved_stub(), systemd_upstream)
    {
        (true, Some(upstream)) => (
            upstream,
            SYSTEMD_UPSTREAM_PATH,
            format!(
                "/etc/resolv.conf only lists systemd-resolved's stub 127.0.0.53, so Docker \
                 reads {SYSTEMD_UPSTREAM_PATH}; "
            ),
        ),
        (true, None) => (
            host,
            "/etc/resolv.conf",
            format!(
                "/etc/resolv.conf only lists systemd-resolved's stub 127.0.0.53 and \
                 {SYSTEMD_UPSTREAM_PATH} was not available, so the stub is all Docker sees; "
            ),
        ),
        (false, _) => (host, "/etc/resolv.conf", String::new()),
    };

    // IPv6 is off on the default bridge unless the daemon enables it, and
    // updateDNS then drops IPv6 servers; elsewhere setupDNS keeps them.
    let ipv6 = kind != NetworkKind::DefaultBridge;
    // Docker 25+: the embedded resolver reaches the host's loopback servers
    // from the host's namespace, so they are kept (TransformForIntNS).
    let host_loopback_forwarded = embedded_resolver && rules == EngineRules::Since25;
    let all = source.nameservers();
    let loopback: Vec<&Nameserver> = all
        .iter()
        .copied()
        .filter(|s| s.is_loopback() && !host_loopback_forwarded)
        .collect();
    let ipv6_dropped: Vec<&Nameserver> = all
        .iter()
        .copied()
        .filter(|s| !ipv6 && !s.is_loopback() && s.addr.is_ipv6())
        .collect();
    let kept: Vec<IpAddr> = all
        .iter()
        .filter(|s| (host_loopback_forwarded || !s.is_loopback()) && (ipv6 || s.addr.is_ipv4()))
        .map(|s| s.addr)
        .collect();
    let falls_back_to_public = kept.is_empty();
    let container_servers = if falls_back_to_public {
        let mut servers = DEFAULT_IPV4_SERVERS.to_vec();
        if ipv6 {
            servers.extend(DEFAULT_IPV6_SERVERS);
        }
        servers
    } else {
        kept
    };

    let via = match (embedded_resolver, host_loopback_forwarded) {
        (true, true) => format!(
            "the embedded resolver {EMBEDDED_RESOLVER}, which forwards (loopback servers \
             from the host's namespace, Docker 25+ rules) to "
        ),
        (true, false) => format!("the embedded resolver {EMBEDDED_RESOLVER}, which forwards to "),
        (false, _) => String::new(),
    };
    let rules_name = match rules {
        EngineRules::Before25 => "Docker 20.10-24 rules",
        EngineRules::Since25 => "Docker 25+ rules",
    };
    let ipv6_note = if ipv6_dropped.is_empty() {
        String::new()
    } else {
        format!(
            "; IPv6 servers {} are dropped as IPv6 is off on the default bridge",
            names(&ipv6_dropped)
        )
    };
    let mut findings = Vec::new();
    if kind == NetworkKind::None {
        findings.push(Finding::new(
            CHECK_TRAP,
            Status::Ok,
            format!(
                "containers on network none have no network, so DNS is not used \
                 (their resolv.conf would list {})",
                list(&container_servers)
            ),
        ));
    } else if falls_back_to_public {
        let found = if all.is_empty() {
            "lists no name server".to_string()
        } else {
            format!("lists no server Docker keeps ({})", names(&all))
        };
        findings.push(
            Finding::new(
                CHECK_TRAP,
                Status::Fail,
                format!(
                    "{stub_note}{source_name} {found}{ipv6_note}; loopback servers reach \
                     nothing inside a container, so on network {network} Docker falls back \
                     to Google Public DNS: containers use {via}{}, which fails where the \
                     site blocks outbound DNS ({rules_name}, moby libnetwork/resolvconf)",
                    list(&container_servers)
                ),
            )
            .with_remedy(DAEMON_DNS_REMEDY),
        );
    } else {
        findings.push(Finding::new(
            CHECK_TRAP,
            Status::Ok,
            format!(
                "{stub_note}containers on network {network} use {via}{} from {source_name}{ipv6_note}",
                list(&container_servers)
            ),
        ));
    }
    if !loopback.is_empty() && !falls_back_to_public && kind != NetworkKind::None {
        findings.push(
            Finding::new(
                CHECK_LOOPBACK_DROPPED,
                Status::Warn,
                format!(
                    "Docker drops the loopback servers {} of {source_name} for containers \
                     on network {network}; they use only {}, which may not answer like \
                     the local resolver (local zones, split DNS)",
                    names(&loopback),
                    list(&container_servers)
                ),
            )
            .with_remedy(DAEMON_DNS_REMEDY),
        );
    }
    DnsDiagnosis {
        container_servers,
        embedded_resolver,
        falls_back_to_public,
        findings,
    }
}

/// The daemon's `dns` replaces the host's servers, unfiltered; a loopback
/// entry then points at the container's own loopback, except on the host
/// network.
fn with_daemon_dns(
    daemon_dns: &[IpAddr],
    network: &str,
    kind: NetworkKind,
    embedded_resolver: bool,
) -> DnsDiagnosis {
    let servers = daemon_dns.to_vec();
    let loopback: Vec<IpAddr> = if kind == NetworkKind::Host {
        Vec::new()
    } else {
        servers
            .iter()
            .copied()
            .filter(IpAddr::is_loopback)
            .collect()
    };
    let via = if embedded_resolver {
        format!("the embedded resolver {EMBEDDED_RESOLVER}, which forwards to ")
    } else {
        String::new()
    };
    let trap = Finding::new(
        CHECK_TRAP,
        Status::Ok,
        format!(
            "the daemon's \"dns\" setting replaces the host's resolv.conf servers, so \
             containers on network {network} use {via}{}",
            list(&servers)
        ),
    );
    let daemon = if loopback.is_empty() {
        Finding::new(
            CHECK_DAEMON,
            Status::Ok,
            format!("the daemon sets \"dns\": {}", list(&servers)),
        )
    } else {
        let status = if loopback.len() == servers.len() {
            Status::Fail
        } else {
            Status::Warn
        };
        Finding::new(
            CHECK_DAEMON,
            status,
            format!(
                "the daemon's \"dns\" ({}) includes the loopback address(es) {}, which \
                 inside a container on network {network} is the container itself, where \
                 no resolver listens",
                list(&servers),
                list(&loopback)
            ),
        )
        .with_remedy(
            "List the site's resolvers by their network address, not a loopback one, in \
             \"dns\" of /etc/docker/daemon.json (or DOCKER_OPTS=\"--dns ...\" in \
             /etc/default/docker on sysvinit hosts), then restart the daemon",
        )
    };
    DnsDiagnosis {
        container_servers: servers,
        embedded_resolver,
        falls_back_to_public: false,
        findings: vec![trap, daemon],
    }
}

/// Addresses as `a, b`, or `none`.
fn list(servers: &[IpAddr]) -> String {
    if servers.is_empty() {
        return "none".to_string();
    }
    servers
        .iter()
        .map(IpAddr::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Name servers (with zones) as `a, b`.
fn names(servers: &[&Nameserver]) -> String {
    servers
        .iter()
        .map(|s| s.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
