//! The proof that DNS works in a container: the probe, run as a new
//! container's only process with the DNS settings and network asked for,
//! reports the container's `/etc/resolv.conf` and looks each name up the
//! way the C library would (`/etc/hosts`, then the name servers with the
//! search list), saying which server answered what.

use pcvmfs_core::dns_lookup::DnsVerifyReport;
use pcvmfs_core::{ContainerSpec, DnsOptions};

use crate::connect::DockerEngine;
use crate::error::{Error, Result};
use crate::readiness::{PROBE_IN_CONTAINER, ProbeBinary};
use crate::scratch_container::ScratchContainer;

/// Most names one verification looks up.
pub const MAX_NAMES: usize = 64;

/// What to verify.
#[derive(Debug, Clone, Default)]
pub struct DnsVerify {
    /// The image to run (any image: the probe is copied in).
    pub image: String,
    /// The names to look up.
    pub names: Vec<String>,
    /// Per-container DNS settings (`docker run --dns ...`); empty: the
    /// daemon's.
    pub dns: DnsOptions,
    /// The network to join; `None`: the default bridge.
    pub network: Option<String>,
    /// The user to run as; `None`: the image's.
    pub user: Option<String>,
}

/// Checks one name to look up: a host name or an address, nothing that
/// could be read as a flag.
fn check_name(name: &str) -> Result<()> {
    let address = name.parse::<std::net::IpAddr>().is_ok();
    let trimmed = name.strip_suffix('.').unwrap_or(name);
    if address || pcvmfs_core::dns::check_domain(trimmed).is_ok() {
        return Ok(());
    }
    Err(Error::Core(pcvmfs_core::Error::parse(
        "name to look up",
        name,
        "is neither a host name (letters, digits, '-' and '.', labels of at most 63) nor an address",
    )))
}

impl DockerEngine {
    /// Runs the probe in a new container of `verify.image` and returns what
    /// it found; the container is removed afterwards.
    pub async fn verify_dns(
        &self,
        verify: &DnsVerify,
        probe: &ProbeBinary,
    ) -> Result<DnsVerifyReport> {
        if verify.names.is_empty() {
            return Err(Error::Core(pcvmfs_core::Error::parse(
                "names to look up",
                "",
                "give at least one name",
            )));
        }
        if verify.names.len() > MAX_NAMES {
            return Err(Error::Core(pcvmfs_core::Error::parse(
                "names to look up",
                &verify.names.join(" "),
                format!("at most {MAX_NAMES} names at a time"),
            )));
        }
        for name in &verify.names {
            check_name(name)?;
        }
        let mut spec = ContainerSpec::new(&verify.image);
        let mut command = vec![PROBE_IN_CONTAINER.to_string(), "--resolve".to_string()];
        command.extend(verify.names.iter().cloned());
        spec.command = Some(command);
        spec.dns = verify.dns.clone();
        spec.network = verify.network.clone();
        spec.user = verify.user.clone();
        let container = ScratchContainer::create(self, &spec).await?;
        let id = container.id();
        let action = format!("look names up in {}", verify.image);
        let result = async {
            self.copy_probe(id, probe).await?;
            self.run_to_end(id, &action).await
        }
        .await;
        let removed = container.remove().await;
        let (code, stdout, stderr) = result?;
        removed?;
        DnsVerifyReport::from_json(String::from_utf8_lossy(&stdout).trim()).map_err(|e| {
            Error::Engine {
                action,
                message: format!(
                    "{e} (exit code {code}, stderr: {})",
                    String::from_utf8_lossy(&stderr).trim()
                ),
                status: None,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_could_be_flags_or_worse_are_refused() {
        for good in [
            "cvmfs-proxy",
            "ca-proxy.cern.ch",
            "ca-proxy.cern.ch.",
            "192.0.2.1",
            "::1",
        ] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "--help",
            "a b",
            "a;rm -rf /",
            "a\nb",
            "-x",
            &"a".repeat(64),
            "a..b",
        ] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }
}
