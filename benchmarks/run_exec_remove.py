"""Run + exec + remove of a busybox container with pcvmfs from Python, side
by side with `docker run --rm IMAGE true` through the Docker CLI (the named
baseline) and with the same work through the CLI (run -d, exec, rm -f), as
ratios. Run by hand: .venv/bin/python benchmarks/run_exec_remove.py [ROUNDS]

Rounds alternate between the two so that a slow moment of the machine
weighs on both alike; the medians are compared.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import pcvmfs  # noqa: E402
from conftest import write_busybox_context  # noqa: E402

IMAGE = "pcvmfs-test/busybox:bench"


def pcvmfs_round(docker: pcvmfs.Docker) -> None:
    with docker.run(IMAGE, ["sleep", "600"]) as c:
        assert c.exec(["true"]).exit_code == 0


def cli_round() -> None:
    subprocess.run(
        ["docker", "run", "--rm", "--label", "org.pcvmfs.managed=true", IMAGE, "true"],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def cli_same_work_round() -> None:
    def cli(*args: str) -> str:
        done = subprocess.run(["docker", *args], check=True, capture_output=True, text=True)
        return done.stdout.strip()

    container = cli("run", "-d", "--label", "org.pcvmfs.managed=true", IMAGE, "sleep", "600")
    cli("exec", container, "true")
    cli("rm", "-f", container)


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    docker = pcvmfs.Docker()
    with tempfile.TemporaryDirectory() as context:
        write_busybox_context(Path(context))
        docker.build(context, IMAGE)
    pcvmfs_round(docker)
    cli_round()
    steps = {
        "pcvmfs (Python): run + exec true + remove": lambda: pcvmfs_round(docker),
        "docker CLI: run --rm IMAGE true": cli_round,
        "docker CLI: run -d + exec true + rm -f": cli_same_work_round,
    }
    times: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(rounds):
        for name, step in steps.items():
            start = time.perf_counter()
            step()
            times[name].append(time.perf_counter() - start)
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, values in times.items():
        print(
            f"{name:<44} median {medians[name] * 1000:7.1f} ms  "
            f"min {min(values) * 1000:7.1f} ms  max {max(values) * 1000:7.1f} ms  ({rounds} rounds)"
        )
    ours = medians["pcvmfs (Python): run + exec true + remove"]
    for name, median in medians.items():
        if name.startswith("docker CLI"):
            print(f"ratio pcvmfs (Python) / {name} = {ours / median:.2f} (below 1: pcvmfs is faster)")


if __name__ == "__main__":
    main()
