//! `pcvmfs-probe`: copied into a container and run as the user parrot will
//! run as, it does what parrot's tracer does (fork a child, seize it with
//! parrot's options, interrupt it, read and write its memory both ways,
//! follow a fork and an exec, kill and reap it) and reports each step's
//! result with the facts that explain it, as one JSON document
//! (`pcvmfs_core::probe::ProbeReport`). Every wait is bounded and the child
//! never outlives the probe. Statically linked, it runs in any image.

mod facts;
mod restricted;
mod tracer;

use std::process::ExitCode;

use pcvmfs_core::probe::{PROBE_SCHEMA, ProbeReport};

/// The argument that makes the probe the exec target of its own child.
pub const EXEC_TARGET: &str = "--exec-target";

/// The argument that makes the probe delete its own file.
const REMOVE_SELF: &str = "--remove-self";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some(EXEC_TARGET) {
        // The traced child's exec lands here; it only has to exit.
        return ExitCode::SUCCESS;
    }
    if args.get(1).map(String::as_str) == Some(REMOVE_SELF) {
        // Images without `rm` (FROM scratch) still get their probe removed.
        return match std::fs::read_link("/proc/self/exe").and_then(std::fs::remove_file) {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("pcvmfs-probe: cannot remove myself: {err}");
                ExitCode::FAILURE
            }
        };
    }
    if args.get(1).map(String::as_str) == Some("--help") {
        println!(
            "usage: pcvmfs-probe\n\nTries what parrot_run's tracer does and prints a JSON report."
        );
        return ExitCode::SUCCESS;
    }
    let identity = facts::identity();
    let root = identity.uid == 0;
    let report = ProbeReport {
        schema: PROBE_SCHEMA,
        identity,
        kernel: facts::kernel(),
        image: facts::image(),
        steps: tracer::run(),
        restricted: if root { restricted::run() } else { Vec::new() },
    };
    match serde_json::to_string(&report) {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("pcvmfs-probe: cannot write the report: {err}");
            ExitCode::FAILURE
        }
    }
}
