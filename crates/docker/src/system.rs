//! The engine's description of itself (`docker info`, `docker version`).

use pcvmfs_core::{EngineInfo, SecurityOption};

use crate::connect::DockerEngine;
use crate::error::{Error, Result};

impl DockerEngine {
    /// What the engine says about itself and its host.
    pub async fn info(&self) -> Result<EngineInfo> {
        let (version, info) = tokio::join!(self.client.version(), self.client.info());
        let version = version.map_err(|e| Error::engine("report its version", e))?;
        let info = info.map_err(|e| Error::engine("report its information", e))?;
        Ok(EngineInfo {
            version: version.version.or(info.server_version).unwrap_or_default(),
            api_version: self.api_version(),
            engine_api_version: version.api_version.unwrap_or_default(),
            os: info.operating_system.or(info.os_type).unwrap_or_default(),
            kernel_version: info.kernel_version.unwrap_or_default(),
            arch: info.architecture.unwrap_or_default(),
            storage_driver: info.driver.unwrap_or_default(),
            security_options: info
                .security_options
                .unwrap_or_default()
                .iter()
                .map(|s| SecurityOption::parse(s))
                .collect(),
        })
    }
}
