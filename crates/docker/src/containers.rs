//! Starting, inspecting and removing containers.

use std::collections::HashMap;

use bollard::models::{ContainerCreateBody, HostConfig};
use bollard::query_parameters::{ListContainersOptionsBuilder, RemoveContainerOptionsBuilder};
use pcvmfs_core::{AppliedSecurity, ContainerSpec, MANAGED_LABEL};

use crate::connect::DockerEngine;
use crate::error::{Error, Result};
use crate::scratch_container::ScratchContainer;

/// The Engine API body that creates the container `spec` describes.
pub(crate) fn create_body(spec: &ContainerSpec) -> Result<ContainerCreateBody> {
    spec.check()?;
    let security_opt = spec.security.engine_security_opts()?;
    let caps = |list: &[pcvmfs_core::Capability]| -> Option<Vec<String>> {
        (!list.is_empty()).then(|| list.iter().map(|c| c.to_string()).collect())
    };
    let nonempty = |list: Vec<String>| (!list.is_empty()).then_some(list);
    let host_config = HostConfig {
        security_opt: nonempty(security_opt),
        cap_add: caps(&spec.security.cap_add),
        cap_drop: caps(&spec.security.cap_drop),
        dns: nonempty(spec.dns.servers.iter().map(|s| s.to_string()).collect()),
        dns_search: nonempty(spec.dns.search.clone()),
        dns_options: nonempty(spec.dns.options.clone()),
        binds: nonempty(spec.volumes.iter().map(|v| v.to_string()).collect()),
        init: spec.init.then_some(true),
        network_mode: spec.network.clone(),
        ..Default::default()
    };
    Ok(ContainerCreateBody {
        image: Some(spec.image.clone()),
        cmd: spec.command.clone(),
        user: spec.user.clone(),
        env: nonempty(spec.env.iter().map(|(k, v)| format!("{k}={v}")).collect()),
        labels: Some(spec.all_labels().into_iter().collect()),
        // An open standard input keeps an image's shell (a common CMD) alive,
        // as `docker run -di` does, so that commands can be run in it.
        open_stdin: Some(true),
        tty: Some(spec.interactive && spec.tty),
        attach_stdin: Some(spec.interactive),
        attach_stdout: Some(spec.interactive),
        attach_stderr: Some(spec.interactive),
        stdin_once: Some(spec.interactive),
        host_config: Some(host_config),
        ..Default::default()
    })
}

impl DockerEngine {
    /// Creates a container without starting it; returns its id.
    pub(crate) async fn create(&self, spec: &ContainerSpec) -> Result<String> {
        let body = create_body(spec)?;
        match self.client.create_container(None, body).await {
            Ok(created) => Ok(created.id),
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404,
                message,
            }) if message.contains("No such image") => Err(Error::NoSuchImage {
                image: spec.image.clone(),
            }),
            Err(err) => Err(Error::engine(
                format!("create a container from {}", spec.image),
                err,
            )),
        }
    }

    /// Creates and starts a container; returns its id. A container that
    /// fails to start is removed, so nothing is left behind.
    pub async fn start(&self, spec: &ContainerSpec) -> Result<String> {
        // Guarded until started: a caller that gives up meanwhile (Ctrl-C)
        // leaves nothing behind.
        let container = ScratchContainer::create(self, spec).await?;
        if let Err(err) = self.client.start_container(container.id(), None).await {
            let _ = container.remove().await;
            return Err(Error::engine(
                format!("start a container from {}", spec.image),
                err,
            ));
        }
        Ok(container.keep())
    }

    /// The security settings the engine applied to a container.
    pub async fn applied_security(&self, container: &str) -> Result<AppliedSecurity> {
        let inspected = match self.client.inspect_container(container, None).await {
            Ok(inspected) => inspected,
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => {
                return Err(Error::NoSuchContainer {
                    container: container.to_string(),
                });
            }
            Err(err) => return Err(Error::engine(format!("inspect container {container}"), err)),
        };
        let host = inspected.host_config.unwrap_or_default();
        Ok(AppliedSecurity::from_inspect(
            host.privileged.unwrap_or(false),
            &host.security_opt.unwrap_or_default(),
            &host.cap_add.unwrap_or_default(),
            &host.cap_drop.unwrap_or_default(),
            inspected.app_armor_profile.as_deref(),
        ))
    }

    /// Stops and removes a container and its anonymous volumes. A container
    /// that is already gone counts as removed.
    pub async fn remove(&self, container: &str) -> Result<()> {
        let options = RemoveContainerOptionsBuilder::default()
            .force(true)
            .v(true)
            .build();
        match self.client.remove_container(container, Some(options)).await {
            Ok(()) => Ok(()),
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(()),
            // Another caller is already removing it.
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 409,
                message,
            }) if message.contains("already in progress") => Ok(()),
            Err(err) => Err(Error::engine(format!("remove container {container}"), err)),
        }
    }

    /// Attaches to a created container, starts it, and hands its output
    /// over as it arrives until the container exits; returns its exit code.
    /// Past `timeout`, the container is killed and the error says so.
    pub async fn run_attached(
        &self,
        id: &str,
        action: &str,
        timeout: Option<std::time::Duration>,
        on_output: &mut (dyn FnMut(pcvmfs_core::ExecStream) + Send),
    ) -> Result<i64> {
        use bollard::container::LogOutput;
        use bollard::query_parameters::AttachContainerOptionsBuilder;
        use futures_util::StreamExt;
        use pcvmfs_core::ExecStream;
        let options = AttachContainerOptionsBuilder::default()
            .stdout(true)
            .stderr(true)
            .stream(true)
            .build();
        let attached = self
            .client
            .attach_container(id, Some(options))
            .await
            .map_err(|e| Error::engine(action, e))?;
        self.client
            .start_container(id, None)
            .await
            .map_err(|e| Error::engine(action, e))?;
        let mut output = attached.output;
        let pump = async {
            while let Some(chunk) = output.next().await {
                match chunk.map_err(|e| Error::engine(action, e))? {
                    LogOutput::StdOut { message } | LogOutput::Console { message } => {
                        on_output(ExecStream::Stdout(message.to_vec()))
                    }
                    LogOutput::StdErr { message } => {
                        on_output(ExecStream::Stderr(message.to_vec()))
                    }
                    LogOutput::StdIn { .. } => {}
                }
            }
            Ok::<(), Error>(())
        };
        match timeout {
            None => pump.await?,
            Some(limit) => match tokio::time::timeout(limit, pump).await {
                Ok(result) => result?,
                Err(_) => {
                    let _ = self
                        .client
                        .kill_container(id, None::<bollard::query_parameters::KillContainerOptions>)
                        .await;
                    return Err(Error::Engine {
                        action: action.to_string(),
                        message: format!(
                            "did not finish within {limit:?}; the container was killed"
                        ),
                        status: None,
                    });
                }
            },
        }
        self.wait_exit(id, action).await
    }

    /// Waits for a started container to exit and returns its exit code.
    pub(crate) async fn wait_exit(&self, container: &str, action: &str) -> Result<i64> {
        use futures_util::StreamExt;
        let mut waited = self.client.wait_container(container, None);
        match waited.next().await {
            Some(Ok(response)) => Ok(response.status_code),
            // bollard reports a non-zero exit as an error that holds it.
            Some(Err(bollard::errors::Error::DockerContainerWaitError { code, .. })) => Ok(code),
            Some(Err(err)) => Err(Error::engine(action, err)),
            None => Ok(0),
        }
    }

    /// The ids of every container, running or not, that carries the label
    /// `org.pcvmfs.managed=true`.
    pub async fn managed_containers(&self) -> Result<Vec<String>> {
        let filters = HashMap::from([("label", vec![format!("{MANAGED_LABEL}=true")])]);
        let options = ListContainersOptionsBuilder::default()
            .all(true)
            .filters(&filters)
            .build();
        let list = self
            .client
            .list_containers(Some(options))
            .await
            .map_err(|e| Error::engine("list containers", e))?;
        Ok(list.into_iter().filter_map(|c| c.id).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pcvmfs_core::{DnsOptions, SecurityOptions, VolumeMount};

    #[test]
    fn a_spec_becomes_the_engine_body_docker_run_would_send() {
        let mut spec = ContainerSpec::new("img:1");
        spec.command = Some(vec!["sleep".into(), "60".into()]);
        spec.user = Some("1000:1000".into());
        spec.env = vec![("A".into(), "1=2".into())];
        spec.security = SecurityOptions {
            cap_add: vec!["sys_ptrace".parse().unwrap()],
            no_new_privileges: true,
            ..Default::default()
        };
        spec.dns = DnsOptions::new(&["192.0.2.53"], &["cern.ch"], &["ndots:1"]).unwrap();
        spec.volumes = vec![VolumeMount::parse("/srv:/data:ro").unwrap()];
        let body = create_body(&spec).unwrap();
        let host = body.host_config.unwrap();
        assert_eq!(body.env.unwrap(), ["A=1=2"]);
        assert_eq!(body.labels.unwrap()[MANAGED_LABEL], "true");
        assert_eq!(host.cap_add.unwrap(), ["CAP_SYS_PTRACE"]);
        assert_eq!(host.security_opt.unwrap(), ["no-new-privileges"]);
        assert_eq!(host.dns.unwrap(), ["192.0.2.53"]);
        assert_eq!(host.dns_search.unwrap(), ["cern.ch"]);
        assert_eq!(host.binds.unwrap(), ["/srv:/data:ro"]);
        assert_eq!(host.cap_drop, None);
        assert_eq!(body.tty, Some(false));
    }
}
