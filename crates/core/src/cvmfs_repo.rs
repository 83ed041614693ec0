//! The CVMFS repositories parrot knows: the value of `PARROT_CVMFS_REPO`.
//!
//! The grammar is the one `cvmfs_read_config` parses in cctools
//! `parrot/src/pfs_service_cvmfs.cc`, then the one libcvmfs applies to the
//! options parrot passes on (`parse_options` in CVMFS
//! `cvmfs/libcvmfs_legacy.cc`):
//!
//! ```text
//! value   := ws* (entry (ws+ entry)*)? ws*          ws = C isspace
//! entry   := ["*"] name ["/" subpath] [":" options]
//!          | "<default-repositories>" [":" options]
//! options := option ("," option)*                     (libcvmfs)
//! option  := name ["=" value]
//! ```
//!
//! Three layers of text meet here, and the renderer escapes for each:
//!
//! 1. parrot: white space ends an entry, `\` takes the next character
//!    literally, and an unescaped `*` in the options is replaced by what the
//!    leading `*` of the name matched;
//! 2. libcvmfs: `,` separates options, the first `=` separates a name from
//!    its value, and `\` again takes the next character literally;
//! 3. the typed values: `url` is a `;`-separated list of stratum URLs,
//!    `pubkey` a `:`-separated list of key files, `proxies` a
//!    [`ProxyChain`]. These separators cannot be escaped, so a URL holding
//!    `;` or a key path holding `:` is refused.
//!
//! pcvmfs is stricter than parrot where parrot silently does something
//! surprising: it refuses a `*` that parrot would drop, a dangling `\`, an
//! empty repository name, a `*` inside a name, and text that holds
//! `try_local_filesystem` (parrot deletes the first occurrence of that word
//! from an entry's whole option string, wherever it is).

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, excerpt, reject_nul};
use crate::proxy_chain::ProxyChain;

/// What an error calls a `PARROT_CVMFS_REPO` value.
const WHAT: &str = "PARROT_CVMFS_REPO value";

/// The entry that stands for parrot's built-in repositories.
pub const DEFAULT_REPOSITORIES_TOKEN: &str = "<default-repositories>";

/// The flag parrot removes from the options itself (by `strstr`).
const TRY_LOCAL_FILESYSTEM: &str = "try_local_filesystem";

/// The option names with a typed value.
const KNOWN_OPTIONS: [&str; 16] = [
    "url",
    "pubkey",
    "proxies",
    "fallback_proxies",
    "cachedir",
    "timeout",
    "timeout_direct",
    "max_ttl",
    "allow_unsigned",
    "whitelist",
    "quota_limit",
    "quota_threshold",
    "deep_mount",
    "mountpoint",
    "blacklist",
    TRY_LOCAL_FILESYSTEM,
];

/// Typed options that the repository options of a current libcvmfs
/// (`cvmfs_repo_options::set_option` in `libcvmfs_legacy.cc`) refuse; only
/// the libcvmfs 1 that old parrot builds link knew them.
const LIBCVMFS1_ONLY_OPTIONS: [&str; 5] = [
    "cachedir",
    "max_ttl",
    "whitelist",
    "quota_limit",
    "quota_threshold",
];

/// White space as C's `isspace` sees it in the C locale, which is what
/// parrot splits entries on (Rust's `is_ascii_whitespace` omits `\v`).
fn is_c_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r')
}

// ---------------------------------------------------------------------------
// Text with wildcard matches

/// A piece of a [`WildcardText`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TextPiece {
    /// Literal text.
    Text(String),
    /// What the leading `*` of the repository name matched.
    Match,
}

/// Option text in which the wildcard match may appear: the `*` of
/// `url=http://stratum-one/cvmfs/*.cern.ch`.
///
/// Its [`Display`](fmt::Display) is the template form: `*` for the match,
/// `\*` for a literal star and `\\` for a backslash.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(into = "String")]
pub struct WildcardText {
    // Kept normal (no empty text, no two texts in a row) so that equal
    // texts compare equal.
    pieces: Vec<TextPiece>,
}

impl WildcardText {
    /// Text without a match, taken literally (a `*` in it is a star).
    pub fn literal(text: &str) -> Self {
        let mut out = WildcardText::default();
        out.push_str(text);
        out
    }

    /// Text in template form: `*` is the match, `\` takes the next
    /// character literally.
    pub fn template(text: &str) -> Result<Self, Error> {
        reject_nul("option text", text)?;
        let mut out = WildcardText::default();
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            match c {
                '*' => out.push_match(),
                '\\' => match chars.next() {
                    Some(next) => out.push_char(next),
                    None => {
                        return Err(Error::parse("option text", text, "ends with a lone `\\`"));
                    }
                },
                _ => out.push_char(c),
            }
        }
        Ok(out)
    }

    /// The pieces, literal text and matches.
    pub fn pieces(&self) -> &[TextPiece] {
        &self.pieces
    }

    /// Whether the text uses the wildcard match.
    pub fn has_match(&self) -> bool {
        self.pieces.contains(&TextPiece::Match)
    }

    /// Whether there is no text at all.
    pub fn is_empty(&self) -> bool {
        self.pieces.is_empty()
    }

    /// The text with every match replaced by `matched`.
    pub fn expand(&self, matched: &str) -> String {
        let mut out = String::new();
        for piece in &self.pieces {
            match piece {
                TextPiece::Text(text) => out.push_str(text),
                TextPiece::Match => out.push_str(matched),
            }
        }
        out
    }

    fn push_char(&mut self, c: char) {
        if let Some(TextPiece::Text(text)) = self.pieces.last_mut() {
            text.push(c);
        } else {
            self.pieces.push(TextPiece::Text(c.to_string()));
        }
    }

    fn push_str(&mut self, s: &str) {
        if s.is_empty() {
            return;
        }
        if let Some(TextPiece::Text(text)) = self.pieces.last_mut() {
            text.push_str(s);
        } else {
            self.pieces.push(TextPiece::Text(s.to_string()));
        }
    }

    fn push_match(&mut self) {
        self.pieces.push(TextPiece::Match);
    }

    /// The literal text, when there is no match.
    fn as_plain(&self) -> Option<String> {
        (!self.has_match()).then(|| self.expand(""))
    }

    fn literal_contains(&self, needle: &str) -> bool {
        self.pieces
            .iter()
            .any(|p| matches!(p, TextPiece::Text(t) if t.contains(needle)))
    }

    fn literal_find(&self, bad: impl Fn(char) -> bool) -> Option<char> {
        self.pieces.iter().find_map(|p| match p {
            TextPiece::Text(t) => t.chars().find(|&c| bad(c)),
            TextPiece::Match => None,
        })
    }

    /// The text cut at every literal `separator`.
    fn split(&self, separator: char) -> Vec<WildcardText> {
        let mut parts = vec![WildcardText::default()];
        for piece in &self.pieces {
            match piece {
                TextPiece::Match => parts.last_mut().expect("never empty").push_match(),
                TextPiece::Text(text) => {
                    let mut first = true;
                    for chunk in text.split(separator) {
                        if !first {
                            parts.push(WildcardText::default());
                        }
                        first = false;
                        parts.last_mut().expect("never empty").push_str(chunk);
                    }
                }
            }
        }
        parts
    }

    /// The text joined from `parts` with `separator` between them.
    fn join(parts: &[WildcardText], separator: char) -> WildcardText {
        let mut out = WildcardText::default();
        for (index, part) in parts.iter().enumerate() {
            if index > 0 {
                out.push_char(separator);
            }
            for piece in &part.pieces {
                match piece {
                    TextPiece::Text(text) => out.push_str(text),
                    TextPiece::Match => out.push_match(),
                }
            }
        }
        out
    }
}

impl fmt::Display for WildcardText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for piece in &self.pieces {
            match piece {
                TextPiece::Match => f.write_str("*")?,
                TextPiece::Text(text) => {
                    for c in text.chars() {
                        if c == '*' || c == '\\' {
                            f.write_str("\\")?;
                        }
                        write!(f, "{c}")?;
                    }
                }
            }
        }
        Ok(())
    }
}

impl From<WildcardText> for String {
    fn from(text: WildcardText) -> String {
        text.to_string()
    }
}

// ---------------------------------------------------------------------------
// Options

/// One option of a repository entry. Options that parrot or libcvmfs
/// define are typed; any other is kept as [`RepoOption::Other`] and
/// reported by [`CvmfsRepoList::warnings`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "option", content = "value", rename_all = "snake_case")]
pub enum RepoOption {
    /// `url=`: the stratum servers, tried in order (`;`-separated).
    Url(Vec<WildcardText>),
    /// `pubkey=`: the public keys that may sign the whitelist
    /// (`:`-separated).
    Pubkey(Vec<WildcardText>),
    /// `proxies=`: overrides the `HTTP_PROXY` parrot passes on.
    Proxies(ProxyChain),
    /// `fallback_proxies=`: proxies appended after `proxies`.
    FallbackProxies(ProxyChain),
    /// `cachedir=`: the cache directory (libcvmfs 1).
    Cachedir(WildcardText),
    /// `timeout=`: seconds for a request through a proxy.
    Timeout(u32),
    /// `timeout_direct=`: seconds for a request without a proxy.
    TimeoutDirect(u32),
    /// `max_ttl=`: catalog time to live in minutes (libcvmfs 1).
    MaxTtl(u32),
    /// `allow_unsigned`: accept unsigned catalogs.
    AllowUnsigned,
    /// `whitelist=`: a local whitelist file (libcvmfs 1).
    Whitelist(WildcardText),
    /// `quota_limit=`: cache size limit in MB (libcvmfs 1; disables parrot's
    /// alien cache).
    QuotaLimit(u32),
    /// `quota_threshold=`: cache cleanup threshold in MB (libcvmfs 1).
    QuotaThreshold(u32),
    /// `deep_mount=`: mount a nested catalog at this path prefix.
    DeepMount(WildcardText),
    /// `mountpoint=`: the repository root, for example `/cvmfs/x.cern.ch`.
    Mountpoint(WildcardText),
    /// `blacklist=`: a local blacklist of certificates.
    Blacklist(WildcardText),
    /// `try_local_filesystem`: use a `/cvmfs` mounted on the host when
    /// there is one (handled by parrot, not libcvmfs).
    TryLocalFilesystem,
    /// Any other option, kept as written.
    Other {
        /// The option name.
        name: String,
        /// The value after `=`, or `None` for a bare flag.
        value: Option<WildcardText>,
    },
}

impl RepoOption {
    /// The option from its name and, unless it is a flag, its value in
    /// template form (`*` the match, `\` escaping), as a user would write
    /// it in a dictionary.
    pub fn from_name_value(name: &str, value: Option<&str>) -> Result<Self, Error> {
        reject_nul("repository option", name)?;
        let value = value.map(WildcardText::template).transpose()?;
        let option = typed_option(name, value).map_err(|reason| {
            Error::parse(
                "repository option",
                name,
                format!("option `{}`: {reason}", excerpt(name)),
            )
        })?;
        option
            .check()
            .map_err(|reason| Error::parse("repository option", name, reason))?;
        Ok(option)
    }

    /// The option's name as written in `PARROT_CVMFS_REPO`.
    pub fn name(&self) -> &str {
        match self {
            RepoOption::Url(_) => "url",
            RepoOption::Pubkey(_) => "pubkey",
            RepoOption::Proxies(_) => "proxies",
            RepoOption::FallbackProxies(_) => "fallback_proxies",
            RepoOption::Cachedir(_) => "cachedir",
            RepoOption::Timeout(_) => "timeout",
            RepoOption::TimeoutDirect(_) => "timeout_direct",
            RepoOption::MaxTtl(_) => "max_ttl",
            RepoOption::AllowUnsigned => "allow_unsigned",
            RepoOption::Whitelist(_) => "whitelist",
            RepoOption::QuotaLimit(_) => "quota_limit",
            RepoOption::QuotaThreshold(_) => "quota_threshold",
            RepoOption::DeepMount(_) => "deep_mount",
            RepoOption::Mountpoint(_) => "mountpoint",
            RepoOption::Blacklist(_) => "blacklist",
            RepoOption::TryLocalFilesystem => TRY_LOCAL_FILESYSTEM,
            RepoOption::Other { name, .. } => name,
        }
    }

    /// The value as libcvmfs receives it, matches replaced by `matched`;
    /// `None` for a flag.
    pub fn value_text(&self, matched: &str) -> Option<String> {
        self.value().map(|value| value.expand(matched))
    }

    /// Whether the value uses the wildcard match.
    pub fn has_match(&self) -> bool {
        self.value().is_some_and(|value| value.has_match())
    }

    /// The value as one text (lists joined by their separator).
    fn value(&self) -> Option<WildcardText> {
        match self {
            RepoOption::Url(urls) => Some(WildcardText::join(urls, ';')),
            RepoOption::Pubkey(keys) => Some(WildcardText::join(keys, ':')),
            RepoOption::Proxies(chain) | RepoOption::FallbackProxies(chain) => {
                Some(WildcardText::literal(&chain.render()))
            }
            RepoOption::Timeout(n)
            | RepoOption::TimeoutDirect(n)
            | RepoOption::MaxTtl(n)
            | RepoOption::QuotaLimit(n)
            | RepoOption::QuotaThreshold(n) => Some(WildcardText::literal(&n.to_string())),
            RepoOption::AllowUnsigned | RepoOption::TryLocalFilesystem => None,
            RepoOption::Cachedir(text)
            | RepoOption::Whitelist(text)
            | RepoOption::DeepMount(text)
            | RepoOption::Mountpoint(text)
            | RepoOption::Blacklist(text) => Some(text.clone()),
            RepoOption::Other { value, .. } => value.clone(),
        }
    }

    /// Whether the option is one parrot or libcvmfs defines.
    pub fn is_known(&self) -> bool {
        !matches!(self, RepoOption::Other { .. })
    }

    /// Why this option cannot be written so that it reads back the same.
    fn check(&self) -> Result<(), String> {
        let shown = excerpt(self.name());
        let name = shown.as_str();
        match self {
            RepoOption::Url(urls) => check_list(name, urls, ';', |url| {
                let plain_head = match url.pieces.first() {
                    Some(TextPiece::Text(text)) => text.as_str(),
                    _ => "",
                };
                let scheme_ok = plain_head.split_once("://").is_some_and(|(scheme, _)| {
                    scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                        && scheme
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
                });
                if scheme_ok {
                    Ok(())
                } else {
                    Err(format!(
                        "`{}` is not a stratum URL; expected scheme://host/path such as http://cvmfs-stratum-one.cern.ch/cvmfs/*",
                        excerpt(&url.to_string())
                    ))
                }
            })?,
            RepoOption::Pubkey(keys) => check_list(name, keys, ':', |_| Ok(()))?,
            RepoOption::Cachedir(text)
            | RepoOption::Whitelist(text)
            | RepoOption::DeepMount(text)
            | RepoOption::Mountpoint(text)
            | RepoOption::Blacklist(text) => {
                if text.is_empty() {
                    return Err(format!("option `{name}`: expected a path, found nothing"));
                }
                check_text(name, text)?;
            }
            RepoOption::Other { name, value } => {
                check_option_name(name)?;
                if let Some(value) = value {
                    check_text(&excerpt(name), value)?;
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// Why a user-chosen option name cannot be kept as an unknown option.
fn check_option_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("an option has no name".into());
    }
    if name.contains('\0') {
        return Err("an option name holds a NUL byte".into());
    }
    if KNOWN_OPTIONS.contains(&name) {
        return Err(format!("`{name}` is a typed option; build it as such"));
    }
    if name.contains(TRY_LOCAL_FILESYSTEM) {
        return Err(format!(
            "option name `{}` holds `{TRY_LOCAL_FILESYSTEM}`, which parrot cuts out of the options wherever it appears",
            excerpt(name)
        ));
    }
    Ok(())
}

/// Why a value cannot be passed through parrot unchanged.
fn check_text(name: &str, text: &WildcardText) -> Result<(), String> {
    if text.literal_find(|c| c == '\0').is_some() {
        return Err(format!(
            "option `{name}`: the value holds a NUL byte, which no environment value can carry"
        ));
    }
    if text.literal_contains(TRY_LOCAL_FILESYSTEM) {
        return Err(format!(
            "option `{name}`: the value holds `{TRY_LOCAL_FILESYSTEM}`, which parrot cuts out of the options wherever it appears"
        ));
    }
    Ok(())
}

/// Why a list option is not a non-empty list of non-empty items free of
/// its separator.
fn check_list(
    name: &str,
    items: &[WildcardText],
    separator: char,
    check_item: impl Fn(&WildcardText) -> Result<(), String>,
) -> Result<(), String> {
    if items.is_empty() {
        return Err(format!("option `{name}`: the list is empty"));
    }
    for (index, item) in items.iter().enumerate() {
        if item.is_empty() {
            return Err(format!(
                "option `{name}`: item {} is empty (two `{separator}` in a row, or one at an end)",
                index + 1
            ));
        }
        if item.literal_find(|c| c == separator).is_some() {
            return Err(format!(
                "option `{name}`: item {} holds `{separator}`, which separates the items and cannot be escaped",
                index + 1
            ));
        }
        check_text(name, item)?;
        check_item(item)
            .map_err(|reason| format!("option `{name}`: item {}: {reason}", index + 1))?;
    }
    Ok(())
}

/// The typed option for a name and value read from the text.
fn typed_option(name: &str, value: Option<WildcardText>) -> Result<RepoOption, String> {
    let number = |value: Option<WildcardText>, unit: &str| -> Result<u32, String> {
        let Some(value) = value else {
            return Err(format!("expected `={unit}`, found no value"));
        };
        let Some(text) = value.as_plain() else {
            return Err(format!(
                "expected a whole number of {unit}, found the wildcard match `*`"
            ));
        };
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "expected a whole number of {unit}, found `{}`",
                excerpt(&text)
            ));
        }
        text.parse::<u32>()
            .map_err(|_| format!("`{}` is larger than 4294967295", excerpt(&text)))
    };
    let flag = |value: Option<WildcardText>, option: RepoOption| -> Result<RepoOption, String> {
        match value {
            None => Ok(option),
            Some(value) if value.is_empty() => Ok(option),
            Some(value) => Err(format!(
                "takes no value, found `={}`",
                excerpt(&value.to_string())
            )),
        }
    };
    let text = |value: Option<WildcardText>| -> Result<WildcardText, String> {
        value.ok_or_else(|| "expected `=` and a value, found none".to_string())
    };
    let chain = |value: Option<WildcardText>| -> Result<ProxyChain, String> {
        let value = text(value)?;
        let Some(plain) = value.as_plain() else {
            return Err("a proxy chain cannot use the wildcard match `*`".into());
        };
        ProxyChain::parse(&plain).map_err(|err| match err {
            Error::Parse { reason, .. } => reason,
            other => other.to_string(),
        })
    };
    Ok(match name {
        "url" => RepoOption::Url(text(value)?.split(';')),
        "pubkey" => RepoOption::Pubkey(text(value)?.split(':')),
        "proxies" => RepoOption::Proxies(chain(value)?),
        "fallback_proxies" => RepoOption::FallbackProxies(chain(value)?),
        "cachedir" => RepoOption::Cachedir(text(value)?),
        "timeout" => RepoOption::Timeout(number(value, "seconds")?),
        "timeout_direct" => RepoOption::TimeoutDirect(number(value, "seconds")?),
        "max_ttl" => RepoOption::MaxTtl(number(value, "minutes")?),
        "allow_unsigned" => flag(value, RepoOption::AllowUnsigned)?,
        "whitelist" => RepoOption::Whitelist(text(value)?),
        "quota_limit" => RepoOption::QuotaLimit(number(value, "megabytes")?),
        "quota_threshold" => RepoOption::QuotaThreshold(number(value, "megabytes")?),
        "deep_mount" => RepoOption::DeepMount(text(value)?),
        "mountpoint" => RepoOption::Mountpoint(text(value)?),
        "blacklist" => RepoOption::Blacklist(text(value)?),
        TRY_LOCAL_FILESYSTEM => flag(value, RepoOption::TryLocalFilesystem)?,
        _ => RepoOption::Other {
            name: name.to_string(),
            value,
        },
    })
}

// ---------------------------------------------------------------------------
// Escaping for the three layers

/// A character as parrot must see it to take it literally.
fn push_parrot_char(out: &mut String, c: char) {
    if c == '\\' || c == '*' || is_c_space(c) {
        out.push('\\');
    }
    out.push(c);
}

/// A character of an option value, escaped for libcvmfs, then for parrot.
fn push_value_char(out: &mut String, c: char) {
    if c == '\\' || c == ',' {
        push_parrot_char(out, '\\');
    }
    push_parrot_char(out, c);
}

/// A character of an option name, escaped for libcvmfs, then for parrot.
fn push_name_char(out: &mut String, c: char) {
    if c == '\\' || c == ',' || c == '=' {
        push_parrot_char(out, '\\');
    }
    push_parrot_char(out, c);
}

/// The options as parrot reads them after an entry's `:`.
fn render_options(options: &[RepoOption]) -> String {
    let mut out = String::new();
    for (index, option) in options.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        for c in option.name().chars() {
            push_name_char(&mut out, c);
        }
        if let Some(value) = option.value() {
            out.push('=');
            for piece in &value.pieces {
                match piece {
                    TextPiece::Match => out.push('*'),
                    TextPiece::Text(text) => {
                        text.chars().for_each(|c| push_value_char(&mut out, c))
                    }
                }
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Repositories

/// One repository entry: `[*]name[/subpath][:options]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct CvmfsRepo {
    wildcard: bool,
    name: String,
    subpath: Option<String>,
    options: Vec<RepoOption>,
}

impl CvmfsRepo {
    /// An entry for `pattern`: a repository name such as `alice.cern.ch`,
    /// or `*` followed by a suffix (`*.cern.ch`) to cover every name that
    /// ends with the suffix after at least one more character.
    pub fn new(pattern: &str) -> Result<Self, Error> {
        reject_nul("repository name", pattern)?;
        let (wildcard, name) = match pattern.strip_prefix('*') {
            Some(rest) => (true, rest),
            None => (false, pattern),
        };
        check_repo_name(wildcard, name)
            .map_err(|reason| Error::parse("repository name", pattern, reason))?;
        Ok(CvmfsRepo {
            wildcard,
            name: name.to_string(),
            subpath: None,
            options: Vec::new(),
        })
    }

    /// The entry limited to `subpath` (which starts with `/`) of the
    /// repository.
    pub fn with_subpath(mut self, subpath: &str) -> Result<Self, Error> {
        reject_nul("repository subpath", subpath)?;
        check_subpath(subpath)
            .map_err(|reason| Error::parse("repository subpath", subpath, reason))?;
        self.subpath = Some(subpath.to_string());
        Ok(self)
    }

    /// The entry with `option` appended (a later option overrides an
    /// earlier one of the same name, as in libcvmfs).
    pub fn with_option(mut self, option: RepoOption) -> Result<Self, Error> {
        option
            .check()
            .map_err(|reason| Error::parse("repository option", option.name(), reason))?;
        if option.has_match() && !self.wildcard {
            return Err(Error::parse(
                "repository option",
                option.name(),
                format!(
                    "option `{}` uses the wildcard match `*`, but `{}` has no leading `*`",
                    option.name(),
                    excerpt(&self.pattern())
                ),
            ));
        }
        self.options.push(option);
        Ok(self)
    }

    /// The entry with `url=` set to these stratum URLs (template form:
    /// `*` is the match).
    pub fn with_url(self, urls: &[&str]) -> Result<Self, Error> {
        let urls = urls
            .iter()
            .map(|url| WildcardText::template(url))
            .collect::<Result<Vec<_>, _>>()?;
        self.with_option(RepoOption::Url(urls))
    }

    /// The entry with `pubkey=` set to these key files (template form).
    pub fn with_pubkey(self, keys: &[&str]) -> Result<Self, Error> {
        let keys = keys
            .iter()
            .map(|key| WildcardText::template(key))
            .collect::<Result<Vec<_>, _>>()?;
        self.with_option(RepoOption::Pubkey(keys))
    }

    /// The pattern as written: the name, with its leading `*` if any.
    pub fn pattern(&self) -> String {
        if self.wildcard {
            format!("*{}", self.name)
        } else {
            self.name.clone()
        }
    }

    /// The name, or for a wildcard entry the suffix after the `*`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the name starts with the wildcard `*`.
    pub fn is_wildcard(&self) -> bool {
        self.wildcard
    }

    /// The subpath the entry is limited to, if any.
    pub fn subpath(&self) -> Option<&str> {
        self.subpath.as_deref()
    }

    /// The options, in order.
    pub fn options(&self) -> &[RepoOption] {
        &self.options
    }

    /// The stratum URLs (the last `url=` wins).
    pub fn url(&self) -> Option<&[WildcardText]> {
        self.options.iter().rev().find_map(|option| match option {
            RepoOption::Url(urls) => Some(urls.as_slice()),
            _ => None,
        })
    }

    /// The key files (the last `pubkey=` wins).
    pub fn pubkey(&self) -> Option<&[WildcardText]> {
        self.options.iter().rev().find_map(|option| match option {
            RepoOption::Pubkey(keys) => Some(keys.as_slice()),
            _ => None,
        })
    }

    /// The proxy chain that overrides `HTTP_PROXY` (the last `proxies=`).
    pub fn proxies(&self) -> Option<&ProxyChain> {
        self.options.iter().rev().find_map(|option| match option {
            RepoOption::Proxies(chain) => Some(chain),
            _ => None,
        })
    }

    /// What the pattern matched in `repository`, or `None` when it does not
    /// cover it: the text before the suffix for a wildcard entry (at least
    /// one character, as in parrot's `lookup_filesystem`), the empty text
    /// for an exact name.
    pub fn matches<'a>(&self, repository: &'a str) -> Option<&'a str> {
        if self.wildcard {
            (repository.len() > self.name.len() && repository.ends_with(&self.name))
                .then(|| &repository[..repository.len() - self.name.len()])
        } else {
            (repository == self.name).then_some("")
        }
    }

    /// The entry as parrot reads it.
    pub fn render(&self) -> String {
        let mut out = self.pattern();
        if let Some(subpath) = &self.subpath {
            for c in subpath.chars() {
                if c == '\\' || c == ':' || is_c_space(c) {
                    out.push('\\');
                }
                out.push(c);
            }
        }
        if !self.options.is_empty() {
            out.push(':');
            out.push_str(&render_options(&self.options));
        }
        out
    }
}

impl fmt::Display for CvmfsRepo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}

impl FromStr for CvmfsRepo {
    type Err = Error;

    /// A single entry (not `<default-repositories>`).
    fn from_str(text: &str) -> Result<Self, Error> {
        let list = CvmfsRepoList::parse(text)?;
        match list.entries.as_slice() {
            [RepoEntry::Repo(repo)] => Ok(repo.clone()),
            [RepoEntry::Defaults(_)] => Err(Error::parse(
                "repository entry",
                text,
                "is <default-repositories>, not a single repository",
            )),
            entries => Err(Error::parse(
                "repository entry",
                text,
                format!("holds {} entries, expected one", entries.len()),
            )),
        }
    }
}

/// Why `name` (after the `*`, for a wildcard) is not a repository name
/// parrot and libcvmfs take as written.
fn check_repo_name(wildcard: bool, name: &str) -> Result<(), String> {
    if name == DEFAULT_REPOSITORIES_TOKEN {
        return Err(format!(
            "{DEFAULT_REPOSITORIES_TOKEN} is the placeholder for parrot's built-in list, not a repository"
        ));
    }
    if name.is_empty() && !wildcard {
        return Err("the repository name is empty".into());
    }
    if name == "." || name == ".." {
        return Err(format!("`{name}` is not a repository name"));
    }
    if let Some(bad) = name
        .chars()
        .find(|&c| is_c_space(c) || c.is_control() || matches!(c, '/' | ':' | ',' | '\\' | '*'))
    {
        let why = match bad {
            '*' => "a `*` is a wildcard only at the start of a name".to_string(),
            ',' | '\\' => format!(
                "{bad:?} would change the options parrot hands to libcvmfs (`repo_name=...`)"
            ),
            _ => format!("{bad:?} cannot be part of a repository name"),
        };
        return Err(format!("the name `{}` holds {bad:?}: {why}", excerpt(name)));
    }
    if name.contains(TRY_LOCAL_FILESYSTEM) {
        return Err(format!(
            "the name holds `{TRY_LOCAL_FILESYSTEM}`, which parrot cuts out of the options wherever it appears"
        ));
    }
    Ok(())
}

/// Why `subpath` is not one.
fn check_subpath(subpath: &str) -> Result<(), String> {
    if !subpath.starts_with('/') {
        return Err("a subpath starts with `/`".into());
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Parrot's built-in repositories

/// One repository of parrot's built-in list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DefaultRepository {
    /// The pattern, with its leading `*`.
    pub pattern: &'static str,
    /// Whether a `/cvmfs` mounted on the host is tried first.
    pub try_local_filesystem: bool,
    /// The key files; `<BUILTIN-...>` names a key compiled into parrot,
    /// which it writes to a file when it activates the repository.
    pub pubkey: &'static [&'static str],
    /// The stratum URLs, `*` standing for the match.
    pub url: &'static [&'static str],
}

impl DefaultRepository {
    /// The entry parrot makes of it.
    pub fn to_repo(&self) -> CvmfsRepo {
        let mut repo = CvmfsRepo::new(self.pattern).expect("the built-in patterns are valid");
        if self.try_local_filesystem {
            repo = repo
                .with_option(RepoOption::TryLocalFilesystem)
                .expect("a flag is valid");
        }
        if !self.pubkey.is_empty() {
            repo = repo
                .with_pubkey(self.pubkey)
                .expect("the built-in keys are valid");
        }
        if !self.url.is_empty() {
            repo = repo
                .with_url(self.url)
                .expect("the built-in URLs are valid");
        }
        repo
    }
}

/// Where [`DEFAULT_REPOSITORIES`] comes from.
pub const DEFAULT_REPOSITORIES_SOURCE: &str = "cooperative-computing-lab/cctools \
     dd90167772b588515142500cc10d0aea74b0fcf0, parrot/src/pfs_service_cvmfs.cc, \
     `default_cvmfs_repo`";

/// Parrot's built-in repositories, in parrot's order (least specific
/// first, so that the later ones win): what parrot uses when
/// `PARROT_CVMFS_REPO` is unset, and what `<default-repositories>` stands
/// for. Source: [`DEFAULT_REPOSITORIES_SOURCE`].
pub const DEFAULT_REPOSITORIES: [DefaultRepository; 3] = [
    DefaultRepository {
        pattern: "*",
        try_local_filesystem: true,
        pubkey: &[],
        url: &[],
    },
    DefaultRepository {
        pattern: "*.cern.ch",
        try_local_filesystem: false,
        pubkey: &[
            "<BUILTIN-cern.ch.pub>",
            "<BUILTIN-cern-it1.ch.pub>",
            "<BUILTIN-cern-it4.ch.pub>",
            "<BUILTIN-cern-it5.ch.pub>",
        ],
        url: &[
            "http://cvmfs-stratum-one.cern.ch/cvmfs/*.cern.ch",
            "http://cernvmfs.gridpp.rl.ac.uk/cvmfs/*.cern.ch",
            "http://cvmfs.racf.bnl.gov/cvmfs/*.cern.ch",
        ],
    },
    DefaultRepository {
        pattern: "*.opensciencegrid.org",
        try_local_filesystem: false,
        pubkey: &["<BUILTIN-opensciencegrid.org.pub>"],
        url: &[
            "http://oasis-replica.opensciencegrid.org:8000/cvmfs/*",
            "http://cvmfs.fnal.gov:8000/cvmfs/*",
            "http://cvmfs.racf.bnl.gov:8000/cvmfs/*",
        ],
    },
];

/// The `<default-repositories>` entry: parrot's built-in list, with these
/// options appended to every one of its repositories.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize)]
pub struct DefaultRepositories {
    options: Vec<RepoOption>,
}

impl DefaultRepositories {
    /// `<default-repositories>` with `options` appended to each built-in
    /// repository. The wildcard match may be used: every built-in pattern
    /// starts with `*`.
    pub fn new(options: Vec<RepoOption>) -> Result<Self, Error> {
        for option in &options {
            option
                .check()
                .map_err(|reason| Error::parse("repository option", option.name(), reason))?;
        }
        Ok(DefaultRepositories { options })
    }

    /// The options appended to every built-in repository.
    pub fn options(&self) -> &[RepoOption] {
        &self.options
    }

    /// The built-in repositories, each with the options appended.
    pub fn repositories(&self) -> Vec<CvmfsRepo> {
        DEFAULT_REPOSITORIES
            .iter()
            .map(|default| {
                let mut repo = default.to_repo();
                repo.options.extend(self.options.iter().cloned());
                repo
            })
            .collect()
    }

    /// The entry as parrot reads it.
    pub fn render(&self) -> String {
        let mut out = DEFAULT_REPOSITORIES_TOKEN.to_string();
        if !self.options.is_empty() {
            out.push(':');
            // Parrot unescapes these options once, pastes the result after
            // every built-in entry and parses the text again, so they are
            // escaped twice.
            for c in render_options(&self.options).chars() {
                push_parrot_char(&mut out, c);
            }
        }
        out
    }
}

// ---------------------------------------------------------------------------
// The list

/// One entry of a `PARROT_CVMFS_REPO` value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RepoEntry {
    /// `<default-repositories>[:options]`.
    Defaults(DefaultRepositories),
    /// A repository or wildcard pattern.
    Repo(CvmfsRepo),
}

impl RepoEntry {
    /// The entry as parrot reads it.
    pub fn render(&self) -> String {
        match self {
            RepoEntry::Defaults(defaults) => defaults.render(),
            RepoEntry::Repo(repo) => repo.render(),
        }
    }
}

/// A whole `PARROT_CVMFS_REPO` value: entries in order, later ones winning.
///
/// Serialized as its text, so that it deserializes through the parser.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CvmfsRepoList {
    entries: Vec<RepoEntry>,
}

/// What a wildcard-free text unit of parrot's first pass is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Char(char),
    Match,
}

/// An entry as parrot's first pass cuts it.
struct RawEntry<'a> {
    text: &'a str,
    wildcard: bool,
    name: String,
    subpath: Option<String>,
    options: Vec<Unit>,
}

impl CvmfsRepoList {
    /// An empty list (parrot then knows no repository at all).
    pub fn new() -> Self {
        CvmfsRepoList::default()
    }

    /// What parrot uses when `PARROT_CVMFS_REPO` is unset: its built-in
    /// repositories.
    pub fn parrot_default() -> Self {
        CvmfsRepoList {
            entries: vec![RepoEntry::Defaults(DefaultRepositories::default())],
        }
    }

    /// Parses a `PARROT_CVMFS_REPO` value.
    pub fn parse(text: &str) -> Result<Self, Error> {
        reject_nul(WHAT, text)?;
        let mut entries = Vec::new();
        for (index, raw) in split_entries(text)?.into_iter().enumerate() {
            let number = index + 1;
            let fail =
                |reason: String| Error::parse(WHAT, raw.text, format!("entry {number}: {reason}"));
            if raw.name == DEFAULT_REPOSITORIES_TOKEN {
                entries.push(RepoEntry::Defaults(parse_defaults(&raw).map_err(fail)?));
            } else {
                entries.push(RepoEntry::Repo(parse_repo(&raw).map_err(fail)?));
            }
        }
        Ok(CvmfsRepoList { entries })
    }

    /// The value as parrot reads it, entries separated by one space.
    pub fn render(&self) -> String {
        self.entries
            .iter()
            .map(RepoEntry::render)
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The entries, in order.
    pub fn entries(&self) -> &[RepoEntry] {
        &self.entries
    }

    /// Appends an entry; it wins over every earlier one.
    pub fn push(&mut self, entry: RepoEntry) {
        self.entries.push(entry);
    }

    /// Appends a repository entry.
    pub fn push_repo(&mut self, repo: CvmfsRepo) {
        self.entries.push(RepoEntry::Repo(repo));
    }

    /// Whether `<default-repositories>` is present.
    pub fn has_defaults(&self) -> bool {
        self.entries
            .iter()
            .any(|entry| matches!(entry, RepoEntry::Defaults(_)))
    }

    /// The entry parrot uses for `/cvmfs/<name>`, with the wildcard
    /// expanded into its options.
    pub fn lookup(&self, name: &str) -> Option<ResolvedRepo> {
        self.lookup_path(name, "")
    }

    /// The entry parrot uses for `/cvmfs/<name><path>` (`path` empty or
    /// starting with `/`), following `lookup_filesystem`: the latest entry
    /// whose name matches and whose subpath is a prefix of `path` wins;
    /// when a latest matching entry's subpath lies below `path`, parrot
    /// answers "no such file" and so does this (`None`).
    pub fn lookup_path(&self, name: &str, path: &str) -> Option<ResolvedRepo> {
        if name.is_empty() {
            return None;
        }
        for (entry_index, default_index, repo) in self.expanded().into_iter().rev() {
            let Some(matched) = repo.matches(name) else {
                continue;
            };
            let subpath = repo.subpath.as_deref().unwrap_or("");
            if compare_path_prefix(subpath, path).is_none() {
                if compare_path_prefix(path, subpath).is_some() {
                    return None;
                }
                continue;
            }
            let options = repo
                .options
                .iter()
                .map(|option| ResolvedOption {
                    name: option.name().to_string(),
                    value: option.value_text(matched),
                })
                .collect();
            return Some(ResolvedRepo {
                name: name.to_string(),
                entry_index,
                default_index,
                pattern: repo.pattern(),
                subpath: repo.subpath.clone(),
                matched: repo.wildcard.then(|| matched.to_string()),
                options,
            });
        }
        None
    }

    /// What parrot would quietly get wrong or refuse: unknown options,
    /// options a current libcvmfs refuses, options given twice, entries
    /// with no `url`.
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        for (index, entry) in self.entries.iter().enumerate() {
            let number = index + 1;
            let (label, options, needs_url) = match entry {
                RepoEntry::Defaults(defaults) => (
                    DEFAULT_REPOSITORIES_TOKEN.to_string(),
                    &defaults.options,
                    false,
                ),
                RepoEntry::Repo(repo) => (
                    repo.pattern(),
                    &repo.options,
                    !repo
                        .options
                        .iter()
                        .any(|o| matches!(o, RepoOption::Url(_) | RepoOption::TryLocalFilesystem)),
                ),
            };
            let label = excerpt(&label);
            let mut seen = HashSet::new();
            let mut repeated = HashSet::new();
            for option in options {
                let name = option.name();
                if !option.is_known() {
                    warnings.push(format!(
                        "entry {number} ({label}): unknown option `{}`; parrot passes it on and a current libcvmfs refuses unknown repository options",
                        excerpt(name)
                    ));
                } else if LIBCVMFS1_ONLY_OPTIONS.contains(&name) {
                    warnings.push(format!(
                        "entry {number} ({label}): option `{name}` is only understood by libcvmfs 1; a current libcvmfs refuses it"
                    ));
                }
                if !seen.insert(name) && repeated.insert(name) {
                    warnings.push(format!(
                        "entry {number} ({label}): option `{}` is given more than once; the last one wins",
                        excerpt(name)
                    ));
                }
            }
            if needs_url {
                warnings.push(format!(
                    "entry {number} ({label}): no `url` option; parrot can serve it only from a /cvmfs mounted on the host, and does not even try without `try_local_filesystem`"
                ));
            }
        }
        warnings
    }

    /// Every repository entry with `<default-repositories>` expanded: the
    /// index of the entry it comes from, its index in
    /// [`DEFAULT_REPOSITORIES`] if it is a built-in one, and the entry.
    fn expanded(&self) -> Vec<(usize, Option<usize>, Cow<'_, CvmfsRepo>)> {
        let mut out = Vec::new();
        for (index, entry) in self.entries.iter().enumerate() {
            match entry {
                RepoEntry::Repo(repo) => out.push((index, None, Cow::Borrowed(repo))),
                RepoEntry::Defaults(defaults) => {
                    for (default_index, repo) in defaults.repositories().into_iter().enumerate() {
                        out.push((index, Some(default_index), Cow::Owned(repo)));
                    }
                }
            }
        }
        out
    }
}

impl fmt::Display for CvmfsRepoList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}

impl FromStr for CvmfsRepoList {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Error> {
        CvmfsRepoList::parse(text)
    }
}

impl TryFrom<String> for CvmfsRepoList {
    type Error = Error;

    fn try_from(text: String) -> Result<Self, Error> {
        CvmfsRepoList::parse(&text)
    }
}

impl From<CvmfsRepoList> for String {
    fn from(list: CvmfsRepoList) -> String {
        list.render()
    }
}

impl FromIterator<RepoEntry> for CvmfsRepoList {
    fn from_iter<I: IntoIterator<Item = RepoEntry>>(entries: I) -> Self {
        CvmfsRepoList {
            entries: entries.into_iter().collect(),
        }
    }
}

/// The entry that covers a repository, with the wildcard expanded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResolvedRepo {
    /// The repository asked for.
    pub name: String,
    /// The index of the covering entry in [`CvmfsRepoList::entries`].
    pub entry_index: usize,
    /// When the entry is `<default-repositories>`, the index of the
    /// built-in repository in [`DEFAULT_REPOSITORIES`].
    pub default_index: Option<usize>,
    /// The pattern that matched, for example `*.cern.ch`.
    pub pattern: String,
    /// The entry's subpath.
    pub subpath: Option<String>,
    /// What the `*` matched, for a wildcard entry.
    pub matched: Option<String>,
    /// The options with the match substituted, in order.
    pub options: Vec<ResolvedOption>,
}

/// An option with its value as libcvmfs receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResolvedOption {
    /// The option name.
    pub name: String,
    /// The value, `None` for a flag.
    pub value: Option<String>,
}

impl ResolvedRepo {
    /// The last option named `name` (the one libcvmfs keeps).
    pub fn option(&self, name: &str) -> Option<&ResolvedOption> {
        self.options.iter().rev().find(|option| option.name == name)
    }

    /// The stratum URLs, in order.
    pub fn url(&self) -> Vec<String> {
        self.list("url", ';')
    }

    /// The key files.
    pub fn pubkey(&self) -> Vec<String> {
        self.list("pubkey", ':')
    }

    /// The proxy chain that overrides `HTTP_PROXY`, if any.
    pub fn proxies(&self) -> Option<ProxyChain> {
        self.option("proxies")
            .and_then(|option| option.value.as_deref())
            .and_then(|value| ProxyChain::parse(value).ok())
    }

    /// Whether parrot first tries a `/cvmfs` mounted on the host.
    pub fn try_local_filesystem(&self) -> bool {
        self.option(TRY_LOCAL_FILESYSTEM).is_some()
    }

    /// Whether parrot can serve the repository over HTTP (it has a `url`);
    /// otherwise only a `/cvmfs` on the host can serve it.
    pub fn serves_over_http(&self) -> bool {
        self.option("url").is_some()
    }

    fn list(&self, name: &str, separator: char) -> Vec<String> {
        self.option(name)
            .and_then(|option| option.value.as_deref())
            .map(|value| value.split(separator).map(str::to_string).collect())
            .unwrap_or_default()
    }
}

// ---------------------------------------------------------------------------
// Parsing

/// Parrot's first pass (`cvmfs_read_config`): entries cut at white space,
/// `\` escapes resolved, `*` in the options marked.
fn split_entries(text: &str) -> Result<Vec<RawEntry<'_>>, Error> {
    let mut entries = Vec::new();
    let mut chars = text.char_indices().peekable();
    let dangling = |start: usize, end: usize, number: usize| {
        Error::parse(
            WHAT,
            &text[start..end],
            format!("entry {number}: ends with a lone `\\`, which escapes nothing"),
        )
    };
    loop {
        while chars.next_if(|&(_, c)| is_c_space(c)).is_some() {}
        let Some(&(start, first)) = chars.peek() else {
            break;
        };
        let number = entries.len() + 1;
        let wildcard = first == '*';
        if wildcard {
            chars.next();
        }
        let mut name = String::new();
        while let Some(&(_, c)) = chars.peek() {
            if c == '/' || c == ':' || is_c_space(c) {
                break;
            }
            chars.next();
            if c == '\\' {
                match chars.next() {
                    Some((_, escaped)) => name.push(escaped),
                    None => return Err(dangling(start, text.len(), number)),
                }
            } else {
                name.push(c);
            }
        }
        let mut subpath = None;
        if chars.peek().is_some_and(|&(_, c)| c == '/') {
            let mut path = String::new();
            while let Some(&(_, c)) = chars.peek() {
                if c == ':' || is_c_space(c) {
                    break;
                }
                chars.next();
                if c == '\\' {
                    match chars.next() {
                        Some((_, escaped)) => path.push(escaped),
                        None => return Err(dangling(start, text.len(), number)),
                    }
                } else {
                    path.push(c);
                }
            }
            subpath = Some(path);
        }
        let mut options = Vec::new();
        if chars.next_if(|&(_, c)| c == ':').is_some() {
            while let Some(&(_, c)) = chars.peek() {
                if is_c_space(c) {
                    break;
                }
                chars.next();
                match c {
                    '*' => options.push(Unit::Match),
                    '\\' => match chars.next() {
                        Some((_, escaped)) => options.push(Unit::Char(escaped)),
                        None => return Err(dangling(start, text.len(), number)),
                    },
                    _ => options.push(Unit::Char(c)),
                }
            }
        }
        let end = chars.peek().map_or(text.len(), |&(at, _)| at);
        entries.push(RawEntry {
            text: &text[start..end],
            wildcard,
            name,
            subpath,
            options,
        });
    }
    Ok(entries)
}

/// A repository entry from parrot's first pass.
fn parse_repo(raw: &RawEntry<'_>) -> Result<CvmfsRepo, String> {
    check_repo_name(raw.wildcard, &raw.name)?;
    if let Some(subpath) = &raw.subpath {
        check_subpath(subpath)?;
    }
    if !raw.wildcard && raw.options.contains(&Unit::Match) {
        return Err(format!(
            "the options hold an unescaped `*`, which parrot drops because `{}` has no leading `*`; write `\\*` for a star",
            excerpt(&raw.name)
        ));
    }
    let options = parse_options(&raw.options)?;
    Ok(CvmfsRepo {
        wildcard: raw.wildcard,
        name: raw.name.clone(),
        subpath: raw.subpath.clone(),
        options,
    })
}

/// The `<default-repositories>` entry from parrot's first pass.
fn parse_defaults(raw: &RawEntry<'_>) -> Result<DefaultRepositories, String> {
    if raw.wildcard {
        return Err(format!(
            "`*{DEFAULT_REPOSITORIES_TOKEN}`: the placeholder takes no `*`"
        ));
    }
    if raw.subpath.is_some() {
        return Err(format!(
            "{DEFAULT_REPOSITORIES_TOKEN} takes no subpath; parrot would ignore it"
        ));
    }
    // Parrot's first pass drops a bare `*` here: its position is recorded
    // for an entry that is never created.
    let mut pasted = String::new();
    for unit in &raw.options {
        match unit {
            Unit::Char(c) => pasted.push(*c),
            Unit::Match => {
                return Err(format!(
                    "an unescaped `*` in the options of {DEFAULT_REPOSITORIES_TOKEN} is dropped by parrot; write `\\*` to insert the match into every built-in repository"
                ));
            }
        }
    }
    // The once-unescaped text is pasted after every built-in entry and
    // parsed again.
    let mut units = Vec::new();
    let mut chars = pasted.chars();
    while let Some(c) = chars.next() {
        match c {
            '*' => units.push(Unit::Match),
            '\\' => match chars.next() {
                Some(escaped) => units.push(Unit::Char(escaped)),
                None => {
                    return Err(format!(
                        "the options of {DEFAULT_REPOSITORIES_TOKEN} end with a lone `\\` once parrot has unescaped them, which would join the next built-in entry; escape it twice (`\\\\\\\\`)"
                    ));
                }
            },
            c if is_c_space(c) => {
                return Err(format!(
                    "the options of {DEFAULT_REPOSITORIES_TOKEN} hold {c:?} once parrot has unescaped them, which would split the built-in entries; escape it twice"
                ));
            }
            _ => units.push(Unit::Char(c)),
        }
    }
    Ok(DefaultRepositories {
        options: parse_options(&units)?,
    })
}

/// Libcvmfs' pass (`parse_options`): options cut at `,`, names at the
/// first `=`, `\` escapes resolved; then typed.
fn parse_options(units: &[Unit]) -> Result<Vec<RepoOption>, String> {
    let mut options = Vec::new();
    let mut iter = units.iter().copied();
    let mut number = 0;
    loop {
        let mut name = WildcardText::default();
        let mut value: Option<WildcardText> = None;
        let mut any = false;
        while let Some(unit) = iter.next() {
            any = true;
            let (unit, escaped) = match unit {
                Unit::Char('\\') => match iter.next() {
                    Some(next) => (next, true),
                    None => {
                        return Err(format!(
                            "option {}: ends with a lone `\\` once parrot has unescaped it (write `\\\\\\\\` for a backslash)",
                            number + 1
                        ));
                    }
                },
                other => (other, false),
            };
            match (unit, value.as_mut()) {
                (Unit::Char(','), _) if !escaped => break,
                (Unit::Char('='), None) if !escaped => value = Some(WildcardText::default()),
                (Unit::Char(c), Some(text)) => text.push_char(c),
                (Unit::Char(c), None) => name.push_char(c),
                (Unit::Match, Some(text)) => text.push_match(),
                (Unit::Match, None) => name.push_match(),
            }
        }
        if !any {
            break;
        }
        number += 1;
        if name.is_empty() {
            match value {
                // Libcvmfs skips empty items (`a,,b`).
                None => continue,
                Some(value) => {
                    return Err(format!(
                        "option {number}: `={}` has no option name",
                        excerpt(&value.to_string())
                    ));
                }
            }
        }
        let Some(plain_name) = name.as_plain() else {
            return Err(format!(
                "option {number}: the name `{}` uses the wildcard match `*`; an option name must be literal",
                excerpt(&name.to_string())
            ));
        };
        let option = typed_option(&plain_name, value)
            .map_err(|reason| format!("option `{}`: {reason}", excerpt(&plain_name)))?;
        option.check()?;
        options.push(option);
    }
    Ok(options)
}

/// Parrot's `compare_path_prefix`: the rest of `b` when `a` is a prefix
/// of it (runs of `/` compared as one), else `None`.
fn compare_path_prefix<'b>(a: &str, b: &'b str) -> Option<&'b str> {
    let (x, y) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    loop {
        if i < x.len() && j < y.len() && x[i] == b'/' && y[j] == b'/' {
            while i < x.len() && x[i] == b'/' {
                i += 1;
            }
            while j < y.len() && y[j] == b'/' {
                j += 1;
            }
        }
        if i == x.len() {
            return b.get(j..);
        }
        if j == y.len() || x[i] != y[j] {
            return None;
        }
        i += 1;
        j += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_prefixes_compare_like_parrot() {
        assert_eq!(compare_path_prefix("foo/baz", "foo/baz/bar"), Some("/bar"));
        assert_eq!(compare_path_prefix("", "/x"), Some("/x"));
        assert_eq!(compare_path_prefix("/sub", ""), None);
        assert_eq!(compare_path_prefix("//a", "/a/b"), Some("/b"));
    }

    #[test]
    fn split_keeps_matches_in_place() {
        let text = WildcardText::template("a*;b;*").unwrap();
        let parts = text.split(';');
        assert_eq!(parts.len(), 3);
        assert_eq!(WildcardText::join(&parts, ';'), text);
    }
}
