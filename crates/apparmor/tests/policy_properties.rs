//! Properties of the policy parser: arbitrary text never panics, and any
//! policy built from the model renders to text that parses back to it.

use pcvmfs_apparmor::policy::{Access, IncludePath, Item, PolicyFile, Profile, Rule, RuleKind};
use proptest::prelude::*;

fn kind() -> impl Strategy<Value = RuleKind> {
    prop_oneof![
        Just(RuleKind::Capability),
        Just(RuleKind::Network),
        Just(RuleKind::File { keyword: true }),
        Just(RuleKind::Mount),
        Just(RuleKind::Remount),
        Just(RuleKind::Umount),
        Just(RuleKind::PivotRoot),
        Just(RuleKind::Ptrace),
        Just(RuleKind::Signal),
        Just(RuleKind::Unix),
        Just(RuleKind::Dbus),
        Just(RuleKind::ChangeProfile),
        Just(RuleKind::Rlimit),
        Just(RuleKind::Other("userns".into())),
    ]
}

fn arg() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z_]{1,12}",
        "/[a-z]{1,8}(/[a-z*]{1,6}){0,3}",
        "@\\{PROC\\}/[a-z]{1,6}",
        "peer=[a-z-]{1,10}",
        "\\([a-z]{1,6}(, [a-z]{1,6}){0,2}\\)",
        "[a-z]{1,6}=\\([a-z]{1,6}(,[a-z]{1,6}){0,2}\\)",
        "/\\{[a-z]{1,4},[a-z]{1,4}\\}",
        Just("->".to_string()),
    ]
}

fn rule() -> impl Strategy<Value = Rule> {
    (
        any::<bool>(),
        0..3u8,
        any::<bool>(),
        kind(),
        prop::collection::vec(arg(), 0..5),
    )
        .prop_map(|(audit, access, owner, kind, args)| Rule {
            audit,
            access: [Access::Default, Access::Allow, Access::Deny][access as usize],
            owner,
            kind,
            args,
        })
}

fn file_rule() -> impl Strategy<Value = Rule> {
    ("/[a-z]{1,8}(/[a-z*]{1,6}){0,3}", "[rwlkmix]{1,4}")
        .prop_map(|(path, perms)| Rule::new(RuleKind::File { keyword: false }, [path, perms]))
}

fn item() -> impl Strategy<Value = Item> {
    prop_oneof![
        rule().prop_map(Item::Rule),
        file_rule().prop_map(Item::Rule),
        "[ -~]{0,30}".prop_map(|text| Item::Comment { text }),
        "[a-z]{1,8}/[a-z]{1,8}".prop_map(|p| Item::Include {
            path: IncludePath::Magic(p),
            if_exists: false,
            hash_form: false
        }),
    ]
}

fn profile() -> impl Strategy<Value = Profile> {
    (
        "[a-z][a-z0-9 _.-]{0,15}",
        prop::collection::vec(
            prop::sample::select(vec!["complain", "attach_disconnected", "mediate_deleted"]),
            0..3,
        ),
        prop::collection::vec(item(), 0..12),
    )
        .prop_map(|(name, flags, body)| Profile {
            keyword: true,
            hat: false,
            name,
            attachment: None,
            flags: flags.into_iter().map(str::to_string).collect(),
            conditions: Vec::new(),
            body,
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        let _ = PolicyFile::parse(&text);
        let _ = Rule::parse(&text);
    }

    #[test]
    fn policy_like_text_never_panics(text in r#"[a-z@{}()\[\]/*,#"=^ \n-]{0,200}"#) {
        if let Ok(policy) = PolicyFile::parse(&text) {
            // What parses renders to text that parses to the same policy.
            prop_assert_eq!(PolicyFile::parse(&policy.render()).unwrap(), policy);
        }
    }

    #[test]
    fn models_render_and_parse_back(profiles in prop::collection::vec(profile(), 1..4), variable in "[A-Z]{1,6}") {
        let mut items = vec![Item::Variable { name: variable, append: false, values: vec!["/proc/".into()] }];
        items.extend(profiles.into_iter().map(Item::Profile));
        let policy = PolicyFile { items };
        let text = policy.render();
        let parsed = PolicyFile::parse(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(parsed, policy);
    }
}
