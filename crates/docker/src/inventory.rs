//! The engine's image store: listing, tagging, removing, and importing a
//! root filesystem as an image.

use std::collections::HashMap;
use std::path::Path;

use bollard::query_parameters::{
    CreateImageOptionsBuilder, ListImagesOptionsBuilder, RemoveImageOptionsBuilder,
    TagImageOptionsBuilder,
};
use futures_util::StreamExt;
use pcvmfs_core::{Image, ImageRef, MANAGED_LABEL};

use crate::build_context::{TarMode, pack_directory, stream_file};
use crate::connect::DockerEngine;
use crate::error::{Error, Result};

/// Checks a label filter (`key` or `key=value`).
fn check_label_filter(label: &str) -> Result<()> {
    let key = label.split_once('=').map_or(label, |(k, _)| k);
    if key.is_empty() || label.chars().any(char::is_control) || key.contains(char::is_whitespace) {
        return Err(pcvmfs_core::Error::parse(
            "label filter",
            label,
            "expected KEY or KEY=VALUE, with no blanks in KEY",
        )
        .into());
    }
    Ok(())
}

/// A reference pattern for the engine's `reference` filter: an image
/// reference whose path may hold `*` wildcards.
fn check_reference_filter(reference: &str) -> Result<()> {
    if reference.is_empty()
        || reference.len() > 512
        || reference
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(pcvmfs_core::Error::parse(
            "reference filter",
            reference,
            "expected an image reference such as busybox:1.36 or pcvmfs/*",
        )
        .into());
    }
    // A `*` stands for any run of characters that a reference may hold
    // there, so the pattern with each `*` made one such character must
    // parse: `Bad*` would match nothing, silently.
    ImageRef::parse(&reference.replace('*', "x")).map_err(|err| match err {
        pcvmfs_core::Error::Parse { reason, .. } => {
            pcvmfs_core::Error::parse("reference filter", reference, reason)
        }
        other => other,
    })?;
    Ok(())
}

/// Checks what `remove_image` takes before the engine sees it: an image id
/// (`sha256:` and 64 hex digits, or some leading hex digits of one, as
/// `docker images` shows them), else a reference.
fn check_image_or_id(reference: &str) -> Result<()> {
    let hex = |text: &str| {
        !text.is_empty()
            && text.len() <= 64
            && text
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    match reference.strip_prefix("sha256:") {
        Some(id) if hex(id) => Ok(()),
        _ if hex(reference) => Ok(()),
        _ => ImageRef::parse(reference).map(|_| ()).map_err(Error::from),
    }
}

impl DockerEngine {
    /// The images in the store, optionally only those matching the
    /// reference pattern `reference` and carrying the label `label`
    /// (`key` or `key=value`).
    pub async fn images(&self, reference: Option<&str>, label: Option<&str>) -> Result<Vec<Image>> {
        let mut filters: HashMap<&str, Vec<&str>> = HashMap::new();
        if let Some(reference) = reference {
            check_reference_filter(reference)?;
            filters.insert("reference", vec![reference]);
        }
        if let Some(label) = label {
            check_label_filter(label)?;
            filters.insert("label", vec![label]);
        }
        let options = ListImagesOptionsBuilder::default()
            .filters(&filters)
            .build();
        let summaries = self
            .client
            .list_images(Some(options))
            .await
            .map_err(|e| Error::engine("list images", e))?;
        Ok(summaries
            .into_iter()
            .map(|s| Image {
                id: s.id,
                tags: s
                    .repo_tags
                    .into_iter()
                    .filter(|t| t != "<none>:<none>")
                    .collect(),
                size: Some(s.size),
                created: Some(s.created),
                labels: s.labels.into_iter().collect(),
                digests: s
                    .repo_digests
                    .into_iter()
                    .filter(|d| d != "<none>@<none>")
                    .collect(),
            })
            .collect())
    }

    /// Tags the image `source` (a reference or id) as `target`.
    pub async fn tag(&self, source: &str, target: &ImageRef) -> Result<Image> {
        if target.digest().is_some() {
            return Err(pcvmfs_core::Error::parse(
                "image tag",
                &target.to_string(),
                "a tag cannot hold a digest",
            )
            .into());
        }
        let options = TagImageOptionsBuilder::default()
            .repo(&target.repository_with_registry())
            .tag(target.tag_or_digest())
            .build();
        match self.client.tag_image(source, Some(options)).await {
            Ok(()) => self.image(&target.to_string()).await,
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => Err(Error::NoSuchImage {
                image: source.to_string(),
            }),
            Err(err) => Err(Error::engine(format!("tag {source} as {target}"), err)),
        }
    }

    /// Removes an image (a reference or id); `force` also removes it when
    /// containers use it or it has several tags. Returns what the engine
    /// untagged and deleted.
    pub async fn remove_image(&self, reference: &str, force: bool) -> Result<Vec<String>> {
        check_image_or_id(reference)?;
        let options = RemoveImageOptionsBuilder::default().force(force).build();
        match self
            .client
            .remove_image(reference, Some(options), None)
            .await
        {
            Ok(items) => Ok(items
                .into_iter()
                .flat_map(|i| {
                    i.untagged
                        .map(|t| format!("untagged {t}"))
                        .into_iter()
                        .chain(i.deleted.map(|d| format!("deleted {d}")))
                })
                .collect()),
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => Err(Error::NoSuchImage {
                image: reference.to_string(),
            }),
            Err(err) => Err(Error::engine(format!("remove image {reference}"), err)),
        }
    }

    /// Makes an image `tag` from a root filesystem: a directory (packed
    /// with its owners and modes) or a tarball (`.tar`, or compressed as
    /// the engine reads it: gzip, bzip2, xz). The image carries
    /// [`MANAGED_LABEL`].
    pub async fn import_rootfs(&self, source: &Path, tag: &ImageRef) -> Result<Image> {
        if tag.digest().is_some() {
            return Err(pcvmfs_core::Error::parse(
                "image tag",
                &tag.to_string(),
                "an imported image is tagged, not named by digest",
            )
            .into());
        }
        let meta = std::fs::metadata(source).map_err(|e| Error::Io {
            what: "cannot use the root filesystem",
            path: source.display().to_string(),
            source: e,
        })?;
        let stream = if meta.is_dir() {
            pack_directory(source, TarMode::RootFs, "")?
        } else {
            stream_file(source)?
        };
        let (chunks, packing_error) = stream.into_stream();
        let body = bollard::body_try_stream(chunks);
        let options = CreateImageOptionsBuilder::default()
            .from_src("-")
            .repo(&tag.repository_with_registry())
            .tag(tag.tag_or_digest())
            .changes(vec![format!("LABEL {MANAGED_LABEL}=true")])
            .build();
        let action = format!("import {} as {tag}", source.display());
        let mut results = self.client.create_image(Some(options), Some(body), None);
        let mut failure = None;
        while let Some(item) = results.next().await {
            match item {
                Ok(info) => {
                    if let Some(detail) = info.error_detail {
                        failure = Some(detail.message.unwrap_or_default());
                        break;
                    }
                }
                Err(err) => {
                    if let Some(err) = packing_error.lock().unwrap().take() {
                        return Err(err);
                    }
                    return Err(Error::engine(action, err));
                }
            }
        }
        if let Some(err) = packing_error.lock().unwrap().take() {
            return Err(err);
        }
        if let Some(message) = failure {
            return Err(Error::Engine {
                action,
                message,
                status: None,
            });
        }
        self.image(&tag.to_string()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_are_checked() {
        assert!(check_label_filter("org.pcvmfs.managed=true").is_ok());
        assert!(check_label_filter("org.pcvmfs.recipe").is_ok());
        for bad in ["", "=x", "a b=c", "a=\n"] {
            assert!(check_label_filter(bad).is_err(), "{bad:?}");
        }
        assert!(check_reference_filter("pcvmfs-test/*").is_ok());
        assert!(check_reference_filter("busybox:1.36").is_ok());
        assert!(check_reference_filter("*").is_ok());
        assert!(check_reference_filter("*/parrot:*").is_ok());
        assert!(check_reference_filter("127.0.0.1:5000/site/*").is_ok());
        for bad in ["", "Upper/Case", "a b", "x\ny", "Bad*", "x/*/", "*:*:*"] {
            let err = check_reference_filter(bad).unwrap_err().to_string();
            assert!(
                err.starts_with("invalid reference filter"),
                "{bad:?}: {err}"
            );
        }
    }

    #[test]
    fn removals_take_an_id_or_a_reference() {
        let id = "sha256:1d5f4536edb3a0c1e2f3a4b5c6d7e8f90123456789abcdef0123456789abcdef";
        for good in [id, &id[7..], "1d5f4536edb3", "site/parrot:1", "busybox"] {
            assert!(check_image_or_id(good).is_ok(), "{good}");
        }
        for bad in ["Bad Ref", "", "x/", "Upper:1", "a:b:c", "x@sha256:1"] {
            let err = check_image_or_id(bad).unwrap_err().to_string();
            assert!(err.starts_with("invalid image reference"), "{bad:?}: {err}");
        }
    }
}
