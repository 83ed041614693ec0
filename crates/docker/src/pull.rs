//! Pulling images from a registry, with progress per layer and errors that
//! say which of the usual failures it was: no such image, access denied,
//! registry unreachable, or a failure in mid-pull.

use bollard::auth::DockerCredentials;
use bollard::query_parameters::CreateImageOptionsBuilder;
use futures_util::StreamExt;
use pcvmfs_core::pull_progress::{PullEvent, PullTracker};
use pcvmfs_core::registry_auth::{ConfigCredentials, Credentials, from_docker_config};
use pcvmfs_core::{Image, ImageRef};

use crate::connect::DockerEngine;
use crate::error::{Error, Result};

/// Where credentials for a pull come from.
#[derive(Debug, Clone, Default)]
pub enum PullAuth {
    /// The user's Docker configuration (`$DOCKER_CONFIG/config.json`,
    /// else `~/.docker/config.json`), when it has an entry for the
    /// registry; else none.
    #[default]
    DockerConfig,
    /// These credentials.
    Given(Credentials),
    /// No credentials at all.
    Anonymous,
}

/// What kind of failure an engine message describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PullFailure {
    NotFound,
    AccessDenied,
    Unreachable,
    Other,
}

/// Classifies the engine's message (Docker 20.10 to 27 wordings).
pub(crate) fn classify(message: &str, status: Option<u16>) -> PullFailure {
    let m = message.to_ascii_lowercase();
    let any = |needles: &[&str]| needles.iter().any(|n| m.contains(n));
    if any(&[
        "no basic auth credentials",
        "unauthorized",
        "authentication required",
        "access denied",
        "access to the resource is denied",
        "incorrect username or password",
    ]) && !any(&["manifest unknown", "name unknown"])
    {
        // Docker Hub says "pull access denied ... repository does not exist
        // or may require 'docker login'" for both; it stays access denied.
        return PullFailure::AccessDenied;
    }
    if status == Some(404)
        || any(&[
            "manifest unknown",
            "name unknown",
            "not found",
            "repository does not exist",
        ])
    {
        return PullFailure::NotFound;
    }
    if any(&[
        "connection refused",
        "no such host",
        "i/o timeout",
        "no route to host",
        "network is unreachable",
        "dial tcp",
        "tls handshake timeout",
        "server misbehaving",
        "connection reset by peer",
        "client sent an http request to an https server",
        "context deadline exceeded",
        // The engine's HTTP client gave up on a registry that accepted the
        // connection and never answered (Docker 20.10 through bollard).
        "client.timeout exceeded",
        "awaiting headers",
        "request canceled",
    ]) {
        return PullFailure::Unreachable;
    }
    PullFailure::Other
}

impl DockerEngine {
    /// Pulls `reference`, handing each progress event to `on_event`, and
    /// returns the image.
    pub async fn pull(
        &self,
        reference: &ImageRef,
        auth: &PullAuth,
        on_event: &mut (dyn FnMut(PullEvent) + Send),
    ) -> Result<Image> {
        let registry = reference.registry().to_string();
        let mut helper = None;
        let mut config_error: Option<String> = None;
        let credentials = match auth {
            PullAuth::Given(c) => Some(c.clone()),
            PullAuth::Anonymous => None,
            // A Docker configuration that cannot be read does not stop a
            // pull (public images need none); it is named if access is
            // then denied.
            PullAuth::DockerConfig => match from_docker_config(None, &registry) {
                Ok(ConfigCredentials::Found(c)) => Some(c),
                Ok(ConfigCredentials::Helper(name)) => {
                    helper = Some(name);
                    None
                }
                Ok(ConfigCredentials::None) => None,
                Err(err) => {
                    config_error = Some(err.to_string());
                    None
                }
            },
        };
        let given = credentials.is_some();
        let docker_credentials = credentials.map(|c| DockerCredentials {
            username: Some(c.username),
            password: Some(c.password),
            serveraddress: Some(registry.clone()),
            ..Default::default()
        });
        let options = CreateImageOptionsBuilder::default()
            .from_image(&reference.repository_with_registry())
            .tag(reference.tag_or_digest())
            .build();
        let shown = reference.to_string();
        let fail = |message: String, status: Option<u16>, downloaded: u64| -> Error {
            match classify(&message, status) {
                PullFailure::NotFound => Error::PullNotFound {
                    reference: shown.clone(),
                    message,
                },
                PullFailure::AccessDenied => Error::AccessDenied {
                    registry: registry.clone(),
                    reference: shown.clone(),
                    hint: match (&helper, given) {
                        (_, true) => "; check the user name and password".to_string(),
                        (_, false) if config_error.is_some() => format!(
                            " (no credentials were sent: the Docker configuration could not \
                             be used: {}; pass them with credentials=(user, password) or \
                             --user and --password-stdin)",
                            config_error.as_deref().unwrap_or_default()
                        ),
                        (Some(h), false) => format!(
                            "; the Docker configuration keeps these credentials in the helper \
                             docker-credential-{h}, which pcvmfs does not run: pass them \
                             (credentials=(user, password), or --user and --password-stdin)"
                        ),
                        (None, false) => " (no credentials were sent: pass them with \
                             credentials=(user, password), --user and --password-stdin, or \
                             `docker login` so that ~/.docker/config.json holds them)"
                            .to_string(),
                    },
                    message,
                },
                PullFailure::Unreachable => Error::RegistryUnreachable {
                    registry: registry.clone(),
                    message,
                },
                PullFailure::Other if downloaded > 0 => Error::PullInterrupted {
                    reference: shown.clone(),
                    downloaded,
                    message,
                },
                PullFailure::Other => Error::Engine {
                    action: format!("pull {shown}"),
                    message,
                    status,
                },
            }
        };
        // An error in the progress stream: classified like any other, and
        // a failure of no known kind is an interrupted pull.
        let in_stream = |message: String, downloaded: u64| -> Error {
            match classify(&message, None) {
                PullFailure::Other => Error::PullInterrupted {
                    reference: shown.clone(),
                    downloaded,
                    message,
                },
                _ => fail(message, None, downloaded),
            }
        };
        let mut tracker = PullTracker::new();
        let mut stream = self
            .client
            .create_image(Some(options), None, docker_credentials);
        while let Some(item) = stream.next().await {
            match item {
                Ok(info) => {
                    // bollard turns an errorDetail into DockerStreamError;
                    // one without a message may still arrive here.
                    if let Some(detail) = info.error_detail {
                        let message = detail.message.unwrap_or_else(|| "the pull failed".into());
                        return Err(in_stream(message, tracker.downloaded()));
                    }
                    let (current, total) = info
                        .progress_detail
                        .map(|d| (d.current, d.total))
                        .unwrap_or_default();
                    if let Some(status) = info.status.as_deref() {
                        if let Some(event) =
                            tracker.update(info.id.as_deref(), status, current, total)
                        {
                            on_event(event);
                        }
                    }
                }
                Err(bollard::errors::Error::DockerResponseServerError {
                    status_code,
                    message,
                }) => return Err(fail(message, Some(status_code), tracker.downloaded())),
                Err(bollard::errors::Error::DockerStreamError { error }) => {
                    return Err(in_stream(error, tracker.downloaded()));
                }
                Err(err) => {
                    let message = err.to_string();
                    return Err(if tracker.downloaded() > 0 {
                        Error::PullInterrupted {
                            reference: shown.clone(),
                            downloaded: tracker.downloaded(),
                            message,
                        }
                    } else {
                        Error::engine(format!("pull {shown}"), err)
                    });
                }
            }
        }
        let local = match reference.digest() {
            Some(_) => reference.to_string(),
            None => format!(
                "{}:{}",
                reference.repository_with_registry(),
                reference.tag_or_digest()
            ),
        };
        self.image(&local).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_messages_are_classified() {
        // Docker 20.10.24's own words, seen against a local registry.
        for (message, status, kind) in [
            (
                "manifest for 127.0.0.1:5000/nosuch:latest not found: manifest unknown: manifest unknown",
                Some(404),
                PullFailure::NotFound,
            ),
            (
                "Head \"http://127.0.0.1:5000/v2/bb/manifests/v1\": no basic auth credentials",
                Some(500),
                PullFailure::AccessDenied,
            ),
            (
                "unauthorized: authentication required",
                Some(500),
                PullFailure::AccessDenied,
            ),
            (
                "Get \"http://127.0.0.1:1/v2/\": dial tcp 127.0.0.1:1: connect: connection refused",
                Some(500),
                PullFailure::Unreachable,
            ),
            (
                "pull access denied for nosuch, repository does not exist or may require 'docker login': denied: requested access to the resource is denied",
                Some(404),
                PullFailure::AccessDenied,
            ),
            (
                "Get \"https://r.example/v2/\": dial tcp: lookup r.example: no such host",
                Some(500),
                PullFailure::Unreachable,
            ),
            (
                "Get \"http://127.0.0.1:40000/v2/\": net/http: request canceled (Client.Timeout exceeded while awaiting headers)",
                Some(500),
                PullFailure::Unreachable,
            ),
            (
                "Get \"http://127.0.0.1:40000/v2/\": context deadline exceeded",
                Some(500),
                PullFailure::Unreachable,
            ),
            (
                "Get \"https://r.example/v2/\": dial tcp 192.0.2.1:443: i/o timeout",
                Some(500),
                PullFailure::Unreachable,
            ),
            (
                "filesystem layer verification failed for digest sha256:abc",
                None,
                PullFailure::Other,
            ),
        ] {
            assert_eq!(classify(message, status), kind, "{message}");
        }
    }
}
