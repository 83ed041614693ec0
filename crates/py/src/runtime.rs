//! The one tokio runtime of the extension, and waiting on it from Python:
//! with the GIL released, and returning when Ctrl-C is pressed.

use std::future::Future;
use std::sync::OnceLock;
use std::time::Duration;

use pcvmfs_docker::scratch_container::finish_removals;
use pyo3::prelude::*;

/// How often a waiting call looks for a pending signal (Ctrl-C).
const SIGNAL_POLL: Duration = Duration::from_millis(100);

/// How long an interrupted call waits for the containers it made to be
/// removed before it returns.
const CLEANUP_TIMEOUT: Duration = Duration::from_secs(10);

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
/// raises (KeyboardInterrupt), the future is dropped, the containers it
/// created for itself are removed (waiting at most [`CLEANUP_TIMEOUT`]),
/// and the exception is returned.
pub fn wait<F, T>(py: Python<'_>, future: F) -> PyResult<T>
where
    F: Future<Output = T> + Send,
    T: Send,
{
    py.detach(|| {
        runtime().block_on(async {
            let outcome = {
                tokio::pin!(future);
                let mut tick = tokio::time::interval(SIGNAL_POLL);
                loop {
                    tokio::select! {
                        result = &mut future => break Ok(result),
                        _ = tick.tick() => {
                            if let Err(err) = Python::attach(|py| py.check_signals()) {
                                break Err(err);
                            }
                        }
                    }
                }
                // The future is dropped here: containers it made for itself
                // start being removed.
            };
            if outcome.is_err() {
                finish_removals(CLEANUP_TIMEOUT).await;
            }
            outcome
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
