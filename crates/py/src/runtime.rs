//! The one tokio runtime of the extension, and waiting on it from Python:
//! with the GIL released, and returning when Ctrl-C is pressed.

use std::future::Future;
use std::sync::OnceLock;
use std::time::Duration;

use pyo3::prelude::*;

/// How often a waiting call looks for a pending signal (Ctrl-C).
const SIGNAL_POLL: Duration = Duration::from_millis(100);

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("pcvmfs")
            .enable_all()
            .build()
            .expect("the pcvmfs runtime starts")
    })
}

/// Runs `future` to its end with the GIL released. When a signal handler
/// raises (KeyboardInterrupt), the future is dropped and the exception is
/// returned.
pub fn wait<F, T>(py: Python<'_>, future: F) -> PyResult<T>
where
    F: Future<Output = T> + Send,
    T: Send,
{
    py.detach(|| {
        runtime().block_on(async {
            tokio::pin!(future);
            let mut tick = tokio::time::interval(SIGNAL_POLL);
            loop {
                tokio::select! {
                    result = &mut future => return Ok(result),
                    _ = tick.tick() => {
                        Python::attach(|py| py.check_signals())?;
                    }
                }
            }
        })
    })
}

/// Runs `future` with the GIL released, without looking for signals: for
/// an interactive shell, whose Ctrl-C belongs to the container.
pub fn wait_uninterrupted<F, T>(py: Python<'_>, future: F) -> T
where
    F: Future<Output = T> + Send,
    T: Send,
{
    py.detach(|| runtime().block_on(future))
}
