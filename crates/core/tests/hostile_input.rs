//! Every parser and checker of the core, fed arbitrary, hostile and huge
//! text: none may panic, and whatever is accepted must render back to
//! itself or stay free of what could inject a line or an option.

use pcvmfs_core::proxy_chain::ProxyChain;
use pcvmfs_core::{
    AppliedSecurity, Capability, ContainerSpec, DnsOptions, ExecSpec, SecurityOption,
    SecurityOptions, VolumeMount,
};
use proptest::prelude::*;

/// Text rich in the characters that break parsers and shells.
fn nasty() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ -~]{0,40}",
        r#"[a-z0-9:/.=,;|$`'"\\ \n\t\x00-]{0,60}"#,
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn capabilities_never_panic_and_are_canonical(text in nasty()) {
        if let Ok(cap) = text.parse::<Capability>() {
            prop_assert!(cap.as_str() == "ALL" || cap.bit().is_some());
            prop_assert_eq!(cap.as_str().parse::<Capability>().unwrap(), cap);
        }
        let _ = Capability::from_mask(&text);
    }

    #[test]
    fn volumes_render_back_to_themselves(text in nasty()) {
        if let Ok(mount) = VolumeMount::parse(&text) {
            prop_assert_eq!(VolumeMount::parse(&mount.to_string()).unwrap(), mount);
        }
    }

    #[test]
    fn accepted_dns_values_cannot_add_lines(server in nasty(), search in nasty(), option in nasty()) {
        if let Ok(dns) = DnsOptions::new(&[server.as_str()], &[search.as_str()], &[option.as_str()]) {
            for value in dns.search.iter().chain(&dns.options) {
                prop_assert!(!value.chars().any(|c| c.is_whitespace() || c.is_control()));
            }
        }
    }

    #[test]
    fn accepted_apparmor_names_cannot_smuggle_options(name in nasty()) {
        if SecurityOptions::check_apparmor_name(&name).is_ok() {
            prop_assert!(!name.chars().any(|c| c.is_whitespace() || c.is_control()));
            prop_assert!(!name.starts_with(['-', '=', ':']));
        }
    }

    #[test]
    fn proxies_and_engine_options_never_panic(text in nasty()) {
        let _ = ProxyChain::parse(&text);
        let option = SecurityOption::parse(&text);
        if text.trim().starts_with("name=") {
            prop_assert!(!option.name.contains(','));
        }
        let _ = AppliedSecurity::from_inspect(false, std::slice::from_ref(&text), std::slice::from_ref(&text), &[], Some(&text));
    }

    #[test]
    fn specs_with_arbitrary_fields_are_checked_without_panicking(image in nasty(), user in nasty(), key in nasty(), value in nasty()) {
        let spec = ContainerSpec {
            user: Some(user.clone()),
            env: vec![(key.clone(), value.clone())],
            ..ContainerSpec::new(image.clone())
        };
        if spec.check().is_ok() {
            prop_assert!(!key.contains('=') && !key.contains('\0') && !value.contains('\0'));
            prop_assert!(!user.chars().any(char::is_whitespace));
        }
        let exec = ExecSpec { user: Some(user), ..ExecSpec::new([image, key, value]) };
        let _ = exec.check();
    }
}

#[test]
fn huge_inputs_are_refused_with_short_messages() {
    let huge = "A".repeat(10_000_000);
    for err in [
        huge.parse::<Capability>().unwrap_err(),
        VolumeMount::parse(&huge).unwrap_err(),
        DnsOptions::new(&[huge.as_str()], &[], &[]).unwrap_err(),
        ProxyChain::parse(&huge).unwrap_err(),
        SecurityOptions::check_apparmor_name(&huge).unwrap_err(),
    ] {
        assert!(err.to_string().len() < 400, "{}", err.to_string().len());
    }
}
