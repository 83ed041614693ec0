//! `doctor()`, and the `Report` and `Finding` it returns.

use pcvmfs_core::{Finding, Report};
use pyo3::prelude::*;
use serde::Serialize;

use crate::engine::PyDocker;
use crate::errors::engine_error;
use crate::options::PySecurityOptions;
use crate::runtime::wait;

/// A serialisable value as plain Python data (dicts, lists, str, ...).
pub fn json_to_py<'py>(py: Python<'py>, value: &impl Serialize) -> PyResult<Bound<'py, PyAny>> {
    let text = serde_json::to_string(value)
        .map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(e.to_string()))?;
    py.import("json")?.call_method1("loads", (text,))
}

/// The result of one check: `check`, `status` (`ok`, `warn`, `fail`),
/// `evidence`, and `remedy` (or `None`).
#[pyclass(frozen, name = "Finding", module = "pcvmfs")]
pub struct PyFinding {
    pub inner: Finding,
}

#[pymethods]
impl PyFinding {
    /// What was checked (`docker.engine`).
    #[getter]
    fn check(&self) -> String {
        self.inner.check.clone()
    }

    /// `ok`, `warn` or `fail`.
    #[getter]
    fn status(&self) -> &'static str {
        self.inner.status.as_str()
    }

    /// What was seen.
    #[getter]
    fn evidence(&self) -> String {
        self.inner.evidence.clone()
    }

    /// What to do about it, or `None`.
    #[getter]
    fn remedy(&self) -> Option<String> {
        self.inner.remedy.clone()
    }

    /// The finding as a dictionary.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &self.inner)
    }

    fn __repr__(&self) -> String {
        format!(
            "Finding({} {}: {})",
            self.inner.status, self.inner.check, self.inner.evidence
        )
    }
}

/// The doctor's findings. `ok` is true when no finding failed. With an
/// image, also whether ptrace works there (`ptrace_ready`) and the verified
/// options (`recommended_security`, `recommended_docker_flags`).
#[pyclass(frozen, name = "Report", module = "pcvmfs")]
pub struct PyReport {
    inner: Report,
    readiness: Option<pcvmfs_docker::readiness::Readiness>,
}

#[pymethods]
impl PyReport {
    /// The findings, in the order the checks ran.
    #[getter]
    fn findings(&self) -> Vec<PyFinding> {
        self.inner
            .findings
            .iter()
            .map(|f| PyFinding { inner: f.clone() })
            .collect()
    }

    /// Whether no finding failed.
    #[getter]
    fn ok(&self) -> bool {
        self.inner.ok()
    }

    /// The worst status: `ok`, `warn` or `fail`.
    #[getter]
    fn worst(&self) -> &'static str {
        self.inner.worst().as_str()
    }

    /// Whether parrot can trace in the image with the options given
    /// (`None` when no image was checked).
    #[getter]
    fn ptrace_ready(&self) -> Option<bool> {
        self.readiness.as_ref().map(|r| r.ptrace_ready)
    }

    /// The options that passed the probe: those given, or the first
    /// verified remedy (`None` when none passed or no image was checked).
    #[getter]
    fn recommended_security(&self) -> Option<PySecurityOptions> {
        self.readiness
            .as_ref()?
            .recommended_security
            .clone()
            .map(|inner| PySecurityOptions { inner })
    }

    /// The `docker run` flags for `recommended_security`.
    #[getter]
    fn recommended_docker_flags(&self) -> Vec<String> {
        self.readiness
            .as_ref()
            .map(|r| r.recommended_docker_flags.clone())
            .unwrap_or_default()
    }

    /// The report as a dictionary: `{"ok": ..., "findings": [...]}`, and
    /// with an image `"ptrace"`: the probe's report, the layer findings,
    /// the remedies tried and the recommendation.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let dict = json_to_py(py, &self.inner)?;
        dict.set_item("ok", self.inner.ok())?;
        if let Some(readiness) = &self.readiness {
            dict.set_item("ptrace", json_to_py(py, readiness)?)?;
        }
        Ok(dict)
    }

    fn __len__(&self) -> usize {
        self.inner.findings.len()
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        py.import("pcvmfs.display")?
            .call_method1("report_text", (self.to_dict(py)?,))?
            .extract()
    }

    fn _repr_html_(&self, py: Python<'_>) -> PyResult<String> {
        py.import("pcvmfs.display")?
            .call_method1("report_html", (self.to_dict(py)?,))?
            .extract()
    }
}

/// Checks this node's prerequisites: an x86_64 Linux node, a working Docker
/// engine (the one given, else the local one), Yama, and a CVMFS proxy
/// whose host name resolves (`proxy`, else `HTTP_PROXY`/`http_proxy`).
/// With `image`, also runs the probe there as `user` with `security`,
/// diagnoses each layer and verifies remedies in fresh containers
/// (`probe` is the static probe binary; a generated seccomp profile is
/// written into `profile_dir`).
#[pyfunction]
#[pyo3(signature = (docker=None, proxy=None, image=None, user=None, security=None, probe=None, profile_dir=None))]
#[allow(clippy::too_many_arguments)]
pub fn doctor(
    py: Python<'_>,
    docker: Option<PyRef<'_, PyDocker>>,
    proxy: Option<String>,
    image: Option<String>,
    user: Option<String>,
    security: Option<PySecurityOptions>,
    probe: Option<std::path::PathBuf>,
    profile_dir: Option<std::path::PathBuf>,
) -> PyResult<PyReport> {
    let engine = docker.map(|d| d.engine.clone());
    let Some(image) = image else {
        let report = wait(py, async move {
            pcvmfs_docker::doctor(engine.as_deref(), proxy.as_deref()).await
        })?;
        return Ok(PyReport {
            inner: report,
            readiness: None,
        });
    };
    let probe = match probe {
        Some(path) => pcvmfs_docker::readiness::ProbeBinary::at(path),
        None => pcvmfs_docker::readiness::ProbeBinary::from_env(),
    }
    .map_err(engine_error)?;
    let check = pcvmfs_docker::readiness::ReadinessCheck {
        image,
        user,
        security: security.map(|s| s.inner).unwrap_or_default(),
        profile_dir: profile_dir.unwrap_or_else(|| std::path::PathBuf::from(".")),
    };
    let (report, readiness) = wait(py, async move {
        pcvmfs_docker::doctor_with_image(engine.as_deref(), proxy.as_deref(), &check, &probe).await
    })?;
    Ok(PyReport {
        inner: report,
        readiness,
    })
}
