//! Arbitrary text as resolv.conf, daemon.json and /etc/default/docker:
//! nothing panics; resolv.conf renders back to what it parses to; and an
//! edit of DOCKER_OPTS or daemon.json either fails or yields a file that
//! reads back with exactly the servers set.

#![no_main]

use std::net::IpAddr;

use libfuzzer_sys::fuzz_target;
use pcvmfs_core::daemon_dns::{DaemonDnsConfig, DockerOpts};
use pcvmfs_core::resolv_conf::ResolvConf;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(conf) = ResolvConf::parse(&text) {
        let again = ResolvConf::parse(&conf.render()).expect("rendered resolv.conf parses");
        assert_eq!(again.nameservers(), conf.nameservers());
    }
    // Read as the resolver reads it: never refused for a bad address, and
    // what it skips stays skipped.
    if let Ok((conf, skipped)) = ResolvConf::parse_as_resolver(&text) {
        let (again, skipped_again) =
            ResolvConf::parse_as_resolver(&conf.render()).expect("rendered resolv.conf parses");
        assert_eq!(again.nameservers(), conf.nameservers());
        assert_eq!(skipped_again.len(), skipped.len());
    }
    let servers: [IpAddr; 2] = ["192.0.2.53".parse().unwrap(), "2001:db8::53".parse().unwrap()];
    if let Ok(mut opts) = DockerOpts::parse("/etc/default/docker", &text) {
        if opts.set_dns(&servers, None, None).is_ok() {
            let again = DockerOpts::parse("/etc/default/docker", opts.text())
                .unwrap_or_else(|e| panic!("an edited DOCKER_OPTS file reads back: {e}: {:?}", opts.text()));
            let flags = again.flags();
            let dns: Vec<&str> = flags
                .iter()
                .enumerate()
                .filter(|(i, f)| *i > 0 && flags[i - 1] == "--dns" && !f.starts_with("--"))
                .map(|(_, f)| f.as_str())
                .collect();
            assert_eq!(dns, ["192.0.2.53", "2001:db8::53"], "{}", opts.text());
        }
    }
    if let Ok(mut config) = DaemonDnsConfig::parse("/etc/docker/daemon.json", &text) {
        if config.set_dns(&servers, None, None).is_ok() {
            let again = DaemonDnsConfig::parse("/etc/docker/daemon.json", &config.to_json())
                .expect("an edited daemon.json reads back");
            assert_eq!(again.dns().expect("dns reads back").servers, servers);
        }
    }
});
