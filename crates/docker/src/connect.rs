//! Connecting to an engine: where to look, negotiating the API version, and
//! saying clearly what to check when nothing answers.

use std::os::unix::fs::FileTypeExt;
use std::path::PathBuf;
use std::time::Duration;

use bollard::Docker;

use crate::error::{Error, Result};

/// Where the Docker engine listens when nothing else is said.
pub const DEFAULT_HOST: &str = "unix:///var/run/docker.sock";

/// Seconds a single request may wait for the engine's first answer. Long
/// operations (builds, exec output) stream after that answer and are not
/// bounded by it.
const REQUEST_TIMEOUT_SECS: u64 = 120;

/// How long connecting may take before the engine counts as unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A connection to a Docker engine, with the API version agreed.
#[derive(Debug, Clone)]
pub struct DockerEngine {
    pub(crate) client: Docker,
    host: String,
    socket: Option<PathBuf>,
}

/// Which host to use, and the words that say where it came from.
fn choose_host(host: Option<&str>) -> (String, &'static str) {
    if let Some(host) = host.filter(|h| !h.is_empty()) {
        return (normalise(host), "given");
    }
    match std::env::var("DOCKER_HOST") {
        Ok(host) if !host.is_empty() => (normalise(&host), "from DOCKER_HOST"),
        _ => (DEFAULT_HOST.to_string(), "the default"),
    }
}

/// A bare socket path means a unix socket.
fn normalise(host: &str) -> String {
    if host.starts_with('/') {
        format!("unix://{host}")
    } else {
        host.to_string()
    }
}

impl DockerEngine {
    /// Connects to `host` (`unix:///path`, `tcp://host:port`, `http://...`,
    /// or a socket path), else `DOCKER_HOST`, else the local socket, and
    /// negotiates the API version so that Docker 20.10 (API 1.41) and
    /// current engines both work. Fails fast, naming the place it looked,
    /// when nothing answers there.
    pub async fn connect(host: Option<&str>) -> Result<DockerEngine> {
        let (host, origin) = choose_host(host);
        let unreachable = |reason: String, hint: &str| Error::Unreachable {
            host: format!("{host} ({origin})"),
            reason,
            hint: hint.to_string(),
        };
        let socket = host.strip_prefix("unix://").map(PathBuf::from);
        if let Some(path) = &socket {
            match std::fs::metadata(path) {
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                    return Err(unreachable(
                        format!("there is no socket at {}", path.display()),
                        "Is dockerd running (systemctl status docker, or service docker status)? \
                         If the engine listens elsewhere, set DOCKER_HOST.",
                    ));
                }
                Err(err) => {
                    return Err(unreachable(
                        format!("cannot look at {}: {err}", path.display()),
                        "Check the permissions of the socket's directory.",
                    ));
                }
                Ok(meta) if !meta.file_type().is_socket() => {
                    return Err(unreachable(
                        format!("{} is not a socket", path.display()),
                        "Point DOCKER_HOST at the engine's socket (unix:///var/run/docker.sock).",
                    ));
                }
                Ok(_) => {}
            }
        }
        let client = if socket.is_some() {
            Docker::connect_with_unix(&host, REQUEST_TIMEOUT_SECS, bollard::API_DEFAULT_VERSION)
        } else if host.starts_with("tcp://") || host.starts_with("http://") {
            Docker::connect_with_http(&host, REQUEST_TIMEOUT_SECS, bollard::API_DEFAULT_VERSION)
        } else {
            return Err(unreachable(
                "pcvmfs speaks to engines over unix://, tcp:// or http://".to_string(),
                "Set DOCKER_HOST to unix:///var/run/docker.sock or tcp://HOST:2375.",
            ));
        }
        .map_err(|e| unreachable(e.to_string(), "Check DOCKER_HOST."))?;
        let negotiated = tokio::time::timeout(CONNECT_TIMEOUT, client.negotiate_version()).await;
        let client = match negotiated {
            Err(_) => {
                return Err(unreachable(
                    format!("no answer within {} seconds", CONNECT_TIMEOUT.as_secs()),
                    "Is the engine hung or overloaded? Check `systemctl status docker`.",
                ));
            }
            Ok(Err(err)) => {
                let reason = error_chain(&err);
                let hint = if reason.contains("ermission denied") {
                    "Your user may not use the engine's socket: add it to the docker group \
                     (usermod -aG docker USER, then log in again) or run as root."
                } else if reason.contains("onnection refused") {
                    "The socket exists but nothing listens: start dockerd (systemctl start docker)."
                } else {
                    "Is dockerd running, and is DOCKER_HOST right?"
                };
                return Err(unreachable(reason, hint));
            }
            Ok(Ok(client)) => client,
        };
        Ok(DockerEngine {
            client,
            host,
            socket,
        })
    }

    /// Where this engine listens (`unix:///var/run/docker.sock`).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// Whether the engine is on this machine (a unix socket), so that the
    /// processes of its containers are visible in `/proc`.
    pub fn is_local(&self) -> bool {
        self.socket.is_some()
    }

    /// The API version agreed with the engine (`1.41`).
    pub fn api_version(&self) -> String {
        let v = self.client.client_version();
        format!("{}.{}", v.major_version, v.minor_version)
    }

    /// The underlying bollard client, for what pcvmfs does not wrap.
    pub fn client(&self) -> &Docker {
        &self.client
    }
}

/// An error and its causes, joined, since the useful part (`Permission
/// denied`) is often a few levels down.
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let part = cause.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_paths_are_unix_hosts() {
        assert_eq!(normalise("/run/docker.sock"), "unix:///run/docker.sock");
        assert_eq!(normalise("tcp://h:2375"), "tcp://h:2375");
        assert_eq!(choose_host(Some("/x.sock")).0, "unix:///x.sock");
    }
}
