//! Findings and the report that holds them: what was checked, how it went,
//! the evidence, and the remedy.

use std::fmt;

use serde::{Deserialize, Serialize};

/// How a check went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Fine.
    Ok,
    /// Works, but something deserves attention.
    Warn,
    /// Broken: parrot will not work until this is fixed.
    Fail,
}

impl Status {
    /// `ok`, `warn` or `fail`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warn => "warn",
            Status::Fail => "fail",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The result of one check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// What was checked, as a dotted name (`docker.engine`).
    pub check: String,
    /// How it went.
    pub status: Status,
    /// What was seen.
    pub evidence: String,
    /// What to do about it, when there is something to do.
    pub remedy: Option<String>,
}

impl Finding {
    /// A finding with a status and evidence, and no remedy.
    pub fn new(check: &str, status: Status, evidence: impl Into<String>) -> Self {
        Finding {
            check: check.to_string(),
            status,
            evidence: evidence.into(),
            remedy: None,
        }
    }

    /// The same finding with a remedy.
    pub fn with_remedy(mut self, remedy: impl Into<String>) -> Self {
        self.remedy = Some(remedy.into());
        self
    }
}

/// An ordered set of findings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// The findings, in the order the checks ran.
    pub findings: Vec<Finding>,
}

impl Report {
    /// Whether no finding failed.
    pub fn ok(&self) -> bool {
        self.findings.iter().all(|f| f.status != Status::Fail)
    }

    /// The worst status of any finding (`ok` for an empty report).
    pub fn worst(&self) -> Status {
        self.findings
            .iter()
            .map(|f| f.status)
            .max()
            .unwrap_or(Status::Ok)
    }

    /// The report as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report always serialises")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_fails_when_any_finding_fails() {
        let mut report = Report::default();
        assert!(report.ok());
        assert_eq!(report.worst(), Status::Ok);
        report.findings.push(Finding::new("a", Status::Warn, "w"));
        assert!(report.ok());
        report
            .findings
            .push(Finding::new("b", Status::Fail, "f").with_remedy("fix"));
        assert!(!report.ok());
        assert_eq!(report.worst(), Status::Fail);
        let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
        assert_eq!(json["findings"][1]["status"], "fail");
        assert_eq!(json["findings"][1]["remedy"], "fix");
        assert_eq!(json["findings"][0]["remedy"], serde_json::Value::Null);
    }
}
