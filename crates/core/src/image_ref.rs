//! Image references in Docker's grammar (the `distribution/reference`
//! package): `[domain[:port]/]path[:tag][@digest]`, normalised the way
//! `docker pull` normalises them (`busybox` is `docker.io/library/busybox:latest`).

use std::fmt;
use std::net::Ipv6Addr;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, excerpt};

/// The registry of a reference that names none.
pub const DEFAULT_REGISTRY: &str = "docker.io";
/// The tag of a reference that names neither a tag nor a digest.
pub const DEFAULT_TAG: &str = "latest";
/// The longest name (`registry/repository`, normalised) Docker accepts.
pub const NAME_TOTAL_LENGTH_MAX: usize = 255;
/// The longest tag.
const TAG_MAX: usize = 128;
/// The longest reference: a name, `:` and a tag, `@sha256:` and 64 digits.
/// Anything longer is refused before it is looked at any further.
const REFERENCE_MAX: usize = NAME_TOTAL_LENGTH_MAX + 1 + TAG_MAX + 1 + 7 + 64;
/// What `docker.io` is also called.
const LEGACY_DEFAULT_REGISTRY: &str = "index.docker.io";
/// The path prefix of Docker Hub's official images.
const OFFICIAL_PREFIX: &str = "library/";

const WHAT: &str = "image reference";

/// A checked, normalised image reference.
///
/// The registry defaults to `docker.io`, a single-component Docker Hub path
/// gets `library/` in front of it, and a reference with neither tag nor
/// digest gets the tag `latest`. [`Display`](fmt::Display) renders the full
/// normalised form, which parses back to the same value; [`familiar`](Self::familiar)
/// renders the short form `docker images` shows.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ImageRef {
    registry: String,
    repository: String,
    tag: Option<String>,
    digest: Option<String>,
}

impl ImageRef {
    /// Parses and normalises a reference. The error names the part that is
    /// wrong (the registry, its port, a path component, the tag or the
    /// digest) and what that part may hold.
    ///
    /// Digests must be `sha256:` followed by 64 lower-case hex digits, the
    /// only algorithm registries use in practice.
    pub fn parse(text: &str) -> Result<ImageRef, Error> {
        let fail = |reason: String| Error::parse(WHAT, text, reason);
        if text.is_empty() {
            return Err(fail("reference is empty".into()));
        }
        if text.len() > REFERENCE_MAX {
            return Err(fail(format!(
                "reference is {} bytes long; a reference is at most {REFERENCE_MAX} \
                 (a name of up to {NAME_TOTAL_LENGTH_MAX} characters, a tag and a digest)",
                text.len()
            )));
        }
        if let Some((at, c)) = text
            .char_indices()
            .find(|(_, c)| c.is_whitespace() || c.is_control())
        {
            return Err(fail(format!(
                "reference has {} at byte {at}: a reference holds no spaces or control characters",
                describe_char(c)
            )));
        }

        let (rest, digest) = match text.split_once('@') {
            Some((rest, digest)) => (rest, Some(digest)),
            None => (text, None),
        };
        if let Some(digest) = digest {
            check_digest(digest).map_err(fail)?;
        }
        let (name, tag) = match rest.rfind(':') {
            Some(colon) if !rest[colon + 1..].contains('/') => {
                (&rest[..colon], Some(&rest[colon + 1..]))
            }
            _ => (rest, None),
        };
        if let Some(tag) = tag {
            check_tag(tag).map_err(fail)?;
        }
        if name.is_empty() {
            return Err(fail("repository name is empty".into()));
        }
        let (registry, path) = split_registry(name);
        if let Some(registry) = registry {
            check_registry(registry).map_err(fail)?;
        }
        check_path(path).map_err(fail)?;

        let registry = match registry {
            None | Some(LEGACY_DEFAULT_REGISTRY) => DEFAULT_REGISTRY,
            Some(registry) => registry,
        };
        let repository = if registry == DEFAULT_REGISTRY && !path.contains('/') {
            format!("{OFFICIAL_PREFIX}{path}")
        } else {
            path.to_string()
        };
        let name_length = registry.len() + 1 + repository.len();
        if name_length > NAME_TOTAL_LENGTH_MAX {
            return Err(fail(format!(
                "name {registry}/{} is {name_length} characters long; Docker allows at most \
                 {NAME_TOTAL_LENGTH_MAX}",
                excerpt(&repository)
            )));
        }
        let tag = match (tag, digest) {
            (None, None) => Some(DEFAULT_TAG.to_string()),
            (tag, _) => tag.map(str::to_string),
        };
        Ok(ImageRef {
            registry: registry.to_string(),
            repository,
            tag,
            digest: digest.map(str::to_string),
        })
    }

    /// The registry, with its port: `docker.io`, `127.0.0.1:5000`,
    /// `[::1]:5000`.
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// The registry's host (an IPv6 address without its brackets) and port,
    /// when one is given.
    pub fn registry_host_port(&self) -> (&str, Option<u16>) {
        let registry = self.registry.as_str();
        if let Some(bracketed) = registry.strip_prefix('[') {
            let (host, after) = bracketed.split_once(']').unwrap_or((bracketed, ""));
            (host, after.strip_prefix(':').and_then(|p| p.parse().ok()))
        } else {
            match registry.split_once(':') {
                Some((host, port)) => (host, port.parse().ok()),
                None => (registry, None),
            }
        }
    }

    /// Whether the registry is Docker Hub (`docker.io`).
    pub fn is_default_registry(&self) -> bool {
        self.registry == DEFAULT_REGISTRY
    }

    /// The full repository path inside the registry: `library/busybox`,
    /// `pcvmfs/test`.
    pub fn repository(&self) -> &str {
        &self.repository
    }

    /// The effective tag: the one given, `latest` when neither a tag nor a
    /// digest was given, none when only a digest was given.
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// The digest (`sha256:...`), when one was given.
    pub fn digest(&self) -> Option<&str> {
        self.digest.as_deref()
    }

    /// The name without tag or digest, as `docker pull` takes it for the
    /// Engine API's `fromImage`: `busybox` for `docker.io/library/busybox`,
    /// `someone/tool` for `docker.io/someone/tool`, `127.0.0.1:5000/pcvmfs/test`
    /// elsewhere.
    pub fn repository_with_registry(&self) -> String {
        if self.is_default_registry() {
            let short = match self.repository.strip_prefix(OFFICIAL_PREFIX) {
                Some(rest) if !rest.contains('/') => rest,
                _ => self.repository.as_str(),
            };
            // A path whose first component looks like a registry would be
            // read back as one: keep the registry in front of it.
            let first = short.split('/').next().unwrap_or(short);
            if short.contains('/') && looks_like_registry(first) {
                return format!("{}/{}", self.registry, self.repository);
            }
            short.to_string()
        } else {
            format!("{}/{}", self.registry, self.repository)
        }
    }

    /// What the Engine API's pull takes as its `tag` parameter: the digest
    /// when there is one, the tag otherwise.
    pub fn tag_or_digest(&self) -> &str {
        self.digest
            .as_deref()
            .or(self.tag.as_deref())
            .unwrap_or(DEFAULT_TAG)
    }

    /// The short form Docker shows: `busybox:latest`,
    /// `127.0.0.1:5000/pcvmfs/test:1`. It parses back to the same value.
    pub fn familiar(&self) -> String {
        let mut text = self.repository_with_registry();
        self.push_tag_and_digest(&mut text);
        text
    }

    fn push_tag_and_digest(&self, text: &mut String) {
        if let Some(tag) = &self.tag {
            text.push(':');
            text.push_str(tag);
        }
        if let Some(digest) = &self.digest {
            text.push('@');
            text.push_str(digest);
        }
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = format!("{}/{}", self.registry, self.repository);
        self.push_tag_and_digest(&mut text);
        f.write_str(&text)
    }
}

impl FromStr for ImageRef {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Error> {
        ImageRef::parse(text)
    }
}

impl Serialize for ImageRef {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ImageRef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        ImageRef::parse(&text).map_err(serde::de::Error::custom)
    }
}

fn describe_char(c: char) -> String {
    match c {
        ' ' => "a space".into(),
        '\n' => "a newline".into(),
        '\r' => "a carriage return".into(),
        '\t' => "a tab".into(),
        '\0' => "a NUL byte".into(),
        other => format!("the character U+{:04X}", other as u32),
    }
}

/// Docker's rule: the first component names a registry when it holds a `.`
/// or a `:`, is `localhost`, or has upper-case letters (which a path may not).
fn split_registry(name: &str) -> (Option<&str>, &str) {
    match name.split_once('/') {
        Some((first, rest))
            if looks_like_registry(first) || first.chars().any(|c| c.is_ascii_uppercase()) =>
        {
            (Some(first), rest)
        }
        _ => (None, name),
    }
}

fn looks_like_registry(component: &str) -> bool {
    component.contains(['.', ':']) || component == "localhost"
}

fn check_digest(digest: &str) -> Result<(), String> {
    let hex = digest.strip_prefix("sha256:");
    let ok = hex.is_some_and(|hex| {
        hex.len() == 64
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "digest {:?} is invalid: digest must be sha256: followed by 64 lower-case hex digits",
            excerpt(digest)
        ))
    }
}

fn check_tag(tag: &str) -> Result<(), String> {
    if tag.is_empty() {
        return Err("tag is empty: remove the ':' or write a tag after it".into());
    }
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let ok = tag.len() <= TAG_MAX
        && tag.starts_with(word)
        && tag.chars().all(|c| word(c) || c == '.' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "tag {:?} is invalid: up to {TAG_MAX} of [A-Za-z0-9_.-], not starting with . or -",
            excerpt(tag)
        ))
    }
}

fn check_registry(registry: &str) -> Result<(), String> {
    let (host, port) = if let Some(bracketed) = registry.strip_prefix('[') {
        let Some((address, after)) = bracketed.split_once(']') else {
            return Err(format!(
                "registry {registry:?} opens '[' for an IPv6 address but never closes it"
            ));
        };
        if address.parse::<Ipv6Addr>().is_err() {
            return Err(format!(
                "registry address [{address}] is not an IPv6 address"
            ));
        }
        match after {
            "" => (None, None),
            _ => match after.strip_prefix(':') {
                Some(port) => (None, Some(port)),
                None => {
                    return Err(format!(
                        "registry {registry:?} has {after:?} after its IPv6 address; \
                         only :PORT may follow it"
                    ));
                }
            },
        }
    } else {
        match registry.split_once(':') {
            Some((_, port)) if port.contains(':') => {
                return Err(format!(
                    "registry {registry:?} has more than one ':'; write an IPv6 address in \
                     brackets, such as [::1]:5000"
                ));
            }
            Some((host, port)) => (Some(host), Some(port)),
            None => (Some(registry), None),
        }
    };
    if let Some(host) = host {
        check_host(host)?;
    }
    if let Some(port) = port {
        let ok = !port.is_empty()
            && port.bytes().all(|b| b.is_ascii_digit())
            && port.parse::<u16>().is_ok_and(|p| p != 0);
        if !ok {
            return Err(format!(
                "registry port {:?} is not a number from 1 to 65535",
                excerpt(port)
            ));
        }
    }
    Ok(())
}

fn check_host(host: &str) -> Result<(), String> {
    if host.is_empty() {
        return Err("registry host is empty".into());
    }
    for label in host.split('.') {
        let ok = !label.is_empty()
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !label.starts_with('-')
            && !label.ends_with('-');
        if !ok {
            return Err(format!(
                "registry host {:?} is invalid: dot-separated names of letters, digits and \
                 inner '-'",
                excerpt(host)
            ));
        }
    }
    Ok(())
}

fn check_path(path: &str) -> Result<(), String> {
    if path.is_empty() {
        return Err("repository path is empty".into());
    }
    for component in path.split('/') {
        if component.is_empty() {
            return Err(format!(
                "repository path {:?} has an empty path component",
                excerpt(path)
            ));
        }
        if component.chars().any(|c| c.is_ascii_uppercase()) {
            return Err(format!(
                "repository path component {:?} has upper-case letters: repository names \
                 must be lower case",
                excerpt(component)
            ));
        }
        if !valid_component(component) {
            return Err(format!(
                "repository path component {:?} is invalid: lower-case letters and digits, \
                 separated by '.', '_', '__' or dashes, not starting or ending with a separator",
                excerpt(component)
            ));
        }
    }
    Ok(())
}

/// `[a-z0-9]+` pieces joined by `.`, `_`, `__` or a run of `-`.
fn valid_component(component: &str) -> bool {
    let bytes = component.as_bytes();
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if !bytes.first().is_some_and(|&b| alnum(b)) || !bytes.last().is_some_and(|&b| alnum(b)) {
        return false;
    }
    let mut i = 0;
    while i < bytes.len() {
        if alnum(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !alnum(bytes[i]) {
            i += 1;
        }
        let separator = &component[start..i];
        let ok = matches!(separator, "." | "_" | "__") || separator.bytes().all(|b| b == b'-');
        if !ok {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const D: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn valid_references_have_the_expected_parts() {
        // input, registry, repository, tag, digest, display, familiar
        let digest_ref = format!("busybox@{D}");
        let both = format!("127.0.0.1:5000/pcvmfs/test:1@{D}");
        type Row<'a> = (
            &'a str,
            &'a str,
            &'a str,
            Option<&'a str>,
            Option<&'a str>,
            String,
            String,
        );
        let table: Vec<Row> = vec![
            (
                "busybox",
                "docker.io",
                "library/busybox",
                Some("latest"),
                None,
                "docker.io/library/busybox:latest".into(),
                "busybox:latest".into(),
            ),
            (
                "ubuntu:24.04",
                "docker.io",
                "library/ubuntu",
                Some("24.04"),
                None,
                "docker.io/library/ubuntu:24.04".into(),
                "ubuntu:24.04".into(),
            ),
            (
                "docker.io/library/busybox:1.36",
                "docker.io",
                "library/busybox",
                Some("1.36"),
                None,
                "docker.io/library/busybox:1.36".into(),
                "busybox:1.36".into(),
            ),
            (
                "index.docker.io/someone/tool",
                "docker.io",
                "someone/tool",
                Some("latest"),
                None,
                "docker.io/someone/tool:latest".into(),
                "someone/tool:latest".into(),
            ),
            (
                "someone/tool:v_1.2-rc",
                "docker.io",
                "someone/tool",
                Some("v_1.2-rc"),
                None,
                "docker.io/someone/tool:v_1.2-rc".into(),
                "someone/tool:v_1.2-rc".into(),
            ),
            (
                "localhost:5000/a/b:t",
                "localhost:5000",
                "a/b",
                Some("t"),
                None,
                "localhost:5000/a/b:t".into(),
                "localhost:5000/a/b:t".into(),
            ),
            (
                "localhost/a",
                "localhost",
                "a",
                Some("latest"),
                None,
                "localhost/a:latest".into(),
                "localhost/a:latest".into(),
            ),
            (
                &digest_ref,
                "docker.io",
                "library/busybox",
                None,
                Some(D),
                format!("docker.io/library/busybox@{D}"),
                format!("busybox@{D}"),
            ),
            (
                &both,
                "127.0.0.1:5000",
                "pcvmfs/test",
                Some("1"),
                Some(D),
                both.clone(),
                both.clone(),
            ),
            (
                "registry.cern.ch/a.b/c_d/e__f/g---h:x",
                "registry.cern.ch",
                "a.b/c_d/e__f/g---h",
                Some("x"),
                None,
                "registry.cern.ch/a.b/c_d/e__f/g---h:x".into(),
                "registry.cern.ch/a.b/c_d/e__f/g---h:x".into(),
            ),
            (
                "[::1]:5000/x",
                "[::1]:5000",
                "x",
                Some("latest"),
                None,
                "[::1]:5000/x:latest".into(),
                "[::1]:5000/x:latest".into(),
            ),
            (
                "[2001:db8::1]/x/y:_t",
                "[2001:db8::1]",
                "x/y",
                Some("_t"),
                None,
                "[2001:db8::1]/x/y:_t".into(),
                "[2001:db8::1]/x/y:_t".into(),
            ),
            (
                "Registry.Example/x",
                "Registry.Example",
                "x",
                Some("latest"),
                None,
                "Registry.Example/x:latest".into(),
                "Registry.Example/x:latest".into(),
            ),
            (
                "docker.io/foo.bar/x",
                "docker.io",
                "foo.bar/x",
                Some("latest"),
                None,
                "docker.io/foo.bar/x:latest".into(),
                "docker.io/foo.bar/x:latest".into(),
            ),
        ];
        for (input, registry, repository, tag, digest, display, familiar) in table {
            let r = ImageRef::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(r.registry(), registry, "{input}");
            assert_eq!(r.repository(), repository, "{input}");
            assert_eq!(r.tag(), tag, "{input}");
            assert_eq!(r.digest(), digest, "{input}");
            assert_eq!(r.to_string(), display, "{input}");
            assert_eq!(r.familiar(), familiar, "{input}");
            assert_eq!(ImageRef::parse(&display).unwrap(), r, "{input}");
            assert_eq!(ImageRef::parse(&familiar).unwrap(), r, "{input}");
        }
    }

    #[test]
    fn pull_parameters_and_host_port() {
        let r = ImageRef::parse("busybox").unwrap();
        assert_eq!(r.repository_with_registry(), "busybox");
        assert_eq!(r.tag_or_digest(), "latest");
        assert!(r.is_default_registry());
        assert_eq!(r.registry_host_port(), ("docker.io", None));

        let r = ImageRef::parse(&format!("127.0.0.1:5000/pcvmfs/test:1@{D}")).unwrap();
        assert_eq!(r.repository_with_registry(), "127.0.0.1:5000/pcvmfs/test");
        assert_eq!(r.tag_or_digest(), D);
        assert!(!r.is_default_registry());
        assert_eq!(r.registry_host_port(), ("127.0.0.1", Some(5000)));

        let r = ImageRef::parse("[::1]:5000/x").unwrap();
        assert_eq!(r.registry_host_port(), ("::1", Some(5000)));
        let r = ImageRef::parse("[::1]/x").unwrap();
        assert_eq!(r.registry_host_port(), ("::1", None));
        let r = ImageRef::parse("someone/tool:2").unwrap();
        assert_eq!(r.repository_with_registry(), "someone/tool");
        assert_eq!(r.tag_or_digest(), "2");
    }

    #[test]
    fn serializes_as_its_normalised_string() {
        let r = ImageRef::parse("busybox").unwrap();
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(json, "\"docker.io/library/busybox:latest\"");
        let back: ImageRef = serde_json::from_str(&json).unwrap();
        assert_eq!(back, r);
        assert!(serde_json::from_str::<ImageRef>("\"Ubuntu\"").is_err());
        assert_eq!("busybox".parse::<ImageRef>().unwrap(), r);
    }

    fn reason(input: &str) -> String {
        match ImageRef::parse(input) {
            Ok(r) => panic!("{input:?} parsed as {r}"),
            Err(Error::Parse { what, reason, .. }) => {
                assert_eq!(what, "image reference");
                reason
            }
            Err(other) => panic!("{other}"),
        }
    }

    #[test]
    fn invalid_references_name_the_offending_part() {
        let long_tag = format!("busybox:{}", "t".repeat(129));
        let long_name = format!("example.com/{}", "a".repeat(250));
        let cases: Vec<(&str, &str)> = vec![
            ("", "reference is empty"),
            ("Ubuntu", "component \"Ubuntu\" has upper-case letters"),
            ("someone/Tool", "component \"Tool\" has upper-case letters"),
            ("a//b", "empty path component"),
            ("a/", "empty path component"),
            ("/a", "empty path component"),
            (":tag", "repository name is empty"),
            ("busybox:", "tag is empty"),
            ("busybox:-x", "tag \"-x\" is invalid"),
            ("busybox:.x", "tag \".x\" is invalid"),
            ("busybox:a+b", "tag \"a+b\" is invalid"),
            (&long_tag, "is invalid: up to 128 of [A-Za-z0-9_.-]"),
            (
                "busybox@sha256:xyz",
                "digest must be sha256: followed by 64",
            ),
            ("busybox@sha256:", "digest must be sha256:"),
            ("busybox@", "digest must be sha256:"),
            ("@sha256:", "digest must be sha256:"),
            ("busybox@md5:abc", "digest must be sha256:"),
            (&long_name, "Docker allows at most 255"),
            ("busy box", "a space at byte 4"),
            ("busybox\nRUN x", "a newline"),
            ("busybox\0", "a NUL byte"),
            ("busybox\t", "a tab"),
            (
                "localhost:99999/x",
                "registry port \"99999\" is not a number from 1 to 65535",
            ),
            ("localhost:0/x", "registry port \"0\""),
            ("localhost:/x", "registry port \"\""),
            ("localhost:5x/x", "registry port \"5x\""),
            (":5000/x", "registry host is empty"),
            ("a:b:c/x", "more than one ':'"),
            ("[::1/x", "never closes it"),
            ("[zz::1]:5000/x", "is not an IPv6 address"),
            ("[::1]x/y", "only :PORT may follow"),
            ("-bad.com/x", "registry host \"-bad.com\" is invalid"),
            ("a..b.com/x", "registry host"),
            ("a/b..c", "component \"b..c\" is invalid"),
            ("a/_b", "component \"_b\" is invalid"),
            ("a/b_", "component \"b_\" is invalid"),
            ("a/b___c", "component \"b___c\" is invalid"),
            ("a/b.-c", "component \"b.-c\" is invalid"),
            ("a/b$c", "component \"b$c\" is invalid"),
            ("a/b@sha256:x@y", "digest"),
        ];
        for (input, expected) in cases {
            let reason = reason(input);
            assert!(
                reason.contains(expected),
                "{input:?}: {reason:?} lacks {expected:?}"
            );
        }
    }

    #[test]
    fn a_huge_input_fails_fast_with_a_short_message() {
        let huge = "a".repeat(1 << 20);
        let start = std::time::Instant::now();
        let err = ImageRef::parse(&huge).unwrap_err().to_string();
        assert!(start.elapsed() < std::time::Duration::from_millis(100));
        assert!(err.len() < 400, "{}", err.len());
        assert!(err.contains("1048576 bytes long"), "{err}");
    }

    fn component() -> impl Strategy<Value = String> {
        "[a-z0-9]{1,5}(([._]|__|-{1,3})[a-z0-9]{1,5}){0,2}"
    }

    fn registry() -> impl Strategy<Value = Option<String>> {
        let host = prop_oneof![
            Just("localhost".to_string()),
            Just("127.0.0.1".to_string()),
            Just("[::1]".to_string()),
            Just("[2001:db8::7]".to_string()),
            Just("docker.io".to_string()),
            Just("index.docker.io".to_string()),
            "[a-z0-9]{1,8}(\\.[a-zA-Z0-9]([a-z0-9-]{0,5}[a-z0-9])?){1,3}",
        ];
        let port = proptest::option::of(1u16..=65535);
        proptest::option::of((host, port).prop_map(|(host, port)| match port {
            Some(port) => format!("{host}:{port}"),
            None => host,
        }))
    }

    fn reference() -> impl Strategy<Value = String> {
        (
            registry(),
            proptest::collection::vec(component(), 1..4),
            proptest::option::of("[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}"),
            proptest::option::of("[0-9a-f]{64}"),
        )
            .prop_map(|(registry, mut path, tag, digest)| {
                // Without a registry, a first component with a dot would be
                // read as one.
                if registry.is_none() && path.len() > 1 {
                    path[0] = path[0].replace('.', "-");
                }
                let mut text = String::new();
                if let Some(registry) = registry {
                    text.push_str(&registry);
                    text.push('/');
                }
                text.push_str(&path.join("/"));
                if let Some(tag) = tag {
                    text.push(':');
                    text.push_str(&tag);
                }
                if let Some(digest) = digest {
                    text.push_str("@sha256:");
                    text.push_str(&digest);
                }
                text
            })
    }

    proptest! {
        #[test]
        fn rendered_references_parse_back_to_themselves(text in reference()) {
            let parsed = ImageRef::parse(&text).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(&ImageRef::parse(&parsed.to_string()).unwrap(), &parsed);
            prop_assert_eq!(&ImageRef::parse(&parsed.familiar()).unwrap(), &parsed);
            prop_assert!(parsed.tag().is_some() || parsed.digest().is_some());
        }

        #[test]
        fn arbitrary_text_never_panics(text in "\\PC{0,64}") {
            let _ = ImageRef::parse(&text);
        }

        #[test]
        fn near_miss_text_either_fails_or_round_trips(text in "[a-zA-Z0-9:/@._\\[\\]-]{0,40}") {
            if let Ok(parsed) = ImageRef::parse(&text) {
                prop_assert_eq!(&ImageRef::parse(&parsed.to_string()).unwrap(), &parsed);
                prop_assert_eq!(&ImageRef::parse(&parsed.familiar()).unwrap(), &parsed);
            }
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        proptest!(|(bytes in proptest::collection::vec(any::<u8>(), 0..80))| {
            let text = String::from_utf8_lossy(&bytes);
            let _ = ImageRef::parse(&text);
        });
    }
}
