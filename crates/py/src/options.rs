//! `SecurityOptions` and `DnsOptions`: what a container is asked to have.

use std::path::PathBuf;

use pcvmfs_core::{Capability, DnsOptions, SeccompSetting, SecurityOptions};
use pyo3::prelude::*;

use crate::errors::core_error;
use crate::report::json_to_py;

/// Security options of a container: seccomp (`"unconfined"` or a profile
/// file), AppArmor profile, capabilities to add and drop, and
/// `no-new-privileges`. Values are checked when the object is made.
#[pyclass(
    frozen,
    eq,
    name = "SecurityOptions",
    module = "pcvmfs",
    from_py_object
)]
#[derive(Clone, PartialEq)]
pub struct PySecurityOptions {
    pub inner: SecurityOptions,
}

/// Capability names in their canonical `CAP_...` form.
pub fn cap_names(caps: &[Capability]) -> Vec<String> {
    caps.iter().map(Capability::to_string).collect()
}

fn capabilities(names: Vec<String>) -> PyResult<Vec<Capability>> {
    names
        .iter()
        .map(|n| n.parse().map_err(core_error))
        .collect()
}

#[pymethods]
impl PySecurityOptions {
    #[new]
    #[pyo3(signature = (seccomp=None, apparmor=None, cap_add=Vec::new(), cap_drop=Vec::new(), no_new_privileges=false, selinux_label=None))]
    fn new(
        seccomp: Option<PathBuf>,
        apparmor: Option<String>,
        cap_add: Vec<String>,
        cap_drop: Vec<String>,
        no_new_privileges: bool,
        selinux_label: Option<String>,
    ) -> PyResult<Self> {
        let seccomp = match seccomp {
            None => None,
            Some(path) => Some(SeccompSetting::parse(&path.to_string_lossy()).map_err(core_error)?),
        };
        if let Some(name) = &apparmor {
            SecurityOptions::check_apparmor_name(name).map_err(core_error)?;
        }
        if let Some(label) = &selinux_label {
            pcvmfs_core::security::check_selinux_label(label).map_err(core_error)?;
        }
        Ok(PySecurityOptions {
            inner: SecurityOptions {
                seccomp,
                apparmor,
                cap_add: capabilities(cap_add)?,
                cap_drop: capabilities(cap_drop)?,
                no_new_privileges,
                selinux_label,
            },
        })
    }

    /// `"unconfined"`, the path of a profile file, or `None` for the
    /// engine's default profile.
    #[getter]
    fn seccomp(&self) -> Option<String> {
        self.inner.seccomp.as_ref().map(|s| match s {
            SeccompSetting::Unconfined => "unconfined".to_string(),
            SeccompSetting::Profile(path) => path.display().to_string(),
        })
    }

    /// The AppArmor profile, or `None` for the engine's default.
    #[getter]
    fn apparmor(&self) -> Option<String> {
        self.inner.apparmor.clone()
    }

    /// Capabilities added, in `CAP_...` form.
    #[getter]
    fn cap_add(&self) -> Vec<String> {
        cap_names(&self.inner.cap_add)
    }

    /// Capabilities dropped, in `CAP_...` form.
    #[getter]
    fn cap_drop(&self) -> Vec<String> {
        cap_names(&self.inner.cap_drop)
    }

    /// Whether `no-new-privileges` is set.
    #[getter]
    fn no_new_privileges(&self) -> bool {
        self.inner.no_new_privileges
    }

    /// The SELinux label option, or `None`.
    #[getter]
    fn selinux_label(&self) -> Option<String> {
        self.inner.selinux_label.clone()
    }

    /// The `docker run` flags for these options.
    fn docker_flags(&self) -> Vec<String> {
        self.inner.docker_flags()
    }

    /// The options as a dictionary.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &self.inner)
    }

    fn __repr__(&self) -> String {
        let mut parts = Vec::new();
        if let Some(s) = self.seccomp() {
            parts.push(format!("seccomp={s:?}"));
        }
        if let Some(a) = &self.inner.apparmor {
            parts.push(format!("apparmor={a:?}"));
        }
        if !self.inner.cap_add.is_empty() {
            parts.push(format!("cap_add={:?}", self.cap_add()));
        }
        if !self.inner.cap_drop.is_empty() {
            parts.push(format!("cap_drop={:?}", self.cap_drop()));
        }
        if self.inner.no_new_privileges {
            parts.push("no_new_privileges=True".to_string());
        }
        if let Some(label) = &self.inner.selinux_label {
            parts.push(format!("selinux_label={label:?}"));
        }
        format!("SecurityOptions({})", parts.join(", "))
    }
}

/// DNS settings for one container: name servers, search domains and
/// resolver options. Values are checked when the object is made.
#[pyclass(frozen, eq, name = "DnsOptions", module = "pcvmfs", from_py_object)]
#[derive(Clone, PartialEq)]
pub struct PyDnsOptions {
    pub inner: DnsOptions,
}

#[pymethods]
impl PyDnsOptions {
    #[new]
    #[pyo3(signature = (servers=Vec::new(), search=Vec::new(), options=Vec::new()))]
    fn new(servers: Vec<String>, search: Vec<String>, options: Vec<String>) -> PyResult<Self> {
        Ok(PyDnsOptions {
            inner: DnsOptions::new(&servers, &search, &options).map_err(core_error)?,
        })
    }

    /// Name servers, in order.
    #[getter]
    fn servers(&self) -> Vec<String> {
        self.inner.servers.iter().map(|s| s.to_string()).collect()
    }

    /// Search domains, in order.
    #[getter]
    fn search(&self) -> Vec<String> {
        self.inner.search.clone()
    }

    /// Resolver options, in order.
    #[getter]
    fn options(&self) -> Vec<String> {
        self.inner.options.clone()
    }

    /// The options as a dictionary.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &self.inner)
    }

    fn __repr__(&self) -> String {
        format!(
            "DnsOptions(servers={:?}, search={:?}, options={:?})",
            self.servers(),
            self.inner.search,
            self.inner.options
        )
    }
}
