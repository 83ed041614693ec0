//! `host_facts()`: the facts of this host, or of a canned tree.

use std::path::PathBuf;

use pcvmfs_core::{HostFacts, HostTreeAt};
use pyo3::prelude::*;

use crate::report::json_to_py;

/// Facts of a host that decide whether parrot can trace in a container.
#[pyclass(frozen, name = "HostFacts", module = "pcvmfs")]
pub struct PyHostFacts {
    inner: HostFacts,
}

#[pymethods]
impl PyHostFacts {
    /// The machine architecture (`x86_64`).
    #[getter]
    fn arch(&self) -> String {
        self.inner.arch.clone()
    }

    /// The kernel release.
    #[getter]
    fn kernel_release(&self) -> String {
        self.inner.kernel_release.clone()
    }

    /// Whether AppArmor is enabled.
    #[getter]
    fn apparmor_enabled(&self) -> bool {
        self.inner.apparmor_enabled
    }

    /// SELinux's mode: `disabled`, `permissive` or `enforcing`.
    #[getter]
    fn selinux(&self) -> &'static str {
        self.inner.selinux.as_str()
    }

    /// Yama's `ptrace_scope` (0 to 3), or `None` when Yama is not active.
    #[getter]
    fn yama_ptrace_scope(&self) -> Option<u8> {
        self.inner.yama_ptrace_scope
    }

    /// Whether the kernel has seccomp filtering.
    #[getter]
    fn seccomp_available(&self) -> bool {
        self.inner.seccomp_available
    }

    /// Whether unprivileged user namespaces are allowed (`None`: unknown).
    #[getter]
    fn unprivileged_userns(&self) -> Option<bool> {
        self.inner.unprivileged_userns
    }

    /// The facts as a dictionary.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &self.inner)
    }

    fn __repr__(&self) -> String {
        let f = &self.inner;
        format!(
            "HostFacts(arch={:?}, kernel_release={:?}, apparmor_enabled={}, selinux={:?}, yama_ptrace_scope={}, seccomp_available={}, unprivileged_userns={})",
            f.arch,
            f.kernel_release,
            py_bool(f.apparmor_enabled),
            f.selinux.as_str(),
            f.yama_ptrace_scope
                .map_or("None".to_string(), |s| s.to_string()),
            py_bool(f.seccomp_available),
            f.unprivileged_userns.map_or("None", py_bool),
        )
    }
}

pub fn py_bool(value: bool) -> &'static str {
    if value { "True" } else { "False" }
}

/// The facts of this host, or of the copy of a host's `/proc` and `/sys`
/// under `root`.
#[pyfunction]
#[pyo3(signature = (root=None))]
pub fn host_facts(root: Option<PathBuf>) -> PyHostFacts {
    let inner = match root {
        Some(root) => HostFacts::read(&HostTreeAt::new(root)),
        None => HostFacts::live(),
    };
    PyHostFacts { inner }
}
