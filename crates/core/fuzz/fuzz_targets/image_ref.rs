//! Arbitrary text as an image reference: parsing never panics, and what
//! parses renders to a reference that parses back to the same value.

#![no_main]

use libfuzzer_sys::fuzz_target;
use pcvmfs_core::ImageRef;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(reference) = ImageRef::parse(&text) {
        let rendered = reference.to_string();
        let again = ImageRef::parse(&rendered).expect("a rendered reference parses");
        assert_eq!(again, reference);
        assert_eq!(ImageRef::parse(&reference.familiar()).unwrap(), reference);
        let _ = (reference.repository_with_registry(), reference.tag_or_digest());
    }
});
