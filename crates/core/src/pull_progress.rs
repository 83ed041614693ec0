//! The progress of a pull, per layer, from the engine's JSON messages
//! (`{"status": "Downloading", "id": "a3ed95caeb02", "progressDetail":
//! {"current": 1024, "total": 4096}}`): bytes downloaded and extracted,
//! each of which only ever grows, and the layer's state.
//!
//! The engine's own counters restart between phases (extraction counts
//! from zero again) and may repeat; a progress bar fed with them would jump
//! backwards. [`PullTracker`] keeps one monotonic count per phase.

use std::collections::BTreeMap;

use serde::Serialize;

/// Where a layer stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LayerState {
    /// Waiting for a download slot.
    Waiting,
    /// Downloading.
    Downloading,
    /// Checking the download's digest.
    Verifying,
    /// Downloaded.
    Downloaded,
    /// Being unpacked.
    Extracting,
    /// Done: pulled.
    Complete,
    /// Already in the engine's store: nothing to fetch.
    AlreadyExists,
}

/// One layer's progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LayerProgress {
    /// The layer's short id, as the engine names it (12 hex digits).
    pub layer: String,
    /// Its state.
    pub state: LayerState,
    /// Bytes downloaded so far (never decreases).
    pub downloaded: u64,
    /// Bytes extracted so far (never decreases).
    pub extracted: u64,
    /// The layer's compressed size, once the engine has said it.
    pub total: Option<u64>,
}

/// What a pull reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum PullEvent {
    /// A layer moved on.
    Layer(LayerProgress),
    /// A message about the whole pull (`Pulling from library/busybox`,
    /// `Digest: sha256:...`, `Status: Downloaded newer image for ...`).
    Status {
        /// The message.
        text: String,
    },
}

/// Turns the engine's messages into [`PullEvent`]s.
#[derive(Debug, Default)]
pub struct PullTracker {
    layers: BTreeMap<String, LayerProgress>,
}

/// The most layers one pull tracks; an image has far fewer (the engine
/// allows 127), so a stream claiming more is not believed.
const MAX_LAYERS: usize = 4096;

impl PullTracker {
    /// A tracker with no layer seen yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads one message; returns the event it makes, if any. `id` is the
    /// message's `id`, `status` its `status`, `current` and `total` its
    /// `progressDetail`.
    pub fn update(
        &mut self,
        id: Option<&str>,
        status: &str,
        current: Option<i64>,
        total: Option<i64>,
    ) -> Option<PullEvent> {
        let state = match status {
            "Waiting" | "Pulling fs layer" => Some(LayerState::Waiting),
            "Downloading" => Some(LayerState::Downloading),
            "Verifying Checksum" => Some(LayerState::Verifying),
            "Download complete" => Some(LayerState::Downloaded),
            "Extracting" => Some(LayerState::Extracting),
            "Pull complete" => Some(LayerState::Complete),
            "Already exists" => Some(LayerState::AlreadyExists),
            _ => None,
        };
        let (Some(id), Some(state)) = (id.filter(|i| !i.is_empty()), state) else {
            let text = match id {
                Some(id) if !id.is_empty() && !status.contains(id) => format!("{id}: {status}"),
                _ => status.to_string(),
            };
            return (!text.trim().is_empty()).then_some(PullEvent::Status { text });
        };
        if !self.layers.contains_key(id) && self.layers.len() >= MAX_LAYERS {
            return None;
        }
        let layer = self
            .layers
            .entry(id.to_string())
            .or_insert_with(|| LayerProgress {
                layer: id.to_string(),
                state,
                downloaded: 0,
                extracted: 0,
                total: None,
            });
        let current = current.and_then(|c| u64::try_from(c).ok());
        let total = total.and_then(|t| u64::try_from(t).ok()).filter(|&t| t > 0);
        // A state never goes back (a late "Downloading" after "Download
        // complete" is only a repeat).
        layer.state = layer.state.max(state);
        match state {
            LayerState::Downloading => {
                if layer.total.is_none() {
                    layer.total = total;
                }
                if let Some(current) = current {
                    layer.downloaded = layer.downloaded.max(current);
                }
            }
            LayerState::Verifying | LayerState::Downloaded => {
                if let Some(total) = layer.total {
                    layer.downloaded = layer.downloaded.max(total);
                }
            }
            LayerState::Extracting => {
                if let Some(total) = layer.total {
                    layer.downloaded = layer.downloaded.max(total);
                }
                if let Some(current) = current {
                    layer.extracted = layer.extracted.max(current);
                }
            }
            LayerState::Complete => {
                if let Some(total) = layer.total {
                    layer.downloaded = layer.downloaded.max(total);
                    layer.extracted = layer.extracted.max(total);
                }
            }
            LayerState::Waiting | LayerState::AlreadyExists => {}
        }
        Some(PullEvent::Layer(layer.clone()))
    }

    /// Every layer seen, by id.
    pub fn layers(&self) -> impl Iterator<Item = &LayerProgress> {
        self.layers.values()
    }

    /// Bytes downloaded over all layers.
    pub fn downloaded(&self) -> u64 {
        self.layers
            .values()
            .fold(0u64, |sum, l| sum.saturating_add(l.downloaded))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(event: Option<PullEvent>) -> LayerProgress {
        match event {
            Some(PullEvent::Layer(l)) => l,
            other => panic!("not a layer event: {other:?}"),
        }
    }

    #[test]
    fn a_layer_goes_through_its_states_and_bytes_never_go_back() {
        let mut t = PullTracker::new();
        assert_eq!(
            t.update(None, "Pulling from pcvmfs/test", None, None),
            Some(PullEvent::Status {
                text: "Pulling from pcvmfs/test".into()
            })
        );
        let l = layer(t.update(Some("a3ed95caeb02"), "Pulling fs layer", None, None));
        assert_eq!(
            (l.state, l.downloaded, l.total),
            (LayerState::Waiting, 0, None)
        );
        let l = layer(t.update(Some("a3ed95caeb02"), "Downloading", Some(1000), Some(4000)));
        assert_eq!((l.downloaded, l.total), (1000, Some(4000)));
        // A repeated, smaller counter does not move the count back.
        let l = layer(t.update(Some("a3ed95caeb02"), "Downloading", Some(500), Some(4000)));
        assert_eq!(l.downloaded, 1000);
        let l = layer(t.update(Some("a3ed95caeb02"), "Download complete", None, None));
        assert_eq!((l.state, l.downloaded), (LayerState::Downloaded, 4000));
        // Extraction counts from zero again: its own counter.
        let l = layer(t.update(Some("a3ed95caeb02"), "Extracting", Some(32768), Some(4000)));
        assert_eq!((l.downloaded, l.extracted), (4000, 32768));
        let l = layer(t.update(Some("a3ed95caeb02"), "Downloading", Some(10), Some(4000)));
        assert_eq!(l.state, LayerState::Extracting);
        let l = layer(t.update(Some("a3ed95caeb02"), "Pull complete", None, None));
        assert_eq!(l.state, LayerState::Complete);
        assert_eq!(t.downloaded(), 4000);
    }

    #[test]
    fn other_messages_are_status_and_garbage_is_harmless() {
        let mut t = PullTracker::new();
        assert_eq!(
            t.update(Some("latest"), "Pulling from library/busybox", None, None),
            Some(PullEvent::Status {
                text: "latest: Pulling from library/busybox".into()
            })
        );
        assert_eq!(t.update(None, "", None, None), None);
        let l = layer(t.update(Some("x"), "Downloading", Some(-5), Some(-1)));
        assert_eq!((l.downloaded, l.total), (0, None));
        let l = layer(t.update(Some("y"), "Already exists", None, None));
        assert_eq!(l.state, LayerState::AlreadyExists);
        for i in 0..(MAX_LAYERS + 10) {
            t.update(Some(&format!("l{i}")), "Waiting", None, None);
        }
        assert_eq!(t.layers().count(), MAX_LAYERS);
    }
}
