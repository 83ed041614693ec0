//! `pcvmfs.dns`: resolver files, the DNS diagnosis, the daemon's DNS
//! settings (`daemon.json`, `DOCKER_OPTS`) and how dockerd was started.

use std::path::PathBuf;

use pcvmfs_core::daemon_dns::{
    DAEMON_JSON_PATH, DOCKER_DEFAULTS_PATH, DaemonDnsConfig, DockerOpts, parse_dns_servers,
};
use pcvmfs_core::dns_check::{DnsCheckInput, check_host};
use pcvmfs_core::dns_diagnosis::{DnsDiagnosis, EngineRules, diagnose_with};
use pcvmfs_core::dockerd_startup::{DnsConfigTarget, DockerdStartup, InitSystem, detect};
use pcvmfs_core::resolv_conf::{ResolvConf, SYSTEMD_UPSTREAM_PATH};
use pcvmfs_core::{Finding, HostTreeAt, LiveHost};
use pyo3::prelude::*;

use crate::errors::core_error;
use crate::options::PyDnsOptions;
use crate::report::{PyFinding, json_to_py};

/// A resolver configuration (`/etc/resolv.conf`), every line kept.
#[pyclass(frozen, eq, name = "ResolvConf", module = "pcvmfs.dns", from_py_object)]
#[derive(Clone, PartialEq)]
pub struct PyResolvConf {
    pub inner: ResolvConf,
}

#[pymethods]
impl PyResolvConf {
    /// Parses the text of a file; a `nameserver` that is not an address, a
    /// NUL byte or more than 64 KiB raise `ParseError` with the line.
    #[staticmethod]
    fn parse(text: &str) -> PyResult<Self> {
        Ok(PyResolvConf {
            inner: ResolvConf::parse(text).map_err(core_error)?,
        })
    }

    /// Reads and parses a file (default `/etc/resolv.conf`).
    #[staticmethod]
    #[pyo3(signature = (path=None))]
    fn read(py: Python<'_>, path: Option<PathBuf>) -> PyResult<Self> {
        let path = path.unwrap_or_else(|| PathBuf::from("/etc/resolv.conf"));
        let inner = py.detach(|| ResolvConf::read(&path)).map_err(core_error)?;
        Ok(PyResolvConf { inner })
    }

    /// The file's text.
    fn render(&self) -> String {
        self.inner.render()
    }

    /// Every name server, in order (`fe80::1%eth0` keeps its zone).
    #[getter]
    fn nameservers(&self) -> Vec<String> {
        self.inner
            .nameservers()
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    /// The loopback name servers, which mean nothing inside a container.
    #[getter]
    fn loopback_nameservers(&self) -> Vec<String> {
        self.inner
            .loopback_nameservers()
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    /// The search domains (the last `search` or `domain` line wins).
    #[getter]
    fn search(&self) -> Vec<String> {
        self.inner
            .search_domains()
            .into_iter()
            .map(str::to_string)
            .collect()
    }

    /// The resolver options.
    #[getter]
    fn options(&self) -> Vec<String> {
        self.inner
            .options()
            .into_iter()
            .map(str::to_string)
            .collect()
    }

    /// Whether the only server is systemd-resolved's stub `127.0.0.53`.
    #[getter]
    fn is_systemd_resolved_stub(&self) -> bool {
        self.inner.is_systemd_resolved_stub()
    }

    fn __str__(&self) -> String {
        self.inner.render()
    }

    fn __repr__(&self) -> String {
        format!("ResolvConf(nameservers={:?})", self.nameservers())
    }
}

/// What Docker gives containers on one network: `container_servers`,
/// whether the embedded resolver is in between, whether Docker fell back
/// to Google's public servers (the trap), and the findings.
#[pyclass(frozen, name = "DnsDiagnosis", module = "pcvmfs.dns")]
pub struct PyDnsDiagnosis {
    diagnosis: DnsDiagnosis,
    findings: Vec<Finding>,
    network: String,
}

#[pymethods]
impl PyDnsDiagnosis {
    /// The servers containers' queries go to, in order.
    #[getter]
    fn container_servers(&self) -> Vec<String> {
        self.diagnosis
            .container_servers
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    /// Whether containers' resolv.conf names the embedded resolver
    /// `127.0.0.11` (user-defined networks).
    #[getter]
    fn embedded_resolver(&self) -> bool {
        self.diagnosis.embedded_resolver
    }

    /// Whether no usable server was left and Docker uses 8.8.8.8/8.8.4.4.
    #[getter]
    fn falls_back_to_public(&self) -> bool {
        self.diagnosis.falls_back_to_public
    }

    /// The network this is about.
    #[getter]
    fn network(&self) -> String {
        self.network.clone()
    }

    /// The findings (`dns.trap` first), as in the doctor's report.
    #[getter]
    fn findings(&self) -> Vec<PyFinding> {
        self.findings
            .iter()
            .map(|f| PyFinding { inner: f.clone() })
            .collect()
    }

    /// Whether no finding failed.
    #[getter]
    fn ok(&self) -> bool {
        self.findings
            .iter()
            .all(|f| f.status != pcvmfs_core::Status::Fail)
    }

    /// The diagnosis as a dictionary.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let dict = pyo3::types::PyDict::new(py);
        dict.set_item("network", &self.network)?;
        dict.set_item("container_servers", self.container_servers())?;
        dict.set_item("embedded_resolver", self.diagnosis.embedded_resolver)?;
        dict.set_item("falls_back_to_public", self.diagnosis.falls_back_to_public)?;
        dict.set_item("ok", self.ok())?;
        dict.set_item("findings", json_to_py(py, &self.findings)?)?;
        Ok(dict.into_any())
    }

    fn __repr__(&self) -> String {
        format!(
            "DnsDiagnosis(network={:?}, container_servers={:?}, falls_back_to_public={})",
            self.network,
            self.container_servers(),
            crate::host::py_bool(self.diagnosis.falls_back_to_public)
        )
    }
}

/// A resolver configuration given as a `ResolvConf`, or a path to read.
fn resolv_conf_arg(py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<ResolvConf> {
    if let Ok(conf) = value.cast::<PyResolvConf>() {
        return Ok(conf.get().inner.clone());
    }
    let path: PathBuf = value.extract().map_err(|_| {
        pyo3::exceptions::PyTypeError::new_err("resolv_conf must be a ResolvConf or a path")
    })?;
    py.detach(|| ResolvConf::read(&path)).map_err(core_error)
}

/// Works out what containers on `network` get.
///
/// With neither `resolv_conf` nor `daemon`, this host is checked as the
/// doctor does: its `/etc/resolv.conf` (and systemd-resolved's upstream
/// file), the daemon's flags and configuration file, and where they live.
/// Otherwise `resolv_conf` (a `ResolvConf` or a path; default the host's)
/// and `daemon` (a `DaemonDnsConfig`, `DnsOptions`, or a list of server
/// addresses; default none) are judged; `systemd_resolv_conf` stands for
/// `/run/systemd/resolve/resolv.conf`. `engine_version` picks Docker's
/// rules (25 and later keep host loopback servers on user-defined
/// networks); the default is the older rules.
#[pyfunction]
#[pyo3(signature = (resolv_conf=None, daemon=None, network="bridge", systemd_resolv_conf=None, engine_version=None))]
pub fn dns_diagnose(
    py: Python<'_>,
    resolv_conf: Option<Bound<'_, PyAny>>,
    daemon: Option<Bound<'_, PyAny>>,
    network: &str,
    systemd_resolv_conf: Option<Bound<'_, PyAny>>,
    engine_version: Option<&str>,
) -> PyResult<PyDnsDiagnosis> {
    if network.is_empty() || network.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(core_error(pcvmfs_core::Error::parse(
            "network",
            network,
            "is not a network name",
        )));
    }
    if resolv_conf.is_none() && daemon.is_none() && systemd_resolv_conf.is_none() {
        let network_owned = network.to_string();
        let version = engine_version.map(str::to_string);
        let check = py.detach(|| {
            check_host(
                &LiveHost,
                &DnsCheckInput {
                    engine_version: version.as_deref(),
                    network: Some(&network_owned),
                },
            )
        });
        return Ok(PyDnsDiagnosis {
            diagnosis: check.diagnosis,
            findings: check.findings,
            network: network.to_string(),
        });
    }
    let host = match &resolv_conf {
        Some(value) => resolv_conf_arg(py, value)?,
        None => py
            .detach(|| ResolvConf::read(std::path::Path::new("/etc/resolv.conf")))
            .map_err(core_error)?,
    };
    let upstream = match &systemd_resolv_conf {
        Some(value) => Some(resolv_conf_arg(py, value)?),
        None if resolv_conf.is_none() => {
            ResolvConf::read(std::path::Path::new(SYSTEMD_UPSTREAM_PATH)).ok()
        }
        None => None,
    };
    let servers = match &daemon {
        None => Vec::new(),
        Some(value) => {
            if let Ok(config) = value.cast::<PyDaemonDnsConfig>() {
                config.borrow().inner.dns().map_err(core_error)?.servers
            } else if let Ok(options) = value.cast::<PyDnsOptions>() {
                options.get().inner.servers.clone()
            } else {
                let texts: Vec<String> = value.extract().map_err(|_| {
                    pyo3::exceptions::PyTypeError::new_err(
                        "daemon must be a DaemonDnsConfig, DnsOptions or a list of addresses",
                    )
                })?;
                parse_dns_servers(&texts).map_err(core_error)?
            }
        }
    };
    let rules = engine_version
        .map(EngineRules::for_version)
        .unwrap_or_default();
    let diagnosis = diagnose_with(&host, upstream.as_ref(), &servers, network, rules);
    Ok(PyDnsDiagnosis {
        findings: diagnosis.findings.clone(),
        diagnosis,
        network: network.to_string(),
    })
}

/// The DNS keys of `/etc/docker/daemon.json` (`dns`, `dns-search`,
/// `dns-opts`); every other key keeps its value and place.
#[pyclass(name = "DaemonDnsConfig", module = "pcvmfs.dns")]
pub struct PyDaemonDnsConfig {
    inner: DaemonDnsConfig,
}

#[pymethods]
impl PyDaemonDnsConfig {
    /// Reads `path` (default `/etc/docker/daemon.json`); a missing or
    /// empty file is an empty configuration; invalid JSON raises
    /// `ParseError` and the file is left as it is.
    #[staticmethod]
    #[pyo3(signature = (path=None))]
    fn load(py: Python<'_>, path: Option<PathBuf>) -> PyResult<Self> {
        let path = path.unwrap_or_else(|| PathBuf::from(DAEMON_JSON_PATH));
        let inner = py
            .detach(|| DaemonDnsConfig::load(&path))
            .map_err(core_error)?;
        Ok(PyDaemonDnsConfig { inner })
    }

    /// Sets `dns` to `servers`; `search` and `options` set `dns-search`
    /// and `dns-opts` when given (`None` keeps them, `[]` removes them).
    /// Values are checked first: an error changes nothing.
    #[pyo3(signature = (servers, search=None, options=None))]
    fn set_dns(
        &mut self,
        servers: Vec<String>,
        search: Option<Vec<String>>,
        options: Option<Vec<String>>,
    ) -> PyResult<()> {
        let servers = parse_dns_servers(&servers).map_err(core_error)?;
        self.inner
            .set_dns(&servers, search.as_deref(), options.as_deref())
            .map_err(core_error)
    }

    /// Writes the file (to `path`, or back where it was read) atomically,
    /// keeping the owner and mode, and a backup of the file it replaces
    /// (`<file>.pcvmfs-backup`, or `.1`, `.2`, ... when that holds an older
    /// one: backups are never overwritten). Returns the backup's path, or
    /// `None` when there was no file.
    #[pyo3(signature = (path=None))]
    fn save(&self, py: Python<'_>, path: Option<PathBuf>) -> PyResult<Option<String>> {
        py.detach(|| self.inner.save(path.as_deref()))
            .map(|backup| backup.map(|p| p.display().to_string()))
            .map_err(core_error)
    }

    /// Whether `key` (`dns`, `dns-search`, `dns-opts`, or any other) is in
    /// the file, whatever its value: dockerd refuses to start when a key is
    /// present and a flag sets the same thing.
    fn has(&self, key: &str) -> bool {
        self.inner.has(key)
    }

    /// The DNS settings in the file.
    #[getter]
    fn dns(&self) -> PyResult<PyDnsOptions> {
        Ok(PyDnsOptions {
            inner: self.inner.dns().map_err(core_error)?,
        })
    }

    /// The file this was read from.
    #[getter]
    fn path(&self) -> PathBuf {
        self.inner.path().to_path_buf()
    }

    /// The text `save()` writes.
    fn to_json(&self) -> String {
        self.inner.to_json()
    }

    fn __repr__(&self) -> String {
        format!("DaemonDnsConfig({:?})", self.inner.path().display())
    }
}

/// `DOCKER_OPTS="..."` in `/etc/default/docker`: only the `--dns`,
/// `--dns-search` and `--dns-opt` flags change; every other byte is kept.
#[pyclass(name = "DockerOpts", module = "pcvmfs.dns")]
pub struct PyDockerOpts {
    inner: DockerOpts,
}

#[pymethods]
impl PyDockerOpts {
    /// Reads `path` (default `/etc/default/docker`); a missing file is
    /// empty and is created on save. A value that cannot be edited safely
    /// raises `ParseError` with its line.
    #[staticmethod]
    #[pyo3(signature = (path=None))]
    fn load(py: Python<'_>, path: Option<PathBuf>) -> PyResult<Self> {
        let path = path.unwrap_or_else(|| PathBuf::from(DOCKER_DEFAULTS_PATH));
        let inner = py.detach(|| DockerOpts::load(&path)).map_err(core_error)?;
        Ok(PyDockerOpts { inner })
    }

    /// Replaces the `--dns` flags with `servers`, and `--dns-search` and
    /// `--dns-opt` with `search` and `options` when given.
    #[pyo3(signature = (servers, search=None, options=None))]
    fn set_dns(
        &mut self,
        servers: Vec<String>,
        search: Option<Vec<String>>,
        options: Option<Vec<String>>,
    ) -> PyResult<()> {
        let servers = parse_dns_servers(&servers).map_err(core_error)?;
        self.inner
            .set_dns(&servers, search.as_deref(), options.as_deref())
            .map_err(core_error)
    }

    /// Writes the file atomically, with a backup as
    /// `DaemonDnsConfig.save` keeps one; returns the backup's path, or
    /// `None` when there was no file.
    #[pyo3(signature = (path=None))]
    fn save(&self, py: Python<'_>, path: Option<PathBuf>) -> PyResult<Option<String>> {
        py.detach(|| self.inner.save(path.as_deref()))
            .map(|backup| backup.map(|p| p.display().to_string()))
            .map_err(core_error)
    }

    /// The whole text, as `save()` writes it.
    #[getter]
    fn text(&self) -> String {
        self.inner.text().to_string()
    }

    /// The flags dockerd gets from every `DOCKER_OPTS` line.
    #[getter]
    fn flags(&self) -> Vec<String> {
        self.inner.flags()
    }

    /// The file this was read from.
    #[getter]
    fn path(&self) -> PathBuf {
        self.inner.path().to_path_buf()
    }

    fn __repr__(&self) -> String {
        format!("DockerOpts({:?})", self.inner.path().display())
    }
}

/// How the host's dockerd was started: the init system, its process and
/// arguments, its configuration file, and which file its DNS settings
/// belong in (`target_kind`: `daemon_json` or `docker_opts`).
#[pyclass(frozen, name = "DockerdStartup", module = "pcvmfs.dns")]
pub struct PyDockerdStartup {
    inner: DockerdStartup,
}

#[pymethods]
impl PyDockerdStartup {
    /// `systemd`, `sysvinit` or `unknown`.
    #[getter]
    fn init(&self) -> &'static str {
        match self.inner.init {
            InitSystem::Systemd => "systemd",
            InitSystem::Sysvinit => "sysvinit",
            InitSystem::Unknown => "unknown",
        }
    }

    /// dockerd's process id, when it runs here.
    #[getter]
    fn pid(&self) -> Option<u32> {
        self.inner.pid
    }

    /// Its arguments.
    #[getter]
    fn args(&self) -> Vec<String> {
        self.inner.args.clone()
    }

    /// The configuration file it reads.
    #[getter]
    fn config_file(&self) -> String {
        self.inner.config_file.clone()
    }

    /// `daemon_json` or `docker_opts`.
    #[getter]
    fn target_kind(&self) -> &'static str {
        match self.inner.target {
            DnsConfigTarget::DaemonJson(_) => "daemon_json",
            DnsConfigTarget::DockerOpts(_) => "docker_opts",
        }
    }

    /// The file DNS settings belong in.
    #[getter]
    fn target_path(&self) -> String {
        match &self.inner.target {
            DnsConfigTarget::DaemonJson(p) | DnsConfigTarget::DockerOpts(p) => p.clone(),
        }
    }

    /// The command that restarts the daemon, or `None` when the init
    /// system is unknown.
    #[getter]
    fn restart_command(&self) -> Option<Vec<String>> {
        match self.inner.init {
            InitSystem::Unknown => None,
            _ => Some(
                self.inner
                    .restart_command
                    .split_whitespace()
                    .map(str::to_string)
                    .collect(),
            ),
        }
    }

    /// Everything as a dictionary.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &self.inner)
    }

    fn __repr__(&self) -> String {
        format!(
            "DockerdStartup(init={:?}, pid={:?}, target={:?})",
            self.init(),
            self.inner.pid,
            self.target_path()
        )
    }
}

/// How dockerd was started on this host, or on the canned tree `root`.
#[pyfunction]
#[pyo3(signature = (root=None))]
pub fn dns_dockerd_startup(py: Python<'_>, root: Option<PathBuf>) -> PyDockerdStartup {
    let inner = py.detach(|| match root {
        Some(root) => detect(&HostTreeAt::new(root)),
        None => detect(&LiveHost),
    });
    PyDockerdStartup { inner }
}

/// What a container saw: its `/etc/resolv.conf` and the lookup of each
/// name (`lookups`: dicts with `name`, `ok`, `addresses`, `server`,
/// `query`, `error` and every `attempt`). `ok` is true when every name
/// resolved.
#[pyclass(frozen, name = "DnsVerification", module = "pcvmfs.dns")]
pub struct PyDnsVerification {
    inner: pcvmfs_core::dns_lookup::DnsVerifyReport,
}

#[pymethods]
impl PyDnsVerification {
    /// The container's `/etc/resolv.conf`, as it read it.
    #[getter]
    fn resolv_conf(&self) -> Option<String> {
        self.inner.resolv_conf.clone()
    }

    /// The name servers it used, in order.
    #[getter]
    fn nameservers(&self) -> Vec<String> {
        self.inner.resolver.nameservers.clone()
    }

    /// The search list it used.
    #[getter]
    fn search(&self) -> Vec<String> {
        self.inner.resolver.search.clone()
    }

    /// One dict per name, in the order given.
    #[getter]
    fn lookups<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &self.inner.lookups)
    }

    /// The addresses each name resolved to (`[]` when it did not).
    fn addresses(&self) -> std::collections::BTreeMap<String, Vec<String>> {
        self.inner
            .lookups
            .iter()
            .map(|l| (l.name.clone(), l.addresses.clone()))
            .collect()
    }

    /// Whether every name resolved.
    #[getter]
    fn ok(&self) -> bool {
        self.inner.lookups.iter().all(|l| l.ok)
    }

    /// Everything as a dictionary.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &self.inner)
    }

    fn __repr__(&self) -> String {
        let names: Vec<String> = self
            .inner
            .lookups
            .iter()
            .map(|l| format!("{}={}", l.name, if l.ok { "ok" } else { "failed" }))
            .collect();
        format!(
            "DnsVerification(nameservers={:?}, lookups=[{}])",
            self.inner.resolver.nameservers,
            names.join(", ")
        )
    }
}

/// Runs a container of `image` with `dns` (per-container settings;
/// default the daemon's) on `network` (default the bridge), and looks up
/// each of `names` inside it with pcvmfs's probe, which is copied in (so
/// any image works, FROM scratch included). The container is removed.
#[pyfunction]
#[pyo3(signature = (docker, image, names, dns=None, network=None, user=None, probe=None))]
#[allow(clippy::too_many_arguments)]
pub fn dns_verify(
    py: Python<'_>,
    docker: &crate::engine::PyDocker,
    image: String,
    names: Vec<String>,
    dns: Option<PyDnsOptions>,
    network: Option<String>,
    user: Option<String>,
    probe: Option<PathBuf>,
) -> PyResult<PyDnsVerification> {
    use crate::errors::engine_error;
    let probe = match probe {
        Some(path) => pcvmfs_docker::readiness::ProbeBinary::at(path),
        None => pcvmfs_docker::readiness::ProbeBinary::from_env(),
    }
    .map_err(engine_error)?;
    let verify = pcvmfs_docker::dns::DnsVerify {
        image,
        names,
        dns: dns.map(|d| d.inner).unwrap_or_default(),
        network,
        user,
    };
    let engine = docker.engine.clone();
    let inner = crate::runtime::wait(py, async move { engine.verify_dns(&verify, &probe).await })?
        .map_err(engine_error)?;
    Ok(PyDnsVerification { inner })
}
