//! Building images: from a directory that holds a Dockerfile (its
//! `.dockerignore` honoured, the context streamed as it is packed), or from
//! an [`ImageRecipe`].

use std::collections::{HashMap, VecDeque};
use std::path::Path;

use bollard::query_parameters::BuildImageOptionsBuilder;
use futures_util::StreamExt;
use pcvmfs_core::image_recipe::check_build_arg_not_secret;
use pcvmfs_core::{BuildEvent, Image, ImageBuilder, ImageRecipe, ImageRef, MANAGED_LABEL};

use crate::build_context::{TarMode, pack_directory};

use crate::connect::DockerEngine;
use crate::error::{Error, Result};

/// How many lines of output a build error keeps.
const KEPT_LINES: usize = 20;

pub use crate::build_context::context_tar;

/// Checks a tag before the engine sees it (and before the context is
/// packed): a reference in Docker's grammar, without a digest.
fn check_tag(tag: &str) -> Result<()> {
    let reference = ImageRef::parse(tag).map_err(|err| match err {
        pcvmfs_core::Error::Parse { reason, .. } => {
            pcvmfs_core::Error::parse("image tag", tag, reason)
        }
        other => other,
    })?;
    if reference.digest().is_some() {
        return Err(pcvmfs_core::Error::parse(
            "image tag",
            tag,
            "a build is tagged, not named by digest: drop the @sha256:... part",
        )
        .into());
    }
    // Current grammar reads `UPPER/x` as registry UPPER; engines before the
    // 2023 grammar (Docker 20.10 among them) read a first component without
    // `.` or `:` as part of the repository path, and refuse it.
    let registry = reference.registry();
    if !registry.contains(['.', ':'])
        && registry != "localhost"
        && registry.chars().any(|c| c.is_ascii_uppercase())
    {
        return Err(pcvmfs_core::Error::parse(
            "image tag",
            tag,
            format!(
                "repository path component {registry:?} has upper-case letters: Docker \
                 Engine 20.10 reads it as part of the repository name, which must be lower \
                 case (a registry host needs a '.' or a port)"
            ),
        )
        .into());
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
            message: explain_engine_message(message.trim_end()),
            last_lines: self.last_lines.iter().cloned().collect(),
        }
    }
}

/// Adds what the administrator can do to an engine message that does not
/// say it. The classic builder looks up its cache by listing the children of
/// a step's parent (for `FROM scratch`, every image without a parent) and
/// then reading each one; an image removed in between (by `docker rmi`, a
/// prune, another build's cleanup) fails the whole build with this message.
fn explain_engine_message(message: &str) -> String {
    if message.starts_with("unable to find image \"sha256:") {
        format!(
            "{message} (the engine's build cache lookup met an image that was \
             being removed at the same moment; nothing is wrong with the \
             Dockerfile: build again, or build without the cache)"
        )
    } else {
        message.to_string()
    }
}

/// How to build.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// Build every step again, ignoring the cache (`--no-cache`).
    pub no_cache: bool,
    /// Build arguments (`--build-arg NAME=VALUE`), refused when they look
    /// like secrets: they stay in the image's history.
    pub build_args: Vec<(String, String)>,
    /// Remove intermediate containers, also after a failure (`--rm
    /// --force-rm`); on by default.
    pub remove_intermediate: bool,
    /// Extra labels for the image, besides [`MANAGED_LABEL`].
    pub labels: Vec<(String, String)>,
}

impl Default for BuildOptions {
    fn default() -> Self {
        BuildOptions {
            no_cache: false,
            build_args: Vec::new(),
            remove_intermediate: true,
            labels: Vec::new(),
        }
    }
}

impl BuildOptions {
    fn check(&self) -> Result<()> {
        for (name, value) in &self.build_args {
            let valid = !name.is_empty()
                && name.len() <= 256
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !name.starts_with(|c: char| c.is_ascii_digit());
            if !valid {
                return Err(pcvmfs_core::Error::parse(
                    "build argument name",
                    name,
                    "expected letters, digits and '_', not starting with a digit",
                )
                .into());
            }
            if value.contains('\0') {
                return Err(pcvmfs_core::Error::parse(
                    "build argument",
                    name,
                    "its value holds a NUL byte",
                )
                .into());
            }
            check_build_arg_not_secret(name, value)?;
        }
        for (key, value) in &self.labels {
            pcvmfs_core::container::check_label(key, value)?;
        }
        Ok(())
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
        self.build(context, tag, &BuildOptions::default(), on_event)
            .await
    }

    /// Builds the directory `context` as `tag` with `options`.
    pub async fn build(
        &self,
        context: &Path,
        tag: &str,
        options: &BuildOptions,
        on_event: &mut (dyn FnMut(BuildEvent) + Send),
    ) -> Result<Image> {
        check_tag(tag)?;
        options.check()?;
        let stream = pack_directory(context, TarMode::BuildContext, "Dockerfile")?;
        let mut labels: HashMap<&str, &str> = options
            .labels
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        labels.insert(MANAGED_LABEL, "true");
        let build_args: HashMap<&str, &str> = options
            .build_args
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let engine_options = BuildImageOptionsBuilder::default()
            .dockerfile("Dockerfile")
            .t(tag)
            .rm(options.remove_intermediate)
            .forcerm(options.remove_intermediate)
            .nocache(options.no_cache)
            .labels(&labels)
            .buildargs(&build_args)
            .build();
        let (chunks, packing_error) = stream.into_stream();
        let body = bollard::body_try_stream(chunks);
        let mut stream = self.client.build_image(engine_options, None, Some(body));
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
                Err(err) => {
                    if let Some(err) = packing_error.lock().unwrap().take() {
                        return Err(err);
                    }
                    // The engine refuses a Dockerfile it cannot parse
                    // (`dockerfile parse error line 2: unknown instruction`)
                    // with a 400 before any step runs: a failed build.
                    if let bollard::errors::Error::DockerResponseServerError {
                        status_code: 400,
                        message,
                    } = err
                    {
                        return Err(log.failure(tag, message, on_event));
                    }
                    return Err(Error::engine(format!("build {tag}"), err));
                }
            }
        }
        if let Some(err) = packing_error.lock().unwrap().take() {
            return Err(err);
        }
        log.flush(on_event);
        self.image(tag).await
    }

    /// Builds `recipe` as `tag`: its Dockerfile and context are written to
    /// a temporary directory, which is removed afterwards. The image also
    /// carries the recipe's labels.
    pub async fn build_recipe(
        &self,
        recipe: &ImageRecipe,
        tag: &str,
        options: &BuildOptions,
        on_event: &mut (dyn FnMut(BuildEvent) + Send),
    ) -> Result<Image> {
        check_tag(tag)?;
        options.check()?;
        let dir = tempfile::Builder::new()
            .prefix("pcvmfs-recipe-")
            .tempdir()
            .map_err(|source| Error::Io {
                what: "cannot make a directory for the recipe's context in",
                path: std::env::temp_dir().display().to_string(),
                source,
            })?;
        let context = dir.path().join("context");
        let recipe = recipe.clone();
        let written = context.clone();
        tokio::task::spawn_blocking(move || recipe.write_context(&written))
            .await
            .unwrap_or_else(|err| std::panic::resume_unwind(err.into_panic()))?;
        self.build(&context, tag, options, on_event).await
    }

    /// The image with this reference or id.
    pub async fn image(&self, reference: &str) -> Result<Image> {
        match self.client.inspect_image(reference).await {
            Ok(image) => Ok(Image {
                id: image.id.unwrap_or_default(),
                tags: image.repo_tags.unwrap_or_default(),
                size: image.size,
                created: image.created.as_deref().and_then(rfc3339_seconds),
                labels: image
                    .config
                    .and_then(|c| c.labels)
                    .unwrap_or_default()
                    .into_iter()
                    .collect(),
                digests: image.repo_digests.unwrap_or_default(),
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

/// Seconds since the epoch of an RFC 3339 time (`2026-12-04T16:20:06.123Z`).
fn rfc3339_seconds(text: &str) -> Option<i64> {
    let (date, time) = text.split_once('T')?;
    let mut d = date.splitn(3, '-').map(|p| p.parse::<i64>().ok());
    let (year, month, day) = (d.next()??, d.next()??, d.next()??);
    let time = time.trim_end_matches('Z');
    let (clock, offset) = match time.find(['+', '-']) {
        Some(i) => (&time[..i], Some(&time[i..])),
        None => (time, None),
    };
    let mut c = clock.splitn(3, ':');
    let hour: i64 = c.next()?.parse().ok()?;
    let minute: i64 = c.next()?.parse().ok()?;
    let second: i64 = c.next()?.split('.').next()?.parse().ok()?;
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let mut seconds = days * 86_400 + hour * 3600 + minute * 60 + second;
    if let Some(offset) = offset {
        let sign = if offset.starts_with('-') { -1 } else { 1 };
        let mut o = offset[1..].splitn(2, ':');
        let oh: i64 = o.next()?.parse().ok()?;
        let om: i64 = o.next().unwrap_or("0").parse().ok()?;
        seconds -= sign * (oh * 3600 + om * 60);
    }
    Some(seconds)
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
    fn a_cache_lookup_that_met_a_removal_says_to_build_again() {
        // The message moby's GetCachedImage returns, as a build on Docker
        // 20.10 reported it while another process removed a parentless image.
        let mut log = BuildLog::default();
        let mut on_event = |_: BuildEvent| {};
        log.push("Step 2/7 : COPY busybox /bin/busybox\n", &mut on_event);
        let err = log.failure(
            "t:1",
            "unable to find image \"sha256:af19e6d8d24d739f12e52c93899b81e44c12e5f3232d270938c6f4772b8a7b60\"".into(),
            &mut on_event,
        );
        let text = err.to_string();
        assert!(text.contains("at Step 2/7 : COPY busybox"), "{text}");
        assert!(
            text.contains("unable to find image \"sha256:af19"),
            "{text}"
        );
        assert!(text.contains("build again"), "{text}");
        // Other messages are left as the engine wrote them.
        let err = log.failure("t:1", "pull access denied for x".into(), &mut on_event);
        assert!(
            err.to_string().ends_with("pull access denied for x"),
            "{err}"
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
    fn engine_times_are_read() {
        assert_eq!(rfc3339_seconds("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            rfc3339_seconds("2026-12-04T16:20:06.123456789Z"),
            Some(1_796_401_206)
        );
        assert_eq!(
            rfc3339_seconds("2026-12-04T17:20:06+01:00"),
            Some(1_796_401_206)
        );
        assert_eq!(rfc3339_seconds("garbage"), None);
    }

    #[test]
    fn build_arguments_are_checked() {
        let with = |name: &str, value: &str| BuildOptions {
            build_args: vec![(name.into(), value.into())],
            ..BuildOptions::default()
        };
        assert!(with("CCTOOLS_VERSION", "7.8.0").check().is_ok());
        let err = with("GRID_TOKEN", "x").check().unwrap_err().to_string();
        assert!(
            err.starts_with("invalid build argument \"GRID_TOKEN\": looks like a secret"),
            "{err}"
        );
        assert!(with("CONDOR_PASSWORD", "x").check().is_err());
        let err = with("PROXY", "http://alice:S3cr3tP4ss@proxy.cern.ch:3128")
            .check()
            .unwrap_err()
            .to_string();
        assert!(err.contains("build argument \"PROXY\""), "{err}");
        assert!(!err.contains("S3cr3tP4ss"), "{err}");
        assert!(with("1X", "x").check().is_err());
        assert!(with("A B", "x").check().is_err());
    }

    #[test]
    fn bad_tags_are_refused_naming_the_part() {
        for (tag, part) in [
            ("", "empty"),
            ("a b", "space"),
            ("x\ny", "newline"),
            ("Bad:Tag", "upper-case"),
            ("UPPER/case:1", "upper-case"),
            ("a:b:c", "path component \"a:b\""),
            ("x/", "empty path component"),
            ("x:", "tag is empty"),
            (
                "x@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                "not named by digest",
            ),
        ] {
            let err = check_tag(tag).unwrap_err().to_string();
            assert!(err.starts_with("invalid image tag"), "{tag:?}: {err}");
            assert!(err.contains(part), "{tag:?}: {err}");
        }
        for tag in [
            "x:1",
            "pcvmfs-test/a:b",
            "127.0.0.1:5000/site/parrot:1",
            "busybox",
        ] {
            assert!(check_tag(tag).is_ok(), "{tag}");
        }
    }
}
