//! Arbitrary text as a `PARROT_CVMFS_REPO` value and as a proxy chain:
//! parsing never panics, and whatever parses renders to text that parses
//! back to the same value and renders the same again. Lookups and warnings
//! on a parsed list never panic either.

#![no_main]

use libfuzzer_sys::fuzz_target;
use pcvmfs_core::cvmfs_repo::CvmfsRepoList;
use pcvmfs_core::proxy_chain::ProxyChain;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);

    if let Ok(list) = CvmfsRepoList::parse(&text) {
        let rendered = list.render();
        let again = CvmfsRepoList::parse(&rendered)
            .unwrap_or_else(|err| panic!("{rendered:?} does not parse back: {err}"));
        assert_eq!(again, list, "{rendered:?}");
        assert_eq!(again.render(), rendered);
        let _ = list.warnings();
        for name in ["alice.cern.ch", "oasis.opensciencegrid.org", "x", "a.b"] {
            if let Some(resolved) = list.lookup_path(name, "/sw") {
                let _ = (resolved.url(), resolved.pubkey(), resolved.proxies());
            }
        }
    }

    if let Ok(chain) = ProxyChain::parse(&text) {
        let rendered = chain.render();
        assert_eq!(ProxyChain::parse(&rendered).expect("renders back"), chain);
        let _ = chain.hosts();
    }
});
