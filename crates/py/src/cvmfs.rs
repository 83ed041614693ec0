//! `CvmfsRepo`, `CvmfsRepoList` and `ProxyChain`: the values of
//! `PARROT_CVMFS_REPO` and `HTTP_PROXY`, typed and checked.

use pcvmfs_core::cvmfs_repo::{CvmfsRepo, CvmfsRepoList, RepoOption};
use pcvmfs_core::proxy_chain::ProxyChain;
use pyo3::prelude::*;

use crate::errors::core_error;
use crate::report::json_to_py;

/// One repository entry: `[*]name[/subpath][:opt=value,...]`.
#[pyclass(frozen, eq, name = "CvmfsRepo", module = "pcvmfs", from_py_object)]
#[derive(Clone, PartialEq)]
pub struct PyCvmfsRepo {
    pub inner: CvmfsRepo,
}

#[pymethods]
impl PyCvmfsRepo {
    /// `name` may start with `*` (a wildcard); `url` is one stratum URL or
    /// several; `pubkey` one key file or several; `options` any other
    /// parrot options (`{"timeout": "10"}`).
    #[new]
    #[pyo3(signature = (name, url=None, pubkey=None, options=None))]
    fn new(
        name: &str,
        url: Option<Bound<'_, PyAny>>,
        pubkey: Option<Bound<'_, PyAny>>,
        options: Option<std::collections::BTreeMap<String, Option<String>>>,
    ) -> PyResult<Self> {
        let list = |value: Option<Bound<'_, PyAny>>| -> PyResult<Option<Vec<String>>> {
            match value {
                None => Ok(None),
                Some(v) if v.is_instance_of::<pyo3::types::PyString>() => {
                    Ok(Some(vec![v.extract()?]))
                }
                Some(v) => Ok(Some(v.extract()?)),
            }
        };
        let mut repo = CvmfsRepo::new(name).map_err(core_error)?;
        if let Some(urls) = list(url)? {
            let urls: Vec<&str> = urls.iter().map(String::as_str).collect();
            repo = repo.with_url(&urls).map_err(core_error)?;
        }
        if let Some(keys) = list(pubkey)? {
            let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
            repo = repo.with_pubkey(&keys).map_err(core_error)?;
        }
        for (key, value) in options.unwrap_or_default() {
            let option = RepoOption::from_name_value(&key, value.as_deref()).map_err(core_error)?;
            repo = repo.with_option(option).map_err(core_error)?;
        }
        Ok(PyCvmfsRepo { inner: repo })
    }

    /// Parses one entry.
    #[staticmethod]
    fn parse(text: &str) -> PyResult<Self> {
        Ok(PyCvmfsRepo {
            inner: text.parse().map_err(core_error)?,
        })
    }

    /// The entry as parrot reads it.
    fn render(&self) -> String {
        self.inner.render()
    }

    /// The name (without `*`).
    #[getter]
    fn name(&self) -> String {
        self.inner.name().to_string()
    }

    fn __str__(&self) -> String {
        self.inner.render()
    }

    fn __repr__(&self) -> String {
        format!("CvmfsRepo({:?})", self.inner.render())
    }
}

/// A whole `PARROT_CVMFS_REPO` value: entries separated by white space,
/// `<default-repositories>` among them; later entries win.
#[pyclass(frozen, eq, name = "CvmfsRepoList", module = "pcvmfs", from_py_object)]
#[derive(Clone, PartialEq)]
pub struct PyCvmfsRepoList {
    pub inner: CvmfsRepoList,
}

#[pymethods]
impl PyCvmfsRepoList {
    /// A list of `CvmfsRepo` entries (and `"<default-repositories>"`).
    #[new]
    #[pyo3(signature = (entries=Vec::new()))]
    fn new(entries: Vec<Bound<'_, PyAny>>) -> PyResult<Self> {
        let mut text = Vec::new();
        for entry in entries {
            text.push(entry.str()?.extract::<String>()?);
        }
        Self::parse(&text.join(" "))
    }

    /// Parses a `PARROT_CVMFS_REPO` value.
    #[staticmethod]
    fn parse(text: &str) -> PyResult<Self> {
        Ok(PyCvmfsRepoList {
            inner: CvmfsRepoList::parse(text).map_err(core_error)?,
        })
    }

    /// parrot's own default (`<default-repositories>`).
    #[staticmethod]
    fn parrot_default() -> Self {
        PyCvmfsRepoList {
            inner: CvmfsRepoList::parrot_default(),
        }
    }

    /// The value as parrot reads it.
    fn render(&self) -> String {
        self.inner.render()
    }

    /// Whether `<default-repositories>` is among the entries.
    #[getter]
    fn has_defaults(&self) -> bool {
        self.inner.has_defaults()
    }

    /// Options parrot will not know, and other things worth a look.
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.inner.warnings()
    }

    /// The entry that serves repository `name`, with the wildcard expanded
    /// (`url`, `pubkey`, `options`, ...), or `None` when none covers it.
    fn lookup<'py>(&self, py: Python<'py>, name: &str) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.inner
            .lookup(name)
            .map(|r| json_to_py(py, &r))
            .transpose()
    }

    fn __str__(&self) -> String {
        self.inner.render()
    }

    fn __repr__(&self) -> String {
        format!("CvmfsRepoList({:?})", self.inner.render())
    }
}

/// A proxy chain: groups tried in order (`;`), proxies load-balanced within
/// a group (`|`), `DIRECT`, `auto`. Serves `HTTP_PROXY` for parrot and
/// `CVMFS_HTTP_PROXY` for a CVMFS client.
#[pyclass(frozen, eq, name = "ProxyChain", module = "pcvmfs", from_py_object)]
#[derive(Clone, PartialEq)]
pub struct PyProxyChain {
    pub inner: ProxyChain,
}

#[pymethods]
impl PyProxyChain {
    /// Parses a chain (`http://p1:3128|http://p2:3128;DIRECT`).
    #[staticmethod]
    fn parse(text: &str) -> PyResult<Self> {
        Ok(PyProxyChain {
            inner: ProxyChain::parse(text).map_err(core_error)?,
        })
    }

    /// The chain as text.
    fn render(&self) -> String {
        self.inner.render()
    }

    /// The groups, each a list of proxies as text.
    #[getter]
    fn groups(&self) -> Vec<Vec<String>> {
        self.inner
            .groups()
            .iter()
            .map(|g| g.iter().map(|p| p.to_string()).collect())
            .collect()
    }

    /// The `(host, port)` pairs to resolve.
    #[getter]
    fn hosts(&self) -> Vec<(String, u16)> {
        self.inner.hosts()
    }

    /// Whether a direct connection is among the fail-overs.
    #[getter]
    fn has_direct(&self) -> bool {
        self.inner.has_direct()
    }

    fn __str__(&self) -> String {
        self.inner.render()
    }

    fn __repr__(&self) -> String {
        format!("ProxyChain({:?})", self.inner.render())
    }
}
