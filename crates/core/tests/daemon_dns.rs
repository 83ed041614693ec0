//! The daemon's DNS settings: daemon.json merges, `DOCKER_OPTS` edits,
//! hostile values, flag/file conflicts, and atomic writes that survive a
//! writer killed at any moment.

use std::fs;
use std::net::IpAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pcvmfs_core::atomic_file::{BackupName, backup_path, write_atomically, write_atomically_with};
use pcvmfs_core::daemon_dns::{DaemonDnsConfig, DockerOpts, dns_conflict, parse_dns_servers};

fn ips(texts: &[&str]) -> Vec<IpAddr> {
    parse_dns_servers(texts).unwrap()
}

fn strings(texts: &[&str]) -> Vec<String> {
    texts.iter().map(|s| s.to_string()).collect()
}

// ---------------------------------------------------------------- daemon.json

const DAEMON_JSON: &str = r#"{
  "storage-driver": "overlay2",
  "log-opts": {"max-size": "10m", "max-file": "3"},
  "dns": ["10.0.0.1"],
  "insecure-registries": ["registry.local:5000"],
  "debug": true,
  "mtu": 1400
}
"#;

#[test]
fn daemon_json_merge_keeps_other_keys_values_and_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("daemon.json");
    fs::write(&path, DAEMON_JSON).unwrap();
    let mut config = DaemonDnsConfig::load(&path).unwrap();
    assert_eq!(config.dns().unwrap().servers, ips(&["10.0.0.1"]));
    config
        .set_dns(
            &ips(&["192.0.2.53", "2001:db8::53"]),
            Some(&strings(&["cern.ch"])),
            Some(&strings(&["ndots:2", "edns0"])),
        )
        .unwrap();
    config.save(None).unwrap();
    let expected = r#"{
  "storage-driver": "overlay2",
  "log-opts": {
    "max-size": "10m",
    "max-file": "3"
  },
  "dns": [
    "192.0.2.53",
    "2001:db8::53"
  ],
  "insecure-registries": [
    "registry.local:5000"
  ],
  "debug": true,
  "mtu": 1400,
  "dns-search": [
    "cern.ch"
  ],
  "dns-opts": [
    "ndots:2",
    "edns0"
  ]
}
"#;
    assert_eq!(fs::read_to_string(&path).unwrap(), expected);
    assert_eq!(fs::read_to_string(backup_path(&path)).unwrap(), DAEMON_JSON);
    let again = DaemonDnsConfig::load(&path).unwrap().dns().unwrap();
    assert_eq!(again.search, ["cern.ch"]);
    assert_eq!(again.options, ["ndots:2", "edns0"]);
}

#[test]
fn daemon_json_none_keeps_and_empty_removes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("daemon.json");
    fs::write(
        &path,
        r#"{"dns-search": ["a.org"], "dns": ["10.0.0.1"], "dns-opts": ["edns0"], "x": 1}"#,
    )
    .unwrap();
    let mut config = DaemonDnsConfig::load(&path).unwrap();
    config.set_dns(&[], None, Some(&[])).unwrap();
    assert_eq!(
        config.to_json(),
        "{\n  \"dns-search\": [\n    \"a.org\"\n  ],\n  \"x\": 1\n}\n"
    );
}

#[test]
fn missing_and_empty_daemon_json_are_empty_configs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("docker").join("daemon.json");
    let config = DaemonDnsConfig::load(&path).unwrap();
    assert!(config.dns().unwrap().is_empty());
    let empty = dir.path().join("empty.json");
    fs::write(&empty, "  \n").unwrap();
    let mut config = DaemonDnsConfig::load(&empty).unwrap();
    config.set_dns(&ips(&["1.1.1.1"]), None, None).unwrap();
    config.save(None).unwrap();
    assert_eq!(
        fs::read_to_string(&empty).unwrap(),
        "{\n  \"dns\": [\n    \"1.1.1.1\"\n  ]\n}\n"
    );
    let created = dir.path().join("new.json");
    config.save(Some(&created)).unwrap();
    assert_eq!(
        fs::metadata(&created).unwrap().permissions().mode() & 0o777,
        0o644
    );
    assert!(!backup_path(&created).exists());
}

#[test]
fn invalid_daemon_json_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    for (name, content, reason) in [
        (
            "trailing-comma.json",
            "{\"dns\": [\"1.1.1.1\"],}\n",
            "not valid JSON",
        ),
        ("truncated.json", "{\"dns\": [", "not valid JSON"),
        ("array.json", "[\"1.1.1.1\"]\n", "not a JSON object"),
        ("string.json", "\"dns\"", "not a JSON object"),
        ("binary.json", "{\"a\": 1}\u{0}garbage", "not valid JSON"),
    ] {
        let path = dir.path().join(name);
        fs::write(&path, content).unwrap();
        let err = DaemonDnsConfig::load(&path).unwrap_err().to_string();
        assert!(err.contains(name), "{name}: {err}");
        assert!(err.contains(reason), "{name}: {err}");
        assert_eq!(fs::read(&path).unwrap(), content.as_bytes(), "{name}");
        assert!(!backup_path(&path).exists());
    }
}

#[test]
fn daemon_json_values_that_are_not_lists_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("daemon.json");
    fs::write(&path, r#"{"dns": "8.8.8.8"}"#).unwrap();
    let err = DaemonDnsConfig::load(&path)
        .unwrap()
        .dns()
        .unwrap_err()
        .to_string();
    assert!(err.ends_with(r#""dns" is "8.8.8.8", not a list"#), "{err}");
}

#[test]
fn search_domains_and_options_with_blanks_are_refused_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("daemon.json");
    fs::write(&path, DAEMON_JSON).unwrap();
    let mut config = DaemonDnsConfig::load(&path).unwrap();
    let before = config.clone();
    for (search, options, expected) in [
        (vec!["cern.ch\nnameserver 6.6.6.6"], vec![], "search domain"),
        (vec!["cern.ch example.org"], vec![], "search domain"),
        (vec![], vec!["ndots:2 rotate"], "DNS option"),
        (vec![], vec!["edns0\n"], "DNS option"),
    ] {
        let err = config
            .set_dns(
                &ips(&["1.1.1.1"]),
                Some(&strings(&search)),
                Some(&strings(&options)),
            )
            .unwrap_err()
            .to_string();
        assert!(err.contains(expected), "{err}");
        assert_eq!(config, before);
    }
}

// ------------------------------------------------------------- DOCKER_OPTS

/// Applies `--dns 192.0.2.53 --dns 192.0.2.54 --dns-search cern.ch` to
/// `before` and compares with `after`, both written by hand.
#[test]
fn docker_opts_table() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "absent file",
            "",
            "DOCKER_OPTS=\"--dns 192.0.2.53 --dns 192.0.2.54 --dns-search cern.ch\"\n",
        ),
        (
            "no DOCKER_OPTS line",
            "# Docker Upstart and SysVinit configuration file\n#export http_proxy=\"http://127.0.0.1:3128/\"",
            "# Docker Upstart and SysVinit configuration file\n#export http_proxy=\"http://127.0.0.1:3128/\"\nDOCKER_OPTS=\"--dns 192.0.2.53 --dns 192.0.2.54 --dns-search cern.ch\"\n",
        ),
        (
            "commented-out line left alone",
            "# Use DOCKER_OPTS to modify the daemon startup options.\n#DOCKER_OPTS=\"--dns 8.8.8.8 --dns 8.8.4.4\"\n",
            "# Use DOCKER_OPTS to modify the daemon startup options.\n#DOCKER_OPTS=\"--dns 8.8.8.8 --dns 8.8.4.4\"\nDOCKER_OPTS=\"--dns 192.0.2.53 --dns 192.0.2.54 --dns-search cern.ch\"\n",
        ),
        (
            "double quotes with other flags and a comment",
            "# comment\nDOCKER_OPTS=\"-H tcp://127.0.0.1:2375 --storage-driver=overlay2\"  # keep\nexport TMPDIR=\"/mnt/bigdrive/docker-tmp\"\n",
            "# comment\nDOCKER_OPTS=\"-H tcp://127.0.0.1:2375 --storage-driver=overlay2 --dns 192.0.2.53 --dns 192.0.2.54 --dns-search cern.ch\"  # keep\nexport TMPDIR=\"/mnt/bigdrive/docker-tmp\"\n",
        ),
        (
            "single quotes",
            "DOCKER_OPTS='--ipv6'\n",
            "DOCKER_OPTS='--ipv6 --dns 192.0.2.53 --dns 192.0.2.54 --dns-search cern.ch'\n",
        ),
        (
            "unquoted",
            "DOCKER_OPTS=--ipv6\n",
            "DOCKER_OPTS=\"--ipv6 --dns 192.0.2.53 --dns 192.0.2.54 --dns-search cern.ch\"\n",
        ),
        (
            "unquoted empty",
            "DOCKER_OPTS=\n",
            "DOCKER_OPTS=\"--dns 192.0.2.53 --dns 192.0.2.54 --dns-search cern.ch\"\n",
        ),
        (
            "export prefix and indentation",
            "  export DOCKER_OPTS=\"--ipv6\"\n",
            "  export DOCKER_OPTS=\"--ipv6 --dns 192.0.2.53 --dns 192.0.2.54 --dns-search cern.ch\"\n",
        ),
        (
            "existing --dns X and --dns=X replaced, other flags kept in place",
            "DOCKER_OPTS=\"--dns 8.8.8.8 --ipv6  --dns=8.8.4.4 --dns-search=old.org --label a=b\"\n",
            "DOCKER_OPTS=\"--ipv6 --label a=b --dns 192.0.2.53 --dns 192.0.2.54 --dns-search cern.ch\"\n",
        ),
        (
            "unquoted --dns=X replaced",
            "DOCKER_OPTS=--dns=8.8.8.8\n",
            "DOCKER_OPTS=\"--dns 192.0.2.53 --dns 192.0.2.54 --dns-search cern.ch\"\n",
        ),
        (
            "single-quoted hostile old value removed",
            "DOCKER_OPTS='--dns $(reboot) --dns-opt=ndots:1'\n",
            "DOCKER_OPTS='--dns-opt=ndots:1 --dns 192.0.2.53 --dns 192.0.2.54 --dns-search cern.ch'\n",
        ),
        (
            "two assignments: flags removed from both, added to the last",
            "DOCKER_OPTS=\"--dns 8.8.8.8 --ipv6\"\nDOCKER_OPTS=\"$DOCKER_OPTS --dns=1.1.1.1\"\n",
            "DOCKER_OPTS=\"--ipv6\"\nDOCKER_OPTS=\"$DOCKER_OPTS --dns 192.0.2.53 --dns 192.0.2.54 --dns-search cern.ch\"\n",
        ),
        (
            "a value on several lines",
            "DOCKER_OPTS=\"--ipv6 \\\n  --dns 8.8.8.8 \\\n  --debug\"\nOTHER=1\n",
            "DOCKER_OPTS=\"--ipv6 \\\n  --debug --dns 192.0.2.53 --dns 192.0.2.54 --dns-search cern.ch\"\nOTHER=1\n",
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (index, (name, before, after)) in cases.iter().enumerate() {
        let path = dir.path().join(format!("docker-{index}"));
        if !before.is_empty() {
            fs::write(&path, before).unwrap();
        }
        let mut opts = DockerOpts::load(&path).unwrap();
        opts.set_dns(
            &ips(&["192.0.2.53", "192.0.2.54"]),
            Some(&strings(&["cern.ch"])),
            None,
        )
        .unwrap();
        opts.save(None).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), *after, "{name}");
        if before.is_empty() {
            assert!(!backup_path(&path).exists(), "{name}");
        } else {
            assert_eq!(
                fs::read_to_string(backup_path(&path)).unwrap(),
                *before,
                "{name}"
            );
        }
        // A second run changes nothing.
        let mut again = DockerOpts::load(&path).unwrap();
        again
            .set_dns(
                &ips(&["192.0.2.53", "192.0.2.54"]),
                Some(&strings(&["cern.ch"])),
                None,
            )
            .unwrap();
        assert_eq!(again.text(), *after, "{name}: not idempotent");
    }
}

#[test]
fn docker_opts_flags_are_read_as_dockerd_gets_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("docker");
    fs::write(
        &path,
        "#DOCKER_OPTS=\"--dns 9.9.9.9\"\nDOCKER_OPTS=\"--dns 8.8.8.8 \\\n --label a=\\\"b\\\"\"\n",
    )
    .unwrap();
    let opts = DockerOpts::load(&path).unwrap();
    assert_eq!(opts.flags(), ["--dns", "8.8.8.8", "--label", "a=\"b\""]);
}

#[test]
fn added_flags_never_join_a_word_the_shell_does_not_split() {
    // Found by fuzzing: a vertical tab is white space to Rust's trim, but
    // not a blank to the shell, so "\v\v" is a word of its own.
    let mut opts =
        DockerOpts::parse("/etc/default/docker", "DOCKER_OPTS=\"   \x0b\x0b  \"\n").unwrap();
    opts.set_dns(&ips(&["192.0.2.53", "2001:db8::53"]), None, None)
        .unwrap();
    assert_eq!(
        opts.text(),
        "DOCKER_OPTS=\"   \x0b\x0b --dns 192.0.2.53 --dns 2001:db8::53  \"\n"
    );
    assert_eq!(
        opts.flags(),
        ["\x0b\x0b", "--dns", "192.0.2.53", "--dns", "2001:db8::53"]
    );
    // A backslash before a tab is a character of its own in double quotes;
    // the tab splits. The flags come after.
    let mut opts = DockerOpts::parse("/etc/default/docker", "DOCKER_OPTS=\"-x\\\t\n\"\n").unwrap();
    opts.set_dns(&ips(&["192.0.2.53"]), None, None).unwrap();
    assert_eq!(opts.flags(), ["-x\\", "--dns", "192.0.2.53"]);
    // A word ending in a lone backslash, then a removed --dns: the
    // backslash must not come to escape the closing quote.
    let mut opts = DockerOpts::parse(
        "/etc/default/docker",
        "DOCKER_OPTS=\"-x\\\t--dns\"\nDOCKER_OPTS=\"-y\"\n",
    )
    .unwrap();
    opts.set_dns(&ips(&["192.0.2.53"]), None, None).unwrap();
    let again = DockerOpts::parse("/etc/default/docker", opts.text()).unwrap();
    assert_eq!(again.flags(), ["-x\\", "-y", "--dns", "192.0.2.53"]);
    // In double quotes `\s` stays a backslash and an s, as the shell reads
    // it: `--dn\s` is no --dns flag, and is kept.
    let mut opts = DockerOpts::parse(
        "/etc/default/docker",
        "DOCKER_OPTS=\"--dn\\s 10.0.0.1 --label a=\\\"b\\\" --x=\\$HOME\"\n",
    )
    .unwrap();
    assert_eq!(
        opts.flags(),
        ["--dn\\s", "10.0.0.1", "--label", "a=\"b\"", "--x=$HOME"]
    );
    opts.set_dns(&ips(&["192.0.2.53"]), None, None).unwrap();
    assert_eq!(
        opts.flags(),
        [
            "--dn\\s",
            "10.0.0.1",
            "--label",
            "a=\"b\"",
            "--x=$HOME",
            "--dns",
            "192.0.2.53"
        ]
    );
}

#[test]
fn docker_opts_that_cannot_be_edited_safely_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    for (content, reason) in [
        ("DOCKER_OPTS=\"--dns 8.8.8.8\n", "unterminated \" quote"),
        ("\nDOCKER_OPTS='--dns 8.8.8.8\n", "unterminated ' quote"),
        ("DOCKER_OPTS=\"--ipv6\"'--debug'\n", "is followed by"),
        ("DOCKER_OPTS=--label=a\\ b\n", "quote the whole value"),
    ] {
        let path = dir.path().join("docker");
        fs::write(&path, content).unwrap();
        let err = DockerOpts::load(&path).unwrap_err().to_string();
        assert!(err.contains(reason), "{content:?}: {err}");
        assert!(err.contains(&path.display().to_string()), "{err}");
        assert_eq!(fs::read_to_string(&path).unwrap(), content);
    }
}

#[test]
fn hostile_values_are_refused_precisely_and_the_file_is_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("docker");
    let original = "DOCKER_OPTS=\"--ipv6\"\n";
    fs::write(&path, original).unwrap();
    for hostile in [
        "1.1.1.1; rm -rf /",
        "$(reboot)",
        "`reboot`",
        "1.1.1.1\nDOCKER_OPTS=--evil",
        "1.1.1.1\" --evil \"",
        "",
    ] {
        let err = parse_dns_servers(&["192.0.2.1", hostile])
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            format!(
                "invalid DNS server {hostile:?}: expected an IPv4 or IPv6 address such as 192.0.2.53 or 2001:db8::53"
            )
        );
    }
    let mut opts = DockerOpts::load(&path).unwrap();
    for (search, options, expected) in [
        (
            vec!["cern.ch; rm -rf /"],
            vec![],
            "invalid search domain \"cern.ch; rm -rf /\"",
        ),
        (
            vec!["$(reboot)"],
            vec![],
            "invalid search domain \"$(reboot)\"",
        ),
        (
            vec!["cern.ch\nreboot"],
            vec![],
            "invalid search domain \"cern.ch\\nreboot\"",
        ),
        (vec![], vec!["ndots:2\"; reboot; \""], "invalid DNS option"),
        (
            vec![],
            vec!["edns0 rotate"],
            "invalid DNS option \"edns0 rotate\"",
        ),
    ] {
        let err = opts
            .set_dns(
                &ips(&["1.1.1.1"]),
                Some(&strings(&search)),
                Some(&strings(&options)),
            )
            .unwrap_err()
            .to_string();
        assert!(err.starts_with(expected), "{err}");
        assert_eq!(opts.text(), original);
    }
    opts.save(None).unwrap();
    assert_eq!(fs::read_to_string(&path).unwrap(), original);
}

#[test]
fn servers_nothing_answers_at_are_refused_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let json_path = dir.path().join("daemon.json");
    let opts_path = dir.path().join("docker");
    fs::write(&json_path, "{\"debug\": true}\n").unwrap();
    fs::write(&opts_path, "DOCKER_OPTS=\"--ipv6\"\n").unwrap();
    let mut json = DaemonDnsConfig::load(&json_path).unwrap();
    let mut opts = DockerOpts::load(&opts_path).unwrap();
    for (server, reason) in [
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("224.0.0.251", "multicast"),
        ("ff02::1", "multicast"),
        ("255.255.255.255", "broadcast"),
    ] {
        let servers = ips(&["192.0.2.53", server]);
        for err in [
            json.set_dns(&servers, None, None).unwrap_err(),
            opts.set_dns(&servers, None, None).unwrap_err(),
        ] {
            let text = err.to_string();
            assert!(
                text.starts_with(&format!("invalid DNS server {server:?}")),
                "{text}"
            );
            assert!(text.contains(reason), "{text}");
        }
    }
    assert_eq!(json.to_json(), "{\n  \"debug\": true\n}\n");
    assert_eq!(opts.text(), "DOCKER_OPTS=\"--ipv6\"\n");
}

#[test]
fn files_that_are_not_utf8_are_parse_errors_with_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("daemon.json");
    fs::write(&path, b"{\n  \"label\": \"caf\xe9\"\n}\n").unwrap();
    let err = DaemonDnsConfig::load(&path).unwrap_err();
    assert!(matches!(err, pcvmfs_core::Error::Parse { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&format!("{}:2", path.display())),
        "{err}"
    );
    assert!(err.to_string().contains("not UTF-8"), "{err}");
    let err = DockerOpts::load(&path).unwrap_err();
    assert!(err.to_string().contains("not UTF-8"), "{err}");
}

// ---------------------------------------------------------------- conflicts

#[test]
fn flags_and_daemon_json_setting_the_same_thing_are_a_conflict() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("daemon.json");
    fs::write(&path, r#"{"dns": ["1.1.1.1"], "debug": true}"#).unwrap();
    let config = DaemonDnsConfig::load(&path).unwrap();
    let warning = dns_conflict(
        &config,
        &strings(&["/usr/bin/dockerd", "-H", "fd://", "--dns=8.8.8.8"]),
    )
    .unwrap();
    assert!(warning.contains("--dns and \"dns\""), "{warning}");
    assert!(warning.contains(&path.display().to_string()), "{warning}");
    assert!(dns_conflict(&config, &strings(&["--dns-search", "cern.ch", "--debug"])).is_none());
    assert!(dns_conflict(&config, &[]).is_none());

    let docker = dir.path().join("docker");
    fs::write(&docker, "DOCKER_OPTS='--dns 8.8.8.8 --dns-opt ndots:2'\n").unwrap();
    let flags = DockerOpts::load(&docker).unwrap().flags();
    assert!(dns_conflict(&config, &flags).is_some());
    let empty = DaemonDnsConfig::load(dir.path().join("absent.json")).unwrap();
    assert!(dns_conflict(&empty, &flags).is_none());
}

// ------------------------------------------------------------ atomic writes

#[test]
fn atomic_writes_keep_the_mode_and_a_backup() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("daemon.json");
    write_atomically(&path, b"first\n").unwrap();
    assert_eq!(
        fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o644
    );
    assert!(!backup_path(&path).exists());
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
    write_atomically(&path, b"second\n").unwrap();
    assert_eq!(fs::read(&path).unwrap(), b"second\n");
    assert_eq!(fs::read(backup_path(&path)).unwrap(), b"first\n");
    assert_eq!(
        fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(
        fs::metadata(backup_path(&path))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o600
    );
    // A backup is never overwritten (found in review: a second change lost
    // the administrator's original file): the next goes to `.1`.
    let second_backup = dir.path().join("daemon.json.pcvmfs-backup.1");
    assert_eq!(
        write_atomically(&path, b"third\n").unwrap(),
        Some(second_backup.clone())
    );
    assert_eq!(fs::read(backup_path(&path)).unwrap(), b"first\n");
    assert_eq!(fs::read(&second_backup).unwrap(), b"second\n");
    // Content that a backup already holds is not copied again.
    fs::write(&path, b"first\n").unwrap();
    assert_eq!(
        write_atomically(&path, b"fourth\n").unwrap(),
        Some(backup_path(&path))
    );
    // No temporary file is left behind.
    let mut names: Vec<String> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "daemon.json",
            "daemon.json.pcvmfs-backup",
            "daemon.json.pcvmfs-backup.1"
        ]
    );
    // A hidden backup, for directories whose reader loads every file.
    let profile = dir.path().join("docker-parrot");
    write_atomically_with(&profile, b"a\n", BackupName::Hidden).unwrap();
    assert_eq!(
        write_atomically_with(&profile, b"b\n", BackupName::Hidden).unwrap(),
        Some(dir.path().join(".docker-parrot.pcvmfs-backup"))
    );
}

#[test]
fn atomic_writes_keep_the_owner_and_replace_through_a_link() {
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real.json");
    let link = dir.path().join("daemon.json");
    fs::write(&real, "old").unwrap();
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let before = fs::metadata(&real).unwrap();
    write_atomically(&link, b"new").unwrap();
    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(fs::read(&real).unwrap(), b"new");
    let after = fs::metadata(&real).unwrap();
    assert_eq!((after.uid(), after.gid()), (before.uid(), before.gid()));
    assert_eq!(fs::read(backup_path(&real)).unwrap(), b"old");
}

#[test]
fn atomic_write_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no-such-dir").join("daemon.json");
    let err = write_atomically(&path, b"x").unwrap_err().to_string();
    assert!(
        err.starts_with("cannot write a temporary file next to"),
        "{err}"
    );
    assert!(err.contains("no-such-dir"), "{err}");
}

/// Set in the child process that writes until it is killed.
const CHILD_ENV: &str = "PCVMFS_ATOMIC_WRITE_CHILD";

fn large_json(marker: &str) -> String {
    let entries: Vec<String> = (0..40_000)
        .map(|i| format!("  \"key-{i}\": \"{marker}-{i}-{}\"", "x".repeat(40)))
        .collect();
    format!("{{\n{}\n}}\n", entries.join(",\n"))
}

/// The child half of [`a_writer_killed_at_any_moment_leaves_old_or_new`]:
/// with the variable set, it rewrites the file through `write_atomically`,
/// alternating two large contents, until killed. Without it, it does nothing.
#[test]
fn atomic_write_child() {
    let Ok(path) = std::env::var(CHILD_ENV) else {
        return;
    };
    let contents = [large_json("old"), large_json("new")];
    for round in 0.. {
        write_atomically(Path::new(&path), contents[round % 2].as_bytes()).unwrap();
    }
}

#[test]
fn a_writer_killed_at_any_moment_leaves_old_or_new() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("daemon.json");
    let old = large_json("old");
    let new = large_json("new");
    fs::write(&path, &old).unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    let mut saw = [false, false];
    for round in 0..40 {
        let mut child = Command::new(&exe)
            .args([
                "atomic_write_child",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, &path)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // xorshift: a different moment each round, no extra dependency.
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        std::thread::sleep(Duration::from_micros(20_000 + seed % 80_000));
        child.kill().unwrap();
        let status = child.wait().unwrap();
        assert!(
            status.code().is_none(),
            "round {round}: the writer ended by itself: {status}"
        );
        let text = fs::read_to_string(&path).unwrap();
        serde_json::from_str::<serde_json::Value>(&text)
            .unwrap_or_else(|e| panic!("round {round}: not JSON after the kill: {e}"));
        if text == old {
            saw[0] = true;
        } else if text == new {
            saw[1] = true;
        } else {
            panic!("round {round}: a mix of old and new ({} bytes)", text.len());
        }
        for backup in [
            backup_path(&path),
            dir.path().join("daemon.json.pcvmfs-backup.1"),
        ] {
            let backup = fs::read_to_string(backup).unwrap_or_default();
            assert!(
                backup.is_empty() || backup == old || backup == new,
                "round {round}: a backup is a mix"
            );
        }
    }
    // Leftover temporary files of killed writers are all that may remain.
    for entry in fs::read_dir(dir.path()).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(
            name == "daemon.json"
                || name == "daemon.json.pcvmfs-backup"
                || name == "daemon.json.pcvmfs-backup.1"
                || name.starts_with(".daemon.json.pcvmfs-tmp-")
                || name.starts_with(".daemon.json.pcvmfs-backup.pcvmfs-tmp-")
                || name.starts_with(".daemon.json.pcvmfs-backup.1.pcvmfs-tmp-"),
            "{name}"
        );
    }
    eprintln!(
        "kills that left the old content: {}, the new: {}",
        saw[0], saw[1]
    );
}
