//! Credentials for a registry: given as a user and password, or read from
//! the user's Docker configuration (`$DOCKER_CONFIG/config.json`, else
//! `~/.docker/config.json`), whose `auths` map registry addresses to
//! `{"auth": base64("user:password")}` (what `docker login` writes).
//!
//! Credential helpers (`credsStore`, `credHelpers`) keep secrets outside
//! the file and are not run here: pcvmfs says so and asks for the
//! credentials instead.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::Error;

/// The address `docker login` records for Docker Hub.
pub const DOCKER_HUB_AUTH_KEY: &str = "https://index.docker.io/v1/";

/// Largest configuration file read.
const MAX_CONFIG_BYTES: u64 = 4 * 1024 * 1024;

/// A user name and password (or token) for one registry.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The user name.
    pub username: String,
    /// The password or access token.
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The password never reaches a log or a traceback.
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<hidden>")
            .finish()
    }
}

impl Credentials {
    /// Checked credentials: a non-empty user name without control
    /// characters or `:`, and a password without NUL or newlines.
    pub fn new(username: &str, password: &str) -> Result<Self, Error> {
        if username.is_empty()
            || username.len() > 512
            || username.contains(':')
            || username.chars().any(char::is_control)
        {
            return Err(Error::parse(
                "registry user name",
                username,
                "must be 1 to 512 characters with no ':' or control characters",
            ));
        }
        if password.len() > 64 * 1024 || password.contains(['\0', '\n', '\r']) {
            // The value is not echoed.
            return Err(Error::parse(
                "registry password",
                "<hidden>",
                "must hold no NUL or line breaks and be at most 64 KiB",
            ));
        }
        Ok(Credentials {
            username: username.to_string(),
            password: password.to_string(),
        })
    }
}

/// What the Docker configuration holds for one registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigCredentials {
    /// Credentials stored in the file.
    Found(Credentials),
    /// A credential helper (`docker-credential-NAME`) holds them.
    Helper(String),
    /// Nothing for this registry.
    None,
}

/// The Docker configuration file: `$DOCKER_CONFIG/config.json`, else
/// `$HOME/.docker/config.json`.
pub fn docker_config_path() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("DOCKER_CONFIG").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir).join("config.json"));
    }
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|home| PathBuf::from(home).join(".docker").join("config.json"))
}

/// The key forms an `auths` entry for `registry` may have.
fn auth_keys(registry: &str) -> Vec<String> {
    let mut keys = vec![
        registry.to_string(),
        format!("https://{registry}"),
        format!("http://{registry}"),
        format!("https://{registry}/v1/"),
        format!("https://{registry}/v2/"),
        format!("http://{registry}/v1/"),
        format!("http://{registry}/v2/"),
    ];
    if matches!(
        registry,
        "docker.io" | "index.docker.io" | "registry-1.docker.io"
    ) {
        keys.insert(0, DOCKER_HUB_AUTH_KEY.to_string());
        keys.push("docker.io".into());
        keys.push("index.docker.io".into());
    }
    keys
}

/// Decodes standard base64 (with or without padding); `None` when the text
/// is not base64.
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let text = text.trim().trim_end_matches('=');
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut buffer = 0u32;
    let mut bits = 0;
    for byte in text.bytes() {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        buffer = (buffer << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// Reads the credentials for `registry` (`127.0.0.1:5000`, `docker.io`)
/// from the configuration text `text` (of the file `path`, for messages).
pub fn parse_config(path: &Path, text: &str, registry: &str) -> Result<ConfigCredentials, Error> {
    let bad =
        |reason: String| Error::parse("Docker configuration", &path.display().to_string(), reason);
    let config: Value =
        serde_json::from_str(text).map_err(|e| bad(format!("not valid JSON: {e}")))?;
    let Some(config) = config.as_object() else {
        return Err(bad("the top level is not a JSON object".into()));
    };
    let keys = auth_keys(registry);
    if let Some(helpers) = config.get("credHelpers").and_then(Value::as_object) {
        for key in &keys {
            if let Some(helper) = helpers.get(key).and_then(Value::as_str) {
                return Ok(ConfigCredentials::Helper(helper.to_string()));
            }
        }
    }
    let entry = config
        .get("auths")
        .and_then(Value::as_object)
        .and_then(|auths| keys.iter().find_map(|k| auths.get(k)));
    if let Some(entry) = entry.and_then(Value::as_object) {
        if let Some(auth) = entry
            .get("auth")
            .and_then(Value::as_str)
            .filter(|a| !a.is_empty())
        {
            let decoded = base64_decode(auth)
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .ok_or_else(|| bad(format!("the \"auth\" of {registry} is not base64 text")))?;
            let Some((user, password)) = decoded.split_once(':') else {
                return Err(bad(format!(
                    "the \"auth\" of {registry} is not base64 of user:password"
                )));
            };
            return Credentials::new(user, password).map(ConfigCredentials::Found);
        }
        if let (Some(user), Some(password)) = (
            entry.get("username").and_then(Value::as_str),
            entry.get("password").and_then(Value::as_str),
        ) {
            return Credentials::new(user, password).map(ConfigCredentials::Found);
        }
    }
    if let Some(store) = config.get("credsStore").and_then(Value::as_str) {
        if entry.is_some() || !store.is_empty() {
            return Ok(ConfigCredentials::Helper(store.to_string()));
        }
    }
    Ok(ConfigCredentials::None)
}

/// Reads the credentials for `registry` from the file `path` (default
/// [`docker_config_path`]); a missing file holds none.
pub fn from_docker_config(path: Option<&Path>, registry: &str) -> Result<ConfigCredentials, Error> {
    let Some(path) = path.map(Path::to_path_buf).or_else(docker_config_path) else {
        return Ok(ConfigCredentials::None);
    };
    let read_err = |source| Error::Read {
        what: "Docker configuration",
        path: path.clone(),
        source,
    };
    let file = match std::fs::File::open(&path) {
        Ok(file) => file,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            return Ok(ConfigCredentials::None);
        }
        Err(err) => return Err(read_err(err)),
    };
    let mut text = String::new();
    use std::io::Read;
    file.take(MAX_CONFIG_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(read_err)?;
    if text.len() as u64 > MAX_CONFIG_BYTES {
        return Err(Error::parse(
            "Docker configuration",
            &path.display().to_string(),
            "is larger than 4 MiB",
        ));
    }
    parse_config(&path, &text, registry)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str, registry: &str) -> Result<ConfigCredentials, Error> {
        parse_config(Path::new("/home/u/.docker/config.json"), text, registry)
    }

    fn found(user: &str, password: &str) -> ConfigCredentials {
        ConfigCredentials::Found(Credentials::new(user, password).unwrap())
    }

    #[test]
    fn base64_of_known_values() {
        assert_eq!(base64_decode("dXNlcjpwYXNz").unwrap(), b"user:pass");
        assert_eq!(
            base64_decode("YWxpY2U6czNjcjN0IQ==").unwrap(),
            b"alice:s3cr3t!"
        );
        assert_eq!(base64_decode("YQ").unwrap(), b"a");
        assert!(base64_decode("not base64!").is_none());
    }

    #[test]
    fn auths_entries_in_every_key_form() {
        // base64("alice:s3cr3t!") written by hand.
        let auth = "YWxpY2U6czNjcjN0IQ==";
        for key in [
            "127.0.0.1:5000",
            "http://127.0.0.1:5000",
            "https://127.0.0.1:5000/v2/",
        ] {
            let text = format!(r#"{{"auths": {{"{key}": {{"auth": "{auth}"}}}}}}"#);
            assert_eq!(
                parse(&text, "127.0.0.1:5000").unwrap(),
                found("alice", "s3cr3t!"),
                "{key}"
            );
        }
        let hub =
            format!(r#"{{"auths": {{"https://index.docker.io/v1/": {{"auth": "{auth}"}}}}}}"#);
        assert_eq!(parse(&hub, "docker.io").unwrap(), found("alice", "s3cr3t!"));
        assert_eq!(
            parse(&hub, "127.0.0.1:5000").unwrap(),
            ConfigCredentials::None
        );
        let plain =
            r#"{"auths": {"r.example": {"username": "bob", "password": "pw:with:colons"}}}"#;
        assert_eq!(
            parse(plain, "r.example").unwrap(),
            found("bob", "pw:with:colons")
        );
    }

    #[test]
    fn helpers_are_named_and_bad_files_are_errors() {
        let helper = r#"{"auths": {"r.example": {}}, "credsStore": "desktop"}"#;
        assert_eq!(
            parse(helper, "r.example").unwrap(),
            ConfigCredentials::Helper("desktop".into())
        );
        let per = r#"{"credHelpers": {"r.example": "ecr-login"}}"#;
        assert_eq!(
            parse(per, "r.example").unwrap(),
            ConfigCredentials::Helper("ecr-login".into())
        );
        assert!(
            parse("{", "r.example")
                .unwrap_err()
                .to_string()
                .contains("not valid JSON")
        );
        assert!(parse("[]", "r").is_err());
        let not_b64 = r#"{"auths": {"r": {"auth": "%%%"}}}"#;
        assert!(
            parse(not_b64, "r")
                .unwrap_err()
                .to_string()
                .contains("not base64")
        );
        let no_colon = r#"{"auths": {"r": {"auth": "YWxpY2U="}}}"#;
        assert!(
            parse(no_colon, "r")
                .unwrap_err()
                .to_string()
                .contains("user:password")
        );
        assert_eq!(parse("{}", "r").unwrap(), ConfigCredentials::None);
    }

    #[test]
    fn credentials_are_checked_and_never_printed() {
        let c = Credentials::new("alice", "s3cr3t!").unwrap();
        assert!(!format!("{c:?}").contains("s3cr3t"));
        assert!(Credentials::new("", "x").is_err());
        assert!(Credentials::new("a:b", "x").is_err());
        let err = Credentials::new("a", "zq7\nzq7").unwrap_err().to_string();
        assert!(!err.contains("zq7"), "{err}");
    }

    #[test]
    fn a_missing_file_holds_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        assert_eq!(
            from_docker_config(Some(&path), "r").unwrap(),
            ConfigCredentials::None
        );
        std::fs::write(&path, r#"{"auths": {"r": {"auth": "dXNlcjpwYXNz"}}}"#).unwrap();
        assert_eq!(
            from_docker_config(Some(&path), "r").unwrap(),
            found("user", "pass")
        );
    }
}
