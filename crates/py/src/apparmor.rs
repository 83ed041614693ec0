//! `pcvmfs.apparmor`: policies, the Docker default profile, validation,
//! kernel status, install and remove, and denial records.

use std::path::PathBuf;

use pcvmfs_apparmor::denials::{Denial, DenialReader};
use pcvmfs_apparmor::policy::{PolicyFile, Profile, Rule};
use pcvmfs_apparmor::{AppArmorStatus, Error};
use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::errors::{AppArmorError, ParseError, os_error};
use crate::report::json_to_py;

/// The Python exception for an AppArmor error.
pub fn apparmor_error(err: Error) -> PyErr {
    let message = err.to_string();
    match err {
        Error::Parse { .. } | Error::BadName { .. } => ParseError::new_err(message),
        Error::Io { source, .. } => os_error(&source, message),
        Error::Core(core) => crate::errors::core_error(core),
        Error::Rejected { .. } | Error::ParserMissing | Error::KernelUnavailable { .. } => {
            AppArmorError::new_err(message)
        }
    }
}

/// An AppArmor policy file: preamble and profiles. `PolicyFile.parse(text)`
/// reads one; `render()` writes it back; `==` compares models.
#[pyclass(
    frozen,
    eq,
    name = "PolicyFile",
    module = "pcvmfs.apparmor",
    from_py_object
)]
#[derive(Clone, PartialEq)]
pub struct PyPolicyFile {
    pub inner: PolicyFile,
}

/// One profile of a policy (a copy: change profiles through `PolicyFile`).
#[pyclass(frozen, name = "Profile", module = "pcvmfs.apparmor")]
pub struct PyProfile {
    inner: Profile,
}

fn parse_rule(text: &str) -> PyResult<Rule> {
    Rule::parse(text).map_err(apparmor_error)
}

impl PyPolicyFile {
    fn target<'a>(policy: &'a mut PolicyFile, profile: Option<&str>) -> PyResult<&'a mut Profile> {
        match profile {
            Some(name) => policy.profile_mut(name).ok_or_else(|| {
                AppArmorError::new_err(format!("the policy has no profile {name:?}"))
            }),
            None => policy
                .first_profile_mut()
                .ok_or_else(|| AppArmorError::new_err("the policy holds no profile")),
        }
    }
}

#[pymethods]
impl PyPolicyFile {
    /// Parses policy text; a `ParseError` names the line and column.
    #[staticmethod]
    fn parse(py: Python<'_>, text: String) -> PyResult<Self> {
        let inner = py
            .detach(|| PolicyFile::parse(&text))
            .map_err(apparmor_error)?;
        Ok(PyPolicyFile { inner })
    }

    /// The policy as text.
    fn render(&self) -> String {
        self.inner.render()
    }

    /// The top-level profiles.
    #[getter]
    fn profiles(&self) -> Vec<PyProfile> {
        self.inner
            .profiles()
            .map(|p| PyProfile { inner: p.clone() })
            .collect()
    }

    /// The top-level profile with this name, or `None`.
    fn profile(&self, name: &str) -> Option<PyProfile> {
        self.inner
            .profile(name)
            .map(|p| PyProfile { inner: p.clone() })
    }

    /// A copy with `rule` (text such as `"ptrace peer=@{profile_name},"`)
    /// added to `profile` (default: the first), unless it is there already.
    #[pyo3(signature = (rule, profile=None))]
    fn add_rule(&self, rule: &str, profile: Option<&str>) -> PyResult<Self> {
        let rule = parse_rule(rule)?;
        let mut policy = self.inner.clone();
        Self::target(&mut policy, profile)?.add_rule(rule);
        Ok(PyPolicyFile { inner: policy })
    }

    /// A copy without `rule` in `profile` (default: the first).
    #[pyo3(signature = (rule, profile=None))]
    fn remove_rule(&self, rule: &str, profile: Option<&str>) -> PyResult<Self> {
        let rule = parse_rule(rule)?;
        let mut policy = self.inner.clone();
        Self::target(&mut policy, profile)?.remove_rule(&rule);
        Ok(PyPolicyFile { inner: policy })
    }

    /// A copy whose profiles let their own processes trace each other.
    fn with_ptrace_peers(&self) -> Self {
        PyPolicyFile {
            inner: self.inner.clone().with_ptrace_peers(),
        }
    }

    /// A copy whose first profile is called `name`.
    fn renamed(&self, name: &str) -> PyResult<Self> {
        pcvmfs_apparmor::install::check_profile_name(name).map_err(apparmor_error)?;
        Ok(PyPolicyFile {
            inner: self.inner.clone().renamed(name),
        })
    }

    /// The rules the first profile of this policy has and that of `other`
    /// lacks, and the other way round: `(only_here, only_there)`.
    fn difference(&self, other: &PyPolicyFile) -> PyResult<(Vec<String>, Vec<String>)> {
        let (Some(a), Some(b)) = (self.inner.profiles().next(), other.inner.profiles().next())
        else {
            return Err(AppArmorError::new_err("both policies need a profile"));
        };
        let (here, there) = a.rule_difference(b);
        Ok((
            here.iter().map(|r| r.render()).collect(),
            there.iter().map(|r| r.render()).collect(),
        ))
    }

    /// The model as plain data.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &self.inner)
    }

    fn __str__(&self) -> String {
        self.inner.render()
    }

    fn __repr__(&self) -> String {
        let names: Vec<&str> = self.inner.profiles().map(|p| p.name.as_str()).collect();
        format!(
            "PolicyFile(profiles={names:?}, items={})",
            self.inner.items.len()
        )
    }
}

#[pymethods]
impl PyProfile {
    /// The profile's name.
    #[getter]
    fn name(&self) -> String {
        self.inner.name.clone()
    }

    /// Its flags.
    #[getter]
    fn flags(&self) -> Vec<String> {
        self.inner.flags.clone()
    }

    /// Its attachment, or `None`.
    #[getter]
    fn attachment(&self) -> Option<String> {
        self.inner.attachment.clone()
    }

    /// Its rules, as text, in order.
    #[getter]
    fn rules(&self) -> Vec<String> {
        self.inner.rules().map(|r| r.render()).collect()
    }

    /// Whether it has a rule (given as text).
    fn has_rule(&self, rule: &str) -> PyResult<bool> {
        Ok(self.inner.has_rule(&parse_rule(rule)?))
    }

    fn __repr__(&self) -> String {
        format!(
            "Profile(name={:?}, flags={:?}, rules={})",
            self.inner.name,
            self.inner.flags,
            self.inner.rules().count()
        )
    }
}

/// The policy a current Docker engine loads as `docker-default`, named
/// `name`, for this host.
#[pyfunction]
#[pyo3(signature = (name="docker-default", daemon_profile="unconfined"))]
pub fn apparmor_docker_default(name: &str, daemon_profile: &str) -> PyResult<PyPolicyFile> {
    let inner = pcvmfs_apparmor::docker_default(name, daemon_profile).map_err(apparmor_error)?;
    Ok(PyPolicyFile { inner })
}

fn policy_text(policy: &Bound<'_, PyAny>) -> PyResult<String> {
    if let Ok(policy) = policy.cast::<PyPolicyFile>() {
        return Ok(policy.get().inner.render());
    }
    policy
        .extract::<String>()
        .map_err(|_| pyo3::exceptions::PyTypeError::new_err("expected a PolicyFile or policy text"))
}

/// Checks a policy (a `PolicyFile` or its text) with the real
/// `apparmor_parser`, without loading it; raises `AppArmorError` naming
/// the line the parser refused.
#[pyfunction]
pub fn apparmor_validate(py: Python<'_>, policy: &Bound<'_, PyAny>) -> PyResult<()> {
    let text = policy_text(policy)?;
    py.detach(|| pcvmfs_apparmor::validate_text(&text))
        .map_err(apparmor_error)
}

/// The kernel's AppArmor state.
#[pyclass(frozen, name = "Status", module = "pcvmfs.apparmor")]
pub struct PyAppArmorStatus {
    inner: AppArmorStatus,
}

#[pymethods]
impl PyAppArmorStatus {
    /// Whether policy can be loaded and enforced.
    #[getter]
    fn enabled(&self) -> bool {
        self.inner.enabled
    }

    /// Why not, or `None`.
    #[getter]
    fn reason(&self) -> Option<String> {
        self.inner.reason.clone()
    }

    /// Loaded profiles: `{name: mode}`.
    #[getter]
    fn profiles(&self) -> Vec<(String, String)> {
        self.inner
            .profiles
            .iter()
            .map(|p| (p.name.clone(), p.mode.clone()))
            .collect()
    }

    /// The state as plain data.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &self.inner)
    }

    fn __repr__(&self) -> String {
        match &self.inner.reason {
            None => format!(
                "Status(enabled=True, profiles={})",
                self.inner.profiles.len()
            ),
            Some(reason) => format!("Status(enabled=False, reason={reason:?})"),
        }
    }
}

fn tree(root: Option<PathBuf>) -> Box<dyn pcvmfs_core::HostTree> {
    match root {
        Some(root) => Box::new(pcvmfs_core::HostTreeAt::new(root)),
        None => Box::new(pcvmfs_core::LiveHost),
    }
}

/// The kernel's AppArmor state (of this host, or of the copy of a host's
/// `/proc` and `/sys` under `root`).
#[pyfunction]
#[pyo3(signature = (root=None))]
pub fn apparmor_status(root: Option<PathBuf>) -> PyAppArmorStatus {
    PyAppArmorStatus {
        inner: pcvmfs_apparmor::status_of(tree(root).as_ref()),
    }
}

/// The AppArmor confinement of a process as `(label, mode)`, or `None`.
#[pyfunction]
#[pyo3(signature = (pid, root=None))]
pub fn apparmor_confinement(pid: u32, root: Option<PathBuf>) -> Option<(String, String)> {
    pcvmfs_apparmor::confinement_of(tree(root).as_ref(), pid).map(|p| (p.name, p.mode))
}

/// Writes the policy's first profile into `directory` atomically (with a
/// backup), validated first, and with `load` loads it; returns the path.
/// Where the kernel has no AppArmor, `load=True` raises before writing.
#[pyfunction]
#[pyo3(signature = (policy, directory=PathBuf::from("/etc/apparmor.d"), load=true, root=None))]
pub fn apparmor_install(
    py: Python<'_>,
    policy: PyPolicyFile,
    directory: PathBuf,
    load: bool,
    root: Option<PathBuf>,
) -> PyResult<String> {
    let path = py
        .detach(|| pcvmfs_apparmor::install(&policy.inner, &directory, load, tree(root).as_ref()))
        .map_err(apparmor_error)?;
    Ok(path.display().to_string())
}

/// Unloads profile `name` and deletes its file; returns whether there was one.
#[pyfunction]
#[pyo3(signature = (name, directory=PathBuf::from("/etc/apparmor.d"), root=None))]
pub fn apparmor_remove(
    py: Python<'_>,
    name: String,
    directory: PathBuf,
    root: Option<PathBuf>,
) -> PyResult<bool> {
    py.detach(|| pcvmfs_apparmor::remove(&name, &directory, tree(root).as_ref()))
        .map_err(apparmor_error)
}

/// `apparmor=NAME`, for `SecurityOptions` or `docker run --security-opt`.
#[pyfunction]
pub fn apparmor_security_opt(name: &str) -> PyResult<String> {
    pcvmfs_apparmor::security_opt(name).map_err(apparmor_error)
}

/// One AppArmor record from a kernel, syslog, journald or auditd log.
#[pyclass(frozen, name = "Denial", module = "pcvmfs.apparmor")]
pub struct PyDenial {
    inner: Denial,
}

#[pymethods]
impl PyDenial {
    /// `denied`, `allowed`, `audit`, `status`, or another kind.
    #[getter]
    fn kind(&self) -> String {
        self.inner.kind.as_str().to_ascii_lowercase()
    }
    /// `operation=`.
    #[getter]
    fn operation(&self) -> Option<String> {
        self.inner.operation.clone()
    }
    /// `class=`.
    #[getter]
    fn class_(&self) -> Option<String> {
        self.inner.class.clone()
    }
    /// `profile=`, or else `label=`.
    #[getter]
    fn profile(&self) -> Option<String> {
        self.inner.subject().map(str::to_string)
    }
    /// `peer=`.
    #[getter]
    fn peer(&self) -> Option<String> {
        self.inner.peer.clone()
    }
    /// `name=`.
    #[getter]
    fn name(&self) -> Option<String> {
        self.inner.name.clone()
    }
    /// `pid=`.
    #[getter]
    fn pid(&self) -> Option<u32> {
        self.inner.pid
    }
    /// `comm=`, decoded.
    #[getter]
    fn comm(&self) -> Option<String> {
        self.inner.comm.clone()
    }
    /// `requested_mask=`.
    #[getter]
    fn requested_mask(&self) -> Option<String> {
        self.inner.requested_mask.clone()
    }
    /// `denied_mask=`.
    #[getter]
    fn denied_mask(&self) -> Option<String> {
        self.inner.denied_mask.clone()
    }
    /// The record as plain data (every field, the audit stamp, the rest).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &self.inner)
    }
    fn __repr__(&self) -> String {
        let shown = |v: Option<&str>| v.map_or("None".to_string(), |v| format!("{v:?}"));
        format!(
            "Denial({}, operation={}, profile={}, peer={}, comm={}, denied_mask={})",
            self.kind(),
            shown(self.inner.operation.as_deref()),
            shown(self.inner.subject()),
            shown(self.inner.peer.as_deref()),
            shown(self.inner.comm.as_deref()),
            shown(self.inner.denied_mask.as_deref())
        )
    }
}

/// The AppArmor records of a log: `text` (a str) or a file (a path, read
/// as a stream). Lines that are not AppArmor records are skipped.
#[pyfunction]
pub fn apparmor_parse_denials(
    py: Python<'_>,
    source: &Bound<'_, PyAny>,
) -> PyResult<Vec<PyDenial>> {
    let denials: Vec<Denial> = if source.is_instance_of::<PyString>() {
        let text: String = source.extract()?;
        py.detach(|| pcvmfs_apparmor::denials::parse_denials(&text))
    } else {
        let path: PathBuf = source.extract().map_err(|_| {
            pyo3::exceptions::PyTypeError::new_err("expected log text (str) or a path")
        })?;
        let file = std::fs::File::open(&path)
            .map_err(|e| os_error(&e, format!("cannot read {}: {e}", path.display())))?;
        py.detach(|| {
            DenialReader::new(std::io::BufReader::new(file)).collect::<std::io::Result<Vec<_>>>()
        })
        .map_err(|e| os_error(&e, format!("cannot read {}: {e}", path.display())))?
    };
    Ok(denials
        .into_iter()
        .map(|inner| PyDenial { inner })
        .collect())
}
