//! `pcvmfs doctor`: gathers the evidence (the engine, the host, the proxy
//! setting) and lets the core judge it.

use pcvmfs_core::doctor::{DoctorEvidence, ProxySetting, SystemResolver, examine};
use pcvmfs_core::{HostFacts, Report};

use crate::connect::DockerEngine;

/// The proxy to check: the one given, else `HTTP_PROXY`, else `http_proxy`.
pub fn proxy_setting(given: Option<&str>) -> Option<ProxySetting> {
    if let Some(text) = given {
        return Some(ProxySetting {
            text: text.to_string(),
            origin: "--proxy".to_string(),
        });
    }
    ["HTTP_PROXY", "http_proxy"].iter().find_map(|name| {
        std::env::var(name)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .map(|text| ProxySetting {
                text,
                origin: name.to_string(),
            })
    })
}

/// Checks this node: platform, the engine (the one given, else the local
/// one), Yama, and the CVMFS proxy (the one given, else `HTTP_PROXY`).
pub async fn doctor(engine: Option<&DockerEngine>, proxy: Option<&str>) -> Report {
    let engine_info = match engine {
        Some(engine) => engine.info().await.map_err(|e| e.to_string()),
        None => match DockerEngine::connect(None).await {
            Ok(engine) => engine.info().await.map_err(|e| e.to_string()),
            Err(err) => Err(err.to_string()),
        },
    };
    let proxy = proxy_setting(proxy);
    // Resolving names blocks, so it runs off the async threads.
    let judged = tokio::task::spawn_blocking(move || {
        let host = HostFacts::live();
        examine(&DoctorEvidence {
            os: std::env::consts::OS,
            host: &host,
            engine: engine_info.as_ref().map_err(Clone::clone),
            proxy: proxy.as_ref(),
            resolver: &SystemResolver,
        })
    })
    .await;
    judged.unwrap_or_else(|err| std::panic::resume_unwind(err.into_panic()))
}
