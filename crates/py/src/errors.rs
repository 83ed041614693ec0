//! One mapping from the crates' errors to the Python exceptions of
//! `pcvmfs.errors` (rooted at `PcvmfsError`); files that cannot be read
//! become the matching built-in `OSError`s.

use pyo3::exceptions::{PyFileNotFoundError, PyOSError, PyPermissionError};
use pyo3::prelude::*;

pyo3::import_exception!(pcvmfs.errors, DockerError);
pyo3::import_exception!(pcvmfs.errors, EngineUnreachableError);
pyo3::import_exception!(pcvmfs.errors, ImageError);
pyo3::import_exception!(pcvmfs.errors, ContainerError);
pyo3::import_exception!(pcvmfs.errors, ExecTimeoutError);
pyo3::import_exception!(pcvmfs.errors, ParseError);
pyo3::import_exception!(pcvmfs.errors, AppArmorError);
pyo3::import_exception!(pcvmfs.errors, ImageNotFoundError);
pyo3::import_exception!(pcvmfs.errors, RegistryAccessDeniedError);
pyo3::import_exception!(pcvmfs.errors, RegistryUnreachableError);
pyo3::import_exception!(pcvmfs.errors, PullInterruptedError);

/// The Python exception for an I/O error on `path`.
pub fn os_error(source: &std::io::Error, message: String) -> PyErr {
    match source.kind() {
        std::io::ErrorKind::NotFound => PyFileNotFoundError::new_err(message),
        std::io::ErrorKind::PermissionDenied => PyPermissionError::new_err(message),
        _ => PyOSError::new_err(message),
    }
}

/// The Python exception for a core error.
pub fn core_error(err: pcvmfs_core::Error) -> PyErr {
    let message = err.to_string();
    match &err {
        pcvmfs_core::Error::Parse { .. } => ParseError::new_err(message),
        pcvmfs_core::Error::Read { source, .. } | pcvmfs_core::Error::Write { source, .. } => {
            os_error(source, message)
        }
    }
}

/// The Python exception for an engine error.
pub fn engine_error(err: pcvmfs_docker::Error) -> PyErr {
    use pcvmfs_docker::Error as E;
    let message = err.to_string();
    match err {
        E::Unreachable { .. } => EngineUnreachableError::new_err(message),
        E::NoSuchImage { .. } | E::Build { .. } => ImageError::new_err(message),
        E::NoSuchContainer { .. } => ContainerError::new_err(message),
        E::PullNotFound { .. } => ImageNotFoundError::new_err(message),
        E::AccessDenied { .. } => RegistryAccessDeniedError::new_err(message),
        E::RegistryUnreachable { .. } => RegistryUnreachableError::new_err(message),
        E::PullInterrupted { .. } => PullInterruptedError::new_err(message),
        E::ExecTimeout { .. } => ExecTimeoutError::new_err(message),
        E::Core(core) => core_error(core),
        E::Io { source, .. } => os_error(&source, message),
        E::Engine { .. } | E::Terminal(_) => DockerError::new_err(message),
    }
}
