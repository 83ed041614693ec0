"""Builds and pulls, pcvmfs against the Docker CLI, side by side, as
ratios. Run by hand (needs the test registry package, docker-registry):
    .venv/bin/python benchmarks/images.py [ROUNDS]

Build: a directory context of 240 MB (24 files of 10 MB of random data and
2,000 small files), whose Dockerfile copies one small file; both sides
build without the cache (`no_cache=True`, `docker build --no-cache`) and
with the same label, with the classic builder (the one the Engine API's
/build runs), so a round is the context's upload plus one COPY step and the
label. pcvmfs streams the context as it packs it.

Pull: an image of 64 MB in 5 layers (busybox and four of random data) pushed to a Distribution registry on
127.0.0.1; each round removes the local copy and pulls it again, through
`Docker.pull` and `docker pull`.

Rounds alternate between pcvmfs and the CLI, each going first every other
round; medians are compared.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import pcvmfs  # noqa: E402
from registry import LocalRegistry  # noqa: E402

BUSYBOX = Path("/bin/busybox")


def cli(*argv: str) -> None:
    env = dict(os.environ, DOCKER_BUILDKIT="0")
    done = subprocess.run(["docker", *argv], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    assert done.returncode == 0, (argv, done.stderr)


def build_context(directory: Path) -> int:
    for i in range(24):
        (directory / f"blob{i:02}").write_bytes(os.urandom(10 << 20))
    small = directory / "small"
    small.mkdir()
    for i in range(2000):
        (small / f"f{i:04}").write_bytes(os.urandom(256))
    (directory / "marker").write_text("x")
    (directory / "Dockerfile").write_text("FROM scratch\nCOPY marker /marker\n")
    return sum(p.stat().st_size for p in directory.rglob("*") if p.is_file())


def ordered(steps: dict, round_: int) -> list:
    """The steps, in turn first and second, so that neither always follows
    the other."""
    items = list(steps.items())
    return items if round_ % 2 == 0 else items[::-1]


def timed(step) -> float:
    start = time.perf_counter()
    step()
    return time.perf_counter() - start


def report(title: str, times: dict[str, list[float]], ours: str, theirs: str) -> None:
    print(f"\n{title}")
    for name, values in times.items():
        print(f"  {name:<45} median {statistics.median(values) * 1000:8.1f} ms  (min {min(values) * 1000:.1f}, n={len(values)})")
    ratio = statistics.median(times[ours]) / statistics.median(times[theirs])
    print(f"  ratio pcvmfs / CLI: {ratio:.2f}")


def bench_build(docker: pcvmfs.Docker, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        context = Path(tmp)
        size = build_context(context)
        print(f"build context: {size / 1e6:.0f} MB in {sum(1 for _ in context.rglob('*'))} entries")
        steps = {
            "pcvmfs Docker.build(no_cache=True)": lambda: docker.build(context, "pcvmfs-bench/build:pcvmfs", no_cache=True),
            "docker build --no-cache (classic builder)": lambda: cli(
                "build", "--no-cache", "-q", "--label", "org.pcvmfs.managed=true", "-t", "pcvmfs-bench/build:cli", str(context)
            ),
        }
        for step in steps.values():
            step()
        times: dict[str, list[float]] = {name: [] for name in steps}
        for round_ in range(rounds):
            for name, step in ordered(steps, round_):
                times[name].append(timed(step))
        report("build of a 240 MB directory context", times, *steps)
    for tag in ("pcvmfs-bench/build:pcvmfs", "pcvmfs-bench/build:cli"):
        subprocess.run(["docker", "rmi", "-f", tag], capture_output=True)


def bench_pull(docker: pcvmfs.Docker, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        context = Path(tmp)
        shutil.copy(BUSYBOX, context / "busybox")
        for i in range(4):
            (context / f"layer{i}").write_bytes(os.urandom(15 << 20))
        (context / "Dockerfile").write_text(
            "FROM scratch\nCOPY busybox /bin/busybox\n" + "".join(f"COPY layer{i} /data/{i}\n" for i in range(4))
        )
        docker.build(context, "pcvmfs-bench/pull:src")
    with LocalRegistry() as registry:
        reference = registry.push("pcvmfs-bench/pull:src", "pcvmfs-bench/pull", "v1")
        subprocess.run(["docker", "rmi", "-f", "pcvmfs-bench/pull:src"], capture_output=True)

        def fresh() -> None:
            subprocess.run(["docker", "rmi", "-f", reference], capture_output=True)

        steps = {
            "pcvmfs Docker.pull": lambda: docker.pull(reference),
            "docker pull": lambda: cli("pull", "-q", reference),
        }
        times: dict[str, list[float]] = {name: [] for name in steps}
        for round_ in range(rounds):
            for name, step in ordered(steps, round_):
                fresh()
                times[name].append(timed(step))
        fresh()
        report("pull of a 64 MB image in 5 layers from a registry on 127.0.0.1", times, *steps)


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    docker = pcvmfs.Docker()
    bench_build(docker, rounds)
    bench_pull(docker, rounds)


if __name__ == "__main__":
    main()
