//! The DNS check of a whole host: its resolver files, how its `dockerd` was
//! started and the DNS settings it was given, judged by the rules of the
//! engine's version ([`crate::dns_diagnosis`]). The doctor includes these
//! findings; `pcvmfs dns check` shows them with the details.

use crate::daemon_dns::{DaemonDnsConfig, DockerOpts, dns_conflict};
use crate::dns::DnsOptions;
use crate::dns_diagnosis::{DnsDiagnosis, EngineRules, diagnose_with};
use crate::dockerd_startup::{DnsConfigTarget, DockerdStartup, InitSystem, detect, flag_values};
use crate::host::HostTree;
use crate::report::{Finding, Status};
use crate::resolv_conf::{ResolvConf, SYSTEMD_UPSTREAM_PATH};

/// Check name of the finding about where the daemon's DNS settings live.
pub const CHECK_CONFIG: &str = "dns.config";

/// Check name of the findings about the host's `/etc/resolv.conf` itself.
pub const CHECK_RESOLV_CONF: &str = "dns.resolv_conf";

/// What the host's DNS check found.
#[derive(Debug, Clone)]
pub struct HostDnsCheck {
    /// How dockerd was started, and where its DNS settings belong.
    pub startup: DockerdStartup,
    /// The host's `/etc/resolv.conf`, when it could be read and parsed.
    pub resolv_conf: Option<ResolvConf>,
    /// The DNS settings the daemon was given (flags first, else
    /// daemon.json), as far as they could be read.
    pub daemon_dns: DnsOptions,
    /// What containers get on the network asked about.
    pub diagnosis: DnsDiagnosis,
    /// Every finding: the diagnosis's, then the configuration's.
    pub findings: Vec<Finding>,
}

/// The evidence for a DNS check that is not read from the host tree.
#[derive(Debug, Clone, Default)]
pub struct DnsCheckInput<'a> {
    /// The engine's version (`ServerVersion`), for the rules to apply.
    pub engine_version: Option<&'a str>,
    /// The network containers join (`bridge` when `None`).
    pub network: Option<&'a str>,
}

/// Checks the DNS that containers get on the host `tree` describes.
pub fn check_host(tree: &dyn HostTree, input: &DnsCheckInput<'_>) -> HostDnsCheck {
    let startup = detect(tree);
    let network = input.network.unwrap_or("bridge");
    let rules = input
        .engine_version
        .map(EngineRules::for_version)
        .unwrap_or_default();
    let mut config_findings = Vec::new();

    let resolv_conf = match tree.read("/etc/resolv.conf") {
        Ok(text) => match ResolvConf::parse_as_resolver(&text) {
            Ok((conf, skipped)) => {
                for line in skipped {
                    config_findings.push(Finding::new(
                        CHECK_RESOLV_CONF,
                        Status::Warn,
                        format!(
                            "/etc/resolv.conf {line} is not an address as Docker reads \
                             addresses; Docker skips that line"
                        ),
                    ));
                }
                Some(conf)
            }
            Err(err) => {
                config_findings.push(Finding::new(
                    CHECK_RESOLV_CONF,
                    Status::Warn,
                    format!("/etc/resolv.conf cannot be read as Docker would: {err}"),
                ));
                None
            }
        },
        Err(err) => {
            config_findings.push(Finding::new(
                CHECK_RESOLV_CONF,
                Status::Warn,
                format!("/etc/resolv.conf cannot be read ({err}); Docker then sees no server"),
            ));
            None
        }
    };
    // An unreadable file gives Docker no server, as an empty one does.
    let no_file = ResolvConf::default();
    let host_conf = resolv_conf.as_ref().unwrap_or(&no_file);
    let upstream = tree
        .read(SYSTEMD_UPSTREAM_PATH)
        .ok()
        .and_then(|text| ResolvConf::parse_as_resolver(&text).ok())
        .map(|(conf, _)| conf);

    // Flags a restart would add from DOCKER_OPTS, for a daemon not running.
    let mut flags = startup.args.clone();
    if let (DnsConfigTarget::DockerOpts(path), None) = (&startup.target, startup.pid) {
        match tree.read(path).map(|text| DockerOpts::parse(path, &text)) {
            Ok(Ok(opts)) => flags.extend(opts.flags()),
            Ok(Err(err)) => {
                config_findings.push(Finding::new(CHECK_CONFIG, Status::Warn, err.to_string()))
            }
            Err(_) => {}
        }
    }
    // The daemon's DNS: its configuration file, else its flags (dockerd
    // refuses to start with both, which is reported below).
    let daemon_json = match tree.read(&startup.config_file) {
        Ok(text) => DaemonDnsConfig::parse(&startup.config_file, &text),
        Err(_) => DaemonDnsConfig::parse(&startup.config_file, ""),
    };
    let from_file = match &daemon_json {
        Ok(config) => match config.dns() {
            Ok(dns) => dns,
            Err(err) => {
                config_findings.push(Finding::new(CHECK_CONFIG, Status::Fail, err.to_string()));
                DnsOptions::default()
            }
        },
        Err(err) => {
            config_findings.push(
                Finding::new(CHECK_CONFIG, Status::Fail, err.to_string()).with_remedy(format!(
                    "Fix {} by hand: dockerd refuses to start with an invalid configuration file",
                    startup.config_file
                )),
            );
            DnsOptions::default()
        }
    };
    let daemon_dns = if !flag_values(&flags, "--dns").is_empty() {
        match DnsOptions::new(
            &flag_values(&flags, "--dns"),
            &flag_values(&flags, "--dns-search"),
            &flag_values(&flags, "--dns-opt"),
        ) {
            Ok(dns) => dns,
            Err(err) => {
                config_findings.push(Finding::new(
                    CHECK_CONFIG,
                    Status::Warn,
                    format!("dockerd's --dns flags cannot be read: {err}"),
                ));
                from_file
            }
        }
    } else {
        from_file
    };

    let diagnosis = diagnose_with(
        host_conf,
        upstream.as_ref(),
        &daemon_dns.servers,
        network,
        rules,
    );

    let target = match &startup.target {
        DnsConfigTarget::DaemonJson(path) => format!("\"dns\" in {path}"),
        DnsConfigTarget::DockerOpts(path) => format!("DOCKER_OPTS=\"--dns ...\" in {path}"),
    };
    let running = match startup.pid {
        Some(pid) => format!("dockerd runs as process {pid}"),
        None => "no dockerd process is visible here".to_string(),
    };
    config_findings.insert(
        0,
        Finding::new(
            CHECK_CONFIG,
            Status::Ok,
            format!(
                "{running}; its DNS settings belong in {target}; {}",
                match startup.init {
                    InitSystem::Unknown =>
                        "restart it by hand after a change (the init system is not known here)"
                            .to_string(),
                    _ => format!("restart it with: {}", startup.restart_command),
                }
            ),
        ),
    );
    if let Ok(config) = &daemon_json {
        if let Some(conflict) = dns_conflict(config, &flags) {
            config_findings.push(
                Finding::new(CHECK_CONFIG, Status::Warn, conflict).with_remedy(
                    "Remove the DNS flags from dockerd's command line (DOCKER_OPTS or the unit's \
                     ExecStart) or the keys from daemon.json",
                ),
            );
        }
    }

    let mut findings = diagnosis.findings.clone();
    findings.extend(config_findings);
    HostDnsCheck {
        startup,
        resolv_conf,
        daemon_dns,
        diagnosis,
        findings,
    }
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use super::*;
    use crate::host::HostTreeAt;

    fn check(files: &[(&str, &str)], version: &str, network: &str) -> HostDnsCheck {
        let dir = tempfile::tempdir().unwrap();
        let tree = HostTreeAt::populate(dir.path(), files).unwrap();
        check_host(
            &tree,
            &DnsCheckInput {
                engine_version: Some(version),
                network: Some(network),
            },
        )
    }

    fn status(check: &HostDnsCheck, name: &str) -> Vec<Status> {
        check
            .findings
            .iter()
            .filter(|f| f.check == name)
            .map(|f| f.status)
            .collect()
    }

    const SYSTEMD_UNIT: (&str, &str) = (
        "/lib/systemd/system/docker.service",
        "[Service]\nExecStart=/usr/bin/dockerd -H fd://\n",
    );

    #[test]
    fn a_nameserver_line_that_is_not_an_address_is_skipped_as_docker_does() {
        let found = check(
            &[
                ("/proc/1/comm", "systemd\n"),
                SYSTEMD_UNIT,
                (
                    "/etc/resolv.conf",
                    "nameserver 192.0.2.1\nnameserver dns.example.org\n",
                ),
                ("/etc/docker/daemon.json", "{\"dns-search\": [\".\"]}"),
            ],
            "20.10.24",
            "bridge",
        );
        assert_eq!(
            status(&found, "dns.trap"),
            [Status::Ok],
            "{:?}",
            found.findings
        );
        let ips: Vec<IpAddr> = vec!["192.0.2.1".parse().unwrap()];
        assert_eq!(found.diagnosis.container_servers, ips);
        let warning = found
            .findings
            .iter()
            .find(|f| f.check == "dns.resolv_conf")
            .unwrap();
        assert_eq!(warning.status, Status::Warn);
        assert!(
            warning
                .evidence
                .contains("line 2: nameserver \"dns.example.org\""),
            "{warning:?}"
        );
        // `"dns-search": ["."]` is dockerd's "no search list": not an error.
        assert_eq!(
            status(&found, CHECK_CONFIG),
            [Status::Ok],
            "{:?}",
            found.findings
        );
    }

    #[test]
    fn a_dnsmasq_host_without_daemon_dns_is_the_trap_and_names_daemon_json() {
        let found = check(
            &[
                ("/proc/1/comm", "systemd\n"),
                SYSTEMD_UNIT,
                ("/etc/resolv.conf", "nameserver 127.0.1.1\nsearch cern.ch\n"),
            ],
            "20.10.24",
            "bridge",
        );
        assert_eq!(status(&found, "dns.trap"), [Status::Fail]);
        let config = &found
            .findings
            .iter()
            .find(|f| f.check == CHECK_CONFIG)
            .unwrap();
        assert!(
            config
                .evidence
                .contains("\"dns\" in /etc/docker/daemon.json"),
            "{}",
            config.evidence
        );
        assert!(config.evidence.contains("systemctl restart docker"));
        assert!(found.daemon_dns.is_empty());
    }

    #[test]
    fn daemon_json_dns_fixes_it_and_a_flag_clash_is_reported() {
        let found = check(
            &[
                ("/proc/1/comm", "systemd\n"),
                SYSTEMD_UNIT,
                ("/etc/resolv.conf", "nameserver 127.0.1.1\n"),
                (
                    "/etc/docker/daemon.json",
                    "{\"dns\": [\"192.0.2.53\"], \"dns-search\": [\"cern.ch\"]}",
                ),
            ],
            "20.10.24",
            "bridge",
        );
        assert_eq!(status(&found, "dns.trap"), [Status::Ok]);
        assert_eq!(
            found.diagnosis.container_servers,
            ["192.0.2.53".parse::<IpAddr>().unwrap()]
        );
        assert_eq!(found.daemon_dns.search, ["cern.ch"]);

        let found = check(
            &[
                ("/proc/1/comm", "init\n"),
                ("/proc/77/comm", "dockerd\n"),
                (
                    "/proc/77/cmdline",
                    "/usr/bin/dockerd\0--dns\x00198.51.100.7\0",
                ),
                ("/etc/resolv.conf", "nameserver 127.0.1.1\n"),
                ("/etc/docker/daemon.json", "{\"dns\": [\"192.0.2.53\"]}"),
            ],
            "20.10.24",
            "bridge",
        );
        assert_eq!(
            found.diagnosis.container_servers,
            ["198.51.100.7".parse::<IpAddr>().unwrap()]
        );
        // Both set: dockerd would refuse to start.
        assert!(status(&found, CHECK_CONFIG).contains(&Status::Warn));
        let config = &found
            .findings
            .iter()
            .find(|f| f.check == CHECK_CONFIG)
            .unwrap();
        assert!(
            config.evidence.contains("DOCKER_OPTS"),
            "{}",
            config.evidence
        );
        assert!(config.evidence.contains("service docker restart"));
    }

    #[test]
    fn docker_opts_read_by_a_stopped_sysvinit_daemon_count() {
        let found = check(
            &[
                ("/proc/1/comm", "init\n"),
                ("/etc/resolv.conf", "nameserver 127.0.1.1\n"),
                ("/etc/default/docker", "DOCKER_OPTS=\"--dns 192.0.2.1\"\n"),
                ("/etc/docker/daemon.json", "{\"dns\": [\"192.0.2.53\"]}"),
            ],
            "20.10.24",
            "bridge",
        );
        // The file's dns is read first; the flag clash is reported.
        assert_eq!(status(&found, "dns.trap"), [Status::Ok]);
        assert!(
            found
                .findings
                .iter()
                .any(|f| f.check == CHECK_CONFIG && f.evidence.contains("refuse to start")),
            "{:?}",
            found.findings
        );
    }

    #[test]
    fn broken_files_are_findings_not_panics() {
        let found = check(
            &[
                ("/proc/1/comm", "systemd\n"),
                SYSTEMD_UNIT,
                ("/etc/resolv.conf", "nameserver 10.0.0.1\nsearch a\0b\n"),
                ("/etc/docker/daemon.json", "{\"dns\": [\"192.0.2.53\""),
            ],
            "28.2.2",
            "grid",
        );
        assert_eq!(status(&found, "dns.resolv_conf"), [Status::Warn]);
        assert!(status(&found, CHECK_CONFIG).contains(&Status::Fail));
        assert!(found.resolv_conf.is_none());
        let found = check(&[], "20.10.24", "bridge");
        assert_eq!(status(&found, "dns.resolv_conf"), [Status::Warn]);
        assert_eq!(status(&found, "dns.trap"), [Status::Fail]);
    }

    #[test]
    fn docker_25_on_a_user_defined_network_keeps_host_loopback() {
        let files = [
            ("/proc/1/comm", "systemd\n"),
            SYSTEMD_UNIT,
            ("/etc/resolv.conf", "nameserver 127.0.0.53\n"),
            (SYSTEMD_UPSTREAM_PATH, "nameserver 127.0.1.1\n"),
        ];
        assert_eq!(
            status(&check(&files, "27.3.1", "grid"), "dns.trap"),
            [Status::Ok]
        );
        assert_eq!(
            status(&check(&files, "24.0.7", "grid"), "dns.trap"),
            [Status::Fail]
        );
        assert_eq!(
            status(&check(&files, "27.3.1", "bridge"), "dns.trap"),
            [Status::Fail]
        );
    }
}
