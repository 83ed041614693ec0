//! The policy model.

use serde::Serialize;

use crate::error::Result;

/// The profile flags AppArmor defines (a flag may also take a value, such
/// as `kill.signal=9` or `error=EPERM`, after one of these names).
pub const KNOWN_FLAGS: &[&str] = &[
    "complain",
    "enforce",
    "kill",
    "unconfined",
    "prompt",
    "default_allow",
    "audit",
    "debug",
    "mediate_deleted",
    "delegate_deleted",
    "attach_disconnected",
    "attach_disconnected.path",
    "no_attach_disconnected",
    "chroot_relative",
    "namespace_relative",
    "chroot_attach",
    "chroot_no_attach",
    "interruptible",
    "kill.signal",
    "error",
];

/// The path of an `abi` or `include` directive.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", content = "path", rename_all = "lowercase")]
pub enum IncludePath {
    /// `<abstractions/base>`: searched in the parser's include directories.
    Magic(String),
    /// `"/etc/apparmor.d/local/x"`: a file name in quotes.
    Quoted(String),
    /// `/etc/apparmor.d/local/x`: a bare file name.
    Bare(String),
}

/// A top-level or profile-level element of a policy file.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "item", rename_all = "snake_case")]
pub enum Item {
    /// A comment, without its `#`.
    Comment {
        /// The text after `#`.
        text: String,
    },
    /// `abi <abi/3.0>,`
    Abi {
        /// The ABI file.
        path: IncludePath,
    },
    /// `#include <x>`, `include <x>`, `include if exists <x>`.
    Include {
        /// The included file.
        path: IncludePath,
        /// `if exists`: no error when the file is missing.
        if_exists: bool,
        /// Written in the old `#include` form.
        hash_form: bool,
    },
    /// `@{PROC}=/proc/` or `@{HOMEDIRS}+=/srv/home/`.
    Variable {
        /// The variable's name, without `@{` and `}`.
        name: String,
        /// `+=` (append) rather than `=`.
        append: bool,
        /// The values, as written.
        values: Vec<String>,
    },
    /// A profile or hat, with its body.
    Profile(Profile),
    /// A rule.
    Rule(Rule),
}

/// A profile (or a hat, `^name`), with the rules and nested profiles of
/// its body.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Profile {
    /// Written with the `profile` keyword.
    pub keyword: bool,
    /// A hat (`^name` or `hat name`).
    pub hat: bool,
    /// The name, unquoted.
    pub name: String,
    /// The attachment (the executables it applies to), when given apart
    /// from the name.
    pub attachment: Option<String>,
    /// The flags (`attach_disconnected`, `mediate_deleted`, ...).
    pub flags: Vec<String>,
    /// Other header conditions, as written (`xattrs=(...)`).
    pub conditions: Vec<String>,
    /// Rules, comments, includes and nested profiles, in order.
    pub body: Vec<Item>,
}

/// `allow`, `deny`, or neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Access {
    /// No qualifier: allowed.
    #[default]
    Default,
    /// `allow`, explicitly.
    Allow,
    /// `deny`.
    Deny,
}

/// The kind of a rule, from its keyword (or its shape, for file rules).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    /// `capability [NAMES]`
    Capability,
    /// `network [DOMAIN] [TYPE] [PROTOCOL]`
    Network,
    /// A file rule: `PATH PERMS`, `PERMS PATH`, or `file [...]`.
    File {
        /// Written with the `file` keyword.
        keyword: bool,
    },
    /// `link [subset] SOURCE -> TARGET`
    Link,
    /// `mount [CONDITIONS] [SOURCE] [-> TARGET]`
    Mount,
    /// `remount [CONDITIONS] [TARGET]`
    Remount,
    /// `umount [CONDITIONS] [TARGET]`
    Umount,
    /// `pivot_root [oldroot=...] [NEW] [-> PROFILE]`
    PivotRoot,
    /// `ptrace [ACCESS] [peer=...]`
    Ptrace,
    /// `signal [ACCESS] [set=...] [peer=...]`
    Signal,
    /// `unix [ACCESS] [CONDITIONS]`
    Unix,
    /// `dbus [ACCESS] [CONDITIONS]`
    Dbus,
    /// `change_profile [-> PROFILE]`
    ChangeProfile,
    /// `set rlimit RESOURCE <= VALUE`
    Rlimit,
    /// Any other rule, by its keyword (`userns`, `io_uring`, `all`, ...).
    Other(String),
}

impl RuleKind {
    /// The keyword the rule is written with (`None` for a file rule without
    /// the `file` keyword).
    pub fn keyword(&self) -> Option<&str> {
        Some(match self {
            RuleKind::Capability => "capability",
            RuleKind::Network => "network",
            RuleKind::File { keyword: true } => "file",
            RuleKind::File { keyword: false } => return None,
            RuleKind::Link => "link",
            RuleKind::Mount => "mount",
            RuleKind::Remount => "remount",
            RuleKind::Umount => "umount",
            RuleKind::PivotRoot => "pivot_root",
            RuleKind::Ptrace => "ptrace",
            RuleKind::Signal => "signal",
            RuleKind::Unix => "unix",
            RuleKind::Dbus => "dbus",
            RuleKind::ChangeProfile => "change_profile",
            RuleKind::Rlimit => "set rlimit",
            RuleKind::Other(keyword) => keyword,
        })
    }

    /// The kind a keyword starts, if it is a known one.
    pub(crate) fn from_keyword(word: &str) -> Option<RuleKind> {
        Some(match word {
            "capability" => RuleKind::Capability,
            "network" => RuleKind::Network,
            "file" => RuleKind::File { keyword: true },
            "link" => RuleKind::Link,
            "mount" => RuleKind::Mount,
            "remount" => RuleKind::Remount,
            "umount" => RuleKind::Umount,
            "pivot_root" => RuleKind::PivotRoot,
            "ptrace" => RuleKind::Ptrace,
            "signal" => RuleKind::Signal,
            "unix" => RuleKind::Unix,
            "dbus" => RuleKind::Dbus,
            "change_profile" => RuleKind::ChangeProfile,
            _ => return None,
        })
    }
}

/// One rule: its qualifiers, its kind, and its arguments as written
/// (words, `key=value` conditions, parenthesised lists, paths, `->`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Rule {
    /// `audit`: log when the rule applies.
    pub audit: bool,
    /// `allow` or `deny`.
    pub access: Access,
    /// `owner`: only for files the process owns (file rules).
    pub owner: bool,
    /// The kind.
    pub kind: RuleKind,
    /// The arguments after the keyword.
    pub args: Vec<String>,
}

impl Rule {
    /// A rule of `kind` with these arguments and no qualifiers.
    pub fn new<S: Into<String>>(kind: RuleKind, args: impl IntoIterator<Item = S>) -> Rule {
        Rule {
            audit: false,
            access: Access::Default,
            owner: false,
            kind,
            args: args.into_iter().map(Into::into).collect(),
        }
    }

    /// Parses one rule, such as `ptrace peer=@{profile_name},` (the final
    /// comma may be left out).
    pub fn parse(text: &str) -> Result<Rule> {
        super::parse::parse_rule(text)
    }

    /// The rule that lets processes of a profile trace each other:
    /// `ptrace peer=@{profile_name},`.
    pub fn ptrace_own_peers() -> Rule {
        Rule::new(RuleKind::Ptrace, ["peer=@{profile_name}"])
    }

    /// The value of a `key=value` argument (`peer` of a ptrace rule).
    pub fn condition(&self, key: &str) -> Option<&str> {
        self.args
            .iter()
            .find_map(|a| a.strip_prefix(key).and_then(|rest| rest.strip_prefix('=')))
    }

    /// The rule as one line of policy, without indentation.
    pub fn render(&self) -> String {
        super::render::rule_text(self)
    }
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.render())
    }
}

impl Profile {
    /// The rules directly in this profile's body, in order.
    pub fn rules(&self) -> impl Iterator<Item = &Rule> {
        self.body.iter().filter_map(|item| match item {
            Item::Rule(rule) => Some(rule),
            _ => None,
        })
    }

    /// The profiles and hats nested in this one.
    pub fn children(&self) -> impl Iterator<Item = &Profile> {
        self.body.iter().filter_map(|item| match item {
            Item::Profile(p) => Some(p),
            _ => None,
        })
    }

    /// Whether the body has this rule.
    pub fn has_rule(&self, rule: &Rule) -> bool {
        self.rules().any(|r| r == rule)
    }

    /// Adds a rule at the end of the body, before nested profiles, unless
    /// the body already has it; returns whether it was added.
    pub fn add_rule(&mut self, rule: Rule) -> bool {
        if self.has_rule(&rule) {
            return false;
        }
        let at = self
            .body
            .iter()
            .position(|item| matches!(item, Item::Profile(_)))
            .unwrap_or(self.body.len());
        // Keep the rule before trailing comments that close the body.
        let at = (0..at)
            .rev()
            .take_while(|&i| matches!(self.body[i], Item::Comment { .. }))
            .last()
            .unwrap_or(at);
        self.body.insert(at, Item::Rule(rule));
        true
    }

    /// Removes every occurrence of a rule; returns how many were removed.
    pub fn remove_rule(&mut self, rule: &Rule) -> usize {
        let before = self.body.len();
        self.body
            .retain(|item| !matches!(item, Item::Rule(r) if r == rule));
        before - self.body.len()
    }

    /// The rules this profile has and `other` lacks, then those `other`
    /// has and this one lacks, each in order (duplicates count once).
    pub fn rule_difference<'a>(&'a self, other: &'a Profile) -> (Vec<&'a Rule>, Vec<&'a Rule>) {
        let only = |a: &'a Profile, b: &'a Profile| -> Vec<&'a Rule> {
            let mut seen: Vec<&Rule> = Vec::new();
            for rule in a.rules() {
                if !b.has_rule(rule) && !seen.contains(&rule) {
                    seen.push(rule);
                }
            }
            seen
        };
        (only(self, other), only(other, self))
    }
}

/// A whole policy file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize)]
pub struct PolicyFile {
    /// Its items, in order: preamble, profiles, comments.
    pub items: Vec<Item>,
}

impl PolicyFile {
    /// Parses policy text. An error says the line and column and what was
    /// expected.
    pub fn parse(text: &str) -> Result<PolicyFile> {
        super::parse::parse_policy(text)
    }

    /// The policy as text.
    pub fn render(&self) -> String {
        super::render::policy_text(self)
    }

    /// The top-level profiles.
    pub fn profiles(&self) -> impl Iterator<Item = &Profile> {
        self.items.iter().filter_map(|item| match item {
            Item::Profile(p) => Some(p),
            _ => None,
        })
    }

    /// The top-level profile with this name.
    pub fn profile(&self, name: &str) -> Option<&Profile> {
        self.profiles().find(|p| p.name == name)
    }

    /// The top-level profile with this name, to change it.
    pub fn profile_mut(&mut self, name: &str) -> Option<&mut Profile> {
        self.items.iter_mut().find_map(|item| match item {
            Item::Profile(p) if p.name == name => Some(p),
            _ => None,
        })
    }

    /// The same policy where every top-level profile also lets its own
    /// processes trace each other (`ptrace peer=@{profile_name},`), as
    /// parrot needs under the Docker default profile.
    pub fn with_ptrace_peers(mut self) -> PolicyFile {
        for item in &mut self.items {
            if let Item::Profile(profile) = item {
                profile.add_rule(Rule::ptrace_own_peers());
            }
        }
        self
    }

    /// Renames the first top-level profile.
    pub fn renamed(mut self, name: &str) -> PolicyFile {
        if let Some(profile) = self.first_profile_mut() {
            profile.name = name.to_string();
        }
        self
    }

    /// The first top-level profile, to change it.
    pub fn first_profile_mut(&mut self) -> Option<&mut Profile> {
        self.items.iter_mut().find_map(|item| match item {
            Item::Profile(p) => Some(p),
            _ => None,
        })
    }
}
