//! Arbitrary bytes as an AppArmor policy file: parsing their lossy text
//! must return a value or an error, never panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use pcvmfs_apparmor::policy::PolicyFile;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = PolicyFile::parse(&text);
});
