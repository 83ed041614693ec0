//! The Docker daemon's own DNS settings, the fix for containers that cannot
//! resolve names: the `dns`, `dns-search` and `dns-opts` keys of
//! `/etc/docker/daemon.json`, or the `--dns`, `--dns-search` and `--dns-opt`
//! flags of `DOCKER_OPTS` in `/etc/default/docker` on sysvinit hosts.
//!
//! Both files belong to the administrator, so an edit keeps everything it
//! does not own (other keys and their order, other flags, comments, lines),
//! refuses a file it cannot understand rather than guess, and replaces the
//! file atomically with a backup (see [`crate::atomic_file`]).

use std::fs;
use std::io::ErrorKind;
use std::net::IpAddr;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::atomic_file::write_atomically;
use crate::dns::{DnsOptions, check_option, check_search_domain};
use crate::error::{Error, non_utf8_line};

/// Where dockerd reads its configuration file by default.
pub const DAEMON_JSON_PATH: &str = "/etc/docker/daemon.json";

/// Where the sysvinit script of Debian's docker package reads `DOCKER_OPTS`.
pub const DOCKER_DEFAULTS_PATH: &str = "/etc/default/docker";

/// The three DNS settings, as (daemon.json key, dockerd flag).
const SETTINGS: [(&str, &str); 3] = [
    ("dns", "--dns"),
    ("dns-search", "--dns-search"),
    ("dns-opts", "--dns-opt"),
];

/// Parses DNS server addresses given as text, refusing anything that is not
/// an IPv4 or IPv6 address (so no text can smuggle shell or extra lines into
/// a configuration file).
pub fn parse_dns_servers<S: AsRef<str>>(texts: &[S]) -> Result<Vec<IpAddr>, Error> {
    let none: [&str; 0] = [];
    let texts: Vec<&str> = texts.iter().map(AsRef::as_ref).collect();
    DnsOptions::new(&texts, &none, &none).map(|dns| dns.servers)
}

/// Checks the daemon's DNS settings before anything changes: no server may
/// be an address nothing answers at (unspecified, multicast, broadcast);
/// search domains and options must be well formed.
fn check_settings(
    servers: &[IpAddr],
    search: Option<&[String]>,
    options: Option<&[String]>,
) -> Result<(), Error> {
    for server in servers {
        let reason = match server {
            IpAddr::V4(v4) if v4.is_broadcast() => Some("is the broadcast address"),
            ip if ip.is_unspecified() => Some("is the unspecified address"),
            ip if ip.is_multicast() => Some("is a multicast address"),
            _ => None,
        };
        if let Some(reason) = reason {
            return Err(Error::parse(
                "DNS server",
                &server.to_string(),
                format!("{reason}, where no name server can answer"),
            ));
        }
    }
    search
        .into_iter()
        .flatten()
        .try_for_each(|d| check_search_domain(d))?;
    options
        .into_iter()
        .flatten()
        .try_for_each(|o| check_option(o))
}

/// A file's text, or empty text when the file does not exist (it is
/// created on save).
fn read_if_present(path: &Path, what: &'static str) -> Result<String, Error> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(err) if err.kind() == ErrorKind::NotFound => return Ok(String::new()),
        Err(source) => {
            return Err(Error::Read {
                what,
                path: path.to_path_buf(),
                source,
            });
        }
    };
    String::from_utf8(bytes).map_err(|err| {
        Error::parse(
            what,
            &format!("{}:{}", path.display(), non_utf8_line(&err)),
            "is not UTF-8 text; pcvmfs does not edit a file it cannot read exactly",
        )
    })
}

/// `/etc/docker/daemon.json`, loaded to change its DNS keys and nothing
/// else: every other key keeps its value and its place.
#[derive(Debug, Clone, PartialEq)]
pub struct DaemonDnsConfig {
    path: PathBuf,
    settings: Map<String, Value>,
}

impl DaemonDnsConfig {
    /// Reads `path`. A missing file is an empty configuration, and so is an
    /// empty one, which dockerd accepts too; a file that is not JSON, or
    /// whose top level is not an object, is refused with an error naming it.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref().to_path_buf();
        let text = read_if_present(&path, "Docker daemon configuration")?;
        Self::parse(path, &text)
    }

    /// Reads `text` as the content of the file `path` (which is only
    /// remembered, for messages and [`DaemonDnsConfig::save`]).
    pub fn parse(path: impl Into<PathBuf>, text: &str) -> Result<Self, Error> {
        let path = path.into();
        // dockerd skips a UTF-8 byte order mark, so it must be accepted here.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let settings = if text.trim().is_empty() {
            Map::new()
        } else {
            let refuse = |reason: String| {
                Error::parse(
                    "Docker daemon configuration",
                    &path.display().to_string(),
                    reason,
                )
            };
            match serde_json::from_str::<Value>(text) {
                Ok(Value::Object(settings)) => settings,
                Ok(_) => return Err(refuse("the top level is not a JSON object".into())),
                Err(err) => return Err(refuse(format!("not valid JSON: {err}"))),
            }
        };
        Ok(DaemonDnsConfig { path, settings })
    }

    /// The file this configuration was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The DNS settings in the file, checked like any user value.
    pub fn dns(&self) -> Result<DnsOptions, Error> {
        let list = |key: &str| -> Result<Vec<String>, Error> {
            match self.settings.get(key) {
                None | Some(Value::Null) => Ok(Vec::new()),
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|item| match item {
                        Value::String(text) => Ok(text.clone()),
                        other => Err(self.bad_key(key, &format!("holds {other}, not a string"))),
                    })
                    .collect(),
                Some(other) => Err(self.bad_key(key, &format!("is {other}, not a list"))),
            }
        };
        DnsOptions::new(&list("dns")?, &list("dns-search")?, &list("dns-opts")?)
    }

    /// Whether `key` (for example `dns-search`) is set in the file.
    pub fn has(&self, key: &str) -> bool {
        self.settings.contains_key(key)
    }

    /// Sets the name servers (`dns`), and the search domains (`dns-search`)
    /// and resolver options (`dns-opts`) when given; `None` leaves a key as
    /// it is, an empty list removes it so that dockerd's default applies.
    /// Values are checked first, so an error changes nothing.
    pub fn set_dns(
        &mut self,
        servers: &[IpAddr],
        search: Option<&[String]>,
        options: Option<&[String]>,
    ) -> Result<(), Error> {
        check_settings(servers, search, options)?;
        let servers: Vec<String> = servers.iter().map(IpAddr::to_string).collect();
        self.set_list("dns", &servers);
        if let Some(search) = search {
            self.set_list("dns-search", search);
        }
        if let Some(options) = options {
            self.set_list("dns-opts", options);
        }
        Ok(())
    }

    /// Writes the configuration to `path`, or back to the file it was
    /// loaded from: pretty JSON (2-space indent, final newline), atomically,
    /// with a backup of the file replaced. Returns the backup's path (see
    /// [`write_atomically`]), `None` when there was no file.
    pub fn save(&self, path: Option<&Path>) -> Result<Option<PathBuf>, Error> {
        write_atomically(path.unwrap_or(&self.path), self.to_json().as_bytes())
    }

    /// The text [`DaemonDnsConfig::save`] writes.
    pub fn to_json(&self) -> String {
        let mut text =
            serde_json::to_string_pretty(&self.settings).expect("a JSON map always serialises");
        text.push('\n');
        text
    }

    fn set_list(&mut self, key: &str, values: &[String]) {
        if values.is_empty() {
            // shift_remove keeps the order of the keys that follow.
            self.settings.shift_remove(key);
        } else if let Some(slot) = self.settings.get_mut(key) {
            *slot = values.iter().cloned().map(Value::String).collect();
        } else {
            self.settings.insert(
                key.to_string(),
                values.iter().cloned().map(Value::String).collect(),
            );
        }
    }

    fn bad_key(&self, key: &str, reason: &str) -> Error {
        Error::parse(
            "Docker daemon configuration",
            &self.path.display().to_string(),
            format!("{key:?} {reason}"),
        )
    }
}

/// `/etc/default/docker`, a shell file whose `DOCKER_OPTS="..."` holds
/// dockerd's flags on sysvinit hosts. Only the DNS flags inside the
/// `DOCKER_OPTS` assignments change; every other byte is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DockerOpts {
    path: PathBuf,
    text: String,
}

/// How the value of one `DOCKER_OPTS=` assignment is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quoting {
    Double,
    Single,
    Bare,
}

/// One uncommented `DOCKER_OPTS=` assignment: where its value sits in the
/// file (quotes included) and where the text between the quotes is.
#[derive(Debug, Clone)]
struct Assignment {
    value: Range<usize>,
    inner: Range<usize>,
    quoting: Quoting,
}

impl DockerOpts {
    /// Reads `path`; a missing file is an empty one (it is created on
    /// save). A `DOCKER_OPTS` value that cannot be edited safely (an
    /// unterminated quote, several quoted parts) is refused here.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref().to_path_buf();
        let text = read_if_present(&path, "Docker defaults file")?;
        Self::parse(path, &text)
    }

    /// Reads `text` as the content of the file `path` (which is only
    /// remembered, for messages and [`DockerOpts::save`]).
    pub fn parse(path: impl Into<PathBuf>, text: &str) -> Result<Self, Error> {
        let opts = DockerOpts {
            path: path.into(),
            text: text.to_string(),
        };
        opts.assignments()?;
        Ok(opts)
    }

    /// The file this was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The whole text as it would be saved.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The flags of every `DOCKER_OPTS` assignment, in order, as dockerd
    /// would get them (for [`dns_conflict`]).
    pub fn flags(&self) -> Vec<String> {
        let Ok(assignments) = self.assignments() else {
            return Vec::new();
        };
        assignments
            .iter()
            .flat_map(|a| {
                words(&self.text[a.inner.clone()], a.quoting)
                    .into_iter()
                    .map(|w| {
                        let word = &self.text[a.inner.start + w.start..a.inner.start + w.end];
                        if a.quoting == Quoting::Double {
                            unquote(word)
                        } else {
                            word.to_string()
                        }
                    })
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// Replaces the `--dns` flags with `servers`, and the `--dns-search`
    /// and `--dns-opt` flags with `search` and `options` when given (`None`
    /// keeps them), in every `DOCKER_OPTS` assignment; the new flags go at
    /// the end of the last one, or of a new `DOCKER_OPTS="..."` line when
    /// there is none. Values are checked first, so an error changes nothing.
    pub fn set_dns(
        &mut self,
        servers: &[IpAddr],
        search: Option<&[String]>,
        options: Option<&[String]>,
    ) -> Result<(), Error> {
        check_settings(servers, search, options)?;
        let mut replaced = vec!["--dns"];
        let mut added: Vec<String> = servers.iter().map(|s| format!("--dns {s}")).collect();
        if let Some(search) = search {
            replaced.push("--dns-search");
            added.extend(search.iter().map(|d| format!("--dns-search {d}")));
        }
        if let Some(options) = options {
            replaced.push("--dns-opt");
            added.extend(options.iter().map(|o| format!("--dns-opt {o}")));
        }
        let assignments = self.assignments()?;
        // A flag at the end of an assignment whose value is a word of a
        // later one (`DOCKER_OPTS="$DOCKER_OPTS X"`): removing the flag
        // alone would leave its value as a stray argument (found by the
        // shell oracle).
        let word_texts = |a: &Assignment| -> Vec<String> {
            let inner = &self.text[a.inner.clone()];
            words(inner, a.quoting)
                .into_iter()
                .map(|w| inner[w].to_string())
                .collect()
        };
        for (index, assignment) in assignments.iter().enumerate() {
            let texts = word_texts(assignment);
            // `--dns $DOCKER_OPTS`: the value is whatever came before.
            if let Some(pair) = texts.windows(2).find(|pair| {
                matches!(flag_of(&pair[0]), (flag, true) if replaced.contains(&flag))
                    && is_self_reference(&pair[1])
            }) {
                let line = self.text[..assignment.value.start].matches('\n').count() + 1;
                return Err(self.refuse(
                    line,
                    &format!(
                        "the value of {} here is {}, whose words pcvmfs cannot tell apart; \
                         give the flag a literal value",
                        pair[0], pair[1]
                    ),
                ));
            }
            let Some(last_word) = texts.last().cloned() else {
                continue;
            };
            if !matches!(flag_of(&last_word), (flag, true) if replaced.contains(&flag)) {
                continue;
            }
            for later in &assignments[index + 1..] {
                let later_words = word_texts(later);
                let Some(at) = later_words.iter().position(|w| is_self_reference(w)) else {
                    // Overwritten: the flag never reaches dockerd.
                    break;
                };
                if at + 1 < later_words.len() {
                    let line = self.text[..assignment.value.start].matches('\n').count() + 1;
                    return Err(self.refuse(
                        line,
                        &format!(
                            "this DOCKER_OPTS ends with {last_word} and its value is a word of a \
                             later assignment; put the flag and its value in one assignment"
                        ),
                    ));
                }
            }
        }
        let Some(last) = assignments.len().checked_sub(1) else {
            if !added.is_empty() {
                if !self.text.is_empty() && !self.text.ends_with('\n') {
                    self.text.push('\n');
                }
                self.text
                    .push_str(&format!("DOCKER_OPTS=\"{}\"\n", added.join(" ")));
            }
            return Ok(());
        };
        // From the end, so that earlier ranges stay valid.
        for (index, assignment) in assignments.iter().enumerate().rev() {
            let inner = &self.text[assignment.inner.clone()];
            let extra = if index == last { &added[..] } else { &[] };
            let edited = edit_flags(inner, assignment.quoting, &replaced, extra);
            if edited == inner {
                continue;
            }
            let value = match assignment.quoting {
                Quoting::Single => format!("'{edited}'"),
                // A bare value holds no quotes, backslashes or blanks (see
                // `assignments`), so double quotes keep its meaning.
                Quoting::Double | Quoting::Bare => format!("\"{edited}\""),
            };
            self.text.replace_range(assignment.value.clone(), &value);
        }
        Ok(())
    }

    /// Writes the file to `path`, or back to the file it was loaded from,
    /// atomically and with a backup of the file replaced. Returns the
    /// backup's path (see [`write_atomically`]), `None` when there was no
    /// file.
    pub fn save(&self, path: Option<&Path>) -> Result<Option<PathBuf>, Error> {
        write_atomically(path.unwrap_or(&self.path), self.text.as_bytes())
    }

    fn refuse(&self, line: usize, reason: &str) -> Error {
        Error::parse(
            "Docker defaults file",
            &format!("{}:{line}", self.path.display()),
            reason,
        )
    }

    /// The `DOCKER_OPTS=` assignments of the file. pcvmfs edits only a file
    /// made of lines it can read exactly as `/bin/sh` does: blank lines,
    /// comments, simple assignments `[export ]NAME=VALUE` (a quoted value
    /// may span lines) and `export NAME...`, each optionally followed by a
    /// comment after a blank. Any other line (a condition, a loop, a
    /// command, a here-document, a continuation) is refused with its line:
    /// around it, an edit could change what the shell runs or whether the
    /// assignment applies at all.
    fn assignments(&self) -> Result<Vec<Assignment>, Error> {
        let text = &self.text;
        let bytes = text.as_bytes();
        if let Some(at) = text.find('\r') {
            let line = text[..at].matches('\n').count() + 1;
            return Err(self.refuse(
                line,
                "the file has Windows (CRLF) line endings, which the shell reads as part of \
                 the values; convert it to Unix line endings (dos2unix) first",
            ));
        }
        let mut found = Vec::new();
        let mut at = 0;
        let mut line_number = 1;
        while at < text.len() {
            let line_end = text[at..].find('\n').map_or(text.len(), |i| at + i);
            let line = &text[at..line_end];
            let body_start = at + (line.len() - line.trim_start_matches([' ', '\t']).len());
            let body = &text[body_start..line_end];
            if body.is_empty() || body.starts_with('#') {
                at = line_end + 1;
                line_number += 1;
                continue;
            }
            let refuse_line = |reason: &str| {
                self.refuse(
                    line_number,
                    &format!(
                        "{reason}; pcvmfs edits only files made of comments and simple \
                         assignments (NAME=value, export NAME=value), so that the edit cannot \
                         change what /bin/sh runs: edit this file by hand, or set the DNS \
                         servers in /etc/docker/daemon.json"
                    ),
                )
            };
            let (exported, rest) = match body.strip_prefix("export") {
                Some(rest) if rest.starts_with([' ', '\t']) => {
                    (true, rest.trim_start_matches([' ', '\t']))
                }
                _ => (false, body),
            };
            let name_len = rest
                .bytes()
                .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
                .count();
            let name = &rest[..name_len];
            let after_name = &rest[name_len..];
            if !is_name(name) {
                return Err(refuse_line(&format!(
                    "line {line_number} is not an assignment: {body:?}"
                )));
            }
            let value_start = line_end - after_name.len() + 1;
            if !after_name.starts_with('=') {
                // `export NAME...` (without values) is the only other form.
                let names_only = exported
                    && rest
                        .split([' ', '\t'])
                        .filter(|w| !w.is_empty())
                        .take_while(|w| !w.starts_with('#'))
                        .all(is_name);
                if !names_only {
                    return Err(refuse_line(&format!(
                        "line {line_number} is not an assignment: {body:?}"
                    )));
                }
                at = line_end + 1;
                line_number += 1;
                continue;
            }
            // The value: one quoted string, or one plain word.
            let (value, inner, quoting) = match bytes.get(value_start) {
                Some(b'"') => {
                    let end = closing_double_quote(text, value_start + 1)
                        .ok_or_else(|| self.refuse(line_number, "unterminated \" quote"))?;
                    (value_start..end + 1, value_start + 1..end, Quoting::Double)
                }
                Some(b'\'') => {
                    let end = text[value_start + 1..]
                        .find('\'')
                        .map(|i| value_start + 1 + i)
                        .ok_or_else(|| self.refuse(line_number, "unterminated ' quote"))?;
                    (value_start..end + 1, value_start + 1..end, Quoting::Single)
                }
                _ => {
                    let end = text[value_start..line_end]
                        .find([' ', '\t'])
                        .map_or(line_end, |i| value_start + i);
                    // Plain text only; other variables may also expand a
                    // variable (`$HOME`), which changes nothing pcvmfs edits.
                    let plain = if name == "DOCKER_OPTS" {
                        "_./:=,@%+-"
                    } else {
                        "_./:=,@%+-${}"
                    };
                    let word = &text[value_start..end];
                    if let Some(bad) = word
                        .chars()
                        .find(|c| !(c.is_ascii_alphanumeric() || plain.contains(*c)))
                    {
                        let reason = if matches!(bad, '"' | '\'' | '\\') {
                            "a value with quotes or backslashes inside a word cannot be edited \
                             safely; quote the whole value"
                                .to_string()
                        } else {
                            format!(
                                "the unquoted value {:?} holds {bad:?}, which the shell reads \
                                 as more than text; quote the whole value",
                                &text[value_start..end]
                            )
                        };
                        return Err(self.refuse(line_number, &reason));
                    }
                    (value_start..end, value_start..end, Quoting::Bare)
                }
            };
            // Command substitutions run wherever they are; a value holding
            // one could hide anything, so none is read past.
            if quoting == Quoting::Double
                && let Some(word) = words(&text[inner.clone()], quoting)
                    .into_iter()
                    .map(|w| &text[inner.start + w.start..inner.start + w.end])
                    .find(|w| {
                        if name == "DOCKER_OPTS" {
                            expands_beyond_a_variable(w)
                        } else {
                            substitutes_a_command(w)
                        }
                    })
            {
                return Err(self.refuse(
                    line_number,
                    &format!(
                        "the word {word:?} of {name} runs a command or expands a variable \
                         other than $DOCKER_OPTS, so pcvmfs cannot see the flags it holds or \
                         edit around it safely; write the value literally (or set the DNS \
                         servers in /etc/docker/daemon.json)"
                    ),
                ));
            }
            // A quoted value may span lines.
            line_number += text[at..value.end].matches('\n').count();
            let rest_end = text[value.end..]
                .find('\n')
                .map_or(text.len(), |i| value.end + i);
            if !only_export_or_comment(&text[value.end..rest_end]) {
                return Err(self.refuse(
                    line_number,
                    &format!(
                        "the assignment to {name} is followed by {:?} on its line (a word, a \
                         command, or a '#' without a blank before it); put the assignment on \
                         a line of its own",
                        &text[value.end..rest_end]
                    ),
                ));
            }
            if name == "DOCKER_OPTS" {
                found.push(Assignment {
                    value,
                    inner,
                    quoting,
                });
            }
            at = rest_end + 1;
            line_number += 1;
        }
        Ok(found)
    }
}

/// Whether what follows a value on its line is nothing, a comment after a
/// blank, or `; export NAME...` (then perhaps a comment).
fn only_export_or_comment(rest: &str) -> bool {
    let bytes = rest.as_bytes();
    // A `#` glued to the value is part of its last word, not a comment.
    let code_end = (1..bytes.len())
        .find(|&i| bytes[i] == b'#' && matches!(bytes[i - 1], b' ' | b'\t'))
        .unwrap_or(bytes.len());
    let code = rest[..code_end].trim_matches([' ', '\t']);
    if code.is_empty() {
        return true;
    }
    let Some(after) = code.strip_prefix(';') else {
        return false;
    };
    let mut words = after.split([' ', '\t']).filter(|w| !w.is_empty());
    words.next() == Some("export") && {
        let names: Vec<&str> = words.collect();
        !names.is_empty() && names.iter().all(|n| is_name(n))
    }
}

/// Whether a word is a shell variable name.
fn is_name(word: &str) -> bool {
    word.bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && word.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// The bytes of a word that no backslash escapes, with their index.
fn unescaped_bytes(word: &str) -> impl Iterator<Item = (usize, u8)> + '_ {
    let bytes = word.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while bytes.get(i) == Some(&b'\\') {
            i += 2;
        }
        let at = i;
        i += 1;
        bytes.get(at).map(|&b| (at, b))
    })
}

/// Whether a word runs a command: backquotes or `$(`, unescaped.
fn substitutes_a_command(word: &str) -> bool {
    let bytes = word.as_bytes();
    unescaped_bytes(word).any(|(i, b)| b == b'`' || (b == b'$' && bytes.get(i + 1) == Some(&b'(')))
}

/// Whether a word of a double-quoted or bare `DOCKER_OPTS` value holds a
/// command substitution (backquotes, `$(`) or an expansion other than the
/// whole word being `$DOCKER_OPTS` (or `${DOCKER_OPTS}`, the value so far):
/// text the shell evaluates, whose words (and flags) pcvmfs cannot see.
fn expands_beyond_a_variable(word: &str) -> bool {
    unescaped_bytes(word).any(|(_, b)| b == b'$' || b == b'`') && !is_self_reference(word)
}

/// Whether a word is `$DOCKER_OPTS` or `${DOCKER_OPTS}`: the value of the
/// variable so far, whose flags pcvmfs edits in the earlier assignment.
fn is_self_reference(word: &str) -> bool {
    word == "$DOCKER_OPTS" || word == "${DOCKER_OPTS}"
}

/// The index of the `"` closing a double-quoted string that starts at
/// `from`, skipping backslash escapes.
fn closing_double_quote(text: &str, from: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = from;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

/// The words of a `DOCKER_OPTS` value (the text between its quotes), as
/// byte ranges; a backslash-newline inside double quotes joins lines and
/// separates words.
fn words(inner: &str, quoting: Quoting) -> Vec<Range<usize>> {
    let bytes = inner.as_bytes();
    let is_blank = |i: usize| -> usize {
        match bytes[i] {
            b' ' | b'\t' | b'\n' => 1,
            b'\\' if quoting == Quoting::Double && bytes.get(i + 1) == Some(&b'\n') => 2,
            _ => 0,
        }
    };
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let blank = is_blank(i);
        if blank > 0 {
            i += blank;
            continue;
        }
        let start = i;
        while i < bytes.len() {
            // In double quotes a backslash escapes only $ ` " \ and a
            // newline (a continuation, which joins); before anything else it
            // is a character of its own (POSIX). The value is split on
            // blanks when $DOCKER_OPTS is expanded.
            if quoting == Quoting::Double
                && bytes[i] == b'\\'
                && matches!(bytes.get(i + 1), Some(b'$' | b'`' | b'"' | b'\\' | b'\n'))
            {
                i += 2;
                continue;
            }
            if is_blank(i) > 0 {
                break;
            }
            i += 1;
        }
        let end = i.min(bytes.len());
        found.push(start..end);
    }
    found
}

/// A word as dockerd gets it: backslash escapes of a double-quoted value
/// removed.
fn unquote(word: &str) -> String {
    // Inside double quotes a backslash escapes only $ ` " \ and newline;
    // before anything else it stays (POSIX; `--dn\s` is not `--dns`: found
    // by fuzzing).
    let mut out = String::with_capacity(word.len());
    let mut chars = word.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek()) {
            ('\\', Some(&next)) if matches!(next, '$' | '`' | '"' | '\\' | '\n') => {
                chars.next();
                if next != '\n' {
                    out.push(next);
                }
            }
            (c, _) => out.push(c),
        }
    }
    out
}

/// The flag a word names, and whether its value is in the next word
/// (`--dns X`) rather than in the word itself (`--dns=X`).
fn flag_of(word: &str) -> (&str, bool) {
    match word.split_once('=') {
        Some((flag, _)) => (flag, false),
        None => (word, true),
    }
}

/// `inner` without the flags in `replaced` (both forms), each removed with
/// the blanks before it, and with `added` appended; every other byte kept.
fn edit_flags(inner: &str, quoting: Quoting, replaced: &[&str], added: &[String]) -> String {
    let spans = words(inner, quoting);
    let mut removed = vec![false; spans.len()];
    let mut i = 0;
    while i < spans.len() {
        let (flag, value_follows) = flag_of(&inner[spans[i].clone()]);
        if replaced.contains(&flag) {
            removed[i] = true;
            if value_follows && i + 1 < spans.len() {
                i += 1;
                removed[i] = true;
            }
        }
        i += 1;
    }
    let leading = &inner[..spans.first().map_or(inner.len(), |s| s.start)];
    let mut out = String::new();
    let mut kept_any = false;
    for (index, span) in spans.iter().enumerate() {
        if removed[index] {
            continue;
        }
        // The blanks before a kept word; those before a removed word go
        // with it.
        let gap = if kept_any {
            &inner[spans[index - 1].end..span.start]
        } else {
            leading
        };
        out.push_str(gap);
        out.push_str(&inner[span.clone()]);
        kept_any = true;
    }
    if !kept_any {
        out.push_str(leading);
    }
    // After a word, always a separator, whatever its last byte: a word may
    // end in a vertical tab (no blank to the shell) or an escaped tab
    // (both found by fuzzing). Before the first word there are only blanks.
    let mut separate = kept_any;
    for flag in added {
        if separate {
            out.push(' ');
        }
        out.push_str(flag);
        separate = true;
    }
    let trailing_start = spans.last().map_or(inner.len(), |s| s.end);
    let trailing = &inner[trailing_start..];
    // A word may end in a lone backslash (`x\` then a blank); with the blanks
    // after it gone, it would escape the closing quote (found by fuzzing).
    let backslashes = out.bytes().rev().take_while(|&b| b == b'\\').count();
    if quoting == Quoting::Double && trailing.is_empty() && backslashes % 2 == 1 {
        out.push(' ');
    }
    out.push_str(trailing);
    out
}

/// A warning when a DNS setting is given both as a dockerd flag (from its
/// command line or `DOCKER_OPTS`) and in daemon.json, which makes dockerd
/// refuse to start; `None` when there is no such clash.
pub fn dns_conflict(daemon_json: &DaemonDnsConfig, dockerd_args: &[String]) -> Option<String> {
    let clashes: Vec<String> = SETTINGS
        .iter()
        .filter(|(key, flag)| {
            daemon_json.has(key) && dockerd_args.iter().any(|arg| flag_of(arg).0 == *flag)
        })
        .map(|(key, flag)| format!("{flag} and \"{key}\""))
        .collect();
    if clashes.is_empty() {
        return None;
    }
    Some(format!(
        "dockerd will refuse to start: {} set both as a flag and in {}; \
         keep them in one place only",
        clashes.join(", "),
        daemon_json.path().display()
    ))
}
