//! The policy parser and renderer on the profiles of the old instructions,
//! on every rule kind, and on malformed, hostile and huge input.

use pcvmfs_apparmor::Error;
use pcvmfs_apparmor::policy::{Access, IncludePath, Item, PolicyFile, Rule, RuleKind};

fn fixture(name: &str) -> String {
    let path = format!(
        "{}/../../../shared/fixtures/apparmor/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Parse, render, parse again: the same policy, and a fixed point.
fn round_trip(text: &str) -> PolicyFile {
    let policy = PolicyFile::parse(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let rendered = policy.render();
    let again = PolicyFile::parse(&rendered).unwrap_or_else(|e| panic!("{e}\n{rendered}"));
    assert_eq!(again, policy, "{rendered}");
    assert_eq!(again.render(), rendered);
    policy
}

/// The text without layout: what rendering may change.
fn words(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_string).collect()
}

#[test]
fn the_old_template_parses_into_the_expected_model() {
    let text = fixture("old-docker-default-template.profile");
    let policy = round_trip(&text);
    assert_eq!(
        words(&policy.render()),
        words(&text),
        "only layout may change"
    );
    assert_eq!(
        policy.items[0],
        Item::Include {
            path: IncludePath::Magic("tunables/global".into()),
            if_exists: false,
            hash_form: true
        }
    );
    let profile = policy.profile("docker-default").unwrap();
    assert!(profile.keyword);
    assert_eq!(profile.flags, ["attach_disconnected", "mediate_deleted"]);
    assert_eq!(
        profile.body[0],
        Item::Include {
            path: IncludePath::Magic("abstractions/base".into()),
            if_exists: false,
            hash_form: true
        }
    );
    let rules: Vec<&Rule> = profile.rules().collect();
    assert_eq!(rules.len(), 17);
    assert_eq!(
        rules[0],
        &Rule::new(RuleKind::Network, Vec::<String>::new())
    );
    assert_eq!(rules[2].kind, RuleKind::File { keyword: true });
    let glob = rules[4];
    assert_eq!(glob.access, Access::Deny);
    assert_eq!(glob.kind, RuleKind::File { keyword: false });
    assert_eq!(glob.args, ["@{PROC}/{*,**^[0-9*],sys/kernel/shm*}", "wkx"]);
    assert_eq!(
        rules[9],
        &Rule {
            access: Access::Deny,
            ..Rule::new(RuleKind::Mount, Vec::<String>::new())
        }
    );
}

#[test]
fn the_old_ptrace_profile_differs_by_its_name_and_one_rule() {
    let template = round_trip(&fixture("old-docker-default-template.profile"));
    let ptrace = round_trip(&fixture("old-docker-ptrace.profile"));
    let a = template.profile("docker-default").unwrap();
    let b = ptrace.profile("docker-ptrace").unwrap();
    let (only_template, only_ptrace) = a.rule_difference(b);
    assert!(only_template.is_empty());
    assert_eq!(only_ptrace, [&Rule::ptrace_own_peers()]);
    assert_eq!(
        Rule::ptrace_own_peers().condition("peer"),
        Some("@{profile_name}")
    );
    // Adding the rule to the template's profile gives the ptrace profile's rules.
    let mut changed = template.clone();
    let profile = changed.profile_mut("docker-default").unwrap();
    assert!(profile.add_rule(Rule::ptrace_own_peers()));
    assert!(
        !profile.add_rule(Rule::ptrace_own_peers()),
        "added once only"
    );
    assert_eq!(profile.rule_difference(b), (vec![], vec![]));
    assert_eq!(profile.remove_rule(&Rule::ptrace_own_peers()), 1);
    assert_eq!(changed, template);
}

#[test]
fn every_rule_kind_parses_and_renders_back() {
    let text = r#"
abi <abi/3.0>,
include <tunables/global>
include if exists <local/extra>
#include "/etc/apparmor.d/quoted file"
@{PROC}=/proc/
@{HOMES} += /srv/home/ /data/home/
# a comment at the top

profile "my profile" /usr/bin/{a,b} flags=(complain, attach_disconnected) {
  # inside
  capability,
  capability sys_ptrace dac_override,
  audit deny capability sys_admin,
  network,
  network inet stream,
  allow network unix dgram,
  file,
  /etc/passwd r,
  owner @{HOME}/** rw,
  deny @{PROC}/sysrq-trigger rwklx,
  r /var/log/x.log,
  "/path with space" rw,
  link subset /link -> /target,
  mount,
  mount fstype=(ext4, xfs) options=(ro, remount) /dev/sda1 -> /mnt/,
  deny mount,
  remount /x,
  umount,
  pivot_root oldroot=/old/ /new/,
  ptrace,
  ptrace (read, trace) peer=docker-default,
  signal (receive) peer=unconfined,
  signal send set=(int, term) peer=@{profile_name},
  unix (send, receive) type=stream peer=(label=other),
  dbus send bus=system path=/org/freedesktop/DBus interface=org.freedesktop.DBus member="Hello" peer=(name=org.freedesktop.DBus),
  change_profile -> other,
  set rlimit nproc <= 10,
  userns,
  ^hat {
    /tmp/** rw,
  }
  profile child {
    include <abstractions/base>
    capability chown,
  }
}

/usr/bin/bare {
  capability,
}
"#;
    let policy = round_trip(text);
    let profile = policy.profile("my profile").unwrap();
    assert_eq!(profile.attachment.as_deref(), Some("/usr/bin/{a,b}"));
    assert_eq!(profile.flags, ["complain", "attach_disconnected"]);
    let kinds: Vec<&RuleKind> = profile.rules().map(|r| &r.kind).collect();
    for kind in [
        RuleKind::Capability,
        RuleKind::Network,
        RuleKind::File { keyword: true },
        RuleKind::File { keyword: false },
        RuleKind::Link,
        RuleKind::Mount,
        RuleKind::Remount,
        RuleKind::Umount,
        RuleKind::PivotRoot,
        RuleKind::Ptrace,
        RuleKind::Signal,
        RuleKind::Unix,
        RuleKind::Dbus,
        RuleKind::ChangeProfile,
        RuleKind::Rlimit,
        RuleKind::Other("userns".into()),
    ] {
        assert!(kinds.contains(&&kind), "{kind:?} missing from {kinds:?}");
    }
    let audited = profile.rules().find(|r| r.audit).unwrap();
    assert_eq!(
        (audited.access, audited.args.as_slice()),
        (Access::Deny, ["sys_admin".to_string()].as_slice())
    );
    assert!(
        profile
            .rules()
            .any(|r| r.owner && r.args == ["@{HOME}/**", "rw"])
    );
    let mount = profile
        .rules()
        .find(|r| r.kind == RuleKind::Mount && !r.args.is_empty())
        .unwrap();
    assert_eq!(
        mount.args,
        [
            "fstype=(ext4, xfs)",
            "options=(ro, remount)",
            "/dev/sda1",
            "->",
            "/mnt/"
        ]
    );
    let ptrace = profile
        .rules()
        .find(|r| r.kind == RuleKind::Ptrace && !r.args.is_empty())
        .unwrap();
    assert_eq!(ptrace.condition("peer"), Some("docker-default"));
    let children: Vec<_> = profile.children().collect();
    assert!(children[0].hat && children[0].name == "hat");
    assert!(children[1].keyword && children[1].name == "child");
    assert!(
        matches!(&policy.items[3], Item::Include { path: IncludePath::Quoted(p), hash_form: true, .. } if p == "/etc/apparmor.d/quoted file")
    );
    assert_eq!(
        policy.items[5],
        Item::Variable {
            name: "HOMES".into(),
            append: true,
            values: vec!["/srv/home/".into(), "/data/home/".into()]
        }
    );
    assert!(policy.profile("/usr/bin/bare").is_some_and(|p| !p.keyword));
    assert!(matches!(&policy.items[6], Item::Comment { text } if text == " a comment at the top"));
}

#[test]
fn rules_parse_alone() {
    let rule = Rule::parse("audit deny owner /x/** rw").unwrap();
    assert!(rule.audit && rule.owner && rule.access == Access::Deny);
    assert_eq!(rule.render(), "audit deny owner /x/** rw,");
    assert_eq!(
        Rule::parse("ptrace peer=@{profile_name},").unwrap(),
        Rule::ptrace_own_peers()
    );
    assert!(Rule::parse("capability, network,").is_err());
    assert!(Rule::parse("").is_err());
}

fn parse_error(text: &str) -> (usize, usize, String) {
    match PolicyFile::parse(text) {
        Err(Error::Parse {
            line,
            column,
            message,
        }) => (line, column, message),
        other => panic!("expected a parse error for {text:?}, got {other:?}"),
    }
}

#[test]
fn malformed_input_is_a_parse_error_with_a_position() {
    let cases: &[(&str, usize, usize, &str)] = &[
        (
            "profile p {\n  capability,\n",
            3,
            1,
            "expected '}' to close profile \"p\" opened at line 1",
        ),
        ("profile p {\n}\n}\n", 3, 1, "unexpected '}'"),
        (
            "profile p {\n  network\n  capability,\n}\n",
            2,
            10,
            "expected ',' at the end of the rule that starts at line 2, column 3",
        ),
        ("profile p {\n  network\n}\n", 2, 10, "expected ','"),
        ("profile p {\n  capability", 2, 13, "expected ','"),
        (
            "profile p flags=(complian) {\n}\n",
            1,
            11,
            "unknown profile flag \"complian\"",
        ),
        ("profile p flags=() {\n}\n", 1, 11, "names no flag"),
        ("profile p {\n  /x r) ,\n}\n", 2, 7, "closes nothing"),
        ("profile p {\n  /x{a,b r,\n}\n", 2, 5, "never closed"),
        (
            "profile p {\n  \"/x r,\n}\n",
            2,
            3,
            "quote that is never closed",
        ),
        ("profile {\n}\n", 1, 1, "needs a name"),
        ("{\n}\n", 1, 1, "no profile name"),
        ("profile p {\n  !!! x,\n}\n", 2, 3, "starts no rule"),
        ("profile p {\n  deny,\n}\n", 2, 3, "needs a keyword"),
        ("@{} = x\n", 1, 1, "invalid variable name"),
        ("@{X} =\n", 1, 1, "has no value"),
        ("include\n", 1, 1, "expected a file"),
        ("include <a> <b>\n", 1, 1, "one file"),
        ("abi <abi/3.0> x,\n", 1, 1, "expected abi"),
        ("profile p {\n  cap\0ability,\n}\n", 2, 6, "NUL"),
        ("if defined @{X} {\n}\n", 1, 1, "not supported"),
    ];
    for (text, line, column, expected) in cases {
        let (l, c, message) = parse_error(text);
        assert!(message.contains(expected), "{text:?}: {message}");
        assert_eq!((l, c), (*line, *column), "{text:?}: {message}");
    }
}

#[test]
fn deep_nesting_is_refused_without_overflowing_the_stack() {
    let depth = 100_000;
    let text = "profile p {\n".repeat(depth) + &"}\n".repeat(depth);
    let (_, _, message) = parse_error(&text);
    assert!(message.contains("nest deeper"), "{message}");
    let ok = "profile p {\n".repeat(10) + &"}\n".repeat(10);
    round_trip(&ok);
}

#[test]
fn a_ten_megabyte_file_parses_or_fails_cleanly() {
    let rule = "  deny /sys/fs/c[^g]*/** wklx,\n";
    let body = rule.repeat(10 * 1024 * 1024 / rule.len());
    let text = format!("profile big {{\n{body}}}\n");
    let policy = PolicyFile::parse(&text).unwrap();
    assert_eq!(
        policy.profile("big").unwrap().rules().count(),
        body.lines().count()
    );
    let unclosed = format!("profile big {{\n{body}");
    let (line, _, message) = parse_error(&unclosed);
    assert!(message.contains("expected '}'"));
    assert_eq!(line, body.lines().count() + 2);
    let huge_word = format!("profile p {{\n  /{} r,\n}}\n", "a".repeat(10 * 1024 * 1024));
    round_trip(&huge_word);
}

#[test]
fn names_that_need_quotes_are_quoted() {
    let mut policy = PolicyFile::parse("profile plain {\n}\n").unwrap();
    let profile = policy.first_profile_mut().unwrap();
    profile.name = "with space \"and quote\"".into();
    let text = policy.render();
    assert!(
        text.starts_with("profile \"with space \\\"and quote\\\"\" {"),
        "{text}"
    );
    assert_eq!(PolicyFile::parse(&text).unwrap(), policy);
}
