//! SELinux AVC denial records from kernel and audit logs:
//! `avc:  denied  { ptrace } for  pid=2412 comm="parrot_run"
//! scontext=... tcontext=... tclass=process permissive=0`.

use std::collections::BTreeMap;

use serde::Serialize;

/// One AVC record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AvcDenial {
    /// `denied` or `granted`.
    pub verdict: String,
    /// The permissions in braces (`ptrace`, `sys_ptrace`).
    pub permissions: Vec<String>,
    /// `pid=`.
    pub pid: Option<u32>,
    /// `comm=`, unquoted.
    pub comm: Option<String>,
    /// The source context.
    pub scontext: Option<String>,
    /// The target context.
    pub tcontext: Option<String>,
    /// The object class (`process`, `cap_userns`, ...).
    pub tclass: Option<String>,
    /// Whether SELinux only logged it (permissive) rather than refused it.
    pub permissive: Option<bool>,
    /// Every other `key=value` of the record.
    pub other: BTreeMap<String, String>,
}

impl AvcDenial {
    /// Whether this record is about tracing: a `ptrace` permission on a
    /// process, or the `sys_ptrace` capability.
    pub fn is_ptrace(&self) -> bool {
        self.permissions
            .iter()
            .any(|p| p == "ptrace" || p == "sys_ptrace")
    }

    /// The SELinux type of the source context (`container_t`).
    pub fn source_type(&self) -> Option<&str> {
        self.scontext.as_deref()?.split(':').nth(2)
    }
}

/// Reads one log line: the AVC record it holds, if any.
pub fn parse_avc_line(line: &str) -> Option<AvcDenial> {
    let at = line.find("avc:")?;
    let rest = line[at + 4..].trim_start();
    let (verdict, rest) = rest.split_once(char::is_whitespace)?;
    if verdict != "denied" && verdict != "granted" {
        return None;
    }
    let rest = rest.trim_start().strip_prefix('{')?;
    let (permissions, rest) = rest.split_once('}')?;
    let rest = rest.trim_start().strip_prefix("for").unwrap_or(rest);
    let mut record = AvcDenial {
        verdict: verdict.to_string(),
        permissions: permissions.split_whitespace().map(str::to_string).collect(),
        pid: None,
        comm: None,
        scontext: None,
        tcontext: None,
        tclass: None,
        permissive: None,
        other: BTreeMap::new(),
    };
    for field in split_fields(rest) {
        let Some((key, value)) = field.split_once('=') else {
            continue;
        };
        let value = value.trim_matches('"').to_string();
        match key {
            "pid" => record.pid = value.parse().ok(),
            "comm" => record.comm = Some(value),
            "scontext" => record.scontext = Some(value),
            "tcontext" => record.tcontext = Some(value),
            "tclass" => record.tclass = Some(value),
            "permissive" => record.permissive = Some(value == "1"),
            _ => {
                record.other.insert(key.to_string(), value);
            }
        }
    }
    Some(record)
}

/// Splits on white space outside double quotes.
fn split_fields(text: &str) -> Vec<&str> {
    let mut fields = Vec::new();
    let mut start = None;
    let mut in_quote = false;
    for (i, c) in text.char_indices() {
        match c {
            '"' => {
                in_quote = !in_quote;
                start.get_or_insert(i);
            }
            c if c.is_whitespace() && !in_quote => {
                if let Some(s) = start.take() {
                    fields.push(&text[s..i]);
                }
            }
            _ => {
                start.get_or_insert(i);
            }
        }
    }
    if let Some(s) = start {
        fields.push(&text[s..]);
    }
    fields
}

/// Every AVC record of a log; other lines are skipped.
pub fn parse_avc_denials(text: &str) -> Vec<AvcDenial> {
    text.lines().filter_map(parse_avc_line).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fixture_lines_parse() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/fixtures/kernel-log/selinux-denials.log"
        ))
        .unwrap();
        let records = parse_avc_denials(&text);
        assert_eq!(records.len(), 2);
        let first = &records[0];
        assert_eq!(first.verdict, "denied");
        assert_eq!(first.permissions, ["ptrace"]);
        assert_eq!(first.pid, Some(2412));
        assert_eq!(first.comm.as_deref(), Some("parrot_run"));
        assert_eq!(
            first.scontext.as_deref(),
            Some("system_u:system_r:container_t:s0:c123,c456")
        );
        assert_eq!(first.tclass.as_deref(), Some("process"));
        assert_eq!(first.permissive, Some(false));
        assert_eq!(first.source_type(), Some("container_t"));
        assert!(first.is_ptrace());
        let second = &records[1];
        assert_eq!(second.permissions, ["sys_ptrace"]);
        assert_eq!(second.tclass.as_deref(), Some("cap_userns"));
        assert_eq!(second.other["capability"], "19");
        assert!(
            parse_avc_line("[1.0] IPv6: ADDRCONF(NETDEV_CHANGE): veth: link becomes ready")
                .is_none()
        );
        assert!(parse_avc_line("avc: denied").is_none());
        assert!(parse_avc_line("avc:  denied  { ptrace").is_none());
    }
}
