//! Images: `ImageRef`, `CctoolsSource`, `ImageRecipe`, and the engine calls
//! behind `Docker.pull`, `build`, `images`, `tag`, `remove_image` and
//! `import_rootfs`.

use std::future::{Future, poll_fn};
use std::path::PathBuf;
use std::pin::pin;
use std::sync::Mutex;
use std::task::Poll;

use pcvmfs_core::image_recipe::{ContextSource, CvmfsKey};
use pcvmfs_core::pull_progress::PullEvent;
use pcvmfs_core::registry_auth::Credentials;
use pcvmfs_core::{BuildEvent, CctoolsSource, ImageRecipe, ImageRef, ParrotSession};
use pcvmfs_docker::images::BuildOptions;
use pcvmfs_docker::pull::PullAuth;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString};

use crate::engine::{PyDocker, PyImage};
use crate::errors::{core_error, engine_error};
use crate::report::json_to_py;
use crate::runtime::wait;

/// An image reference: `[registry[:port]/]path[:tag][@sha256:digest]`,
/// with Docker's defaults (`docker.io`, `library/`, `latest`).
#[pyclass(frozen, eq, hash, name = "ImageRef", module = "pcvmfs", from_py_object)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PyImageRef {
    pub inner: ImageRef,
}

#[pymethods]
impl PyImageRef {
    /// Parses a reference; `ParseError` names the offending part.
    #[staticmethod]
    fn parse(text: &str) -> PyResult<Self> {
        Ok(PyImageRef {
            inner: ImageRef::parse(text).map_err(core_error)?,
        })
    }

    /// The registry (`docker.io` by default).
    #[getter]
    fn registry(&self) -> String {
        self.inner.registry().to_string()
    }

    /// The repository path (`library/busybox`).
    #[getter]
    fn repository(&self) -> String {
        self.inner.repository().to_string()
    }

    /// The tag (`latest` when neither tag nor digest was given; `None` with
    /// only a digest).
    #[getter]
    fn tag(&self) -> Option<String> {
        self.inner.tag().map(str::to_string)
    }

    /// The digest (`sha256:...`), if given.
    #[getter]
    fn digest(&self) -> Option<String> {
        self.inner.digest().map(str::to_string)
    }

    /// The short form Docker shows (`busybox:latest`).
    fn familiar(&self) -> String {
        self.inner.familiar()
    }

    fn __str__(&self) -> String {
        self.inner.to_string()
    }

    fn __repr__(&self) -> String {
        format!("ImageRef({:?})", self.inner.to_string())
    }
}

/// A reference given as an `ImageRef` or as text.
pub fn image_ref(value: &Bound<'_, PyAny>) -> PyResult<ImageRef> {
    if let Ok(r) = value.cast::<PyImageRef>() {
        return Ok(r.get().inner.clone());
    }
    let text: String = value.extract().map_err(|_| {
        pyo3::exceptions::PyTypeError::new_err("expected an ImageRef or a reference string")
    })?;
    ImageRef::parse(&text).map_err(core_error)
}

/// Where cctools (parrot) comes from: `CctoolsSource.url(u)`,
/// `.tarball(path)` or `.directory(path)`.
#[pyclass(frozen, eq, name = "CctoolsSource", module = "pcvmfs", from_py_object)]
#[derive(Clone, PartialEq)]
pub struct PyCctoolsSource {
    pub inner: CctoolsSource,
}

#[pymethods]
impl PyCctoolsSource {
    /// A release tarball downloaded during the build (http or https).
    #[staticmethod]
    fn url(url: &str) -> PyResult<Self> {
        Ok(PyCctoolsSource {
            inner: CctoolsSource::url(url).map_err(core_error)?,
        })
    }

    /// A release tarball on this host (`.tar` or `.tar.gz`).
    #[staticmethod]
    fn tarball(path: PathBuf) -> Self {
        PyCctoolsSource {
            inner: CctoolsSource::tarball(path),
        }
    }

    /// An unpacked cctools on this host (holding `bin/parrot_run`).
    #[staticmethod]
    fn directory(path: PathBuf) -> Self {
        PyCctoolsSource {
            inner: CctoolsSource::directory(path),
        }
    }

    fn __repr__(&self) -> String {
        match &self.inner {
            CctoolsSource::Url(u) => format!("CctoolsSource.url({u:?})"),
            CctoolsSource::Tarball(p) => format!("CctoolsSource.tarball({:?})", p.display()),
            CctoolsSource::Directory(p) => format!("CctoolsSource.directory({:?})", p.display()),
        }
    }
}

/// Pairs from a mapping or a sequence of pairs.
fn pairs(what: &str, value: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<(String, String)>> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    if let Ok(dict) = value.cast::<PyDict>() {
        return dict
            .iter()
            .map(|(k, v)| Ok((k.extract::<String>()?, v.extract::<String>()?)))
            .collect();
    }
    value.extract::<Vec<(String, String)>>().map_err(|_| {
        pyo3::exceptions::PyTypeError::new_err(format!(
            "{what} must be a mapping of strings or a list of pairs"
        ))
    })
}

/// A parrot-ready image: `base`, parrot from `cctools` in `/opt/cctools`
/// (its `bin` first on `PATH`), the test user (`TEST_USER`,
/// `TEST_USER_HOME`), CVMFS keys in `/etc/cvmfs/keys/DOMAIN/`, extra files,
/// environment, labels, and the parrot session's entry script
/// `/opt/pcvmfs/parrot-env.sh`. Every value is checked; values that look
/// like secrets are refused for `env`.
///
/// `keys` maps a domain (`cern.ch`) to a key file or a list of them;
/// `files` maps a path in the image to a file or directory on this host (a
/// path ending in `/` is a directory it goes into under its own name);
/// `session` is the `ParrotSession` whose environment the entry script
/// sets (default: parrot's defaults).
#[pyclass(frozen, name = "ImageRecipe", module = "pcvmfs")]
pub struct PyImageRecipe {
    pub inner: ImageRecipe,
}

#[pymethods]
impl PyImageRecipe {
    #[new]
    #[pyo3(signature = (base, cctools, test_user="parrotuser", test_uid=1000, keys=None, files=None, env=None, labels=None, session=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        base: &Bound<'_, PyAny>,
        cctools: PyCctoolsSource,
        test_user: &str,
        test_uid: u32,
        keys: Option<Bound<'_, PyAny>>,
        files: Option<Bound<'_, PyAny>>,
        env: Option<Bound<'_, PyAny>>,
        labels: Option<Bound<'_, PyAny>>,
        session: Option<crate::parrot::PyParrotSession>,
    ) -> PyResult<Self> {
        let base = image_ref(base)?;
        let mut recipe = ImageRecipe::new(&base.to_string(), cctools.inner).map_err(core_error)?;
        recipe.test_user = test_user.to_string();
        recipe.test_uid = test_uid;
        if let Some(keys) = keys {
            let keys = keys.cast::<PyDict>().map_err(|_| {
                pyo3::exceptions::PyTypeError::new_err(
                    "keys must map a domain to a key file or a list of them",
                )
            })?;
            for (domain, paths) in keys.iter() {
                let domain: String = domain.extract()?;
                let paths: Vec<PathBuf> = match paths.extract::<PathBuf>() {
                    Ok(path) if !paths.is_instance_of::<pyo3::types::PyList>() => vec![path],
                    _ => paths.extract()?,
                };
                for path in paths {
                    recipe.keys.push(CvmfsKey::new(domain.clone(), path));
                }
            }
        }
        if let Some(files) = files {
            let files = files.cast::<PyDict>().map_err(|_| {
                pyo3::exceptions::PyTypeError::new_err(
                    "files must map a path in the image to a path on this host",
                )
            })?;
            for (destination, source) in files.iter() {
                recipe
                    .files
                    .push((source.extract()?, destination.extract()?));
            }
        }
        recipe.env = pairs("env", env.as_ref())?;
        recipe.labels = pairs("labels", labels.as_ref())?;
        let session: ParrotSession = session.map(|s| s.inner).unwrap_or_default();
        recipe.env_script = Some(session.env_script("sh").map_err(core_error)?);
        recipe.check().map_err(core_error)?;
        Ok(PyImageRecipe { inner: recipe })
    }

    /// The rendered Dockerfile.
    fn dockerfile(&self) -> PyResult<String> {
        self.inner.dockerfile().map_err(core_error)
    }

    /// The build context: dicts with `path` (in the context), `mode`, and
    /// `content` (bytes pcvmfs rendered) or `source` (a host path).
    fn context_files<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyDict>>> {
        let files = self.inner.context_files().map_err(core_error)?;
        files
            .into_iter()
            .map(|file| {
                let dict = PyDict::new(py);
                dict.set_item("path", &file.path)?;
                dict.set_item("mode", file.mode)?;
                match file.source {
                    ContextSource::Bytes(bytes) => {
                        dict.set_item("content", PyBytes::new(py, &bytes))?;
                        dict.set_item("source", py.None())?;
                    }
                    ContextSource::File(path) | ContextSource::Directory(path) => {
                        dict.set_item("content", py.None())?;
                        dict.set_item("source", path)?;
                    }
                }
                Ok(dict)
            })
            .collect()
    }

    /// Writes the Dockerfile and context into the empty directory `path`.
    fn write_context(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        py.detach(|| self.inner.write_context(&path))
            .map_err(core_error)
    }

    /// The base image.
    #[getter]
    fn base(&self) -> PyImageRef {
        PyImageRef {
            inner: self.inner.base.clone(),
        }
    }

    /// The test user.
    #[getter]
    fn test_user(&self) -> String {
        self.inner.test_user.clone()
    }

    /// The test user's uid.
    #[getter]
    fn test_uid(&self) -> u32 {
        self.inner.test_uid
    }

    /// The test user's home.
    #[getter]
    fn test_home(&self) -> String {
        self.inner.test_home()
    }

    fn __repr__(&self) -> String {
        format!(
            "ImageRecipe(base={:?}, test_user={:?}, test_uid={})",
            self.inner.base.to_string(),
            self.inner.test_user,
            self.inner.test_uid
        )
    }
}

/// A progress argument: `None`/`False` (nothing), `True` (progress bars
/// from `pcvmfs.progress`), or a callable.
fn progress_callback(
    py: Python<'_>,
    progress: Option<Bound<'_, PyAny>>,
    bars: &str,
) -> PyResult<Option<Py<PyAny>>> {
    match progress {
        None => Ok(None),
        Some(value) if value.is_instance_of::<pyo3::types::PyBool>() => {
            if value.extract::<bool>()? {
                let module = py.import("pcvmfs.progress")?;
                Ok(Some(module.getattr(bars)?.call0()?.unbind()))
            } else {
                Ok(None)
            }
        }
        Some(value) if value.is_callable() => Ok(Some(value.unbind())),
        Some(_) => Err(pyo3::exceptions::PyTypeError::new_err(
            "progress must be True, False, None or a callable",
        )),
    }
}

/// Python callables fed from inside a wait: each event takes the GIL and
/// goes to every callable. The first exception stops the operation (see
/// [`until_failed`](Self::until_failed)) and is what the call raises; later
/// events skip the callables.
struct Callbacks<'a> {
    targets: Vec<&'a Py<PyAny>>,
    error: Mutex<Option<PyErr>>,
}

impl<'a> Callbacks<'a> {
    fn new(targets: impl IntoIterator<Item = &'a Py<PyAny>>) -> Self {
        Callbacks {
            targets: targets.into_iter().collect(),
            error: Mutex::new(None),
        }
    }

    fn failed(&self) -> bool {
        self.error.lock().unwrap().is_some()
    }

    /// Calls every callable with the one argument `arg` makes.
    fn call(&self, arg: impl for<'py> FnOnce(Python<'py>) -> PyResult<Bound<'py, PyAny>>) {
        if self.targets.is_empty() || self.failed() {
            return;
        }
        let called = Python::attach(|py| -> PyResult<()> {
            let arg = arg(py)?;
            for target in &self.targets {
                target.call1(py, (arg.clone(),))?;
            }
            Ok(())
        });
        if let Err(err) = called {
            *self.error.lock().unwrap() = Some(err);
        }
    }

    /// Runs `operation` (which feeds these callbacks) until it ends or a
    /// callable raises: then it is dropped at once, which closes its
    /// connection to the engine, and the engine stops the build or pull.
    /// `None` when it was stopped.
    async fn until_failed<T>(&self, operation: impl Future<Output = T>) -> Option<T> {
        let mut operation = pin!(operation);
        // The callables run inside the operation's poll, so a failure is
        // seen right after it: no wake-up is needed.
        poll_fn(|cx| match operation.as_mut().poll(cx) {
            Poll::Ready(result) => Poll::Ready(Some(result)),
            Poll::Pending if self.failed() => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        })
        .await
    }

    /// What the call returns: the first exception of a callable (with the
    /// engine's error as its cause, when the operation failed too), else
    /// the operation's result.
    fn finish<T>(self, py: Python<'_>, outcome: Option<pcvmfs_docker::Result<T>>) -> PyResult<T> {
        match (self.error.into_inner().unwrap(), outcome) {
            (Some(err), outcome) => {
                if let Some(Err(engine)) = outcome {
                    err.set_cause(py, Some(engine_error(engine)));
                }
                Err(err)
            }
            (None, Some(result)) => result.map_err(engine_error),
            (None, None) => unreachable!("an operation is stopped only after a callable raised"),
        }
    }
}

/// Calls `close()` on a progress object that has one.
fn close_progress(py: Python<'_>, callback: &Option<Py<PyAny>>) -> PyResult<()> {
    if let Some(callback) = callback {
        let bound = callback.bind(py);
        if bound.hasattr("close")? {
            bound.call_method0("close")?;
        }
    }
    Ok(())
}

/// `Docker.pull`.
pub fn pull(
    docker: &PyDocker,
    py: Python<'_>,
    reference: &Bound<'_, PyAny>,
    credentials: Option<(String, String)>,
    progress: Option<Bound<'_, PyAny>>,
) -> PyResult<PyImage> {
    let reference = image_ref(reference)?;
    let auth = match credentials {
        Some((user, password)) => {
            PullAuth::Given(Credentials::new(&user, &password).map_err(core_error)?)
        }
        None => PullAuth::DockerConfig,
    };
    let callback = progress_callback(py, progress, "PullBars")?;
    let engine = docker.engine.clone();
    let callbacks = Callbacks::new(callback.iter());
    let result = wait(py, async {
        let mut on_event = |event: PullEvent| callbacks.call(|py| json_to_py(py, &event));
        callbacks
            .until_failed(engine.pull(&reference, &auth, &mut on_event))
            .await
    });
    // The bars are closed also when the wait ends with Ctrl-C.
    close_progress(py, &callback)?;
    Ok(PyImage {
        inner: callbacks.finish(py, result?)?,
    })
}

/// What `Docker.build` builds: a directory or a recipe.
pub enum BuildSource {
    Directory(PathBuf),
    Recipe(Box<ImageRecipe>),
}

/// Reads the first argument of `Docker.build`.
pub fn build_source(value: &Bound<'_, PyAny>) -> PyResult<BuildSource> {
    if let Ok(recipe) = value.cast::<PyImageRecipe>() {
        return Ok(BuildSource::Recipe(Box::new(recipe.get().inner.clone())));
    }
    if value.is_instance_of::<PyString>() || value.hasattr("__fspath__")? {
        return Ok(BuildSource::Directory(value.extract()?));
    }
    Err(pyo3::exceptions::PyTypeError::new_err(
        "build takes an ImageRecipe or the path of a directory holding a Dockerfile",
    ))
}

/// `Docker.build`.
#[allow(clippy::too_many_arguments)]
pub fn build(
    docker: &PyDocker,
    py: Python<'_>,
    source: &Bound<'_, PyAny>,
    tag: String,
    no_cache: bool,
    build_args: Option<Bound<'_, PyAny>>,
    remove_intermediate: bool,
    progress: Option<Bound<'_, PyAny>>,
    on_output: Option<Py<PyAny>>,
    labels: Option<Bound<'_, PyAny>>,
) -> PyResult<PyImage> {
    let source = build_source(source)?;
    let options = BuildOptions {
        no_cache,
        build_args: pairs("build_args", build_args.as_ref())?,
        remove_intermediate,
        labels: pairs("labels", labels.as_ref())?,
    };
    let callback = progress_callback(py, progress, "BuildBar")?;
    let engine = docker.engine.clone();
    let callbacks = Callbacks::new(callback.iter().chain(on_output.iter()));
    let result = wait(py, async {
        let mut on_event = |event: BuildEvent| {
            if let BuildEvent::Output(line) = event {
                callbacks.call(|py| Ok(PyString::new(py, &line).into_any()));
            }
        };
        let building = async {
            match source {
                BuildSource::Directory(path) => {
                    engine.build(&path, &tag, &options, &mut on_event).await
                }
                BuildSource::Recipe(recipe) => {
                    engine
                        .build_recipe(&recipe, &tag, &options, &mut on_event)
                        .await
                }
            }
        };
        callbacks.until_failed(building).await
    });
    // The bar is closed also when the wait ends with Ctrl-C.
    close_progress(py, &callback)?;
    Ok(PyImage {
        inner: callbacks.finish(py, result?)?,
    })
}
