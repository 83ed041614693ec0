//! HTTP proxy chains as CVMFS reads them: the value of `CVMFS_HTTP_PROXY`
//! for a CVMFS client, of `HTTP_PROXY` for parrot (which hands it to
//! libcvmfs as `proxies=`), and of the `proxies=` option in
//! `PARROT_CVMFS_REPO`.
//!
//! The grammar follows the CVMFS documentation (`CVMFS_HTTP_PROXY`: a chain
//! of proxy groups): groups are separated by `;` and tried in order (fail
//! over), the proxies of one group are separated by `|` (load-balanced).
//! A member is `DIRECT` (no proxy), `auto` (proxies found through WPAD, the
//! `CVMFS_PAC_URLS`), or an `http://host:port` URL. pcvmfs is strict where
//! CVMFS is lenient: a proxy without its scheme or its port is refused,
//! because the guesses a client makes there are the usual cause of a proxy
//! that "does not work".

use std::fmt;
use std::net::Ipv6Addr;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, reject_nul};

/// What a proxy chain error calls the value.
const WHAT: &str = "proxy chain";

/// One member of a proxy group.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Proxy {
    /// `DIRECT`: connect to the stratum server without a proxy.
    Direct,
    /// `auto`: the proxies named by the WPAD/PAC files of `CVMFS_PAC_URLS`.
    Auto,
    /// An `http://host:port` proxy.
    Http(HttpProxy),
}

/// An `http://host:port` proxy; the host is a DNS name, an IPv4 address
/// or an IPv6 address (written in brackets in the URL).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct HttpProxy {
    host: String,
    port: u16,
}

impl HttpProxy {
    /// A proxy at `host` and `port`. An IPv6 host is given without
    /// brackets (`::1`), a name or IPv4 address as it is.
    pub fn new(host: &str, port: u16) -> Result<Self, Error> {
        check_host(host).map_err(|reason| Error::parse("proxy host", host, reason))?;
        if port == 0 {
            return Err(Error::parse(
                "proxy port",
                "0",
                "port 0 is not a port a proxy listens on",
            ));
        }
        Ok(HttpProxy {
            host: host.to_string(),
            port,
        })
    }

    /// The host, without the brackets of an IPv6 address.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The TCP port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Whether the host is an IPv6 address (bracketed in the URL).
    pub fn is_ipv6(&self) -> bool {
        self.host.contains(':')
    }
}

impl fmt::Display for HttpProxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_ipv6() {
            write!(f, "http://[{}]:{}", self.host, self.port)
        } else {
            write!(f, "http://{}:{}", self.host, self.port)
        }
    }
}

impl fmt::Display for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Proxy::Direct => f.write_str("DIRECT"),
            Proxy::Auto => f.write_str("auto"),
            Proxy::Http(proxy) => proxy.fmt(f),
        }
    }
}

impl FromStr for Proxy {
    type Err = Error;

    /// One member: `DIRECT`, `auto` or `http://host:port`.
    fn from_str(text: &str) -> Result<Self, Error> {
        parse_proxy(text).map_err(|reason| Error::parse("proxy", text, reason))
    }
}

/// A proxy chain: groups tried in order, each a set of load-balanced
/// proxies. Never empty, and no group is empty.
// Serialized as its text, so that it deserializes through the same checks.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ProxyChain {
    groups: Vec<Vec<Proxy>>,
}

impl ProxyChain {
    /// A chain of the given groups, in fail-over order.
    pub fn new(groups: Vec<Vec<Proxy>>) -> Result<Self, Error> {
        if groups.is_empty() {
            return Err(Error::parse(
                WHAT,
                "",
                "a proxy chain needs at least one group",
            ));
        }
        if let Some(index) = groups.iter().position(Vec::is_empty) {
            return Err(Error::parse(
                WHAT,
                "",
                format!("group {} has no proxy", index + 1),
            ));
        }
        Ok(ProxyChain { groups })
    }

    /// The chain `DIRECT`: no proxy at all.
    pub fn direct() -> Self {
        ProxyChain {
            groups: vec![vec![Proxy::Direct]],
        }
    }

    /// Parses a `CVMFS_HTTP_PROXY` / `HTTP_PROXY` value such as
    /// `http://squid1:3128|http://squid2:3128;DIRECT`.
    pub fn parse(text: &str) -> Result<Self, Error> {
        reject_nul(WHAT, text)?;
        if text.is_empty() {
            return Err(Error::parse(
                WHAT,
                text,
                "is empty; write DIRECT for no proxy",
            ));
        }
        let mut groups = Vec::new();
        for (group_index, group_text) in text.split(';').enumerate() {
            if group_text.is_empty() {
                return Err(Error::parse(
                    WHAT,
                    text,
                    format!(
                        "group {} is empty (two `;` in a row, or a `;` at an end)",
                        group_index + 1
                    ),
                ));
            }
            let mut group = Vec::new();
            for (member_index, member) in group_text.split('|').enumerate() {
                let proxy = parse_proxy(member).map_err(|reason| {
                    Error::parse(
                        WHAT,
                        text,
                        format!(
                            "group {}, proxy {} ({:?}): {reason}",
                            group_index + 1,
                            member_index + 1,
                            crate::error::excerpt(member)
                        ),
                    )
                })?;
                group.push(proxy);
            }
            groups.push(group);
        }
        Ok(ProxyChain { groups })
    }

    /// The value as CVMFS and parrot read it.
    pub fn render(&self) -> String {
        self.groups
            .iter()
            .map(|group| {
                group
                    .iter()
                    .map(Proxy::to_string)
                    .collect::<Vec<_>>()
                    .join("|")
            })
            .collect::<Vec<_>>()
            .join(";")
    }

    /// The groups, in the order they are tried.
    pub fn groups(&self) -> &[Vec<Proxy>] {
        &self.groups
    }

    /// The distinct `(host, port)` pairs of the HTTP proxies, in order of
    /// first appearance: what must resolve and answer for the chain to work.
    pub fn hosts(&self) -> Vec<(String, u16)> {
        let mut hosts: Vec<(String, u16)> = Vec::new();
        for proxy in self.groups.iter().flatten() {
            if let Proxy::Http(http) = proxy {
                let pair = (http.host.clone(), http.port);
                if !hosts.contains(&pair) {
                    hosts.push(pair);
                }
            }
        }
        hosts
    }

    /// Whether `DIRECT` appears anywhere: the client may then reach the
    /// stratum servers without a proxy.
    pub fn has_direct(&self) -> bool {
        self.groups.iter().flatten().any(|p| *p == Proxy::Direct)
    }

    /// Whether `auto` appears anywhere, which needs `CVMFS_PAC_URLS`.
    pub fn has_auto(&self) -> bool {
        self.groups.iter().flatten().any(|p| *p == Proxy::Auto)
    }

    /// Whether the chain is exactly `DIRECT`. Parrot treats an `HTTP_PROXY`
    /// of `DIRECT` like no proxy at all and, with a libcvmfs older than
    /// revision 23, ignores every repository that has no `proxies=` option
    /// (`cvmfs_filesystem_create` in cctools `pfs_service_cvmfs.cc`).
    pub fn is_direct_only(&self) -> bool {
        self.groups.len() == 1 && self.groups[0] == [Proxy::Direct]
    }
}

impl fmt::Display for ProxyChain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}

impl FromStr for ProxyChain {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Error> {
        ProxyChain::parse(text)
    }
}

impl From<ProxyChain> for String {
    fn from(chain: ProxyChain) -> String {
        chain.render()
    }
}

impl TryFrom<String> for ProxyChain {
    type Error = Error;

    fn try_from(text: String) -> Result<Self, Error> {
        ProxyChain::parse(&text)
    }
}

/// One member of a group, or why it is not one.
fn parse_proxy(text: &str) -> Result<Proxy, String> {
    match text {
        "" => return Err("is empty (two `|` in a row, or a `|` at an end)".into()),
        "DIRECT" => return Ok(Proxy::Direct),
        "auto" => return Ok(Proxy::Auto),
        _ => {}
    }
    if text.eq_ignore_ascii_case("DIRECT") {
        return Err("is spelled in the wrong case; CVMFS only knows `DIRECT`".into());
    }
    if text.eq_ignore_ascii_case("auto") {
        return Err("is spelled in the wrong case; CVMFS only knows `auto`".into());
    }
    if let Some(bad) = text.chars().find(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "contains {bad:?}; a proxy URL has no spaces or control characters"
        ));
    }
    let Some((scheme, rest)) = text.split_once("://") else {
        return Err("has no scheme; expected http://host:port, DIRECT or auto".into());
    };
    if !scheme.eq_ignore_ascii_case("http") {
        return Err(format!(
            "has scheme `{}`; CVMFS proxies are plain http://host:port",
            crate::error::excerpt(scheme)
        ));
    }
    if scheme != "http" {
        return Err("write the scheme in lower case: http://".into());
    }
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.contains('/') {
        return Err("has a path; expected http://host:port".into());
    }
    if rest.contains('@') {
        return Err("has user information; expected http://host:port".into());
    }
    let (host, port_text) = if let Some(bracketed) = rest.strip_prefix('[') {
        let Some((host, after)) = bracketed.split_once(']') else {
            return Err("has an IPv6 address without its closing `]`".into());
        };
        if after.is_empty() {
            return Err("has no port; expected http://[address]:port".into());
        }
        let Some(port) = after.strip_prefix(':') else {
            return Err("has text after the IPv6 address; expected http://[address]:port".into());
        };
        if host.parse::<Ipv6Addr>().is_err() {
            return Err(format!(
                "has `[{}]`, which is not an IPv6 address",
                crate::error::excerpt(host)
            ));
        }
        (host, port)
    } else {
        let Some((host, port)) = rest.rsplit_once(':') else {
            return Err(
                "has no port; expected http://host:port (squid usually listens on 3128)".into(),
            );
        };
        if host.contains(':') {
            return Err(
                "has an IPv6 address without brackets; expected http://[address]:port".into(),
            );
        }
        (host, port)
    };
    let port = parse_port(port_text)?;
    check_host(host)?;
    if text.ends_with('/') {
        // A trailing slash would not survive rendering; refuse it rather
        // than silently changing the text.
        return Err("ends with `/`; expected http://host:port without a path".into());
    }
    Ok(Proxy::Http(HttpProxy {
        host: host.to_string(),
        port,
    }))
}

/// A decimal port from 1 to 65535, or why not.
fn parse_port(text: &str) -> Result<u16, String> {
    if text.is_empty() {
        return Err("has an empty port; expected http://host:port".into());
    }
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "has port `{}`, which is not a number",
            crate::error::excerpt(text)
        ));
    }
    match text.parse::<u16>() {
        Ok(0) => Err("has port 0".into()),
        Ok(port) => Ok(port),
        Err(_) => Err(format!(
            "has port {}, above 65535",
            crate::error::excerpt(text)
        )),
    }
}

/// Whether `host` is a DNS name, an IPv4 address or a bare IPv6 address.
fn check_host(host: &str) -> Result<(), String> {
    if host.is_empty() {
        return Err("has no host; expected http://host:port".into());
    }
    if host.contains(':') {
        return match host.parse::<Ipv6Addr>() {
            Ok(_) => Ok(()),
            Err(_) => Err(format!(
                "has host `{}`, which is neither a name nor an IPv6 address",
                crate::error::excerpt(host)
            )),
        };
    }
    if host.len() > 253 {
        return Err("has a host name longer than 253 characters".into());
    }
    for label in host.split('.') {
        let valid = !label.is_empty()
            && label.len() <= 63
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            && !label.starts_with('-')
            && !label.ends_with('-');
        if !valid {
            return Err(format!(
                "has host `{}`, which is not a valid host name (label `{}`)",
                crate::error::excerpt(host),
                crate::error::excerpt(label)
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_renders_in_brackets() {
        let chain = ProxyChain::parse("http://[::1]:3128;DIRECT").unwrap();
        assert_eq!(chain.render(), "http://[::1]:3128;DIRECT");
        assert_eq!(chain.hosts(), vec![("::1".to_string(), 3128)]);
    }

    #[test]
    fn a_trailing_slash_is_refused_rather_than_dropped() {
        let err = ProxyChain::parse("http://squid:3128/").unwrap_err();
        assert!(err.to_string().contains("ends with `/`"), "{err}");
    }
}
