//! Containers that pcvmfs creates for one call (a probe, a DNS check, a
//! parrot run) and removes when the call ends, also when the call is
//! abandoned: a Python caller's Ctrl-C drops the call's future, and the
//! container must not be left behind. A container that a call starts for
//! its caller (`Docker.run`) is guarded the same way until it is handed
//! over. The create request itself cannot be guarded: a container the
//! engine creates after the caller gave up carries the managed label.

use std::sync::Mutex;
use std::time::Duration;

use pcvmfs_core::ContainerSpec;
use tokio::task::JoinHandle;

use crate::connect::DockerEngine;
use crate::error::Result;

/// Removals started by dropped [`ScratchContainer`]s, not yet awaited.
static PENDING: Mutex<Vec<JoinHandle<()>>> = Mutex::new(Vec::new());

/// A container created for one call. [`ScratchContainer::remove`] removes
/// it and reports errors; when the guard is dropped without that (its
/// future was dropped), a task on the current runtime removes it, and
/// [`finish_removals`] waits for such tasks.
pub struct ScratchContainer {
    engine: DockerEngine,
    id: String,
    removed: bool,
}

impl ScratchContainer {
    /// Creates a container from `spec` (not started).
    pub(crate) async fn create(engine: &DockerEngine, spec: &ContainerSpec) -> Result<Self> {
        let id = engine.create(spec).await?;
        Ok(ScratchContainer {
            engine: engine.clone(),
            id,
            removed: false,
        })
    }

    /// The container's id.
    pub(crate) fn id(&self) -> &str {
        &self.id
    }

    /// Removes the container (forcibly, with its anonymous volumes). Only
    /// a removal that ran to its end disarms the guard: one interrupted in
    /// its turn is finished by the drop.
    pub(crate) async fn remove(mut self) -> Result<()> {
        let removed = self.engine.remove(&self.id).await;
        self.removed = true;
        removed
    }

    /// Hands the container over to the caller, who removes it from now on;
    /// returns its id.
    pub(crate) fn keep(mut self) -> String {
        self.removed = true;
        std::mem::take(&mut self.id)
    }
}

impl Drop for ScratchContainer {
    fn drop(&mut self) {
        if self.removed {
            return;
        }
        // Without a runtime (the future was dropped outside one) nothing can
        // be sent; the container carries the managed label for a cleanup.
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let engine = self.engine.clone();
        let id = std::mem::take(&mut self.id);
        let task = runtime.spawn(async move {
            let _ = engine.remove(&id).await;
        });
        let mut pending = PENDING.lock().unwrap_or_else(|e| e.into_inner());
        pending.retain(|t| !t.is_finished());
        pending.push(task);
    }
}

/// Waits, at most `timeout`, for the removals of containers whose calls
/// were abandoned; a caller that is about to give up (on Ctrl-C) calls it
/// so that nothing it created is left behind.
pub async fn finish_removals(timeout: Duration) {
    let tasks = std::mem::take(&mut *PENDING.lock().unwrap_or_else(|e| e.into_inner()));
    let deadline = tokio::time::Instant::now() + timeout;
    for task in tasks {
        let _ = tokio::time::timeout_at(deadline, task).await;
    }
}
