//! Run + exec + remove of a busybox container with pcvmfs, side by side with
//! `docker run --rm IMAGE true` through the Docker CLI. Run by hand:
//! `cargo bench -p pcvmfs-docker --bench run_exec_remove`.

#[path = "../tests/common/mod.rs"]
mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use pcvmfs_core::{ContainerSpec, ExecSpec};

fn run_exec_remove(c: &mut Criterion) {
    let image = common::busybox_image();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let engine = runtime.block_on(common::engine());
    let mut spec = ContainerSpec::new(image);
    spec.command = Some(vec!["sleep".into(), "600".into()]);
    let exec = ExecSpec::new(["true"]);

    let mut group = c.benchmark_group("busybox container");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(20));
    group.bench_function("pcvmfs (Rust): run + exec true + remove", |b| {
        b.iter(|| {
            runtime.block_on(async {
                let id = engine.start(&spec).await.unwrap();
                let out = engine.exec(&id, &exec).await.unwrap();
                assert_eq!(out.exit_code, 0);
                engine.remove(&id).await.unwrap();
            })
        })
    });
    group.bench_function("docker CLI: docker run --rm IMAGE true", |b| {
        b.iter(|| {
            let status = Command::new("docker")
                .args([
                    "run",
                    "--rm",
                    "--label",
                    "org.pcvmfs.managed=true",
                    image,
                    "true",
                ])
                .stdout(Stdio::null())
                .status()
                .unwrap();
            assert!(status.success());
        })
    });
    // The same work as pcvmfs does, through the CLI: a like-for-like figure.
    group.bench_function("docker CLI: run -d + exec true + rm -f", |b| {
        b.iter(|| {
            let cli = |args: &[&str]| {
                let out = Command::new("docker")
                    .args(args)
                    .stderr(Stdio::null())
                    .output()
                    .unwrap();
                assert!(out.status.success());
                String::from_utf8(out.stdout).unwrap().trim().to_string()
            };
            let id = cli(&[
                "run",
                "-d",
                "--label",
                "org.pcvmfs.managed=true",
                image,
                "sleep",
                "600",
            ]);
            cli(&["exec", &id, "true"]);
            cli(&["rm", "-f", &id]);
        })
    });
    group.finish();
}

criterion_group!(benches, run_exec_remove);
criterion_main!(benches);
