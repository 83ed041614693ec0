//! Arbitrary text as a .dockerignore file, and arbitrary paths against it:
//! nothing panics, and a directory the walk would skip holds nothing that
//! is included.

#![no_main]

use libfuzzer_sys::fuzz_target;
use pcvmfs_core::dockerignore::DockerIgnore;

fuzz_target!(|data: &[u8]| {
    // Up to the first 0xff byte: the file; after it, paths, one a line.
    let split = data.iter().position(|&b| b == 0xff).unwrap_or(data.len());
    let file = String::from_utf8_lossy(&data[..split]);
    let Ok(ignore) = DockerIgnore::parse(&file) else {
        return;
    };
    let paths = String::from_utf8_lossy(data.get(split + 1..).unwrap_or_default());
    for path in paths.lines().take(64) {
        let excluded = ignore.excludes(path);
        let _ = ignore.excludes_for_build(path, "Dockerfile");
        if let Some((parent, _)) = path.rsplit_once('/') {
            if !ignore.may_include_below(parent) {
                assert!(excluded, "{parent} is pruned but {path} is included");
            }
        }
    }
});
