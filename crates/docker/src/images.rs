//! Building images from a directory that holds a Dockerfile.

use std::collections::{HashMap, VecDeque};
use std::path::Path;

use bollard::query_parameters::BuildImageOptionsBuilder;
use futures_util::StreamExt;
use pcvmfs_core::{BuildEvent, Image, ImageBuilder, MANAGED_LABEL};

use crate::connect::DockerEngine;
use crate::error::{Error, Result};

/// How many lines of output a build error keeps.
const KEPT_LINES: usize = 20;

/// Packs a directory into a tar archive, as the engine takes a build
/// context. Symbolic links are kept as links, not followed out of the
/// directory.
pub fn context_tar(dir: &Path) -> Result<Vec<u8>> {
    let io = |what, source| Error::Io {
        what,
        path: dir.display().to_string(),
        source,
    };
    let meta = std::fs::metadata(dir).map_err(|e| io("cannot use the build context", e))?;
    if !meta.is_dir() {
        return Err(io(
            "the build context must be a directory",
            std::io::Error::from(std::io::ErrorKind::NotADirectory),
        ));
    }
    if !dir.join("Dockerfile").is_file() {
        return Err(io(
            "the build context has no Dockerfile",
            std::io::Error::from(std::io::ErrorKind::NotFound),
        ));
    }
    let mut builder = tar::Builder::new(Vec::new());
    builder.follow_symlinks(false);
    builder
        .append_dir_all(".", dir)
        .map_err(|e| io("cannot pack the build context", e))?;
    builder
        .into_inner()
        .map_err(|e| io("cannot pack the build context", e))
}

/// Checks a tag before the engine sees it.
fn check_tag(tag: &str) -> Result<()> {
    let bad = |reason: &str| Err(pcvmfs_core::Error::parse("image tag", tag, reason).into());
    if tag.is_empty() {
        return bad("is empty");
    }
    if tag.len() > 255 {
        return bad("is longer than 255 characters");
    }
    if tag.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return bad("contains white space or a control character");
    }
    Ok(())
}

/// The line without terminal colour codes (the classic builder paints a
/// step's standard error red with `ESC [ 91 m` ... `ESC [ 0 m`).
fn strip_colour(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            chars.next();
            // Parameters and intermediates, then one final byte in @..~.
            for next in chars.by_ref() {
                if ('@'..='~').contains(&next) {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The state of a build as its output streams by.
#[derive(Default)]
struct BuildLog {
    partial: String,
    last_lines: VecDeque<String>,
    step: Option<String>,
}

impl BuildLog {
    /// Splits a chunk into lines and hands each complete one on.
    fn push(&mut self, chunk: &str, on_event: &mut (dyn FnMut(BuildEvent) + Send)) {
        self.partial.push_str(chunk);
        while let Some(end) = self.partial.find('\n') {
            let line: String = self.partial.drain(..=end).collect();
            let line = line.trim_end_matches(['\n', '\r']).to_string();
            self.record(line, on_event);
        }
    }

    fn flush(&mut self, on_event: &mut (dyn FnMut(BuildEvent) + Send)) {
        if !self.partial.is_empty() {
            let line = std::mem::take(&mut self.partial);
            self.record(line, on_event);
        }
    }

    fn record(&mut self, line: String, on_event: &mut (dyn FnMut(BuildEvent) + Send)) {
        let line = strip_colour(&line);
        if line.starts_with("Step ") {
            self.step = Some(line.clone());
            self.last_lines.clear();
        } else {
            if self.last_lines.len() == KEPT_LINES {
                self.last_lines.pop_front();
            }
            self.last_lines.push_back(line.clone());
        }
        on_event(BuildEvent::Output(line));
    }

    fn failure(
        &mut self,
        tag: &str,
        message: String,
        on_event: &mut (dyn FnMut(BuildEvent) + Send),
    ) -> Error {
        self.flush(on_event);
        on_event(BuildEvent::Error(message.clone()));
        Error::Build {
            tag: tag.to_string(),
            step: self.step.clone(),
            message: message.trim_end().to_string(),
            last_lines: self.last_lines.iter().cloned().collect(),
        }
    }
}

impl DockerEngine {
    /// Builds the directory `context` (which holds a `Dockerfile`) as
    /// `tag`, handing each line of output to `on_event` as it arrives. The
    /// image carries the label `org.pcvmfs.managed=true`; intermediate
    /// containers are removed, also after a failure.
    pub async fn build_directory(
        &self,
        context: &Path,
        tag: &str,
        on_event: &mut (dyn FnMut(BuildEvent) + Send),
    ) -> Result<Image> {
        check_tag(tag)?;
        let archive = context_tar(context)?;
        let labels = HashMap::from([(MANAGED_LABEL, "true")]);
        let options = BuildImageOptionsBuilder::default()
            .dockerfile("Dockerfile")
            .t(tag)
            .rm(true)
            .forcerm(true)
            .labels(&labels)
            .build();
        let mut stream =
            self.client
                .build_image(options, None, Some(bollard::body_full(archive.into())));
        let mut log = BuildLog::default();
        while let Some(item) = stream.next().await {
            match item {
                Ok(info) => {
                    if let Some(text) = info.stream {
                        log.push(&text, on_event);
                    }
                    if let Some(detail) = info.error_detail {
                        let message = detail.message.unwrap_or_else(|| "the build failed".into());
                        return Err(log.failure(tag, message, on_event));
                    }
                }
                Err(bollard::errors::Error::DockerStreamError { error }) => {
                    return Err(log.failure(tag, error, on_event));
                }
                Err(err) => return Err(Error::engine(format!("build {tag}"), err)),
            }
        }
        log.flush(on_event);
        self.image(tag).await
    }

    /// The image with this reference or id.
    pub async fn image(&self, reference: &str) -> Result<Image> {
        match self.client.inspect_image(reference).await {
            Ok(image) => Ok(Image {
                id: image.id.unwrap_or_default(),
                tags: image.repo_tags.unwrap_or_default(),
                size: image.size,
            }),
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => Err(Error::NoSuchImage {
                image: reference.to_string(),
            }),
            Err(err) => Err(Error::engine(format!("inspect image {reference}"), err)),
        }
    }
}

impl ImageBuilder for DockerEngine {
    type Error = Error;

    async fn build_directory(
        &self,
        context: &Path,
        tag: &str,
        on_event: &mut (dyn FnMut(BuildEvent) + Send),
    ) -> Result<Image> {
        DockerEngine::build_directory(self, context, tag, on_event).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_output_is_split_into_lines_and_steps_are_tracked() {
        let mut log = BuildLog::default();
        let mut seen = Vec::new();
        let mut on_event = |e: BuildEvent| seen.push(e);
        log.push("Step 1/2 : FROM scratch\n ---> Run", &mut on_event);
        log.push("ning\nStep 2/2 : RUN false\nsome output\n", &mut on_event);
        let err = log.failure("t:1", "returned a non-zero code: 1\n".into(), &mut on_event);
        let text = err.to_string();
        assert!(
            text.contains("building t:1 failed at Step 2/2 : RUN false"),
            "{text}"
        );
        assert!(
            text.contains("last lines of output:\nsome output"),
            "{text}"
        );
        assert_eq!(seen[1], BuildEvent::Output(" ---> Running".into()));
        assert_eq!(
            seen.last(),
            Some(&BuildEvent::Error("returned a non-zero code: 1\n".into()))
        );
    }

    #[test]
    fn colour_codes_are_stripped() {
        assert_eq!(strip_colour("\u{1b}[91mon-stderr"), "on-stderr");
        assert_eq!(
            strip_colour("\u{1b}[0mabout to fail\u{1b}[1;31m!"),
            "about to fail!"
        );
        assert_eq!(strip_colour("plain [text]"), "plain [text]");
        assert_eq!(strip_colour("cut \u{1b}["), "cut ");
    }

    #[test]
    fn only_the_last_lines_are_kept() {
        let mut log = BuildLog::default();
        let mut on_event = |_: BuildEvent| {};
        for i in 0..1000 {
            log.push(&format!("line {i}\n"), &mut on_event);
        }
        assert_eq!(log.last_lines.len(), KEPT_LINES);
        assert_eq!(log.last_lines.back().unwrap(), "line 999");
    }

    #[test]
    fn contexts_without_a_dockerfile_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let err = context_tar(dir.path()).unwrap_err().to_string();
        assert!(err.contains("no Dockerfile"), "{err}");
        let err = context_tar(&dir.path().join("missing"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("cannot use the build context"), "{err}");
        for tag in ["", "a b", "x\ny"] {
            assert!(check_tag(tag).is_err());
        }
    }
}
