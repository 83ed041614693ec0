//! How the host's `dockerd` was started, and so which file its DNS
//! settings belong in: `/etc/docker/daemon.json` (or its `--config-file`),
//! or `DOCKER_OPTS` in `/etc/default/docker`, which sysvinit's script and
//! some systemd units read and other systemd units ignore.

use serde::Serialize;

use crate::host::HostTree;

/// The default daemon configuration file.
pub const DAEMON_JSON: &str = "/etc/docker/daemon.json";
/// The Debian file whose `DOCKER_OPTS` sysvinit's script passes to dockerd.
pub const DEFAULT_DOCKER: &str = "/etc/default/docker";

/// Where the unit file of the docker service may be, in systemd's order.
const UNIT_FILES: &[&str] = &[
    "/etc/systemd/system/docker.service",
    "/run/systemd/system/docker.service",
    "/lib/systemd/system/docker.service",
    "/usr/lib/systemd/system/docker.service",
];
/// Where drop-ins of the docker service may be, in systemd's order: a file
/// name in an earlier directory hides the same name in a later one.
const DROP_IN_DIRS: &[&str] = &[
    "/etc/systemd/system/docker.service.d",
    "/run/systemd/system/docker.service.d",
    "/lib/systemd/system/docker.service.d",
    "/usr/lib/systemd/system/docker.service.d",
];

/// The host's init system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum InitSystem {
    /// systemd.
    Systemd,
    /// sysvinit or another init that runs `/etc/init.d` scripts.
    Sysvinit,
    /// Unknown (a container, say).
    Unknown,
}

/// Which file the daemon's DNS settings belong in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "path")]
pub enum DnsConfigTarget {
    /// `daemon.json` (`"dns"`, `"dns-search"`, `"dns-opts"`).
    DaemonJson(String),
    /// `DOCKER_OPTS` in this file (`--dns`, `--dns-search`, `--dns-opt`).
    DockerOpts(String),
}

/// What was found about the running daemon.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DockerdStartup {
    /// The init system.
    pub init: InitSystem,
    /// dockerd's process id, when it runs here.
    pub pid: Option<u32>,
    /// Its command line after the program name.
    pub args: Vec<String>,
    /// The configuration file it reads (`--config-file`, or the default).
    pub config_file: String,
    /// The `EnvironmentFile=` entries of its systemd unit and drop-ins.
    pub environment_files: Vec<String>,
    /// Whether the unit's `ExecStart` passes `$DOCKER_OPTS` on.
    pub unit_uses_docker_opts: bool,
    /// Where DNS settings take effect.
    pub target: DnsConfigTarget,
    /// The command that restarts the daemon.
    pub restart_command: String,
    /// DNS flags given on dockerd's command line (`--dns ...`), which
    /// conflict with `dns` in daemon.json.
    pub dns_flags: Vec<String>,
}

/// A process's command line: NUL-separated arguments.
fn cmdline(tree: &dyn HostTree, pid: &str) -> Vec<String> {
    tree.read(&format!("/proc/{pid}/cmdline"))
        .map(|text| {
            text.split('\0')
                .filter(|a| !a.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// The value of every `--flag VALUE` / `--flag=VALUE` in `args`, in order.
pub fn flag_values(args: &[String], flag: &str) -> Vec<String> {
    let prefix = format!("{flag}=");
    let mut values = Vec::new();
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        if let Some(value) = arg.strip_prefix(&prefix) {
            values.push(value.to_string());
        } else if arg == flag {
            values.extend(iter.next().cloned());
        }
    }
    values
}

/// Reads how dockerd was started on the host `tree` describes.
pub fn detect(tree: &dyn HostTree) -> DockerdStartup {
    let init = match tree
        .read("/proc/1/comm")
        .map(|c| c.trim().to_string())
        .as_deref()
    {
        Ok("systemd") => InitSystem::Systemd,
        _ if tree.exists("/run/systemd/system") => InitSystem::Systemd,
        Ok("init") => InitSystem::Sysvinit,
        _ => InitSystem::Unknown,
    };
    let pid = tree
        .list("/proc")
        .into_iter()
        .filter(|name| name.chars().all(|c| c.is_ascii_digit()))
        .find(|pid| {
            tree.read(&format!("/proc/{pid}/comm"))
                .is_ok_and(|c| c.trim() == "dockerd")
        });
    let args: Vec<String> = pid
        .as_deref()
        .map(|pid| cmdline(tree, pid).into_iter().skip(1).collect())
        .unwrap_or_default();
    let config_file = flag_values(&args, "--config-file")
        .pop()
        .unwrap_or_else(|| DAEMON_JSON.to_string());
    let unit = effective_unit(tree);
    let environment_files = unit.environment_files;
    let unit_uses_docker_opts = unit.exec_start.iter().any(|line| expands_docker_opts(line));
    let reads_default_docker = match init {
        InitSystem::Systemd => {
            unit_uses_docker_opts && environment_files.iter().any(|f| f == DEFAULT_DOCKER)
        }
        InitSystem::Sysvinit => true,
        InitSystem::Unknown => false,
    };
    let target = if reads_default_docker {
        DnsConfigTarget::DockerOpts(DEFAULT_DOCKER.to_string())
    } else {
        DnsConfigTarget::DaemonJson(config_file.clone())
    };
    let restart_command = match init {
        InitSystem::Systemd => "systemctl restart docker",
        InitSystem::Sysvinit => "service docker restart",
        InitSystem::Unknown => "restart dockerd (however it was started)",
    }
    .to_string();
    let dns_flags = args
        .iter()
        .filter(|a| {
            ["--dns", "--dns-search", "--dns-opt"]
                .iter()
                .any(|f| a.as_str() == *f || a.starts_with(&format!("{f}=")))
        })
        .cloned()
        .collect();
    DockerdStartup {
        init,
        pid: pid.and_then(|p| p.parse().ok()),
        args,
        config_file,
        environment_files,
        unit_uses_docker_opts,
        target,
        restart_command,
        dns_flags,
    }
}

/// Whether an `ExecStart=` command line expands `$DOCKER_OPTS` or
/// `${DOCKER_OPTS}` (not a longer name such as `$DOCKER_OPTS_EXTRA`).
fn expands_docker_opts(line: &str) -> bool {
    line.contains("${DOCKER_OPTS}")
        || line.match_indices("$DOCKER_OPTS").any(|(at, name)| {
            !line[at + name.len()..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}

/// The settings of the docker service that decide what dockerd reads, as
/// systemd computes them from the unit file and its drop-ins.
#[derive(Debug, Default)]
struct EffectiveUnit {
    exec_start: Vec<String>,
    environment_files: Vec<String>,
}

/// Reads the docker unit (the first of [`UNIT_FILES`]) and then its
/// drop-ins in the order systemd applies them (by file name, across
/// [`DROP_IN_DIRS`], an earlier directory hiding a later one's file of the
/// same name). An empty `ExecStart=` or `EnvironmentFile=` clears what came
/// before, which is how drop-ins replace the unit's command.
fn effective_unit(tree: &dyn HostTree) -> EffectiveUnit {
    let mut texts: Vec<String> = UNIT_FILES
        .iter()
        .find_map(|f| tree.read(f).ok())
        .into_iter()
        .collect();
    let mut drop_ins: Vec<(String, String)> = Vec::new();
    for dir in DROP_IN_DIRS {
        for name in tree.list(dir) {
            if name.ends_with(".conf") && !drop_ins.iter().any(|(seen, _)| *seen == name) {
                drop_ins.push((name.clone(), format!("{dir}/{name}")));
            }
        }
    }
    drop_ins.sort();
    texts.extend(drop_ins.iter().filter_map(|(_, path)| tree.read(path).ok()));

    let mut unit = EffectiveUnit::default();
    for text in &texts {
        // A backslash at the end of a line continues it.
        let joined = text.replace("\\\n", " ");
        let mut in_service = false;
        for line in joined.lines().map(str::trim) {
            if line.starts_with('[') {
                in_service = line == "[Service]";
                continue;
            }
            if !in_service {
                continue;
            }
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            let value = value.trim();
            // `EnvironmentFile=-PATH`: a missing file is no error.
            let (list, entry) = match key.trim() {
                "ExecStart" => (&mut unit.exec_start, value),
                "EnvironmentFile" => (&mut unit.environment_files, value.trim_start_matches('-')),
                _ => continue,
            };
            if value.is_empty() {
                list.clear();
            } else {
                list.push(entry.to_string());
            }
        }
    }
    unit
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::HostTreeAt;

    fn canned(files: &[(&str, &str)]) -> (tempfile::TempDir, HostTreeAt) {
        let dir = tempfile::tempdir().unwrap();
        let tree = HostTreeAt::populate(dir.path(), files).unwrap();
        (dir, tree)
    }

    #[test]
    fn a_systemd_host_whose_unit_ignores_docker_opts_uses_daemon_json() {
        let (_d, tree) = canned(&[
            ("/proc/1/comm", "systemd\n"),
            ("/proc/812/comm", "dockerd\n"),
            (
                "/proc/812/cmdline",
                "/usr/bin/dockerd\0-H\0fd://\0--containerd=/run/containerd/containerd.sock\0",
            ),
            ("/proc/900/comm", "bash\n"),
            (
                "/lib/systemd/system/docker.service",
                "[Service]\nExecStart=/usr/bin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock\n",
            ),
        ]);
        let found = detect(&tree);
        assert_eq!(found.init, InitSystem::Systemd);
        assert_eq!(found.pid, Some(812));
        assert_eq!(
            found.args,
            [
                "-H",
                "fd://",
                "--containerd=/run/containerd/containerd.sock"
            ]
        );
        assert_eq!(
            found.target,
            DnsConfigTarget::DaemonJson(DAEMON_JSON.into())
        );
        assert_eq!(found.restart_command, "systemctl restart docker");
        assert!(found.dns_flags.is_empty());
    }

    #[test]
    fn a_unit_that_passes_docker_opts_and_a_sysvinit_host_use_default_docker() {
        let (_d, tree) = canned(&[
            ("/proc/1/comm", "systemd\n"),
            (
                "/lib/systemd/system/docker.service",
                "[Service]\nEnvironmentFile=-/etc/default/docker\nExecStart=/usr/bin/dockerd -H fd:// $DOCKER_OPTS\n",
            ),
        ]);
        let found = detect(&tree);
        assert!(found.unit_uses_docker_opts);
        assert_eq!(found.environment_files, [DEFAULT_DOCKER]);
        assert_eq!(
            found.target,
            DnsConfigTarget::DockerOpts(DEFAULT_DOCKER.into())
        );
        assert_eq!(found.pid, None);

        let (_d, sysv) = canned(&[
            ("/proc/1/comm", "init\n"),
            ("/proc/77/comm", "dockerd\n"),
            (
                "/proc/77/cmdline",
                concat!(
                    "/usr/bin/dockerd\0--dns\0",
                    "192.0.2.53\0--config-file=/srv/docker.json\0"
                ),
            ),
        ]);
        let found = detect(&sysv);
        assert_eq!(found.init, InitSystem::Sysvinit);
        assert_eq!(
            found.target,
            DnsConfigTarget::DockerOpts(DEFAULT_DOCKER.into())
        );
        assert_eq!(found.config_file, "/srv/docker.json");
        assert_eq!(found.dns_flags, ["--dns"]);
        assert_eq!(found.restart_command, "service docker restart");
    }

    #[test]
    fn drop_ins_count_and_this_machine_is_read_without_error() {
        let (_d, tree) = canned(&[
            ("/run/systemd/system/.keep", ""),
            (
                "/lib/systemd/system/docker.service",
                "[Service]\nExecStart=/usr/bin/dockerd\n",
            ),
            (
                "/etc/systemd/system/docker.service.d/opts.conf",
                "[Service]\nEnvironmentFile=/etc/default/docker\nExecStart=\nExecStart=/usr/bin/dockerd ${DOCKER_OPTS}\n",
            ),
        ]);
        let found = detect(&tree);
        assert_eq!(found.init, InitSystem::Systemd);
        assert_eq!(
            found.target,
            DnsConfigTarget::DockerOpts(DEFAULT_DOCKER.into())
        );
        // The live host: whatever it is, a dockerd that runs here is found.
        let live = detect(&crate::host::LiveHost);
        let running = std::fs::read_dir("/proc").unwrap().flatten().any(|e| {
            std::fs::read_to_string(e.path().join("comm")).is_ok_and(|c| c.trim() == "dockerd")
        });
        assert_eq!(live.pid.is_some(), running);
    }

    #[test]
    fn a_drop_in_that_replaces_exec_start_decides_as_systemd_does() {
        // Found in review: the unit passes $DOCKER_OPTS, but a drop-in
        // resets ExecStart to a command without it, so dockerd never reads
        // /etc/default/docker.
        let unit = (
            "/lib/systemd/system/docker.service",
            "[Unit]\nDescription=ExecStart=$DOCKER_OPTS is not read here\n\
             [Service]\nEnvironmentFile=-/etc/default/docker\n\
             ExecStart=/usr/bin/dockerd -H fd:// \\\n  $DOCKER_OPTS\n",
        );
        let (_d, tree) = canned(&[("/proc/1/comm", "systemd\n"), unit]);
        let found = detect(&tree);
        assert!(found.unit_uses_docker_opts, "a continued line is one line");
        assert_eq!(
            found.target,
            DnsConfigTarget::DockerOpts(DEFAULT_DOCKER.into())
        );

        assert!(!expands_docker_opts("/usr/bin/dockerd $DOCKER_OPTS_EXTRA"));
        assert!(expands_docker_opts("/usr/bin/dockerd $DOCKER_OPTS --x"));
        assert!(expands_docker_opts("/usr/bin/dockerd ${DOCKER_OPTS}"));
        let reset = "[Service]\nExecStart=\nExecStart=/usr/bin/dockerd -H fd://\n";
        for dir in [
            "/etc/systemd/system/docker.service.d",
            "/run/systemd/system/docker.service.d",
            "/usr/lib/systemd/system/docker.service.d",
        ] {
            let drop_in = format!("{dir}/override.conf");
            let (_d, tree) = canned(&[
                ("/proc/1/comm", "systemd\n"),
                unit,
                (drop_in.as_str(), reset),
            ]);
            let found = detect(&tree);
            assert!(!found.unit_uses_docker_opts, "{dir}");
            assert_eq!(
                found.target,
                DnsConfigTarget::DaemonJson(DAEMON_JSON.into()),
                "{dir}"
            );
        }

        // Drop-ins apply by file name; /etc hides /run's file of that name;
        // an empty EnvironmentFile= clears the list.
        let (_d, tree) = canned(&[
            ("/proc/1/comm", "systemd\n"),
            unit,
            ("/run/systemd/system/docker.service.d/10-reset.conf", reset),
            (
                "/etc/systemd/system/docker.service.d/10-reset.conf",
                "[Service]\nEnvironment=X=1\n",
            ),
            (
                "/usr/lib/systemd/system/docker.service.d/20-env.conf",
                "[Service]\nEnvironmentFile=\nEnvironmentFile=/srv/docker.env\n",
            ),
        ]);
        let found = detect(&tree);
        assert!(found.unit_uses_docker_opts);
        assert_eq!(found.environment_files, ["/srv/docker.env"]);
        assert_eq!(
            found.target,
            DnsConfigTarget::DaemonJson(DAEMON_JSON.into()),
            "the unit no longer reads /etc/default/docker"
        );
    }
}
