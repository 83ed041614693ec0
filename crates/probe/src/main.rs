//! `pcvmfs-probe`: copied into a container and run as the user parrot will
//! run as, it does what parrot's tracer does (fork a child, seize it with
//! parrot's options, interrupt it, read and write its memory both ways,
//! follow a fork and an exec, kill and reap it) and reports each step's
//! result with the facts that explain it, as one JSON document
//! (`pcvmfs_core::probe::ProbeReport`). Every wait is bounded and the child
//! never outlives the probe. Statically linked, it runs in any image.

mod dns_wire;
mod facts;
mod resolve;
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
    if matches!(
        args.get(1).map(String::as_str),
        Some("--resolve" | "--resolv-conf" | "--hosts" | "--port")
    ) {
        return resolve::main(&args[1..]);
    }
    if args.get(1).map(String::as_str) == Some("--help") {
        println!(
            "usage: pcvmfs-probe\n\
             \x20      pcvmfs-probe --resolve NAME [NAME...]\n\n\
             Without arguments: tries what parrot_run's tracer does and prints a JSON report.\n\n\
             --resolve NAME...  resolves each name like glibc's stub resolver (/etc/hosts,\n\
             \x20                  then the servers, search list and options of\n\
             \x20                  /etc/resolv.conf; each query gets min(timeout, 2) s) and\n\
             \x20                  prints one JSON report (schema pcvmfs-dns-verify/1).\n\
             \x20                  Exit code 0 when every name resolved, 1 otherwise.\n\n\
             Test-only options, before --resolve:\n\
             \x20 --resolv-conf PATH  read PATH instead of /etc/resolv.conf\n\
             \x20 --hosts PATH        read PATH instead of /etc/hosts\n\
             \x20 --port N            send queries to port N instead of 53"
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
