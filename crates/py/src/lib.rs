//! pcvmfs-py: the `pcvmfs._pcvmfs` extension module. Bindings only: each
//! class wraps a core or engine type, and every call that waits releases
//! the GIL and returns on Ctrl-C.

use pyo3::prelude::*;

mod apparmor;
mod cvmfs;
mod dns;
mod engine;
mod errors;
mod host;
mod images;
mod options;
mod parrot;
mod report;
mod runtime;

/// The extension module; the `pcvmfs` package re-exports what it holds.
#[pymodule]
fn _pcvmfs(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<engine::PyDocker>()?;
    m.add_class::<engine::PyContainer>()?;
    m.add_class::<engine::PyExecResult>()?;
    m.add_class::<engine::PyImage>()?;
    m.add_class::<engine::PyEngineInfo>()?;
    m.add_class::<engine::PySecurityOption>()?;
    m.add_class::<engine::PyAppliedSecurity>()?;
    m.add_class::<options::PySecurityOptions>()?;
    m.add_class::<options::PyDnsOptions>()?;
    m.add_class::<host::PyHostFacts>()?;
    m.add_class::<report::PyFinding>()?;
    m.add_class::<report::PyReport>()?;
    m.add_function(wrap_pyfunction!(host::host_facts, m)?)?;
    m.add_function(wrap_pyfunction!(report::doctor, m)?)?;
    m.add_class::<parrot::PyParrotSession>()?;
    m.add_class::<cvmfs::PyCvmfsRepo>()?;
    m.add_class::<cvmfs::PyCvmfsRepoList>()?;
    m.add_class::<cvmfs::PyProxyChain>()?;
    m.add_class::<parrot::PyParrotResult>()?;
    m.add_function(wrap_pyfunction!(parrot::parrot_local, m)?)?;
    m.add_function(wrap_pyfunction!(parrot::parse_parrot_log, m)?)?;
    m.add_function(wrap_pyfunction!(engine::seccomp_docker_default, m)?)?;
    m.add_function(wrap_pyfunction!(engine::seccomp_parrot_profile, m)?)?;
    m.add_function(wrap_pyfunction!(engine::seccomp_parrot_syscalls, m)?)?;
    m.add_class::<apparmor::PyPolicyFile>()?;
    m.add_class::<apparmor::PyProfile>()?;
    m.add_class::<apparmor::PyAppArmorStatus>()?;
    m.add_class::<apparmor::PyDenial>()?;
    m.add_function(wrap_pyfunction!(apparmor::apparmor_docker_default, m)?)?;
    m.add_function(wrap_pyfunction!(apparmor::apparmor_validate, m)?)?;
    m.add_function(wrap_pyfunction!(apparmor::apparmor_status, m)?)?;
    m.add_function(wrap_pyfunction!(apparmor::apparmor_confinement, m)?)?;
    m.add_function(wrap_pyfunction!(apparmor::apparmor_install, m)?)?;
    m.add_function(wrap_pyfunction!(apparmor::apparmor_remove, m)?)?;
    m.add_function(wrap_pyfunction!(apparmor::apparmor_security_opt, m)?)?;
    m.add_function(wrap_pyfunction!(apparmor::apparmor_parse_denials, m)?)?;
    m.add_class::<images::PyImageRef>()?;
    m.add_class::<images::PyCctoolsSource>()?;
    m.add_class::<images::PyImageRecipe>()?;
    m.add_class::<dns::PyResolvConf>()?;
    m.add_class::<dns::PyDnsDiagnosis>()?;
    m.add_class::<dns::PyDaemonDnsConfig>()?;
    m.add_class::<dns::PyDockerOpts>()?;
    m.add_class::<dns::PyDockerdStartup>()?;
    m.add_function(wrap_pyfunction!(dns::dns_diagnose, m)?)?;
    m.add_function(wrap_pyfunction!(dns::dns_dockerd_startup, m)?)?;
    m.add_class::<dns::PyDnsVerification>()?;
    m.add_function(wrap_pyfunction!(dns::dns_verify, m)?)?;
    Ok(())
}
