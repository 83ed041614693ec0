//! A recipe for a parrot-ready image: a base image, cctools (from a URL, a
//! release tarball or an unpacked directory), a test user, CVMFS public
//! keys, extra files, environment, labels and the parrot session's
//! environment script, rendered as a `Dockerfile` and its build context.
//!
//! No value can add a Dockerfile instruction: every value is refused when it
//! holds a control character (newline, carriage return, NUL, tab, ...),
//! `ENV` and `LABEL` values are double-quoted with `\`, `"` and `$` escaped,
//! and the one `RUN` step is in exec (JSON) form, running a fixed script
//! (`pcvmfs/setup.sh` in the context) that takes every value as an argument,
//! never as shell text.
//!
//! The build context is laid out as:
//!
//! ```text
//! Dockerfile
//! pcvmfs/setup.sh                  the build step (copied to /pcvmfs-build/)
//! pcvmfs/cctools.tar[.gz]          a cctools tarball, when one is given
//! pcvmfs/keys/DOMAIN/NAME.pub      CVMFS keys, for /etc/cvmfs/keys/DOMAIN/NAME.pub
//! pcvmfs/files/N                   extra files (or directories), N = 0, 1, ...
//! pcvmfs/parrot-env.sh             the parrot environment script
//! cctools/                         an unpacked cctools, when one is given
//! ```
//!
//! The unpacked cctools sits outside `pcvmfs/` and has its own `COPY` to
//! `/opt/cctools/`, so that the image does not hold it twice. The
//! `/pcvmfs-build` directory is removed at the end of the build step (its
//! `COPY` layer remains, which costs the size of a tarball, not of cctools).
//!
//! The image's user stays root (there is no `USER` instruction): pcvmfs starts
//! its containers as the test user (`docker run --user`), and an
//! administrator can still get a root shell in the same image.

use std::collections::BTreeSet;
use std::fs;
use std::io::{self, BufReader, Read, Seek};
use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::container::MANAGED_LABEL;
use crate::error::Error;
use crate::image_ref::ImageRef;

/// The label that carries the recipe format's version.
pub const RECIPE_LABEL: &str = "org.pcvmfs.recipe";
/// The recipe format's version, the value of [`RECIPE_LABEL`].
pub const RECIPE_VERSION: &str = "1";
/// Where the context's `pcvmfs/` directory goes during the build (removed at
/// its end).
pub const BUILD_DIR: &str = "/pcvmfs-build";
/// Where cctools is installed; its `bin` leads `PATH`.
pub const CCTOOLS_DIR: &str = "/opt/cctools";
/// Where CVMFS public keys are installed, one directory per domain.
pub const KEYS_DIR: &str = "/etc/cvmfs/keys";
/// Where the parrot environment script is installed to be run directly.
pub const ENV_SCRIPT: &str = "/opt/pcvmfs/parrot-env.sh";
/// The test user's default name.
pub const DEFAULT_TEST_USER: &str = "parrotuser";
/// The test user's default uid.
pub const DEFAULT_TEST_UID: u32 = 1000;
/// The highest uid a test user may have: 2^31 - 2, the last below the end
/// of the signed 32-bit range in which runtimes (runc) and user tools keep
/// uids. (`useradd`'s `UID_MAX` limits only the uids it picks itself.)
pub const MAX_TEST_UID: u32 = 2_147_483_646;
/// The `PATH` used when the base image sets none (Docker's default).
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Environment variables the recipe sets itself.
const RESERVED_ENV: &[&str] = &["TEST_USER", "TEST_USER_HOME", "PATH"];
/// Longest URL, environment name or label key accepted.
const MAX_URL: usize = 2048;
const MAX_NAME: usize = 256;

/// Where cctools comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum CctoolsSource {
    /// A release tarball (`.tar` or `.tar.gz`) downloaded during the build
    /// with `curl` or `wget`, whichever the base image has. The directory
    /// holding its `bin/parrot_run` becomes `/opt/cctools`.
    Url(String),
    /// A release tarball (`.tar` or `.tar.gz`) on this host. The leading
    /// directories in front of its `bin/parrot_run` are dropped (found when
    /// the recipe renders, see [`inspect_tarball`]).
    Tarball(PathBuf),
    /// An unpacked release on this host: the directory holding `bin/`,
    /// `lib/`, ...
    Directory(PathBuf),
}

impl CctoolsSource {
    /// A checked URL: `http://` or `https://`, then a host, without
    /// whitespace, control characters, quotes or backslashes.
    pub fn url(url: &str) -> Result<Self, Error> {
        check_url(url)?;
        Ok(CctoolsSource::Url(url.to_string()))
    }

    /// A release tarball on this host.
    pub fn tarball(path: impl Into<PathBuf>) -> Self {
        CctoolsSource::Tarball(path.into())
    }

    /// An unpacked release on this host.
    pub fn directory(path: impl Into<PathBuf>) -> Self {
        CctoolsSource::Directory(path.into())
    }

    /// Checks the URL (the variants' fields are public, so a value may not
    /// have come through [`url`](Self::url)) or that the path is not empty.
    pub fn check(&self) -> Result<(), Error> {
        match self {
            CctoolsSource::Url(url) => check_url(url),
            CctoolsSource::Tarball(path) | CctoolsSource::Directory(path) => {
                if path.as_os_str().is_empty() {
                    Err(Error::parse("cctools path", "", "is empty"))
                } else {
                    Ok(())
                }
            }
        }
    }
}

fn check_url(url: &str) -> Result<(), Error> {
    let bad = |reason: &str| Err(Error::parse("cctools URL", url, reason));
    let Some(rest) = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
    else {
        return bad("must start with http:// or https://");
    };
    if url.len() > MAX_URL {
        return bad("is longer than 2048 characters");
    }
    if let Some(c) = url
        .chars()
        .find(|&c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '\'' | '`' | '\\'))
    {
        return Err(Error::parse(
            "cctools URL",
            url,
            format!(
                "holds {}: a URL has no whitespace, control characters, quotes or backslashes \
                 (percent-encode them)",
                describe_char(c)
            ),
        ));
    }
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() {
        return bad("has no host after the scheme");
    }
    Ok(())
}

/// A CVMFS public key: the file `path` (a `NAME.pub`) is installed as
/// `/etc/cvmfs/keys/DOMAIN/NAME.pub`, as CVMFS expects for the repositories
/// of `domain` (for example `cern.ch`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CvmfsKey {
    /// The repositories' domain: the directory under `/etc/cvmfs/keys`.
    pub domain: String,
    /// The key file on this host; its file name is kept.
    pub path: PathBuf,
}

impl CvmfsKey {
    /// A key for the repositories of `domain`.
    pub fn new(domain: impl Into<String>, path: impl Into<PathBuf>) -> Self {
        CvmfsKey {
            domain: domain.into(),
            path: path.into(),
        }
    }

    /// The key's file name in the image, checked: it ends in `.pub`, does
    /// not start with `.`, and holds no control characters.
    pub fn file_name(&self) -> Result<&str, Error> {
        let shown = self.path.display().to_string();
        let bad = |reason: &str| Err(Error::parse("CVMFS key file", &shown, reason));
        let Some(name) = self.path.file_name() else {
            return bad("has no file name");
        };
        let Some(name) = name.to_str() else {
            return bad("has a file name that is not UTF-8");
        };
        if name.starts_with('.') {
            return bad("has a file name that starts with '.'");
        }
        if name.chars().any(|c| c.is_control()) {
            return bad("has a control character in its file name");
        }
        if name.len() > 255 || !name.ends_with(".pub") || name.len() == ".pub".len() {
            return bad("must be a NAME.pub file, as CVMFS names its public keys");
        }
        Ok(name)
    }

    /// Checks the domain (a DNS name, without a final dot) and the file name.
    pub fn check(&self) -> Result<(), Error> {
        crate::dns::check_domain(&self.domain).map_err(|err| match err {
            Error::Parse { reason, .. } => Error::parse("CVMFS key domain", &self.domain, reason),
            other => other,
        })?;
        if self.domain.ends_with('.') {
            return Err(Error::parse(
                "CVMFS key domain",
                &self.domain,
                "ends with '.': write it as CVMFS names its key directories, such as cern.ch",
            ));
        }
        self.file_name().map(|_| ())
    }

    /// Where the key goes in the image.
    pub fn destination(&self) -> Result<String, Error> {
        Ok(format!("{KEYS_DIR}/{}/{}", self.domain, self.file_name()?))
    }
}

/// What goes into a parrot-ready image. Build one with [`ImageRecipe::new`]
/// and the `with_*` methods, or as a struct literal (then call
/// [`check`](Self::check), which every renderer also calls).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageRecipe {
    /// The base image (`FROM`). It needs `/bin/sh`, `tar`, `head`, `od` and
    /// `awk` (busybox has them all), and `curl` or `wget` for a URL.
    pub base: ImageRef,
    /// Where cctools comes from; it is installed in `/opt/cctools`, replacing
    /// any the base image has.
    pub cctools: CctoolsSource,
    /// The test user's name: `[a-z_][a-z0-9_-]{0,31}`, not `root`. Its home
    /// is `/home/NAME`.
    pub test_user: String,
    /// The test user's uid: 1 to [`MAX_TEST_UID`].
    pub test_uid: u32,
    /// CVMFS public keys, each installed as
    /// `/etc/cvmfs/keys/DOMAIN/NAME.pub`, owned by root, mode 0644.
    pub keys: Vec<CvmfsKey>,
    /// Extra files or directories: (source on this host, absolute path in
    /// the image). They are installed owned by root, with their modes kept,
    /// after cctools, in order. A destination ending in `/` is a directory
    /// to put the source in, under its own name (see [`file_destination`]);
    /// a file's destination must not be a directory of the base image.
    pub files: Vec<(PathBuf, String)>,
    /// Environment variables of the image (`ENV`), after the recipe's own
    /// `TEST_USER`, `TEST_USER_HOME` and `PATH`, which they may not replace.
    /// Secrets are refused (see [`check_not_secret`]).
    pub env: Vec<(String, String)>,
    /// Labels (`LABEL`), after `org.pcvmfs.managed=true` and
    /// `org.pcvmfs.recipe=1`, which are always set.
    pub labels: Vec<(String, String)>,
    /// The parrot session's environment script (as written by
    /// [`ParrotSession::env_script`](crate::ParrotSession::env_script)),
    /// installed as `/opt/pcvmfs/parrot-env.sh` (mode 0755): it starts the
    /// `(parrot_env)` shell under parrot_run with the session's settings and
    /// hands its arguments to that shell (`-c 'ls /cvmfs/...'`). It is not
    /// put in `/etc/profile.d`, since it ends by exec'ing parrot_run and
    /// would take over every login shell.
    pub env_script: Option<String>,
}

/// One entry of a build context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextFile {
    /// Its path inside the context, relative, `/`-separated.
    pub path: String,
    /// Where its content comes from.
    pub source: ContextSource,
    /// Its permission bits (for a directory, those of the directory itself;
    /// what it holds keeps its own).
    pub mode: u32,
}

/// The content of a [`ContextFile`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContextSource {
    /// Bytes rendered by pcvmfs.
    Bytes(Vec<u8>),
    /// A file on this host.
    File(PathBuf),
    /// A directory on this host, copied whole (symbolic links stay links).
    Directory(PathBuf),
}

/// What [`inspect_tarball`] finds in a cctools tarball.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TarballLayout {
    /// Whether it is gzip-compressed.
    pub gzip: bool,
    /// How many leading path components to drop (`tar --strip-components`)
    /// so that `bin/parrot_run` lands in `/opt/cctools/bin`: those in front
    /// of it (`./` counts as one, as in GNU and busybox tar).
    pub strip_components: usize,
}

/// What a rendered recipe is made of.
struct Rendered {
    dockerfile: String,
    files: Vec<ContextFile>,
}

impl ImageRecipe {
    /// A recipe on `base` (any reference `docker pull` takes) with the
    /// default test user (`parrotuser`, uid 1000) and nothing else.
    pub fn new(base: &str, cctools: CctoolsSource) -> Result<Self, Error> {
        let recipe = ImageRecipe {
            base: ImageRef::parse(base)?,
            cctools,
            test_user: DEFAULT_TEST_USER.into(),
            test_uid: DEFAULT_TEST_UID,
            keys: Vec::new(),
            files: Vec::new(),
            env: Vec::new(),
            labels: Vec::new(),
            env_script: None,
        };
        recipe.cctools.check()?;
        Ok(recipe)
    }

    /// Sets the test user.
    pub fn with_user(mut self, name: impl Into<String>, uid: u32) -> Self {
        self.test_user = name.into();
        self.test_uid = uid;
        self
    }

    /// Adds a CVMFS key for the repositories of `domain`.
    pub fn with_key(mut self, domain: impl Into<String>, path: impl Into<PathBuf>) -> Self {
        self.keys.push(CvmfsKey::new(domain, path));
        self
    }

    /// Adds a file or directory, installed at `destination`.
    pub fn with_file(mut self, source: impl Into<PathBuf>, destination: impl Into<String>) -> Self {
        self.files.push((source.into(), destination.into()));
        self
    }

    /// Adds an environment variable.
    pub fn with_env(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((name.into(), value.into()));
        self
    }

    /// Adds a label.
    pub fn with_label(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.labels.push((key.into(), value.into()));
        self
    }

    /// Sets the parrot environment script.
    pub fn with_env_script(mut self, script: impl Into<String>) -> Self {
        self.env_script = Some(script.into());
        self
    }

    /// The test user's home: `/home/NAME`.
    pub fn test_home(&self) -> String {
        format!("/home/{}", self.test_user)
    }

    /// Checks every value without reading any file: the test user and uid,
    /// the cctools URL, keys' domains and file names, files' destinations,
    /// environment names and values (secrets included), labels, and the
    /// environment script.
    pub fn check(&self) -> Result<(), Error> {
        check_user(&self.test_user)?;
        check_uid(self.test_uid)?;
        self.cctools.check()?;
        let mut seen = BTreeSet::new();
        for key in &self.keys {
            key.check()?;
            let destination = key.destination()?;
            if !seen.insert(destination.clone()) {
                return Err(Error::parse(
                    "CVMFS key file",
                    &key.path.display().to_string(),
                    format!("is the second key for {destination}"),
                ));
            }
        }
        for (source, destination) in &self.files {
            if source.as_os_str().is_empty() {
                return Err(Error::parse(
                    "file for the image",
                    "",
                    "has an empty source path",
                ));
            }
            file_destination(source, destination)?;
        }
        let mut names = BTreeSet::new();
        for (name, value) in &self.env {
            check_env_name(name)?;
            if RESERVED_ENV.contains(&name.as_str()) {
                return Err(Error::parse(
                    "environment variable",
                    name,
                    "is set by the recipe itself",
                ));
            }
            if !names.insert(name.as_str()) {
                return Err(Error::parse("environment variable", name, "is set twice"));
            }
            check_value("environment value", name, value)?;
            check_not_secret(name, value)?;
        }
        let mut keys = BTreeSet::new();
        for (key, value) in &self.labels {
            check_label_key(key)?;
            if !keys.insert(key.as_str()) {
                return Err(Error::parse("label", key, "is set twice"));
            }
            check_value("label value", key, value)?;
            secret_check("label", key, value)?;
        }
        if let Some(script) = &self.env_script {
            crate::error::reject_nul("parrot environment script", script)?;
        }
        Ok(())
    }

    /// The `Dockerfile`. Reads a cctools tarball to find its layout.
    pub fn dockerfile(&self) -> Result<String, Error> {
        Ok(self.render()?.dockerfile)
    }

    /// The build context's entries, the `Dockerfile` aside. Reads a cctools
    /// tarball to find its layout, and checks that every source exists.
    pub fn context_files(&self) -> Result<Vec<ContextFile>, Error> {
        Ok(self.render()?.files)
    }

    /// Writes the build context (its entries and the `Dockerfile`) into
    /// `dir`, which must be missing or empty: a stale key left in it would be
    /// installed too.
    pub fn write_context(&self, dir: &Path) -> Result<(), Error> {
        let rendered = self.render()?;
        let write_err = |path: &Path| {
            let path = path.to_path_buf();
            move |source| Error::Write {
                what: "image build context",
                path,
                source,
            }
        };
        match fs::read_dir(dir) {
            Ok(mut entries) => {
                if entries.next().is_some() {
                    return Err(Error::Write {
                        what: "image build context",
                        path: dir.to_path_buf(),
                        source: io::Error::new(
                            io::ErrorKind::AlreadyExists,
                            "the directory is not empty: give a new or an empty directory",
                        ),
                    });
                }
            }
            Err(err) if err.kind() == io::ErrorKind::NotFound => {
                fs::create_dir_all(dir).map_err(write_err(dir))?;
            }
            Err(err) => return Err(write_err(dir)(err)),
        }
        for file in &rendered.files {
            if !inside_context(&file.path) {
                return Err(Error::parse(
                    "build context path",
                    &file.path,
                    "leaves the build context",
                ));
            }
            let target = dir.join(&file.path);
            if let Some(parent) = target.parent() {
                fs::create_dir_all(parent).map_err(write_err(parent))?;
            }
            match &file.source {
                ContextSource::Bytes(bytes) => {
                    fs::write(&target, bytes).map_err(write_err(&target))?;
                }
                ContextSource::File(source) => {
                    fs::copy(source, &target).map_err(write_err(&target))?;
                }
                ContextSource::Directory(source) => copy_tree(source, &target)?,
            }
            fs::set_permissions(&target, fs::Permissions::from_mode(file.mode))
                .map_err(write_err(&target))?;
        }
        let dockerfile = dir.join("Dockerfile");
        fs::write(&dockerfile, &rendered.dockerfile).map_err(write_err(&dockerfile))?;
        Ok(())
    }

    fn render(&self) -> Result<Rendered, Error> {
        self.check()?;
        let mut files = vec![ContextFile {
            path: "pcvmfs/setup.sh".into(),
            source: ContextSource::Bytes(SETUP_SCRIPT.as_bytes().to_vec()),
            mode: 0o755,
        }];
        let (kind, source, strip) = match &self.cctools {
            CctoolsSource::Tarball(path) => {
                let layout = inspect_tarball(path)?;
                let name = if layout.gzip {
                    "cctools.tar.gz"
                } else {
                    "cctools.tar"
                };
                files.push(ContextFile {
                    path: format!("pcvmfs/{name}"),
                    source: ContextSource::File(path.clone()),
                    mode: 0o644,
                });
                (
                    "tarball",
                    format!("{BUILD_DIR}/{name}"),
                    layout.strip_components.to_string(),
                )
            }
            CctoolsSource::Url(url) => ("url", url.clone(), "auto".to_string()),
            CctoolsSource::Directory(path) => {
                check_cctools_directory(path)?;
                files.push(ContextFile {
                    path: "cctools".into(),
                    source: ContextSource::Directory(path.clone()),
                    mode: 0o755,
                });
                ("directory", CCTOOLS_DIR.to_string(), "0".to_string())
            }
        };
        for key in &self.keys {
            regular_file("CVMFS key file", &key.path)?;
            files.push(ContextFile {
                path: format!("pcvmfs/keys/{}/{}", key.domain, key.file_name()?),
                source: ContextSource::File(key.path.clone()),
                mode: 0o644,
            });
        }
        let mut destinations = Vec::new();
        for (index, (source, destination)) in self.files.iter().enumerate() {
            destinations.push(file_destination(source, destination)?);
            let metadata = fs::metadata(source).map_err(|source_err| Error::Read {
                what: "file for the image",
                path: source.clone(),
                source: source_err,
            })?;
            let mode = metadata.permissions().mode() & 0o7777;
            let source = if metadata.is_dir() {
                ContextSource::Directory(source.clone())
            } else if metadata.is_file() {
                ContextSource::File(source.clone())
            } else {
                return Err(Error::Read {
                    what: "file for the image",
                    path: source.clone(),
                    source: io::Error::other("is neither a regular file nor a directory"),
                });
            };
            files.push(ContextFile {
                path: format!("pcvmfs/files/{index}"),
                source,
                mode,
            });
        }
        if let Some(script) = &self.env_script {
            files.push(ContextFile {
                path: "pcvmfs/parrot-env.sh".into(),
                source: ContextSource::Bytes(script.as_bytes().to_vec()),
                mode: 0o644,
            });
        }

        let mut argv = vec![
            "/bin/sh".to_string(),
            format!("{BUILD_DIR}/setup.sh"),
            self.test_user.clone(),
            self.test_uid.to_string(),
            self.test_home(),
            kind.to_string(),
            source,
            strip,
        ];
        argv.extend(destinations);
        let run = serde_json::to_string(&argv)
            .map_err(|err| Error::parse("build step", "", err.to_string()))?;

        let mut dockerfile = String::from(DOCKERFILE_HEADER);
        dockerfile.push_str(&format!("FROM {}\n", self.base));
        if matches!(self.cctools, CctoolsSource::Directory(_)) {
            dockerfile.push_str(&format!("COPY cctools/ {CCTOOLS_DIR}/\n"));
        }
        dockerfile.push_str(&format!("COPY pcvmfs/ {BUILD_DIR}/\n"));
        dockerfile.push_str(&format!("RUN {run}\n"));

        let mut env = vec![
            format!("TEST_USER={}", dockerfile_quote(&self.test_user)),
            format!("TEST_USER_HOME={}", dockerfile_quote(&self.test_home())),
            // Ours, not a user's value: it keeps the base image's PATH, or
            // Docker's default when the base sets none.
            format!("PATH=\"{CCTOOLS_DIR}/bin:${{PATH:-{DEFAULT_PATH}}}\""),
        ];
        env.extend(
            self.env
                .iter()
                .map(|(name, value)| format!("{name}={}", dockerfile_quote(value))),
        );
        dockerfile.push_str(&instruction("ENV", &env));

        let mut labels = vec![
            format!("{MANAGED_LABEL}=\"true\""),
            format!("{RECIPE_LABEL}={}", dockerfile_quote(RECIPE_VERSION)),
        ];
        labels.extend(
            self.labels
                .iter()
                .map(|(key, value)| format!("{key}={}", dockerfile_quote(value))),
        );
        dockerfile.push_str(&instruction("LABEL", &labels));
        Ok(Rendered { dockerfile, files })
    }
}

const DOCKERFILE_HEADER: &str = "\
# Generated by pcvmfs (image recipe 1): a parrot-ready image. Change the
# recipe and render it again rather than editing this file. Every value was
# checked and quoted by pcvmfs; the build step runs pcvmfs/setup.sh, which
# takes its values as arguments, never as shell text. The image's user stays
# root: pcvmfs starts containers as the test user (docker run --user).
";

/// One instruction with one `KEY="value"` pair per line.
fn instruction(keyword: &str, pairs: &[String]) -> String {
    format!("{keyword} {}\n", pairs.join(" \\\n    "))
}

/// A value in double quotes as `ENV` and `LABEL` read it: inside the quotes
/// a backslash escapes `"`, `\` and `$` (which would otherwise start a
/// variable substitution). The value must hold no control character.
pub fn dockerfile_quote(value: &str) -> String {
    let mut quoted = String::with_capacity(value.len() + 2);
    quoted.push('"');
    for c in value.chars() {
        if matches!(c, '"' | '\\' | '$') {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted.push('"');
    quoted
}

fn describe_char(c: char) -> String {
    match c {
        ' ' => "a space".into(),
        '\n' => "a newline".into(),
        '\r' => "a carriage return".into(),
        '\t' => "a tab".into(),
        '\0' => "a NUL byte".into(),
        other => format!("the character {other:?} (U+{:04X})", other as u32),
    }
}

fn check_value(what: &'static str, name: &str, value: &str) -> Result<(), Error> {
    match value.chars().find(|c| c.is_control()) {
        Some(c) => Err(Error::parse(
            what,
            name,
            format!(
                "the value holds {}: a Dockerfile value holds no control characters",
                describe_char(c)
            ),
        )),
        None => Ok(()),
    }
}

fn check_user(name: &str) -> Result<(), Error> {
    let ok = !name.is_empty()
        && name.len() <= 32
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if !ok {
        return Err(Error::parse(
            "test user",
            name,
            "expected 1 to 32 of a-z, 0-9, '_' and '-', starting with a letter or '_'",
        ));
    }
    if name == "root" {
        return Err(Error::parse(
            "test user",
            name,
            "must not be root: parrot is tested as an unprivileged user",
        ));
    }
    Ok(())
}

fn check_uid(uid: u32) -> Result<(), Error> {
    if (1..=MAX_TEST_UID).contains(&uid) {
        Ok(())
    } else {
        Err(Error::parse(
            "test uid",
            &uid.to_string(),
            format!(
                "must be from 1 to {MAX_TEST_UID}: 0 is root, and higher values reach the \
                 end of the signed 32-bit range in which runtimes and user tools keep uids"
            ),
        ))
    }
}

fn check_env_name(name: &str) -> Result<(), Error> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME
        && name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(Error::parse(
            "environment variable",
            name,
            "expected letters, digits and '_', not starting with a digit",
        ))
    }
}

fn check_label_key(key: &str) -> Result<(), Error> {
    let ok = !key.is_empty()
        && key.len() <= MAX_NAME
        && key.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
    if !ok {
        return Err(Error::parse(
            "label",
            key,
            "expected a reverse-DNS key of a-z, 0-9, '.', '_' and '-', such as \
             org.example.site",
        ));
    }
    if key == MANAGED_LABEL || key == RECIPE_LABEL {
        return Err(Error::parse("label", key, "is set by pcvmfs itself"));
    }
    Ok(())
}

/// Checks a path in the image and returns it normalised (`//` and `.`
/// components and a final `/` dropped): absolute, without `..` or control
/// characters, not `/` itself, and not under the build directory.
pub fn normalise_destination(destination: &str) -> Result<String, Error> {
    let bad = |reason: &str| {
        Err(Error::parse(
            "destination in the image",
            destination,
            reason,
        ))
    };
    if !destination.starts_with('/') {
        return bad("must be an absolute path");
    }
    if let Some(c) = destination.chars().find(|c| c.is_control()) {
        return Err(Error::parse(
            "destination in the image",
            destination,
            format!("holds {}", describe_char(c)),
        ));
    }
    if destination.len() > 4096 {
        return bad("is longer than 4096 characters");
    }
    let mut parts = Vec::new();
    for part in destination.split('/') {
        match part {
            "" | "." => {}
            ".." => return bad("has a '..' component"),
            part => parts.push(part),
        }
    }
    if parts.is_empty() {
        return bad("is the root directory");
    }
    let normal = format!("/{}", parts.join("/"));
    if normal == BUILD_DIR || normal.starts_with(&format!("{BUILD_DIR}/")) {
        return bad("is under /pcvmfs-build, which the build removes");
    }
    Ok(normal)
}

/// Where a file of the recipe goes in the image: `destination` normalised
/// (see [`normalise_destination`]), or, when it ends in `/`, the source's
/// file name inside that directory (`/etc/cvmfs/` and `site/default.local`
/// give `/etc/cvmfs/default.local`). Decided here, so that the build step
/// gets the final path and need not guess whether a path names a directory.
pub fn file_destination(source: &Path, destination: &str) -> Result<String, Error> {
    let normal = normalise_destination(destination)?;
    if !destination.ends_with('/') {
        return Ok(normal);
    }
    let name = source.file_name().and_then(|name| name.to_str());
    let Some(name) = name else {
        return Err(Error::parse(
            "destination in the image",
            destination,
            format!(
                "ends with '/', which keeps the source's file name, and {} has no \
                 UTF-8 file name to keep: give the full path in the image",
                source.display()
            ),
        ));
    };
    normalise_destination(&format!("{normal}/{name}"))
}

/// Refuses an environment variable (or build argument) that looks like a
/// secret, which anyone who can pull the image could read. The error says
/// how to pass it when the container runs instead.
///
/// The rules, applied to the name split at `_`, `-` and `.`, upper-cased:
/// a word holds `PASSWORD`, `PASSWD`, `SECRET`, `CREDENTIAL` or `APIKEY`; a
/// word is `PASS`, `TOKEN`, `TOKENS` or ends with `TOKEN`; a word is `AUTH`,
/// `OAUTH` or starts with `AUTH` (but is not `AUTHOR`, `AUTHORS`,
/// `AUTHORITY` or `AUTHORITIES`); or two words in a row are
/// `API KEY`, `PRIVATE KEY`, `ACCESS KEY` or `SECRET KEY`. And to the value:
/// it holds `-----BEGIN` and `PRIVATE KEY` (a PEM private key), a URL with
/// a password (`scheme://user:password@`, the password not empty), or it looks
/// like a token: 32 characters or more, all of `A-Za-z0-9+/=_.-`, not
/// starting with `/`, with upper-case letters, lower-case letters and
/// digits, and a Shannon entropy of at least 4.2 bits per character (a git
/// commit id, lower-case hex, is not a token by this rule).
pub fn check_not_secret(name: &str, value: &str) -> Result<(), Error> {
    secret_check("environment variable", name, value)
}

/// [`check_not_secret`] for a build argument (`--build-arg NAME=VALUE`),
/// which stays in the image's history; the error calls it one.
pub fn check_build_arg_not_secret(name: &str, value: &str) -> Result<(), Error> {
    secret_check("build argument", name, value)
}

fn secret_check(what: &'static str, name: &str, value: &str) -> Result<(), Error> {
    let why = secret_name_reason(name).or_else(|| secret_value_reason(value));
    match why {
        None => Ok(()),
        Some(why) => Err(Error::parse(
            what,
            name,
            format!(
                "looks like a secret ({why}), and a secret must not be built into an image: \
                 anyone who can pull the image can read it. Pass it when the container runs \
                 instead: `docker run -e {name}` (the value comes from your environment), \
                 `docker run --env-file FILE`, or a file mounted read-only \
                 (`-v /path/on/host:/run/secrets/{name}:ro`); HTCondor's pool password \
                 belongs in a file mounted as a volume, not in the image"
            ),
        )),
    }
}

fn secret_name_reason(name: &str) -> Option<String> {
    let upper = name.to_ascii_uppercase();
    let words: Vec<&str> = upper
        .split(['_', '-', '.'])
        .filter(|w| !w.is_empty())
        .collect();
    for word in &words {
        for needle in ["PASSWORD", "PASSWD", "SECRET", "CREDENTIAL", "APIKEY"] {
            if word.contains(needle) {
                return Some(format!("its name contains {needle}"));
            }
        }
        if matches!(*word, "PASS" | "TOKEN" | "TOKENS") || word.ends_with("TOKEN") {
            return Some(format!("its name contains {word}"));
        }
        if *word == "AUTH"
            || *word == "OAUTH"
            || (word.starts_with("AUTH")
                && !matches!(*word, "AUTHOR" | "AUTHORS" | "AUTHORITY" | "AUTHORITIES"))
        {
            return Some(format!("its name contains {word}"));
        }
    }
    for pair in words.windows(2) {
        if matches!(
            (pair[0], pair[1]),
            ("API" | "PRIVATE" | "ACCESS" | "SECRET", "KEY")
        ) {
            return Some(format!("its name contains {}_{}", pair[0], pair[1]));
        }
    }
    None
}

fn secret_value_reason(value: &str) -> Option<String> {
    if value.contains("-----BEGIN") && value.contains("PRIVATE KEY") {
        return Some("its value is a private key".into());
    }
    if has_url_password(value) {
        return Some("its value holds a URL with a password, user:password@".into());
    }
    if looks_like_token(value) {
        return Some("its value looks like a token".into());
    }
    None
}

/// Whether some `scheme://` in `value` is followed by `user:password@` with
/// a password that is not empty (`http://alice@host` names only a user).
fn has_url_password(value: &str) -> bool {
    value.match_indices("://").any(|(at, _)| {
        let scheme = value[..at]
            .bytes()
            .next_back()
            .is_some_and(|b| b.is_ascii_alphanumeric());
        let authority = value[at + 3..]
            .split(|c: char| matches!(c, '/' | '?' | '#') || c.is_whitespace())
            .next()
            .unwrap_or("");
        // The host follows the last '@'; a password may hold '@' itself.
        let user_info = authority.rsplit_once('@').map(|(u, _)| u);
        scheme
            && user_info
                .and_then(|u| u.split_once(':'))
                .is_some_and(|(_, password)| !password.is_empty())
    })
}

fn looks_like_token(value: &str) -> bool {
    let bytes = value.as_bytes();
    bytes.len() >= 32
        && !value.starts_with('/')
        && bytes.iter().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'_' | b'.' | b'-')
        })
        && bytes.iter().any(u8::is_ascii_uppercase)
        && bytes.iter().any(u8::is_ascii_lowercase)
        && bytes.iter().any(u8::is_ascii_digit)
        && shannon_entropy(bytes) >= 4.2
}

fn shannon_entropy(bytes: &[u8]) -> f64 {
    let mut counts = [0usize; 256];
    for &b in bytes {
        counts[b as usize] += 1;
    }
    let total = bytes.len() as f64;
    counts
        .iter()
        .filter(|&&n| n > 0)
        .map(|&n| {
            let p = n as f64 / total;
            -p * p.log2()
        })
        .sum()
}

fn regular_file(what: &'static str, path: &Path) -> Result<(), Error> {
    let metadata = fs::metadata(path).map_err(|source| Error::Read {
        what,
        path: path.to_path_buf(),
        source,
    })?;
    if metadata.is_file() {
        Ok(())
    } else {
        Err(Error::Read {
            what,
            path: path.to_path_buf(),
            source: io::Error::other("is not a regular file"),
        })
    }
}

fn check_cctools_directory(path: &Path) -> Result<(), Error> {
    let metadata = fs::metadata(path).map_err(|source| Error::Read {
        what: "cctools directory",
        path: path.to_path_buf(),
        source,
    })?;
    if !metadata.is_dir() {
        return Err(Error::Read {
            what: "cctools directory",
            path: path.to_path_buf(),
            source: io::Error::other("is not a directory"),
        });
    }
    if !path.join("bin").join("parrot_run").exists() {
        return Err(Error::parse(
            "cctools directory",
            &path.display().to_string(),
            "has no bin/parrot_run: give the directory of an unpacked cctools release \
             (the one holding bin/ and lib/)",
        ));
    }
    Ok(())
}

/// Reads a cctools tarball (`.tar` or `.tar.gz`) and finds how to unpack it
/// into `/opt/cctools`: whether it is compressed, and how many leading path
/// components to drop. Refuses an archive that is not a tar, is compressed
/// otherwise than with gzip, holds nothing, has no `bin/parrot_run`, or
/// holds files beside the directory of `bin/parrot_run`.
pub fn inspect_tarball(path: &Path) -> Result<TarballLayout, Error> {
    let shown = path.display().to_string();
    let read_err = |source| Error::Read {
        what: "cctools tarball",
        path: path.to_path_buf(),
        source,
    };
    let mut file = fs::File::open(path).map_err(read_err)?;
    let mut magic = Vec::with_capacity(6);
    (&mut file)
        .take(6)
        .read_to_end(&mut magic)
        .map_err(read_err)?;
    file.rewind().map_err(read_err)?;
    let gzip = magic.starts_with(&[0x1f, 0x8b]);
    for (prefix, name) in [
        (&[0xfd, b'7', b'z', b'X', b'Z', 0][..], "xz"),
        (&b"BZh"[..], "bzip2"),
        (&[0x28, 0xb5, 0x2f, 0xfd][..], "zstd"),
    ] {
        if magic.starts_with(prefix) {
            return Err(Error::parse(
                "cctools tarball",
                &shown,
                format!(
                    "is compressed with {name}; pcvmfs reads .tar and .tar.gz: recompress it \
                     with gzip, or unpack it and give the directory"
                ),
            ));
        }
    }
    let reader: Box<dyn Read> = if gzip {
        Box::new(flate2::read::MultiGzDecoder::new(BufReader::new(file)))
    } else {
        Box::new(BufReader::new(file))
    };
    let entries = tar_entries(reader).map_err(|err| {
        Error::parse(
            "cctools tarball",
            &shown,
            format!("is not a readable .tar or .tar.gz archive: {err}"),
        )
    })?;
    let strip_components = strip_components(&entries)
        .map_err(|reason| Error::parse("cctools tarball", &shown, reason))?;
    Ok(TarballLayout {
        gzip,
        strip_components,
    })
}

/// Every entry's path components (empty ones dropped) and whether it is a
/// directory.
fn tar_entries(reader: impl Read) -> io::Result<Vec<(Vec<String>, bool)>> {
    let mut archive = tar::Archive::new(reader);
    let mut entries = Vec::new();
    for entry in archive.entries()? {
        let entry = entry?;
        let kind = entry.header().entry_type();
        if kind.is_pax_global_extensions()
            || kind.is_pax_local_extensions()
            || kind.is_gnu_longname()
            || kind.is_gnu_longlink()
        {
            continue;
        }
        let path = entry.path_bytes();
        let parts = String::from_utf8_lossy(&path)
            .split('/')
            .filter(|part| !part.is_empty())
            .map(str::to_string)
            .collect();
        entries.push((parts, kind.is_dir()));
    }
    Ok(entries)
}

/// How many leading components to drop so that `bin/parrot_run` lands in
/// `/opt/cctools/bin`: those in front of the shallowest `bin/parrot_run`.
/// Refuses an archive with nothing but `.` entries, without
/// `bin/parrot_run`, or with entries outside the directory that holds it
/// (`--strip-components` would scatter them).
fn strip_components(entries: &[(Vec<String>, bool)]) -> Result<usize, String> {
    let real: Vec<&Vec<String>> = entries
        .iter()
        .map(|(parts, _)| parts)
        .filter(|parts| parts.iter().any(|part| part != "."))
        .collect();
    if real.is_empty() {
        return Err("holds no files".into());
    }
    let Some(parrot) = real
        .iter()
        .filter(|parts| parts.ends_with(&["bin".to_string(), "parrot_run".to_string()]))
        .min_by_key(|parts| parts.len())
    else {
        return Err("has no bin/parrot_run: is it a cctools binary release?".into());
    };
    let strip = parrot.len() - 2;
    let prefix = &parrot[..strip];
    for parts in &real {
        let shared = parts.len().min(strip);
        if parts[..shared] != prefix[..shared] {
            return Err(format!(
                "holds {} beside {}/, the directory of bin/parrot_run: unpack it and give \
                 the directory instead",
                parts.join("/"),
                prefix.join("/")
            ));
        }
    }
    Ok(strip)
}

/// Copies a directory tree; symbolic links are copied as links, and
/// anything that is neither a file, a directory nor a link is refused.
fn copy_tree(source: &Path, target: &Path) -> Result<(), Error> {
    let read_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Read {
            what: "directory for the image",
            path,
            source,
        }
    };
    let write_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Write {
            what: "image build context",
            path,
            source,
        }
    };
    fs::create_dir_all(target).map_err(write_err(target))?;
    for entry in fs::read_dir(source).map_err(read_err(source))? {
        let entry = entry.map_err(read_err(source))?;
        let from = entry.path();
        let to = target.join(entry.file_name());
        let kind = entry.file_type().map_err(read_err(&from))?;
        if kind.is_symlink() {
            let link = fs::read_link(&from).map_err(read_err(&from))?;
            std::os::unix::fs::symlink(&link, &to).map_err(write_err(&to))?;
        } else if kind.is_dir() {
            copy_tree(&from, &to)?;
            let mode = fs::metadata(&from).map_err(read_err(&from))?.permissions();
            fs::set_permissions(&to, mode).map_err(write_err(&to))?;
        } else if kind.is_file() {
            fs::copy(&from, &to).map_err(write_err(&to))?;
        } else {
            return Err(Error::Read {
                what: "directory for the image",
                path: from,
                source: io::Error::other("is neither a file, a directory nor a symbolic link"),
            });
        }
    }
    Ok(())
}

/// Whether a relative context path stays inside the context (no `..`, not
/// absolute).
fn inside_context(path: &str) -> bool {
    Path::new(path)
        .components()
        .all(|c| matches!(c, Component::Normal(_)))
}

/// The build step, run in the image as `/bin/sh /pcvmfs-build/setup.sh
/// USER UID HOME CCTOOLS_KIND CCTOOLS_SOURCE STRIP [DESTINATION...]`.
pub const SETUP_SCRIPT: &str = r##"#!/bin/sh
# Written by pcvmfs: turns the base image into a parrot-ready one. The
# Dockerfile runs it as
#   /bin/sh /pcvmfs-build/setup.sh USER UID HOME CCTOOLS_KIND CCTOOLS_SOURCE STRIP [DESTINATION...]
# Every value arrives as an argument; none is part of this script's text.
#   CCTOOLS_KIND    tarball: CCTOOLS_SOURCE is a .tar or .tar.gz in the build
#                   context; url: CCTOOLS_SOURCE is downloaded with curl or
#                   wget; directory: the Dockerfile copied it to /opt/cctools
#   STRIP           leading path components to drop from the tarball, or
#                   auto: keep the directory that holds bin/parrot_run
#   DESTINATION     where /pcvmfs-build/files/N goes, for N = 0, 1, ...: the
#                   full path (pcvmfs resolved a trailing /); a file's
#                   destination that is a directory here is refused
# CVMFS keys come from /pcvmfs-build/keys/DOMAIN/NAME.pub, the parrot
# environment script from /pcvmfs-build/parrot-env.sh. Only POSIX sh and
# tools busybox also has are used.
set -eu

if [ "$#" -lt 6 ]; then
    echo "pcvmfs setup: expected at least 6 arguments, got $#" >&2
    exit 2
fi
user=$1
uid=$2
home=$3
cctools_kind=$4
cctools_source=$5
strip=$6
shift 6

build=/pcvmfs-build
cctools=/opt/cctools

say() { printf 'pcvmfs setup: %s\n' "$*" >&2; }
die() {
    say "$*"
    exit 1
}
have() { command -v "$1" >/dev/null 2>&1; }

# tar_flags FILE: the tar flags that unpack FILE (gzip-compressed or not).
tar_flags() {
    if [ "$(head -c 2 "$1" | od -An -tx1 | tr -d ' \n')" = 1f8b ]; then
        echo xzf
    else
        echo xf
    fi
}

# unpack FILE STRIP: FILE's contents into /opt/cctools, without its first
# STRIP path components; STRIP auto keeps the directory that holds
# bin/parrot_run.
unpack() {
    flags=$(tar_flags "$1")
    rm -rf "$cctools"
    if [ "$2" = auto ]; then
        staging=$cctools.pcvmfs-unpack
        rm -rf "$staging"
        mkdir -p "$staging"
        tar -"$flags" "$1" -C "$staging"
        found=$(find "$staging" -path '*/bin/parrot_run' | head -n 1)
        [ -n "$found" ] || die "the downloaded cctools has no bin/parrot_run: is it a cctools binary release?"
        mv "${found%/bin/parrot_run}" "$cctools"
        rm -rf "$staging"
    else
        mkdir -p "$cctools"
        if [ "$2" -gt 0 ]; then
            tar -"$flags" "$1" -C "$cctools" --strip-components="$2"
        else
            tar -"$flags" "$1" -C "$cctools"
        fi
    fi
    chown -R 0:0 "$cctools"
}

# download URL FILE
download() {
    if have curl; then
        curl -fsSL --retry 3 -o "$2" "$1" || die "could not download $1 with curl"
    elif have wget; then
        wget -q -O "$2" "$1" || die "could not download $1 with wget"
    else
        die "the base image has neither curl nor wget to download cctools: give a cctools tarball or directory instead"
    fi
}

say "installing cctools ($cctools_kind) into $cctools"
case $cctools_kind in
    tarball) unpack "$cctools_source" "$strip" ;;
    url)
        download "$cctools_source" "$build/cctools-download"
        unpack "$build/cctools-download" "$strip"
        ;;
    directory) ;;
    *) die "unknown cctools kind: $cctools_kind" ;;
esac
if [ ! -x "$cctools/bin/parrot_run" ]; then
    die "$cctools/bin/parrot_run is missing or not executable: is this a cctools binary release for this architecture?"
fi

say "creating the test user $user ($uid) with home $home"
# field N NAME-FIELD VALUE FILE: field N of the first line of FILE whose field
# NAME-FIELD is VALUE.
field() {
    [ -f "$4" ] || return 0
    awk -F: -v want="$3" -v key="$2" -v out="$1" '$key == want { print $out; exit }' "$4"
}
existing_uid=$(field 3 1 "$user" /etc/passwd)
owner=$(field 1 3 "$uid" /etc/passwd)
group=$(field 1 1 "$user" /etc/group)
if [ -n "$existing_uid" ]; then
    [ "$existing_uid" = "$uid" ] ||
        die "user $user already exists in the base image with uid $existing_uid, not $uid: choose that uid or another user name"
    existing_home=$(field 6 1 "$user" /etc/passwd)
    [ "$existing_home" = "$home" ] ||
        die "user $user already exists in the base image with home $existing_home, not $home"
    mkdir -p "$home"
elif [ -n "$owner" ]; then
    die "uid $uid already belongs to user $owner in the base image: choose another uid, or the user name $owner"
elif have useradd; then
    if [ -n "$group" ]; then
        useradd -m -u "$uid" -g "$user" -d "$home" -s /bin/sh "$user"
    else
        useradd -m -u "$uid" -d "$home" -s /bin/sh "$user"
    fi
elif have adduser; then
    if [ -n "$group" ]; then
        adduser -D -u "$uid" -G "$user" -h "$home" -s /bin/sh "$user"
    else
        adduser -D -u "$uid" -h "$home" -s /bin/sh "$user"
    fi
else
    gid=$(field 3 1 "$user" /etc/group)
    if [ -z "$gid" ]; then
        gid=$uid
        if [ -n "$(field 1 3 "$gid" /etc/group)" ]; then
            die "gid $gid is taken in the base image, and it has neither useradd nor adduser to choose another"
        fi
        printf '%s:x:%s:\n' "$user" "$gid" >>/etc/group
    fi
    printf '%s:x:%s:%s::%s:/bin/sh\n' "$user" "$uid" "$gid" "$home" >>/etc/passwd
    if [ -f /etc/shadow ]; then
        printf '%s:!::0:99999:7:::\n' "$user" >>/etc/shadow
    fi
    mkdir -p "$home"
    chown "$uid:$gid" "$home"
fi

if [ -d "$build/keys" ]; then
    for dir in "$build"/keys/*; do
        [ -d "$dir" ] || continue
        domain=${dir##*/}
        mkdir -p "/etc/cvmfs/keys/$domain"
        chmod 0755 /etc/cvmfs /etc/cvmfs/keys "/etc/cvmfs/keys/$domain"
        for key in "$dir"/*; do
            [ -f "$key" ] || continue
            target=/etc/cvmfs/keys/$domain/${key##*/}
            say "installing the CVMFS key $target"
            cp "$key" "$target"
            chown 0:0 "$target"
            chmod 0644 "$target"
        done
    done
fi

index=0
for destination in "$@"; do
    source=$build/files/$index
    say "installing $destination"
    mkdir -p "${destination%/*}/"
    if [ -d "$source" ]; then
        mkdir -p "$destination"
        cp -pR "$source/." "$destination/"
    else
        # cp would put the file inside as "$index", which no one asked for.
        [ ! -d "$destination" ] ||
            die "$destination is a directory in the base image, so a file cannot be installed as $destination: give the file's full path in the image, or end the destination with / to put the file in that directory under its own name"
        cp -p "$source" "$destination"
    fi
    index=$((index + 1))
done

if [ -f "$build/parrot-env.sh" ]; then
    say "installing the parrot environment script"
    mkdir -p /opt/pcvmfs
    cp "$build/parrot-env.sh" /opt/pcvmfs/parrot-env.sh
    chmod 0755 /opt/pcvmfs/parrot-env.sh
fi

rm -rf "$build"
say "done"
"##;

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::process::Command;

    const KEYWORDS: &[&str] = &["FROM", "COPY", "RUN", "ENV", "LABEL"];

    /// The Dockerfile's instructions: comment and blank lines dropped,
    /// lines ending in `\` joined to the next.
    fn instructions(dockerfile: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut current = String::new();
        for line in dockerfile.lines() {
            if current.is_empty() && (line.trim().is_empty() || line.trim_start().starts_with('#'))
            {
                continue;
            }
            let trimmed = line.trim_end();
            if let Some(head) = trimmed.strip_suffix('\\') {
                current.push_str(head);
                continue;
            }
            current.push_str(trimmed);
            out.push(std::mem::take(&mut current));
        }
        assert!(current.is_empty(), "dangling continuation: {current:?}");
        for instruction in &out {
            let keyword = instruction.split(' ').next().unwrap();
            assert!(
                KEYWORDS.contains(&keyword),
                "unexpected instruction {instruction:?}"
            );
        }
        out
    }

    /// The `KEY="value"` pairs of an ENV or LABEL instruction, read as
    /// Docker's lexer reads them; the bool says whether an unescaped `$`
    /// (a substitution) was met.
    fn pairs(instruction: &str) -> Vec<(String, String, bool)> {
        let body = instruction.split_once(' ').unwrap().1;
        let mut chars = body.chars().peekable();
        let mut out = Vec::new();
        loop {
            while chars.peek() == Some(&' ') {
                chars.next();
            }
            if chars.peek().is_none() {
                break;
            }
            let mut key = String::new();
            for c in chars.by_ref() {
                if c == '=' {
                    break;
                }
                key.push(c);
            }
            assert_eq!(chars.next(), Some('"'), "value of {key} is not quoted");
            let mut value = String::new();
            let mut substitution = false;
            loop {
                match chars.next().expect("unterminated quote") {
                    '"' => break,
                    '\\' => match chars.peek() {
                        Some('"' | '$' | '\\') => value.push(chars.next().unwrap()),
                        _ => value.push('\\'),
                    },
                    '$' => {
                        substitution = true;
                        value.push('$');
                    }
                    c => value.push(c),
                }
            }
            out.push((key, value, substitution));
        }
        out
    }

    fn fake_cctools(dir: &Path) -> PathBuf {
        let root = dir.join("cctools-src");
        fs::create_dir_all(root.join("bin")).unwrap();
        fs::create_dir_all(root.join("lib")).unwrap();
        fs::write(root.join("bin/parrot_run"), "#!/bin/sh\n").unwrap();
        fs::set_permissions(
            root.join("bin/parrot_run"),
            fs::Permissions::from_mode(0o755),
        )
        .unwrap();
        std::os::unix::fs::symlink("parrot_run", root.join("bin/parrot")).unwrap();
        fs::write(root.join("lib/libx.so"), "x").unwrap();
        root
    }

    /// A tarball of `entries` (path, Some(content) for a file, None for a
    /// directory).
    fn tarball(path: &Path, gzip: bool, entries: &[(&str, Option<&str>)]) {
        let file = fs::File::create(path).unwrap();
        let writer: Box<dyn Write> = if gzip {
            Box::new(flate2::write::GzEncoder::new(
                file,
                flate2::Compression::fast(),
            ))
        } else {
            Box::new(file)
        };
        let mut builder = tar::Builder::new(writer);
        for (name, content) in entries {
            let mut header = tar::Header::new_gnu();
            // The name as given, `./` included (set_path would drop it, as
            // GNU tar does not).
            header.as_gnu_mut().unwrap().name[..name.len()].copy_from_slice(name.as_bytes());
            header.set_mode(0o755);
            let data = content.unwrap_or("");
            header.set_size(data.len() as u64);
            header.set_entry_type(match content {
                Some(_) => tar::EntryType::Regular,
                None => tar::EntryType::Directory,
            });
            header.set_cksum();
            builder.append(&header, data.as_bytes()).unwrap();
        }
        builder.into_inner().unwrap().flush().unwrap();
    }

    fn release_tarball(dir: &Path) -> PathBuf {
        let path = dir.join("cctools-7.14.0-x86_64-linux.tar.gz");
        tarball(
            &path,
            true,
            &[
                ("cctools-7.14.0/", None),
                ("cctools-7.14.0/bin/", None),
                ("cctools-7.14.0/bin/parrot_run", Some("#!/bin/sh\n")),
                ("cctools-7.14.0/lib/libdttools.a", Some("x")),
            ],
        );
        path
    }

    fn full_recipe(dir: &Path) -> ImageRecipe {
        let key = dir.join("cern.ch.pub");
        fs::write(
            &key,
            "-----BEGIN PUBLIC KEY-----\nx\n-----END PUBLIC KEY-----\n",
        )
        .unwrap();
        let file = dir.join("site.conf");
        fs::write(&file, "CVMFS_HTTP_PROXY=DIRECT\n").unwrap();
        ImageRecipe::new("busybox", CctoolsSource::tarball(release_tarball(dir)))
            .unwrap()
            .with_key("cern.ch", &key)
            .with_file(&file, "/etc/cvmfs/default.local")
            .with_env("PARROT_CVMFS_REPO", "<default-repositories>")
            .with_label("org.example.site", "T2_XX")
            .with_env_script("#!/bin/sh\nexport HTTP_PROXY='http://p:3128;DIRECT'\n")
    }

    #[test]
    fn a_full_recipe_renders_five_known_instructions() {
        let dir = tempfile::tempdir().unwrap();
        let recipe = full_recipe(dir.path());
        let dockerfile = recipe.dockerfile().unwrap();
        let steps = instructions(&dockerfile);
        assert_eq!(steps.len(), 5, "{dockerfile}");
        assert_eq!(steps[0], "FROM docker.io/library/busybox:latest");
        assert_eq!(steps[1], "COPY pcvmfs/ /pcvmfs-build/");
        let argv: Vec<String> =
            serde_json::from_str(steps[2].strip_prefix("RUN ").unwrap()).unwrap();
        assert_eq!(
            argv,
            [
                "/bin/sh",
                "/pcvmfs-build/setup.sh",
                "parrotuser",
                "1000",
                "/home/parrotuser",
                "tarball",
                "/pcvmfs-build/cctools.tar.gz",
                "1",
                "/etc/cvmfs/default.local",
            ]
        );
        let env = pairs(&steps[3]);
        assert_eq!(env[0], ("TEST_USER".into(), "parrotuser".into(), false));
        assert_eq!(
            env[1],
            ("TEST_USER_HOME".into(), "/home/parrotuser".into(), false)
        );
        assert_eq!(env[2].0, "PATH");
        assert_eq!(
            env[2].1,
            "/opt/cctools/bin:${PATH:-/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin}"
        );
        assert!(env[2].2, "PATH keeps the base image's PATH");
        assert_eq!(
            env[3],
            (
                "PARROT_CVMFS_REPO".into(),
                "<default-repositories>".into(),
                false
            )
        );
        let labels = pairs(&steps[4]);
        assert_eq!(
            labels,
            [
                ("org.pcvmfs.managed".into(), "true".into(), false),
                ("org.pcvmfs.recipe".into(), "1".into(), false),
                ("org.example.site".into(), "T2_XX".into(), false),
            ]
        );
        assert!(!dockerfile.contains("USER "), "the image stays root");

        let files = recipe.context_files().unwrap();
        let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "pcvmfs/setup.sh",
                "pcvmfs/cctools.tar.gz",
                "pcvmfs/keys/cern.ch/cern.ch.pub",
                "pcvmfs/files/0",
                "pcvmfs/parrot-env.sh",
            ]
        );
        assert_eq!(files[0].mode, 0o755);
        assert_eq!(files[2].mode, 0o644);
        assert_eq!(
            recipe.keys[0].destination().unwrap(),
            "/etc/cvmfs/keys/cern.ch/cern.ch.pub"
        );
    }

    #[test]
    fn a_directory_gets_its_own_copy_and_a_url_is_an_argument() {
        let dir = tempfile::tempdir().unwrap();
        let source = fake_cctools(dir.path());
        let recipe = ImageRecipe::new("alpine:3.20", CctoolsSource::directory(&source)).unwrap();
        let steps = instructions(&recipe.dockerfile().unwrap());
        assert_eq!(steps.len(), 6);
        assert_eq!(steps[1], "COPY cctools/ /opt/cctools/");
        assert_eq!(steps[2], "COPY pcvmfs/ /pcvmfs-build/");
        let files = recipe.context_files().unwrap();
        assert_eq!(files[1].path, "cctools");
        assert_eq!(files[1].source, ContextSource::Directory(source));

        let url = "https://example.org/cctools.tar.gz?x=$(id)&y=`id`";
        assert!(CctoolsSource::url(url).is_err(), "backquotes are refused");
        let url = "https://example.org/cctools.tar.gz?x=$(id)&y=;id;";
        let recipe = ImageRecipe::new("alpine", CctoolsSource::url(url).unwrap()).unwrap();
        let steps = instructions(&recipe.dockerfile().unwrap());
        assert_eq!(steps.len(), 5);
        let argv: Vec<String> =
            serde_json::from_str(steps[2].strip_prefix("RUN ").unwrap()).unwrap();
        assert_eq!(argv[5..8], ["url", url, "auto"]);
        assert_eq!(recipe.context_files().unwrap().len(), 1);
    }

    #[test]
    fn urls_are_checked() {
        for url in [
            "ftp://x/y",
            "https://",
            "https:///path",
            "https://x/a b",
            "https://x/a\nRUN touch /pwned",
            "https://x/\"",
            "https://x/'",
            "https://x/\\",
            "https://x/\0",
            "file:///etc/passwd",
            "",
        ] {
            let err = CctoolsSource::url(url).unwrap_err();
            assert!(err.to_string().contains("cctools URL"), "{err}");
        }
        assert!(CctoolsSource::url("http://192.0.2.1:8080/c.tar.gz").is_ok());
        let bad = CctoolsSource::Url("https://x/\nRUN x".into());
        assert!(ImageRecipe::new("busybox", bad).is_err());
    }

    #[test]
    fn hostile_values_are_refused_or_stay_values() {
        let dir = tempfile::tempdir().unwrap();
        let base = || {
            ImageRecipe::new(
                "busybox",
                CctoolsSource::directory(fake_cctools_once(dir.path())),
            )
            .unwrap()
        };
        for value in [
            "$(touch /pwned)",
            "${PATH}",
            "$PATH",
            "\"; touch /pwned; \"",
            "'",
            "\"'",
            "\\",
            "a\\",
            "\\\"",
            "\\$",
            "x \\",
            " leading and trailing ",
            "#comment",
            "é ünïcødé",
        ] {
            let recipe = base()
                .with_env("HOSTILE", value)
                .with_label("org.example.hostile", value);
            let dockerfile = recipe.dockerfile().unwrap();
            let steps = instructions(&dockerfile);
            assert_eq!(steps.len(), 6, "{value:?}:\n{dockerfile}");
            let env = pairs(&steps[4]);
            assert_eq!(
                env[3],
                ("HOSTILE".into(), value.to_string(), false),
                "{dockerfile}"
            );
            let labels = pairs(&steps[5]);
            assert_eq!(
                labels[2],
                ("org.example.hostile".into(), value.into(), false)
            );
        }
        for value in [
            "x\nRUN touch /pwned",
            "x\rRUN touch /pwned",
            "x\0",
            "a\tb",
            "\u{85}",
        ] {
            let err = base().with_env("HOSTILE", value).check().unwrap_err();
            assert!(matches!(err, Error::Parse { .. }), "{err}");
            assert!(err.to_string().contains("control characters"), "{err}");
            assert!(base().with_label("org.x", value).check().is_err());
        }
        for name in ["X Y", "X=Y", "1X", "", "X\nRUN", "X\"", "X$Y"] {
            assert!(base().with_env(name, "v").check().is_err(), "{name:?}");
        }
        for name in ["TEST_USER", "PATH", "TEST_USER_HOME"] {
            let err = base().with_env(name, "v").check().unwrap_err();
            assert!(err.to_string().contains("set by the recipe"), "{err}");
        }
        assert!(
            base()
                .with_env("A", "1")
                .with_env("A", "2")
                .check()
                .is_err()
        );
        for key in [
            "a b",
            "a\"b",
            "A.b",
            ".a",
            "a=b",
            "a\nRUN x",
            "",
            "org.pcvmfs.managed",
            "org.pcvmfs.recipe",
            "a$b",
        ] {
            assert!(base().with_label(key, "v").check().is_err(), "{key:?}");
        }
        for destination in [
            "relative/path",
            "/a/../etc/shadow",
            "/a\nRUN x",
            "/",
            "//",
            "/pcvmfs-build/x",
            "/pcvmfs-build",
        ] {
            let recipe = base().with_file(dir.path(), destination);
            assert!(recipe.check().is_err(), "{destination:?}");
        }
        assert_eq!(
            normalise_destination("//etc/./cvmfs//x/").unwrap(),
            "/etc/cvmfs/x"
        );
        assert_eq!(
            normalise_destination("/opt/$(id)/x").unwrap(),
            "/opt/$(id)/x"
        );
    }

    #[test]
    fn a_destination_ending_in_a_slash_keeps_the_source_name() {
        let dir = tempfile::tempdir().unwrap();
        let conf = dir.path().join("default.local");
        fs::write(&conf, "CVMFS_HTTP_PROXY=DIRECT\n").unwrap();
        let site = dir.path().join("site");
        fs::create_dir(&site).unwrap();
        let recipe = ImageRecipe::new(
            "busybox",
            CctoolsSource::directory(fake_cctools(dir.path())),
        )
        .unwrap()
        .with_file(&conf, "/etc/cvmfs/")
        .with_file(&site, "//opt/./")
        .with_file(&conf, "/etc/cvmfs/other.local");
        let steps = instructions(&recipe.dockerfile().unwrap());
        let argv: Vec<String> =
            serde_json::from_str(steps[3].strip_prefix("RUN ").unwrap()).unwrap();
        assert_eq!(
            argv[8..],
            [
                "/etc/cvmfs/default.local",
                "/opt/site",
                "/etc/cvmfs/other.local"
            ]
        );
        assert_eq!(
            file_destination(Path::new("a/b.conf/"), "/etc/").unwrap(),
            "/etc/b.conf"
        );
        for source in ["..", "/", "a/.."] {
            let err = file_destination(Path::new(source), "/etc/")
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("no UTF-8 file name to keep"),
                "{source}: {err}"
            );
        }
        let err = ImageRecipe::new("busybox", CctoolsSource::url("https://x/c.tgz").unwrap())
            .unwrap()
            .with_file("/", "/etc/")
            .check()
            .unwrap_err();
        assert!(
            err.to_string().contains("destination in the image"),
            "{err}"
        );
        // The root directory stays refused, with or without a name to keep.
        assert!(file_destination(&conf, "/").is_err());
    }

    fn fake_cctools_once(dir: &Path) -> PathBuf {
        let root = dir.join("cctools-src");
        if !root.exists() {
            fake_cctools(dir);
        }
        root
    }

    #[test]
    fn users_and_uids_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let base = ImageRecipe::new(
            "busybox",
            CctoolsSource::directory(fake_cctools(dir.path())),
        )
        .unwrap();
        for (user, uid) in [
            ("parrotuser", 1000),
            ("_x", 1),
            ("a-b_c9", 60000),
            ("grid", 60001),
            ("pool", 1_000_000),
            ("big", MAX_TEST_UID),
        ] {
            assert!(base.clone().with_user(user, uid).check().is_ok(), "{user}");
        }
        for user in [
            "root",
            "Parrot",
            "9user",
            "-user",
            "",
            "a b",
            "a;touch /pwned",
            &"a".repeat(33),
            "user\n",
        ] {
            let err = base.clone().with_user(user, 1000).check().unwrap_err();
            assert!(err.to_string().contains("test user"), "{err}");
        }
        for uid in [0, MAX_TEST_UID + 1, u32::MAX] {
            let err = base.clone().with_user("x", uid).check().unwrap_err();
            assert!(err.to_string().contains("test uid"), "{err}");
            assert!(err.to_string().contains("2147483646"), "{err}");
            assert!(!err.to_string().contains("useradd"), "{err}");
        }
        let recipe = base.with_user("alice", 2000);
        let argv = instructions(&recipe.dockerfile().unwrap())[3].clone();
        assert!(
            argv.contains("\"alice\",\"2000\",\"/home/alice\""),
            "{argv}"
        );
    }

    #[test]
    fn secrets_are_refused_with_the_way_to_pass_them() {
        for name in [
            "PASSWORD",
            "CONDOR_PASSWORD",
            "_CONDOR_POOL_PASSWORD",
            "DB_PASSWD",
            "DB_PASS",
            "GITHUB_TOKEN",
            "HF_TOKEN",
            "ACCESSTOKEN",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_ACCESS_KEY_ID",
            "API_KEY",
            "MY_APIKEY",
            "PRIVATE_KEY",
            "GOOGLE_APPLICATION_CREDENTIALS",
            "HTTP_AUTH",
            "OAUTH_CLIENT",
            "AUTHORIZATION",
            "client_secret",
        ] {
            let err = check_not_secret(name, "x").unwrap_err().to_string();
            assert!(err.contains("looks like a secret"), "{name}: {err}");
            assert!(err.contains(&format!("docker run -e {name}")), "{err}");
            assert!(err.contains("--env-file"), "{err}");
            assert!(err.contains("HTCondor"), "{err}");
        }
        let pem = "-----BEGIN OPENSSH PRIVATE KEY----- b3BlbnNzaC1rZXktdjE= -----END OPENSSH PRIVATE KEY-----";
        let token = "ghp_R8x2Kq9ZvLmN4pT7wY1bC3dF5gH6jA0sE2uI";
        for value in [
            pem,
            token,
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.Xy9",
            "http://alice:S3cr3tP4ss@proxy.cern.ch:3128",
            "https://alice:pw@registry.example.org/v2/",
            "http://ca-proxy.cern.ch:3128;http://bob:pw@backup.cern.ch:3128;DIRECT",
            "socks5://u:p@127.0.0.1:1080",
            "http://alice:p@ss@proxy:3128",
        ] {
            let err = check_not_secret("SOMETHING", value)
                .unwrap_err()
                .to_string();
            assert!(err.contains("its value"), "{err}");
            assert!(!err.contains(value), "the secret is not echoed: {err}");
            assert!(err.contains("docker run -e SOMETHING"), "{err}");
        }
        let err = check_not_secret("HTTP_PROXY", "http://alice:S3cr3tP4ss@proxy.cern.ch:3128")
            .unwrap_err()
            .to_string();
        assert!(err.contains("URL with a password"), "{err}");
        assert!(!err.contains("S3cr3tP4ss"), "{err}");
        for (name, value) in [
            ("TOKENIZERS_PARALLELISM", "false"),
            ("AUTHOR", "Jane Doe"),
            ("PWD", "/home/x"),
            ("GIT_COMMIT", "0123456789abcdef0123456789abcdef01234567"),
            ("KEY_DIR", "/etc/cvmfs/keys"),
            (
                "PARROT_CVMFS_REPO",
                "<default-repositories> alice-ocdb.cern.ch:url=http://cvmfs-stratum-one.cern.ch/cvmfs/alice-ocdb.cern.ch,pubkey=/etc/cvmfs/keys/cern.ch/cern-it1.cern.ch.pub",
            ),
            ("HTTP_PROXY", "http://ca-proxy.cern.ch:3128;DIRECT"),
            ("HTTP_PROXY", "http://alice@proxy.cern.ch:3128"),
            ("HTTP_PROXY", "http://alice:@proxy.cern.ch:3128"),
            ("HOME_URL", "https://example.org/a:b@c"),
            ("MAILTO", "alice:x@example.org"),
            (
                "SOFTWARE_ROOT",
                "/cvmfs/sft.cern.ch/lcg/views/LCG_105/x86_64-el9-gcc13-opt",
            ),
            ("DESCRIPTION", "MyApplicationVersion2ReleaseCandidate"),
            (
                "IMAGE_DIGEST",
                "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            ),
        ] {
            assert!(check_not_secret(name, value).is_ok(), "{name}={value}");
        }
        let dir = tempfile::tempdir().unwrap();
        let recipe = ImageRecipe::new("busybox", CctoolsSource::url("https://x/c.tgz").unwrap())
            .unwrap()
            .with_env("CONDOR_PASSWORD", "hunter2");
        assert!(recipe.dockerfile().is_err());
        assert!(recipe.write_context(dir.path()).is_err());
        let labelled = ImageRecipe::new("busybox", CctoolsSource::url("https://x/c.tgz").unwrap())
            .unwrap()
            .with_label("org.opencontainers.image.authors", "pcvmfs")
            .with_label("org.example.note", token);
        let err = labelled.check().unwrap_err().to_string();
        assert!(err.contains("invalid label \"org.example.note\""), "{err}");
        let proxied = ImageRecipe::new("busybox", CctoolsSource::url("https://x/c.tgz").unwrap())
            .unwrap()
            .with_env("HTTP_PROXY", "http://alice:S3cr3tP4ss@proxy.cern.ch:3128");
        let err = proxied.check().unwrap_err().to_string();
        assert!(
            err.contains("invalid environment variable \"HTTP_PROXY\""),
            "{err}"
        );
        let err = check_build_arg_not_secret("GRID_TOKEN", "x")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("invalid build argument \"GRID_TOKEN\""),
            "{err}"
        );
    }

    #[test]
    fn keys_are_checked_and_laid_out_by_domain() {
        let dir = tempfile::tempdir().unwrap();
        let cctools = fake_cctools(dir.path());
        let a = dir.path().join("cern-it1.cern.ch.pub");
        let b = dir.path().join("egi.eu.pub");
        fs::write(&a, "k").unwrap();
        fs::write(&b, "k").unwrap();
        let recipe = ImageRecipe::new("busybox", CctoolsSource::directory(&cctools))
            .unwrap()
            .with_key("cern.ch", &a)
            .with_key("egi.eu", &b);
        let files = recipe.context_files().unwrap();
        let keys: Vec<(&str, &ContextSource)> = files
            .iter()
            .filter(|f| f.path.starts_with("pcvmfs/keys/"))
            .map(|f| (f.path.as_str(), &f.source))
            .collect();
        assert_eq!(
            keys,
            [
                (
                    "pcvmfs/keys/cern.ch/cern-it1.cern.ch.pub",
                    &ContextSource::File(a.clone())
                ),
                (
                    "pcvmfs/keys/egi.eu/egi.eu.pub",
                    &ContextSource::File(b.clone())
                ),
            ]
        );
        let base = ImageRecipe::new("busybox", CctoolsSource::directory(&cctools)).unwrap();
        for domain in ["", "a..b", "$(id)", "a/b", "..", "cern.ch.", "a b"] {
            let err = base.clone().with_key(domain, &a).check().unwrap_err();
            assert!(
                err.to_string().contains("CVMFS key domain"),
                "{domain:?}: {err}"
            );
        }
        for file in ["key.txt", ".pub", ".hidden.pub", "/etc/..", "a\nb.pub", "/"] {
            let err = base.clone().with_key("cern.ch", file).check().unwrap_err();
            assert!(
                err.to_string().contains("CVMFS key file"),
                "{file:?}: {err}"
            );
        }
        let twice = base.clone().with_key("cern.ch", &a).with_key("cern.ch", &a);
        assert!(
            twice
                .check()
                .unwrap_err()
                .to_string()
                .contains("second key")
        );
        let missing = base.with_key("cern.ch", dir.path().join("missing.pub"));
        assert!(matches!(
            missing.context_files().unwrap_err(),
            Error::Read { .. }
        ));
    }

    #[test]
    fn tarball_layouts_are_found() {
        let dir = tempfile::tempdir().unwrap();
        let at = |name: &str| dir.path().join(name);
        let parrot = Some("#!/bin/sh\n");
        // name, gzip, entries, expected strip
        type Case<'a> = (&'a str, bool, Vec<(&'a str, Option<&'a str>)>, usize);
        let cases: Vec<Case> = vec![
            (
                "top.tar.gz",
                true,
                vec![
                    ("cctools-7/", None),
                    ("cctools-7/bin/parrot_run", parrot),
                    ("cctools-7/lib/x", Some("x")),
                ],
                1,
            ),
            (
                "top-no-dir-entry.tar",
                false,
                vec![("cctools-7/bin/parrot_run", parrot)],
                1,
            ),
            (
                "dot-top.tar.gz",
                true,
                vec![
                    ("./", None),
                    ("./cctools-7/", None),
                    ("./cctools-7/bin/parrot_run", parrot),
                ],
                2,
            ),
            (
                "flat.tar.gz",
                true,
                vec![
                    ("bin/", None),
                    ("bin/parrot_run", parrot),
                    ("lib/x", Some("x")),
                ],
                0,
            ),
            (
                "dot-flat.tar",
                false,
                vec![
                    ("./", None),
                    ("./bin/parrot_run", parrot),
                    ("./lib/x", Some("x")),
                ],
                1,
            ),
            (
                "only-bin.tar",
                false,
                vec![("bin/", None), ("bin/parrot_run", parrot)],
                0,
            ),
            (
                "deep.tar.gz",
                true,
                vec![
                    ("./", None),
                    ("./usr/", None),
                    ("./usr/cctools/bin/parrot_run", parrot),
                    ("./usr/cctools/bin/parrot_run_hdfs", parrot),
                    ("./usr/cctools/share/doc/x", Some("x")),
                ],
                3,
            ),
            (
                "file-beside-top.tar.gz",
                true,
                vec![("bin/parrot_run", parrot), ("README", Some("x"))],
                0,
            ),
        ];
        for (name, gzip, entries, strip) in cases {
            tarball(&at(name), gzip, &entries);
            let layout = inspect_tarball(&at(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(
                layout,
                TarballLayout {
                    gzip,
                    strip_components: strip
                },
                "{name}"
            );
            let recipe = ImageRecipe::new("busybox", CctoolsSource::tarball(at(name))).unwrap();
            let steps = instructions(&recipe.dockerfile().unwrap());
            let argv: Vec<String> =
                serde_json::from_str(steps[2].strip_prefix("RUN ").unwrap()).unwrap();
            let context = if gzip {
                "cctools.tar.gz"
            } else {
                "cctools.tar"
            };
            assert_eq!(argv[6], format!("/pcvmfs-build/{context}"));
            assert_eq!(argv[7], strip.to_string());
        }

        tarball(
            &at("no-parrot.tar.gz"),
            true,
            &[("cctools-7/bin/other", parrot)],
        );
        let err = inspect_tarball(&at("no-parrot.tar.gz"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("has no bin/parrot_run: is it a cctools"),
            "{err}"
        );
        tarball(
            &at("beside.tar.gz"),
            true,
            &[("cctools-7/bin/parrot_run", parrot), ("README", Some("x"))],
        );
        let err = inspect_tarball(&at("beside.tar.gz"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("holds README beside cctools-7/"), "{err}");
        tarball(&at("empty.tar"), false, &[("./", None)]);
        let err = inspect_tarball(&at("empty.tar")).unwrap_err().to_string();
        assert!(err.contains("holds no files"), "{err}");
        fs::write(
            at("text.tar"),
            "this is not a tarball, but it is long enough to fill more than a header? no",
        )
        .unwrap();
        assert!(inspect_tarball(&at("text.tar")).is_err());
        fs::write(at("junk.tar.gz"), [0x1f, 0x8b, 0, 1, 2, 3]).unwrap();
        let err = inspect_tarball(&at("junk.tar.gz")).unwrap_err().to_string();
        assert!(err.contains("not a readable .tar or .tar.gz"), "{err}");
        fs::write(at("c.tar.xz"), [0xfd, b'7', b'z', b'X', b'Z', 0, 0]).unwrap();
        let err = inspect_tarball(&at("c.tar.xz")).unwrap_err().to_string();
        assert!(
            err.contains("compressed with xz") && err.contains("gzip"),
            "{err}"
        );
        assert!(matches!(
            inspect_tarball(&at("missing.tar.gz")).unwrap_err(),
            Error::Read { .. }
        ));
    }

    #[test]
    fn a_tarball_made_by_the_tar_program_is_understood() {
        let dir = tempfile::tempdir().unwrap();
        fake_cctools(dir.path());
        let archive = dir.path().join("c.tar.gz");
        // `./cctools-src/...` entries, as `tar -czf x.tgz ./dir` writes them.
        let Ok(status) = Command::new("tar")
            .arg("-czf")
            .arg(&archive)
            .arg("-C")
            .arg(dir.path())
            .arg("./cctools-src")
            .status()
        else {
            return;
        };
        assert!(status.success());
        let layout = inspect_tarball(&archive).unwrap();
        assert_eq!(
            layout,
            TarballLayout {
                gzip: true,
                strip_components: 2
            }
        );
        let out = dir.path().join("out");
        fs::create_dir(&out).unwrap();
        let status = Command::new("tar")
            .arg("-xzf")
            .arg(&archive)
            .arg("-C")
            .arg(&out)
            .arg("--strip-components=2")
            .status()
            .unwrap();
        assert!(status.success());
        assert!(out.join("bin/parrot_run").is_file());
    }

    #[test]
    fn the_setup_script_is_valid_sh() {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("setup.sh");
        fs::write(&script, SETUP_SCRIPT).unwrap();
        let status = Command::new("sh").arg("-n").arg(&script).status().unwrap();
        assert!(status.success());
        if let Ok(output) = Command::new("shellcheck")
            .args(["-s", "sh"])
            .arg(&script)
            .output()
        {
            assert!(
                output.status.success(),
                "{}",
                String::from_utf8_lossy(&output.stdout)
            );
        }
        for line in SETUP_SCRIPT.lines() {
            assert!(!line.contains("eval"), "{line}");
        }
    }

    #[test]
    fn the_context_is_written_to_an_empty_directory() {
        let dir = tempfile::tempdir().unwrap();
        let cctools = fake_cctools(dir.path());
        let extra = dir.path().join("extra");
        fs::create_dir_all(extra.join("sub")).unwrap();
        fs::write(extra.join("sub/f"), "f").unwrap();
        let key = dir.path().join("cern.ch.pub");
        fs::write(&key, "k").unwrap();
        let recipe = ImageRecipe::new("busybox", CctoolsSource::directory(&cctools))
            .unwrap()
            .with_key("cern.ch", &key)
            .with_file(&extra, "/opt/site")
            .with_env_script("#!/bin/sh\nexec parrot_run sh\n");
        let out = dir.path().join("context");
        recipe.write_context(&out).unwrap();
        let read = |p: &str| fs::read_to_string(out.join(p)).unwrap();
        assert_eq!(read("Dockerfile"), recipe.dockerfile().unwrap());
        assert_eq!(read("pcvmfs/setup.sh"), SETUP_SCRIPT);
        assert_eq!(read("pcvmfs/keys/cern.ch/cern.ch.pub"), "k");
        assert_eq!(read("pcvmfs/files/0/sub/f"), "f");
        assert_eq!(
            read("pcvmfs/parrot-env.sh"),
            "#!/bin/sh\nexec parrot_run sh\n"
        );
        assert_eq!(read("cctools/bin/parrot_run"), "#!/bin/sh\n");
        assert_eq!(
            fs::read_link(out.join("cctools/bin/parrot")).unwrap(),
            Path::new("parrot_run")
        );
        let mode = |p: &str| fs::metadata(out.join(p)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode("pcvmfs/setup.sh"), 0o755);
        assert_eq!(mode("pcvmfs/keys/cern.ch/cern.ch.pub"), 0o644);
        assert_eq!(mode("cctools/bin/parrot_run"), 0o755);

        let err = recipe.write_context(&out).unwrap_err();
        assert!(err.to_string().contains("not empty"), "{err}");
        let empty = dir.path().join("empty");
        fs::create_dir(&empty).unwrap();
        recipe.write_context(&empty).unwrap();
    }

    #[test]
    fn recipes_serialize_and_dockerfile_quote_escapes() {
        let recipe =
            ImageRecipe::new("busybox", CctoolsSource::url("https://x/c.tgz").unwrap()).unwrap();
        let json = serde_json::to_value(&recipe).unwrap();
        assert_eq!(json["base"], "docker.io/library/busybox:latest");
        assert_eq!(json["cctools"]["kind"], "url");
        let back: ImageRecipe = serde_json::from_value(json).unwrap();
        assert_eq!(back, recipe);
        assert_eq!(dockerfile_quote(r#"a"b\c$d"#), r#""a\"b\\c\$d""#);
    }
}
