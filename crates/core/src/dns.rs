//! DNS settings for one container (`docker run --dns`, `--dns-search`,
//! `--dns-option`).

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// The resolver configuration a container gets in its `/etc/resolv.conf`.
/// Every value is checked, because each ends up as a line of that file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnsOptions {
    /// Name servers, in order.
    pub servers: Vec<IpAddr>,
    /// Search domains, in order.
    pub search: Vec<String>,
    /// Resolver options such as `ndots:2` or `edns0`.
    pub options: Vec<String>,
}

impl DnsOptions {
    /// Builds checked options from text: addresses must be IPv4 or IPv6
    /// addresses, search entries domain names, options single resolver
    /// options.
    pub fn new<S: AsRef<str>>(servers: &[S], search: &[S], options: &[S]) -> Result<Self, Error> {
        let servers = servers
            .iter()
            .map(|s| parse_server(s.as_ref()))
            .collect::<Result<_, _>>()?;
        let search = search
            .iter()
            .map(|s| check_search_domain(s.as_ref()).map(|()| s.as_ref().to_string()))
            .collect::<Result<_, _>>()?;
        let options = options
            .iter()
            .map(|s| check_option(s.as_ref()).map(|()| s.as_ref().to_string()))
            .collect::<Result<_, _>>()?;
        Ok(DnsOptions {
            servers,
            search,
            options,
        })
    }

    /// Whether nothing is set, so the engine's own DNS settings apply.
    pub fn is_empty(&self) -> bool {
        self.servers.is_empty() && self.search.is_empty() && self.options.is_empty()
    }
}

fn parse_server(text: &str) -> Result<IpAddr, Error> {
    text.trim().parse().map_err(|_| {
        Error::parse(
            "DNS server",
            text,
            "expected an IPv4 or IPv6 address such as 192.0.2.53 or 2001:db8::53",
        )
    })
}

/// Checks a search domain: dot-separated labels of letters, digits, `-` and
/// `_`, at most 253 characters, with an optional final dot.
pub fn check_domain(text: &str) -> Result<(), Error> {
    let bad = |reason: &str| Err(Error::parse("search domain", text, reason));
    let name = text.strip_suffix('.').unwrap_or(text);
    if name.is_empty() {
        return bad("is empty");
    }
    if name.len() > 253 {
        return bad("is longer than 253 characters");
    }
    for label in name.split('.') {
        if label.is_empty() {
            return bad("has an empty label (two dots in a row)");
        }
        if label.len() > 63 {
            return bad("has a label longer than 63 characters");
        }
        if !label
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return bad("may hold only letters, digits, '-', '_' and dots");
        }
        if label.starts_with('-') || label.ends_with('-') {
            return bad("has a label that starts or ends with '-'");
        }
    }
    Ok(())
}

/// Checks a search domain as dockerd does: a domain name, or `.` alone,
/// which tells dockerd to give containers no search list at all.
pub fn check_search_domain(text: &str) -> Result<(), Error> {
    if text == "." {
        Ok(())
    } else {
        check_domain(text)
    }
}

/// Checks a resolver option: one word such as `edns0` or `ndots:2`.
pub fn check_option(text: &str) -> Result<(), Error> {
    let ok = !text.is_empty()
        && text.len() <= 64
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'));
    if ok {
        Ok(())
    } else {
        Err(Error::parse(
            "DNS option",
            text,
            "expected one resolver option such as ndots:2, timeout:1, attempts:3 or edns0",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_options_are_kept_in_order() {
        let dns = DnsOptions::new(
            &["192.0.2.53", "2001:db8::1", " 10.0.0.2 "],
            &["cern.ch", "example.org."],
            &["ndots:2", "edns0"],
        )
        .unwrap();
        assert_eq!(
            dns.servers
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>(),
            ["192.0.2.53", "2001:db8::1", "10.0.0.2"]
        );
        assert_eq!(dns.search, ["cern.ch", "example.org."]);
        assert!(!dns.is_empty());
        assert!(DnsOptions::default().is_empty());
        // dockerd's "no search list" (`--dns-search .`); `..` is refused,
        // as `docker run --dns-search ..` is.
        let none: [&str; 0] = [];
        assert_eq!(DnsOptions::new(&none, &["."], &none).unwrap().search, ["."]);
        assert!(DnsOptions::new(&none, &[".."], &none).is_err());
    }

    #[test]
    fn values_that_would_add_resolv_conf_lines_are_refused() {
        let none: [&str; 0] = [];
        for server in [
            "8.8.8.8\nnameserver 1.2.3.4",
            "example.com",
            "",
            "300.1.1.1",
        ] {
            let err = DnsOptions::new(&[server], &none, &none).unwrap_err();
            assert!(err.to_string().contains("DNS server"), "{err}");
        }
        for domain in [
            "a..b",
            "x\nnameserver 1.1.1.1",
            "-a.b",
            "a b",
            "",
            &"a".repeat(64),
        ] {
            assert!(
                DnsOptions::new(&none, &[domain], &none).is_err(),
                "{domain:?}"
            );
        }
        for option in ["ndots:2 rotate", "x\ny", "", "a;b"] {
            assert!(
                DnsOptions::new(&none, &none, &[option]).is_err(),
                "{option:?}"
            );
        }
    }
}
