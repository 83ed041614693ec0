//! `Docker`, `Container` and what they return.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use pcvmfs_core::{
    AppliedSeccomp, AppliedSecurity, ContainerSpec, EngineInfo, ExecOutput, ExecSpec, Image,
    VolumeMount,
};
use pcvmfs_docker::DockerEngine;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

use crate::errors::{core_error, engine_error};
use crate::host::py_bool;
use crate::options::{PyDnsOptions, PySecurityOptions, cap_names};
use crate::report::json_to_py;
use crate::runtime::{wait, wait_uninterrupted};

/// A command line from Python: a sequence of strings. A single string is
/// refused rather than split, since splitting would guess at quoting.
fn argv(command: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    if command.is_instance_of::<pyo3::types::PyString>() {
        return Err(PyTypeError::new_err(
            "a command is a list of strings, such as ['ls', '-l', '/cvmfs']; a single string is not split",
        ));
    }
    command
        .extract()
        .map_err(|_| PyTypeError::new_err("a command is a list of strings"))
}

/// Pairs from a mapping of strings to strings, in the mapping's order.
fn string_pairs(what: &str, mapping: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<(String, String)>> {
    let Some(mapping) = mapping else {
        return Ok(Vec::new());
    };
    let items = mapping.call_method0("items").map_err(|_| {
        PyTypeError::new_err(format!("{what} must be a mapping of strings to strings"))
    })?;
    items
        .try_iter()?
        .map(|item| {
            item?
                .extract::<(String, String)>()
                .map_err(|_| PyTypeError::new_err(format!("{what} must map strings to strings")))
        })
        .collect()
}

fn timeout(seconds: Option<f64>) -> PyResult<Option<Duration>> {
    match seconds {
        None => Ok(None),
        Some(s) if s.is_finite() && s > 0.0 && s < 1e9 => Ok(Some(Duration::from_secs_f64(s))),
        Some(s) => Err(core_error(pcvmfs_core::Error::parse(
            "timeout",
            &s.to_string(),
            "must be a number of seconds above zero",
        ))),
    }
}

/// A connection to a Docker engine: `host`, else `DOCKER_HOST`, else the
/// local socket, with the Engine API version negotiated.
#[pyclass(frozen, name = "Docker", module = "pcvmfs")]
pub struct PyDocker {
    pub engine: Arc<DockerEngine>,
}

#[allow(clippy::too_many_arguments)]
fn container_spec(
    image: String,
    command: Option<&Bound<'_, PyAny>>,
    user: Option<String>,
    env: Option<&Bound<'_, PyAny>>,
    security: Option<PySecurityOptions>,
    dns: Option<PyDnsOptions>,
    volumes: Option<Vec<String>>,
    labels: Option<&Bound<'_, PyAny>>,
    network: Option<String>,
) -> PyResult<ContainerSpec> {
    let spec = ContainerSpec {
        image,
        command: command.map(argv).transpose()?,
        user,
        env: string_pairs("env", env)?,
        security: security.map(|s| s.inner).unwrap_or_default(),
        dns: dns.map(|d| d.inner).unwrap_or_default(),
        volumes: volumes
            .unwrap_or_default()
            .iter()
            .map(|v| VolumeMount::parse(v).map_err(core_error))
            .collect::<PyResult<_>>()?,
        labels: string_pairs("labels", labels)?
            .into_iter()
            .collect::<BTreeMap<_, _>>(),
        interactive: false,
        tty: false,
        init: false,
        network,
    };
    spec.check().map_err(core_error)?;
    Ok(spec)
}

#[pymethods]
impl PyDocker {
    #[new]
    #[pyo3(signature = (host=None))]
    fn new(py: Python<'_>, host: Option<String>) -> PyResult<Self> {
        let engine = wait(
            py,
            async move { DockerEngine::connect(host.as_deref()).await },
        )?
        .map_err(engine_error)?;
        Ok(PyDocker {
            engine: Arc::new(engine),
        })
    }

    /// Where the engine listens.
    #[getter]
    fn host(&self) -> String {
        self.engine.host().to_string()
    }

    /// The Engine API version agreed with the engine.
    #[getter]
    fn api_version(&self) -> String {
        self.engine.api_version()
    }

    /// What the engine says about itself and its host.
    fn info(&self, py: Python<'_>) -> PyResult<PyEngineInfo> {
        let engine = self.engine.clone();
        let info = wait(py, async move { engine.info().await })?.map_err(engine_error)?;
        Ok(PyEngineInfo { inner: info })
    }

    /// Builds `source` as `tag`: an `ImageRecipe`, or the path of a
    /// directory holding a `Dockerfile` (its `.dockerignore` honoured).
    /// `no_cache` rebuilds every step; `build_args` (a mapping) are refused
    /// when they look like secrets; `remove_intermediate` removes the
    /// intermediate containers, also after a failure. `progress=True` shows
    /// a bar over the steps, a callable gets each line of output, and so
    /// does `on_output`; one that raises stops the build, and its exception
    /// is raised. A malformed `tag` raises `ParseError` before the context
    /// is read. Raises `ImageError` naming the failing step, its
    /// instruction and the last lines of its output.
    #[pyo3(signature = (source, tag, no_cache=false, build_args=None, remove_intermediate=true, progress=None, on_output=None, labels=None))]
    #[allow(clippy::too_many_arguments)]
    fn build(
        &self,
        py: Python<'_>,
        source: Bound<'_, PyAny>,
        tag: String,
        no_cache: bool,
        build_args: Option<Bound<'_, PyAny>>,
        remove_intermediate: bool,
        progress: Option<Bound<'_, PyAny>>,
        on_output: Option<Py<PyAny>>,
        labels: Option<Bound<'_, PyAny>>,
    ) -> PyResult<PyImage> {
        crate::images::build(
            self,
            py,
            &source,
            tag,
            no_cache,
            build_args,
            remove_intermediate,
            progress,
            on_output,
            labels,
        )
    }

    /// Pulls `reference` (an `ImageRef` or text). `credentials` is a
    /// `(user, password)` pair; without it the user's Docker configuration
    /// (`$DOCKER_CONFIG/config.json` or `~/.docker/config.json`) is used
    /// when it has an entry. `progress=True` shows a bar per layer (a
    /// widget in Jupyter), a callable gets each event as a dict (one that
    /// raises stops the pull, and its exception is raised). Raises
    /// `ImageNotFoundError`, `RegistryAccessDeniedError`,
    /// `RegistryUnreachableError` or `PullInterruptedError`.
    #[pyo3(signature = (reference, credentials=None, progress=None))]
    fn pull(
        &self,
        py: Python<'_>,
        reference: Bound<'_, PyAny>,
        credentials: Option<(String, String)>,
        progress: Option<Bound<'_, PyAny>>,
    ) -> PyResult<PyImage> {
        crate::images::pull(self, py, &reference, credentials, progress)
    }

    /// The images in the store, optionally only those matching the
    /// reference pattern `reference` (`pcvmfs/*`) and the label `label`
    /// (`key` or `key=value`).
    #[pyo3(signature = (reference=None, label=None))]
    fn images(
        &self,
        py: Python<'_>,
        reference: Option<String>,
        label: Option<String>,
    ) -> PyResult<Vec<PyImage>> {
        let engine = self.engine.clone();
        let found = wait(py, async move {
            engine.images(reference.as_deref(), label.as_deref()).await
        })?
        .map_err(engine_error)?;
        Ok(found.into_iter().map(|inner| PyImage { inner }).collect())
    }

    /// Tags the image `source` (a reference or id) as `target`.
    fn tag(&self, py: Python<'_>, source: String, target: Bound<'_, PyAny>) -> PyResult<PyImage> {
        let target = crate::images::image_ref(&target)?;
        let engine = self.engine.clone();
        let inner =
            wait(py, async move { engine.tag(&source, &target).await })?.map_err(engine_error)?;
        Ok(PyImage { inner })
    }

    /// Removes an image (a reference, or an image id, full or short); `force`
    /// also when containers use it or it has several tags. Returns what was
    /// untagged and deleted.
    #[pyo3(signature = (reference, force=false))]
    fn remove_image(
        &self,
        py: Python<'_>,
        reference: String,
        force: bool,
    ) -> PyResult<Vec<String>> {
        let engine = self.engine.clone();
        wait(
            py,
            async move { engine.remove_image(&reference, force).await },
        )?
        .map_err(engine_error)
    }

    /// Makes an image `tag` from a root filesystem: a directory (owners and
    /// modes kept) or a tarball (plain, gzip, bzip2 or xz).
    fn import_rootfs(
        &self,
        py: Python<'_>,
        source: PathBuf,
        tag: Bound<'_, PyAny>,
    ) -> PyResult<PyImage> {
        let tag = crate::images::image_ref(&tag)?;
        let engine = self.engine.clone();
        let inner = wait(py, async move { engine.import_rootfs(&source, &tag).await })?
            .map_err(engine_error)?;
        Ok(PyImage { inner })
    }

    /// Starts a container and returns it. Use it as a context manager to
    /// remove it on exit. Without `command`, the image's own command runs
    /// (with standard input kept open, so a shell stays up).
    #[pyo3(signature = (image, command=None, user=None, env=None, security=None, dns=None, volumes=None, labels=None, network=None))]
    #[allow(clippy::too_many_arguments)]
    fn run(
        &self,
        py: Python<'_>,
        image: String,
        command: Option<Bound<'_, PyAny>>,
        user: Option<String>,
        env: Option<Bound<'_, PyAny>>,
        security: Option<PySecurityOptions>,
        dns: Option<PyDnsOptions>,
        volumes: Option<Vec<String>>,
        labels: Option<Bound<'_, PyAny>>,
        network: Option<String>,
    ) -> PyResult<PyContainer> {
        let spec = container_spec(
            image,
            command.as_ref(),
            user,
            env.as_ref(),
            security,
            dns,
            volumes,
            labels.as_ref(),
            network,
        )?;
        let engine = self.engine.clone();
        let image = spec.image.clone();
        let id = wait(py, async move { engine.start(&spec).await })?.map_err(engine_error)?;
        Ok(PyContainer {
            engine: self.engine.clone(),
            id,
            image,
            removed: AtomicBool::new(false),
        })
    }

    /// An interactive shell in a new container (like `docker run --rm
    /// -it`), connected to this process's terminal; the container is
    /// removed when the shell ends. Returns the shell's exit code.
    #[pyo3(signature = (image, command=None, user=None, env=None, security=None, dns=None, volumes=None))]
    #[allow(clippy::too_many_arguments)]
    fn shell(
        &self,
        py: Python<'_>,
        image: String,
        command: Option<Bound<'_, PyAny>>,
        user: Option<String>,
        env: Option<Bound<'_, PyAny>>,
        security: Option<PySecurityOptions>,
        dns: Option<PyDnsOptions>,
        volumes: Option<Vec<String>>,
    ) -> PyResult<i64> {
        let spec = container_spec(
            image,
            command.as_ref(),
            user,
            env.as_ref(),
            security,
            dns,
            volumes,
            None,
            None,
        )?;
        let engine = self.engine.clone();
        wait_uninterrupted(py, async move { engine.shell(&spec).await }).map_err(engine_error)
    }

    /// Runs a parrot session as the command of a new container from
    /// `image` (with an init as PID 1), as `user` (default: the image's
    /// `TEST_USER`), with `security`; the container is removed afterwards.
    #[pyo3(signature = (image, session, command, user=None, security=None, on_log=None))]
    #[allow(clippy::too_many_arguments)]
    fn parrot(
        &self,
        py: Python<'_>,
        image: String,
        session: crate::parrot::PyParrotSession,
        command: Bound<'_, PyAny>,
        user: Option<String>,
        security: Option<PySecurityOptions>,
        on_log: Option<Py<PyAny>>,
    ) -> PyResult<crate::parrot::PyParrotResult> {
        let command = argv(&command)?;
        let security = security.map(|s| s.inner).unwrap_or_default();
        let engine = self.engine.clone();
        let mut sink = crate::parrot::LogSink::new(on_log)?;
        let run = {
            let sink = &mut sink;
            wait(py, async move {
                engine
                    .parrot_in_image(
                        &image,
                        &session.inner,
                        &command,
                        user.as_deref(),
                        &security,
                        &mut |l| sink.line(l),
                    )
                    .await
            })?
        };
        let finished = sink.finish()?;
        Ok(crate::parrot::PyParrotResult::from_run(
            run.map_err(engine_error)?,
            finished,
        ))
    }

    /// Creates a bridge network labelled as pcvmfs's (plus `labels`);
    /// returns its id.
    #[pyo3(signature = (name, labels=None))]
    fn create_network(
        &self,
        py: Python<'_>,
        name: String,
        labels: Option<BTreeMap<String, String>>,
    ) -> PyResult<String> {
        let engine = self.engine.clone();
        let labels = labels.unwrap_or_default();
        wait(py, async move {
            let pairs: Vec<(&str, &str)> = labels
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            engine.create_network(&name, &pairs).await
        })?
        .map_err(engine_error)
    }

    /// Removes a network (one already gone counts as removed).
    fn remove_network(&self, py: Python<'_>, network: String) -> PyResult<()> {
        let engine = self.engine.clone();
        wait(py, async move { engine.remove_network(&network).await })?.map_err(engine_error)
    }

    /// The ids of every container labelled `org.pcvmfs.managed=true`.
    fn managed_containers(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        let engine = self.engine.clone();
        wait(py, async move { engine.managed_containers().await })?.map_err(engine_error)
    }

    fn __repr__(&self) -> String {
        format!(
            "Docker(host={:?}, api_version={:?})",
            self.engine.host(),
            self.engine.api_version()
        )
    }
}

/// A running container. As a context manager, it is removed on exit,
/// also when the block raises.
#[pyclass(frozen, name = "Container", module = "pcvmfs")]
pub struct PyContainer {
    engine: Arc<DockerEngine>,
    id: String,
    image: String,
    removed: AtomicBool,
}

#[pymethods]
impl PyContainer {
    /// The container's id.
    #[getter]
    fn id(&self) -> String {
        self.id.clone()
    }

    /// The image it was started from.
    #[getter]
    fn image(&self) -> String {
        self.image.clone()
    }

    /// Runs `argv` (a list of strings, no shell) to its end. With
    /// `timeout` (seconds), a command still running is killed and
    /// `ExecTimeoutError` is raised.
    #[pyo3(signature = (argv, user=None, env=None, workdir=None, timeout=None))]
    fn exec(
        &self,
        py: Python<'_>,
        argv: Bound<'_, PyAny>,
        user: Option<String>,
        env: Option<Bound<'_, PyAny>>,
        workdir: Option<String>,
        timeout: Option<f64>,
    ) -> PyResult<PyExecResult> {
        let spec = ExecSpec {
            argv: self::argv(&argv)?,
            user,
            env: string_pairs("env", env.as_ref())?,
            workdir,
            timeout: self::timeout(timeout)?,
        };
        spec.check().map_err(core_error)?;
        let engine = self.engine.clone();
        let id = self.id.clone();
        let output =
            wait(py, async move { engine.exec(&id, &spec).await })?.map_err(engine_error)?;
        Ok(PyExecResult { inner: output })
    }

    /// The security settings the engine really applied.
    fn inspect(&self, py: Python<'_>) -> PyResult<PyAppliedSecurity> {
        let engine = self.engine.clone();
        let id = self.id.clone();
        let applied =
            wait(py, async move { engine.applied_security(&id).await })?.map_err(engine_error)?;
        Ok(PyAppliedSecurity { inner: applied })
    }

    /// Runs the ptrace probe in this running container as `user` (copied
    /// in, then removed) and returns its report as a dictionary.
    #[pyo3(signature = (probe, user=None))]
    fn probe<'py>(
        &self,
        py: Python<'py>,
        probe: PathBuf,
        user: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let binary = pcvmfs_docker::readiness::ProbeBinary::at(probe).map_err(engine_error)?;
        let engine = self.engine.clone();
        let id = self.id.clone();
        let report = wait(py, async move {
            engine.probe_container(&id, user.as_deref(), &binary).await
        })?
        .map_err(engine_error)?;
        json_to_py(py, &report)
    }

    /// Runs a parrot session here as `user` (default: the container's
    /// `TEST_USER`) in `workdir`; each log line goes to `on_log` as it
    /// streams. The session's timeout kills the run.
    #[pyo3(signature = (session, command, user=None, workdir=None, on_log=None))]
    fn parrot(
        &self,
        py: Python<'_>,
        session: crate::parrot::PyParrotSession,
        command: Bound<'_, PyAny>,
        user: Option<String>,
        workdir: Option<String>,
        on_log: Option<Py<PyAny>>,
    ) -> PyResult<crate::parrot::PyParrotResult> {
        let command = argv(&command)?;
        let engine = self.engine.clone();
        let id = self.id.clone();
        let mut sink = crate::parrot::LogSink::new(on_log)?;
        let run = {
            let sink = &mut sink;
            wait(py, async move {
                engine
                    .parrot(
                        &id,
                        &session.inner,
                        &command,
                        user.as_deref(),
                        workdir.as_deref(),
                        &mut |l| sink.line(l),
                    )
                    .await
            })?
        };
        let finished = sink.finish()?;
        Ok(crate::parrot::PyParrotResult::from_run(
            run.map_err(engine_error)?,
            finished,
        ))
    }

    /// The container's IPv4 address on `network` (`bridge` by default),
    /// or `None` when it is not attached there.
    #[pyo3(signature = (network="bridge"))]
    fn address(&self, py: Python<'_>, network: &str) -> PyResult<Option<String>> {
        let engine = self.engine.clone();
        let id = self.id.clone();
        let network = network.to_string();
        let found = wait(
            py,
            async move { engine.container_address(&id, &network).await },
        )?
        .map_err(engine_error)?;
        Ok(found.map(|ip| ip.to_string()))
    }

    /// Stops and removes the container; removing it again does nothing.
    fn remove(&self, py: Python<'_>) -> PyResult<()> {
        let engine = self.engine.clone();
        let id = self.id.clone();
        wait(py, async move { engine.remove(&id).await })?.map_err(engine_error)?;
        self.removed.store(true, Ordering::Relaxed);
        Ok(())
    }

    /// Whether `remove()` has run.
    #[getter]
    fn removed(&self) -> bool {
        self.removed.load(Ordering::Relaxed)
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, py: Python<'_>, _exc: &Bound<'_, pyo3::types::PyTuple>) -> PyResult<bool> {
        self.remove(py)?;
        Ok(false)
    }

    fn __repr__(&self) -> String {
        let short: String = self.id.chars().take(12).collect();
        let state = if self.removed() { ", removed" } else { "" };
        format!("Container(id={short:?}, image={:?}{state})", self.image)
    }
}

/// What a finished command left: `exit_code`, `stdout` and `stderr` (bytes).
#[pyclass(frozen, name = "ExecResult", module = "pcvmfs")]
pub struct PyExecResult {
    inner: ExecOutput,
}

fn preview(bytes: &[u8]) -> String {
    const SHOWN: usize = 60;
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(SHOWN)]);
    if bytes.len() > SHOWN {
        format!("{text:?}... ({} bytes)", bytes.len())
    } else {
        format!("{text:?}")
    }
}

#[pymethods]
impl PyExecResult {
    /// The exit code.
    #[getter]
    fn exit_code(&self) -> i64 {
        self.inner.exit_code
    }

    /// Standard output, byte for byte.
    #[getter]
    fn stdout<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.stdout)
    }

    /// Standard error, byte for byte.
    #[getter]
    fn stderr<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.stderr)
    }

    /// The result as a dictionary, with the output decoded as UTF-8
    /// (undecodable bytes replaced), for JSON.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        dict.set_item("exit_code", self.inner.exit_code)?;
        dict.set_item("stdout", String::from_utf8_lossy(&self.inner.stdout))?;
        dict.set_item("stderr", String::from_utf8_lossy(&self.inner.stderr))?;
        Ok(dict)
    }

    fn __repr__(&self) -> String {
        format!(
            "ExecResult(exit_code={}, stdout={}, stderr={})",
            self.inner.exit_code,
            preview(&self.inner.stdout),
            preview(&self.inner.stderr)
        )
    }
}

/// An image in the engine's store: `id`, `tags`, `size`, `created`,
/// `labels`, `digests`.
#[pyclass(frozen, name = "Image", module = "pcvmfs")]
pub struct PyImage {
    pub inner: Image,
}

#[pymethods]
impl PyImage {
    /// The image id (`sha256:...`).
    #[getter]
    fn id(&self) -> String {
        self.inner.id.clone()
    }

    /// Its tags.
    #[getter]
    fn tags(&self) -> Vec<String> {
        self.inner.tags.clone()
    }

    /// Its size in bytes, or `None`.
    #[getter]
    fn size(&self) -> Option<i64> {
        self.inner.size
    }

    /// When it was created, in seconds since the Unix epoch, or `None`.
    #[getter]
    fn created(&self) -> Option<i64> {
        self.inner.created
    }

    /// Its labels.
    #[getter]
    fn labels(&self) -> BTreeMap<String, String> {
        self.inner.labels.clone()
    }

    /// Its registry digests (`repo@sha256:...`).
    #[getter]
    fn digests(&self) -> Vec<String> {
        self.inner.digests.clone()
    }

    /// The image as a dictionary.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &self.inner)
    }

    fn __repr__(&self) -> String {
        let short: String = self
            .inner
            .id
            .trim_start_matches("sha256:")
            .chars()
            .take(12)
            .collect();
        format!("Image(id={short:?}, tags={:?})", self.inner.tags)
    }
}

/// One of the engine's security options: `name` and `attributes`.
#[pyclass(frozen, name = "SecurityOption", module = "pcvmfs")]
pub struct PySecurityOption {
    inner: pcvmfs_core::SecurityOption,
}

#[pymethods]
impl PySecurityOption {
    /// `seccomp`, `apparmor`, `selinux`, `userns`, `rootless`, ...
    #[getter]
    fn name(&self) -> String {
        self.inner.name.clone()
    }

    /// Attributes such as `{"profile": "default"}`.
    #[getter]
    fn attributes(&self) -> BTreeMap<String, String> {
        self.inner.attributes.clone()
    }

    fn __repr__(&self) -> String {
        if self.inner.attributes.is_empty() {
            format!("SecurityOption({:?})", self.inner.name)
        } else {
            format!(
                "SecurityOption({:?}, {:?})",
                self.inner.name, self.inner.attributes
            )
        }
    }
}

/// What the engine says about itself and its host.
#[pyclass(frozen, name = "EngineInfo", module = "pcvmfs")]
pub struct PyEngineInfo {
    inner: EngineInfo,
}

#[pymethods]
impl PyEngineInfo {
    /// The engine's version.
    #[getter]
    fn version(&self) -> String {
        self.inner.version.clone()
    }

    /// The API version agreed with the engine.
    #[getter]
    fn api_version(&self) -> String {
        self.inner.api_version.clone()
    }

    /// The highest API version the engine offers.
    #[getter]
    fn engine_api_version(&self) -> String {
        self.inner.engine_api_version.clone()
    }

    /// The host's operating system.
    #[getter]
    fn os(&self) -> String {
        self.inner.os.clone()
    }

    /// The host's kernel release.
    #[getter]
    fn kernel_version(&self) -> String {
        self.inner.kernel_version.clone()
    }

    /// The host's architecture.
    #[getter]
    fn arch(&self) -> String {
        self.inner.arch.clone()
    }

    /// The storage driver.
    #[getter]
    fn storage_driver(&self) -> String {
        self.inner.storage_driver.clone()
    }

    /// The engine's security options.
    #[getter]
    fn security_options(&self) -> Vec<PySecurityOption> {
        self.inner
            .security_options
            .iter()
            .map(|o| PySecurityOption { inner: o.clone() })
            .collect()
    }

    /// The information as a dictionary.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &self.inner)
    }

    fn __repr__(&self) -> String {
        let names: Vec<&str> = self
            .inner
            .security_options
            .iter()
            .map(|o| o.name.as_str())
            .collect();
        format!(
            "EngineInfo(version={:?}, api_version={:?}, os={:?}, kernel_version={:?}, arch={:?}, storage_driver={:?}, security_options={:?})",
            self.inner.version,
            self.inner.api_version,
            self.inner.os,
            self.inner.kernel_version,
            self.inner.arch,
            self.inner.storage_driver,
            names
        )
    }
}

/// The security settings the engine applied to a container.
#[pyclass(frozen, name = "AppliedSecurity", module = "pcvmfs")]
pub struct PyAppliedSecurity {
    inner: AppliedSecurity,
}

#[pymethods]
impl PyAppliedSecurity {
    /// Whether the container is privileged.
    #[getter]
    fn privileged(&self) -> bool {
        self.inner.privileged
    }

    /// `default`, `unconfined` or `custom`.
    #[getter]
    fn seccomp(&self) -> &'static str {
        match self.inner.seccomp {
            AppliedSeccomp::Default => "default",
            AppliedSeccomp::Unconfined => "unconfined",
            AppliedSeccomp::Custom(_) => "custom",
        }
    }

    /// The custom seccomp profile (JSON), or `None`.
    #[getter]
    fn seccomp_profile(&self) -> Option<String> {
        match &self.inner.seccomp {
            AppliedSeccomp::Custom(profile) => Some(profile.clone()),
            _ => None,
        }
    }

    /// The AppArmor profile, or `None`.
    #[getter]
    fn apparmor_profile(&self) -> Option<String> {
        self.inner.apparmor_profile.clone()
    }

    /// Capabilities added.
    #[getter]
    fn cap_add(&self) -> Vec<String> {
        cap_names(&self.inner.cap_add)
    }

    /// Capabilities dropped.
    #[getter]
    fn cap_drop(&self) -> Vec<String> {
        cap_names(&self.inner.cap_drop)
    }

    /// Whether `no-new-privileges` is set.
    #[getter]
    fn no_new_privileges(&self) -> bool {
        self.inner.no_new_privileges
    }

    /// Other security options the engine holds.
    #[getter]
    fn other_options(&self) -> Vec<String> {
        self.inner.other_options.clone()
    }

    /// The settings as a dictionary.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &self.inner)
    }

    fn __repr__(&self) -> String {
        format!(
            "AppliedSecurity(privileged={}, seccomp={:?}, apparmor_profile={:?}, cap_add={:?}, cap_drop={:?}, no_new_privileges={})",
            py_bool(self.inner.privileged),
            self.seccomp(),
            self.inner.apparmor_profile,
            self.cap_add(),
            self.cap_drop(),
            py_bool(self.inner.no_new_privileges)
        )
    }
}

/// Docker's default seccomp profile for x86_64 (as JSON text).
#[pyfunction]
pub fn seccomp_docker_default() -> String {
    pcvmfs_docker::seccomp::docker_default_profile().to_string()
}

/// The parrot seccomp profile (as JSON text); with `path`, also written
/// there atomically.
#[pyfunction]
#[pyo3(signature = (path=None))]
pub fn seccomp_parrot_profile(path: Option<PathBuf>) -> PyResult<String> {
    let profile = pcvmfs_docker::seccomp::parrot_profile();
    if let Some(path) = path {
        pcvmfs_docker::seccomp::write_profile(&profile, &path).map_err(|e| {
            crate::errors::os_error(&e, format!("cannot write {}: {e}", path.display()))
        })?;
    }
    Ok(profile.to_string())
}

/// The syscalls the parrot profile adds to Docker's default.
#[pyfunction]
pub fn seccomp_parrot_syscalls() -> Vec<String> {
    pcvmfs_docker::seccomp::PARROT_SYSCALLS
        .iter()
        .map(|s| s.to_string())
        .collect()
}
