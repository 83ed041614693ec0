//! `ParrotSession`, `Container.parrot`, `parrot_local` and their results.

use std::time::Duration;

use pcvmfs_core::ParrotSession;
use pcvmfs_core::parrot_log::{LogSummary, summarize};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::errors::core_error;
use crate::report::json_to_py;

/// How to start `parrot_run`: repositories (`PARROT_CVMFS_REPO`), proxy
/// chain (`HTTP_PROXY`), debug flags and file, temporary directory, alien
/// cache, repository switching, timeout, extra arguments.
#[pyclass(frozen, eq, name = "ParrotSession", module = "pcvmfs", from_py_object)]
#[derive(Clone, PartialEq)]
pub struct PyParrotSession {
    pub inner: ParrotSession,
}

/// Text of a value given as a str or as an object whose `str()` renders
/// it (a `CvmfsRepoList`, a `ProxyChain`).
fn rendered(value: Option<Bound<'_, PyAny>>) -> PyResult<Option<String>> {
    value.map(|v| v.str().and_then(|s| s.extract())).transpose()
}

#[pymethods]
impl PyParrotSession {
    #[new]
    #[pyo3(signature = (parrot="parrot_run".to_string(), repos=None, proxy=None, debug=vec!["all".to_string()], debug_file=None, debug_rotate_bytes=None, tempdir=None, alien_cache=None, allow_switching=true, timeout=None, extra_args=Vec::new()))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        parrot: String,
        repos: Option<Bound<'_, PyAny>>,
        proxy: Option<Bound<'_, PyAny>>,
        debug: Vec<String>,
        debug_file: Option<String>,
        debug_rotate_bytes: Option<u64>,
        tempdir: Option<String>,
        alien_cache: Option<String>,
        allow_switching: bool,
        timeout: Option<f64>,
        extra_args: Vec<String>,
    ) -> PyResult<Self> {
        let timeout = match timeout {
            None => None,
            Some(s) if s.is_finite() && s > 0.0 && s < 1e9 => Some(Duration::from_secs_f64(s)),
            Some(s) => {
                return Err(core_error(pcvmfs_core::Error::parse(
                    "timeout",
                    &s.to_string(),
                    "must be a number of seconds above zero",
                )));
            }
        };
        let inner = ParrotSession {
            parrot,
            repos: rendered(repos)?,
            proxy: rendered(proxy)?,
            debug,
            debug_file,
            debug_rotate_bytes,
            tempdir,
            alien_cache,
            allow_switching,
            timeout,
            extra_args,
        };
        inner.check().map_err(core_error)?;
        Ok(PyParrotSession { inner })
    }

    /// `parrot_run`, its options, then `command`.
    fn argv(&self, command: Vec<String>) -> PyResult<Vec<String>> {
        self.inner.argv(&command).map_err(core_error)
    }

    /// The environment parrot needs.
    fn env(&self) -> PyResult<std::collections::BTreeMap<String, String>> {
        Ok(self.inner.env().map_err(core_error)?.into_iter().collect())
    }

    /// The interactive wrapper script (`bash` or `sh`).
    #[pyo3(signature = (shell="bash"))]
    fn env_script(&self, shell: &str) -> PyResult<String> {
        self.inner.env_script(shell).map_err(core_error)
    }

    /// The session as a dictionary.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &self.inner)
    }

    fn __repr__(&self) -> String {
        format!(
            "ParrotSession(parrot={:?}, repos={:?}, proxy={:?}, debug={:?})",
            self.inner.parrot, self.inner.repos, self.inner.proxy, self.inner.debug
        )
    }
}

/// What a parrot run left: `exit_code`, `stdout`, `stderr` (its first MiB),
/// `log_lines` (how many lines of log streamed by) and, with the log parser,
/// `log`, `outcome` and `findings`.
#[pyclass(frozen, name = "ParrotResult", module = "pcvmfs")]
pub struct PyParrotResult {
    pub argv: Vec<String>,
    pub user: Option<String>,
    pub exit_code: i64,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub log_bytes: u64,
    pub log_lines: u64,
    pub log: LogSummary,
}

#[pymethods]
impl PyParrotResult {
    /// The parsed log: event counts by kind and the facts that decide the
    /// outcome, as a dictionary.
    #[getter]
    fn log<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &self.log)
    }
    /// The outcome judged from the log and the exit code: `kind`
    /// (`succeeded`, `program_failed`, `program_killed`, `parrot_failed`),
    /// `status`, `signal`, `reason`.
    #[getter]
    fn outcome<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &self.log.outcome(i32::try_from(self.exit_code).ok()))
    }
    /// Findings from the log alone, each with its remedy.
    #[getter]
    fn findings<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &self.log.findings())
    }
    /// The command line that ran.
    #[getter]
    fn argv(&self) -> Vec<String> {
        self.argv.clone()
    }
    /// The user it ran as.
    #[getter]
    fn user(&self) -> Option<String> {
        self.user.clone()
    }
    /// `parrot_run`'s exit code.
    #[getter]
    fn exit_code(&self) -> i64 {
        self.exit_code
    }
    /// Standard output.
    #[getter]
    fn stdout<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.stdout)
    }
    /// The first MiB of standard error.
    #[getter]
    fn stderr<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.stderr)
    }
    /// Bytes of log that streamed by.
    #[getter]
    fn log_bytes(&self) -> u64 {
        self.log_bytes
    }
    /// Lines of log that streamed by.
    #[getter]
    fn log_lines(&self) -> u64 {
        self.log_lines
    }
    fn __repr__(&self) -> String {
        format!(
            "ParrotResult(exit_code={}, log_lines={}, argv={:?})",
            self.exit_code, self.log_lines, self.argv
        )
    }
}

impl PyParrotResult {
    /// The result of a run in a container.
    pub fn from_run(
        run: pcvmfs_docker::parrot::ParrotRun,
        (log_lines, log): (u64, LogSummary),
    ) -> Self {
        PyParrotResult {
            argv: run.argv,
            user: run.user,
            exit_code: run.exit_code,
            stdout: run.stdout,
            stderr: run.stderr,
            log_bytes: run.log_bytes,
            log_lines,
            log,
        }
    }
}

/// Where streamed log lines go: counted, fed to the log parser (through a
/// pipe to a thread of its own, so the log is never held whole), and handed
/// to a Python callable when one was given. An exception from the callable
/// is kept and raised when the run is over; later lines only count.
pub struct LogSink {
    on_log: Option<Py<PyAny>>,
    lines: u64,
    error: Option<PyErr>,
    parser_input: Option<std::io::PipeWriter>,
    parser: Option<std::thread::JoinHandle<std::io::Result<LogSummary>>>,
}

impl LogSink {
    /// A sink for `on_log`.
    pub fn new(on_log: Option<Py<PyAny>>) -> PyResult<Self> {
        let (reader, writer) = std::io::pipe()?;
        let parser = std::thread::spawn(move || summarize(std::io::BufReader::new(reader)));
        Ok(LogSink {
            on_log,
            lines: 0,
            error: None,
            parser_input: Some(writer),
            parser: Some(parser),
        })
    }

    /// Takes one line.
    pub fn line(&mut self, line: &str) {
        use std::io::Write;
        self.lines += 1;
        if let Some(input) = &mut self.parser_input {
            if input
                .write_all(line.as_bytes())
                .and_then(|()| input.write_all(b"\n"))
                .is_err()
            {
                self.parser_input = None;
            }
        }
        if let (Some(callback), None) = (&self.on_log, &self.error) {
            if let Err(err) = Python::attach(|py| callback.call1(py, (line,)).map(drop)) {
                self.error = Some(err);
            }
        }
    }

    /// The number of lines and the log's summary, or the callable's
    /// exception.
    pub fn finish(mut self) -> PyResult<(u64, LogSummary)> {
        drop(self.parser_input.take());
        let summary = match self.parser.take().map(|p| p.join()) {
            Some(Ok(Ok(summary))) => summary,
            _ => LogSummary::default(),
        };
        match self.error.take() {
            Some(err) => Err(err),
            None => Ok((self.lines, summary)),
        }
    }
}

/// Runs a parrot session on this host; the log streams to `on_log`
/// (a callable taking one line) when given.
#[pyfunction]
#[pyo3(signature = (session, command, on_log=None))]
pub fn parrot_local(
    py: Python<'_>,
    session: PyParrotSession,
    command: Vec<String>,
    on_log: Option<Py<PyAny>>,
) -> PyResult<PyParrotResult> {
    let mut sink = LogSink::new(on_log)?;
    let run = {
        let sink = &mut sink;
        py.detach(|| {
            session
                .inner
                .run_local(&command, &mut |line| sink.line(line))
        })
    };
    let (lines, log) = sink.finish()?;
    let run = run.map_err(core_error)?;
    if run.timed_out {
        return Err(crate::errors::ExecTimeoutError::new_err(format!(
            "{:?} did not finish within {:?}; it was killed",
            run.argv, session.inner.timeout
        )));
    }
    Ok(PyParrotResult {
        argv: run.argv,
        user: None,
        exit_code: run.exit_code,
        stdout: run.stdout,
        stderr: run.stderr,
        log_bytes: run.log_bytes,
        log_lines: lines,
        log,
    })
}

/// Parses a parrot log (text, or a path to read as a stream) and judges it
/// with `exit_code`: `{"log": ..., "outcome": ..., "findings": [...]}`.
#[pyfunction]
#[pyo3(signature = (source, exit_code=None))]
pub fn parse_parrot_log<'py>(
    py: Python<'py>,
    source: &Bound<'py, PyAny>,
    exit_code: Option<i32>,
) -> PyResult<Bound<'py, PyAny>> {
    let summary = if source.is_instance_of::<pyo3::types::PyString>() {
        let text: String = source.extract()?;
        py.detach(|| summarize(text.as_bytes()))?
    } else {
        let path: std::path::PathBuf = source.extract()?;
        py.detach(|| pcvmfs_core::parrot_log::summarize_file(&path))
            .map_err(core_error)?
    };
    let dict = pyo3::types::PyDict::new(py);
    dict.set_item("outcome", json_to_py(py, &summary.outcome(exit_code))?)?;
    dict.set_item("findings", json_to_py(py, &summary.findings())?)?;
    dict.set_item("log", json_to_py(py, &summary)?)?;
    Ok(dict.into_any())
}
