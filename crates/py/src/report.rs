//! `doctor()`, and the `Report` and `Finding` it returns.

use pcvmfs_core::{Finding, Report};
use pyo3::prelude::*;
use serde::Serialize;

use crate::engine::PyDocker;
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
    inner: Finding,
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

/// The doctor's findings. `ok` is true when no finding failed.
#[pyclass(frozen, name = "Report", module = "pcvmfs")]
pub struct PyReport {
    inner: Report,
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

    /// The report as a dictionary: `{"ok": ..., "findings": [...]}`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let dict = json_to_py(py, &self.inner)?;
        dict.set_item("ok", self.inner.ok())?;
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
#[pyfunction]
#[pyo3(signature = (docker=None, proxy=None))]
pub fn doctor(
    py: Python<'_>,
    docker: Option<PyRef<'_, PyDocker>>,
    proxy: Option<String>,
) -> PyResult<PyReport> {
    let engine = docker.map(|d| d.engine.clone());
    let report = wait(py, async move {
        pcvmfs_docker::doctor(engine.as_deref(), proxy.as_deref()).await
    })?;
    Ok(PyReport { inner: report })
}
