//! The node checks of `pcvmfs doctor`: evidence in, findings out. Gathering
//! the evidence (the engine, the environment) is the caller's job, so this
//! logic runs on any input in tests.

use std::net::{IpAddr, ToSocketAddrs};

use crate::engine_info::{EngineInfo, api_version_at_least};
use crate::host::HostFacts;
use crate::proxy_chain::{Proxy, ProxyChain};
use crate::report::{Finding, Report, Status};

/// The oldest Engine API version pcvmfs is tested with (Docker 20.10).
pub const MIN_API_VERSION: &str = "1.41";

/// Resolves host names; the system's resolver, or a double in tests.
pub trait NameResolver {
    /// The addresses of `host`, or why there are none.
    fn resolve(&self, host: &str, port: u16) -> Result<Vec<IpAddr>, String>;
}

/// The system's resolver (`getaddrinfo`: `/etc/hosts`, then DNS).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemResolver;

impl NameResolver for SystemResolver {
    fn resolve(&self, host: &str, port: u16) -> Result<Vec<IpAddr>, String> {
        let addrs = (host, port).to_socket_addrs().map_err(|e| e.to_string())?;
        let mut ips: Vec<IpAddr> = addrs.map(|a| a.ip()).collect();
        ips.dedup();
        if ips.is_empty() {
            Err("no addresses".to_string())
        } else {
            Ok(ips)
        }
    }
}

/// The CVMFS proxy setting given to the doctor, and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxySetting {
    /// The text, as `HTTP_PROXY` holds it (`http://p1:3128|http://p2:3128;DIRECT`).
    pub text: String,
    /// Where it came from (`--proxy`, `HTTP_PROXY`, `http_proxy`).
    pub origin: String,
}

/// The evidence the doctor judges.
pub struct DoctorEvidence<'a> {
    /// The operating system of the node (`linux`).
    pub os: &'a str,
    /// The host's facts.
    pub host: &'a HostFacts,
    /// The engine, or why it could not be reached.
    pub engine: Result<&'a EngineInfo, String>,
    /// The proxy setting, when one was given.
    pub proxy: Option<&'a ProxySetting>,
    /// How host names are resolved.
    pub resolver: &'a dyn NameResolver,
    /// The DNS findings for containers ([`crate::dns_check::check_host`]).
    pub dns: &'a [Finding],
}

/// Runs every check on the evidence.
pub fn examine(evidence: &DoctorEvidence<'_>) -> Report {
    let mut findings = vec![
        platform(evidence),
        engine(&evidence.engine),
        yama(evidence.host),
        proxy(evidence.proxy, evidence.resolver),
    ];
    findings.extend(evidence.dns.iter().cloned());
    Report { findings }
}

fn platform(evidence: &DoctorEvidence<'_>) -> Finding {
    let host = evidence.host;
    let mut seen = format!(
        "{} {} (kernel {})",
        evidence.os, host.arch, host.kernel_release
    );
    let engine_arch = evidence.engine.as_ref().ok().map(|e| e.arch.as_str());
    if let Some(arch) = engine_arch.filter(|a| *a != host.arch) {
        seen.push_str(&format!("; the engine reports {arch}"));
    }
    let arch = engine_arch.unwrap_or(&host.arch);
    if evidence.os == "linux" && arch == "x86_64" {
        Finding::new("node.platform", Status::Ok, seen)
    } else {
        Finding::new("node.platform", Status::Fail, seen).with_remedy(
            "parrot_run and the pcvmfs probe are built for x86_64 Linux: use an x86_64 Linux worker node",
        )
    }
}

fn engine(engine: &Result<&EngineInfo, String>) -> Finding {
    match engine {
        Ok(info) => {
            let seen = format!(
                "Docker Engine {} on {} ({}), API {} (the engine offers up to {}), storage driver {}",
                info.version,
                info.os,
                info.kernel_version,
                info.api_version,
                info.engine_api_version,
                info.storage_driver
            );
            if api_version_at_least(&info.api_version, MIN_API_VERSION) {
                Finding::new("docker.engine", Status::Ok, seen)
            } else {
                Finding::new("docker.engine", Status::Warn, seen).with_remedy(format!(
                    "pcvmfs is tested with Engine API {MIN_API_VERSION} (Docker 20.10) and later: upgrade the engine"
                ))
            }
        }
        Err(message) => Finding::new("docker.engine", Status::Fail, message.clone()).with_remedy(
            "start the engine (systemctl start docker, or service docker start), check that your user may use \
             its socket (the docker group), or point DOCKER_HOST at it",
        ),
    }
}

fn yama(host: &HostFacts) -> Finding {
    const CHECK: &str = "host.yama";
    match host.yama_ptrace_scope {
        None => Finding::new(CHECK, Status::Ok, "Yama is not active: it does not restrict ptrace"),
        Some(0) => Finding::new(CHECK, Status::Ok, "Yama ptrace_scope is 0 (classic ptrace permissions)"),
        Some(1) => Finding::new(
            CHECK,
            Status::Ok,
            "Yama ptrace_scope is 1 (restricted): parrot traces its own children, which this allows",
        ),
        Some(2) => Finding::new(
            CHECK,
            Status::Warn,
            "Yama ptrace_scope is 2 (admin-only): only processes with CAP_SYS_PTRACE may trace",
        )
        .with_remedy(
            "start parrot containers with --cap-add SYS_PTRACE, or set kernel.yama.ptrace_scope=1 in /etc/sysctl.d/",
        ),
        Some(3) => Finding::new(
            CHECK,
            Status::Fail,
            "Yama ptrace_scope is 3 (no attach): ptrace is disabled for every process until reboot",
        )
        .with_remedy("set kernel.yama.ptrace_scope=1 in /etc/sysctl.d/ and reboot the node"),
        Some(other) => Finding::new(CHECK, Status::Warn, format!("Yama ptrace_scope is {other}, a value Linux does not define")),
    }
}

fn proxy(setting: Option<&ProxySetting>, resolver: &dyn NameResolver) -> Finding {
    const CHECK: &str = "cvmfs.proxy";
    let Some(setting) = setting else {
        return Finding::new(CHECK, Status::Warn, "no CVMFS proxy given (neither --proxy nor HTTP_PROXY is set)")
            .with_remedy("give the site's squid proxy: pcvmfs doctor --proxy http://HOST:3128, or set HTTP_PROXY");
    };
    let chain = match ProxyChain::parse(&setting.text) {
        Ok(chain) => chain,
        Err(err) => {
            return Finding::new(CHECK, Status::Fail, format!("{} (from {})", err, setting.origin))
                .with_remedy("write proxies as http://HOST:PORT, load-balanced with '|', fail-over with ';', e.g. http://squid.example.org:3128;DIRECT");
        }
    };
    let mut seen = Vec::new();
    let mut unresolved = Vec::new();
    let mut usable = 0;
    for proxy in chain.groups().iter().flatten() {
        match proxy {
            Proxy::Direct => {
                usable += 1;
                seen.push("DIRECT (no proxy)".to_string());
            }
            Proxy::Auto => seen.push("auto (discovered at run time, not checked)".to_string()),
            Proxy::Http(http) => {
                let (host, port) = (http.host(), http.port());
                if host.parse::<IpAddr>().is_ok() {
                    usable += 1;
                    seen.push(format!("{host}:{port} (an address)"));
                    continue;
                }
                match resolver.resolve(host, port) {
                    Ok(ips) => {
                        usable += 1;
                        let ips: Vec<String> = ips.iter().map(IpAddr::to_string).collect();
                        seen.push(format!("{host}:{port} resolves to {}", ips.join(", ")));
                    }
                    Err(why) => {
                        seen.push(format!("{host}:{port} does not resolve ({why})"));
                        unresolved.push(host.to_string());
                    }
                }
            }
        }
    }
    let evidence = format!(
        "{} (from {}): {}",
        setting.text,
        setting.origin,
        seen.join("; ")
    );
    if unresolved.is_empty() {
        Finding::new(CHECK, Status::Ok, evidence)
    } else {
        let status = if usable > 0 {
            Status::Warn
        } else {
            Status::Fail
        };
        Finding::new(CHECK, status, evidence).with_remedy(format!(
            "check the spelling of {} and the node's DNS (/etc/resolv.conf); containers resolve names through the engine's DNS settings",
            unresolved.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine_info::SecurityOption;
    use crate::host::SelinuxMode;
    use std::collections::BTreeMap;

    /// A resolver that knows a fixed table and nothing else.
    struct Table(&'static [(&'static str, &'static str)]);

    impl NameResolver for Table {
        fn resolve(&self, host: &str, _port: u16) -> Result<Vec<IpAddr>, String> {
            self.0
                .iter()
                .find(|(name, _)| *name == host)
                .map(|(_, ip)| vec![ip.parse().unwrap()])
                .ok_or_else(|| "Name or service not known".to_string())
        }
    }

    const TABLE: Table = Table(&[("ca-proxy.cern.ch", "192.0.2.10")]);

    fn facts(yama: Option<u8>) -> HostFacts {
        HostFacts {
            arch: "x86_64".into(),
            kernel_release: "6.1.0".into(),
            apparmor_enabled: false,
            selinux: SelinuxMode::Disabled,
            yama_ptrace_scope: yama,
            seccomp_available: true,
            unprivileged_userns: Some(true),
        }
    }

    fn engine_info(api: &str) -> EngineInfo {
        EngineInfo {
            version: "20.10.24".into(),
            api_version: api.into(),
            engine_api_version: api.into(),
            os: "Debian GNU/Linux 12 (bookworm)".into(),
            kernel_version: "6.1.0".into(),
            arch: "x86_64".into(),
            storage_driver: "overlay2".into(),
            security_options: vec![SecurityOption {
                name: "seccomp".into(),
                attributes: BTreeMap::new(),
            }],
        }
    }

    fn run(
        os: &str,
        host: &HostFacts,
        engine: Result<&EngineInfo, String>,
        proxy: Option<&str>,
    ) -> Report {
        let setting = proxy.map(|text| ProxySetting {
            text: text.into(),
            origin: "--proxy".into(),
        });
        examine(&DoctorEvidence {
            os,
            host,
            engine,
            proxy: setting.as_ref(),
            resolver: &TABLE,
            dns: &[],
        })
    }

    fn status_of(report: &Report, check: &str) -> Status {
        report
            .findings
            .iter()
            .find(|f| f.check == check)
            .unwrap()
            .status
    }

    #[test]
    fn a_good_node_passes_every_check() {
        let info = engine_info("1.41");
        let report = run(
            "linux",
            &facts(Some(1)),
            Ok(&info),
            Some("http://ca-proxy.cern.ch:3128;DIRECT"),
        );
        assert!(report.ok(), "{report:?}");
        assert_eq!(report.worst(), Status::Ok);
        let proxy = &report.findings[3];
        assert!(
            proxy.evidence.contains("192.0.2.10") && proxy.evidence.contains("DIRECT"),
            "{proxy:?}"
        );
    }

    #[test]
    fn wrong_platform_and_missing_engine_fail() {
        let report = run(
            "linux",
            &HostFacts {
                arch: "aarch64".into(),
                ..facts(None)
            },
            Err("no socket".into()),
            None,
        );
        assert_eq!(status_of(&report, "node.platform"), Status::Fail);
        assert_eq!(status_of(&report, "docker.engine"), Status::Fail);
        assert!(
            report.findings[1]
                .remedy
                .as_ref()
                .unwrap()
                .contains("DOCKER_HOST")
        );
        assert_eq!(status_of(&report, "cvmfs.proxy"), Status::Warn);
        assert!(!report.ok());
        let mac = run("macos", &facts(None), Err("x".into()), None);
        assert_eq!(status_of(&mac, "node.platform"), Status::Fail);
    }

    #[test]
    fn old_engines_warn() {
        let info = engine_info("1.40");
        assert_eq!(
            status_of(
                &run("linux", &facts(None), Ok(&info), None),
                "docker.engine"
            ),
            Status::Warn
        );
    }

    #[test]
    fn yama_scopes_are_judged() {
        let info = engine_info("1.41");
        let expected = [
            (None, Status::Ok),
            (Some(0), Status::Ok),
            (Some(1), Status::Ok),
            (Some(2), Status::Warn),
            (Some(3), Status::Fail),
            (Some(7), Status::Warn),
        ];
        for (scope, status) in expected {
            assert_eq!(
                status_of(&run("linux", &facts(scope), Ok(&info), None), "host.yama"),
                status,
                "{scope:?}"
            );
        }
    }

    #[test]
    fn proxies_that_do_not_resolve_warn_or_fail() {
        let info = engine_info("1.41");
        let cases = [
            ("http://nowhere.example:3128", Status::Fail),
            ("http://nowhere.example:3128;DIRECT", Status::Warn),
            (
                "http://nowhere.example:3128|http://ca-proxy.cern.ch:3128",
                Status::Warn,
            ),
            ("http://192.0.2.1:3128", Status::Ok),
            ("http://[2001:db8::1]:3128", Status::Ok),
            ("DIRECT", Status::Ok),
            ("ca-proxy.cern.ch:3128", Status::Fail),
            ("http://ca-proxy.cern.ch", Status::Fail),
        ];
        for (text, status) in cases {
            let report = run("linux", &facts(None), Ok(&info), Some(text));
            assert_eq!(
                status_of(&report, "cvmfs.proxy"),
                status,
                "{text}: {:?}",
                report.findings[3]
            );
        }
    }

    #[test]
    fn proxy_syntax_errors_are_failed_findings_that_say_what_is_missing() {
        let info = engine_info("1.41");
        for (text, expected) in [
            ("ca-proxy.cern.ch:3128", "no scheme"),
            ("https://p:3128", "plain http://"),
            ("http://p", "no port"),
            ("http://p:99999", "above 65535"),
            ("http://:3128", "no host"),
            ("http://[::1]", "no port"),
        ] {
            let report = run("linux", &facts(None), Ok(&info), Some(text));
            let proxy = &report.findings[3];
            assert_eq!(proxy.status, Status::Fail, "{text}");
            assert!(
                proxy.evidence.contains(expected),
                "{text}: {}",
                proxy.evidence
            );
            assert!(proxy.remedy.as_ref().unwrap().contains("http://HOST:PORT"));
        }
    }

    #[test]
    fn the_system_resolver_knows_localhost() {
        // /etc/hosts only: no query leaves the machine.
        let ips = SystemResolver.resolve("localhost", 3128).unwrap();
        assert!(ips.iter().all(|ip| ip.is_loopback()), "{ips:?}");
    }
}
