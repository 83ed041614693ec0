//! Docker networks that pcvmfs creates (labelled, so they can be found and
//! removed), and a container's address on one.

use std::collections::HashMap;
use std::net::IpAddr;

use bollard::models::NetworkCreateRequest;
use pcvmfs_core::MANAGED_LABEL;
use pcvmfs_core::container::check_network;

use crate::connect::DockerEngine;
use crate::error::{Error, Result};

impl DockerEngine {
    /// Creates a bridge network named `name` with `labels` and
    /// [`MANAGED_LABEL`]; returns its id.
    pub async fn create_network(&self, name: &str, labels: &[(&str, &str)]) -> Result<String> {
        check_network(name)?;
        let mut all: HashMap<String, String> = labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        all.insert(MANAGED_LABEL.to_string(), "true".to_string());
        let request = NetworkCreateRequest {
            name: name.to_string(),
            driver: Some("bridge".to_string()),
            labels: Some(all),
            ..Default::default()
        };
        let created = self
            .client
            .create_network(request)
            .await
            .map_err(|e| Error::engine(format!("create network {name}"), e))?;
        Ok(created.id)
    }

    /// Removes a network; one that is already gone counts as removed.
    pub async fn remove_network(&self, network: &str) -> Result<()> {
        match self.client.remove_network(network).await {
            Ok(()) => Ok(()),
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(()),
            Err(err) => Err(Error::engine(format!("remove network {network}"), err)),
        }
    }

    /// The IPv4 address of a container on `network`, or `None` when it is
    /// not attached there.
    pub async fn container_address(
        &self,
        container: &str,
        network: &str,
    ) -> Result<Option<IpAddr>> {
        let inspected = self
            .client
            .inspect_container(container, None)
            .await
            .map_err(|e| Error::engine(format!("inspect container {container}"), e))?;
        let address = inspected
            .network_settings
            .and_then(|s| s.networks)
            .and_then(|mut n| n.remove(network))
            .and_then(|endpoint| endpoint.ip_address)
            .and_then(|ip| ip.parse().ok());
        Ok(address)
    }
}
