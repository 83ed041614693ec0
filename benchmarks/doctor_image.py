"""`pcvmfs doctor --image IMG` against `docker run --rm IMG true`, side by
side, as ratios; and the probe's own run time. Run by hand:
    .venv/bin/python benchmarks/doctor_image.py [ROUNDS]

Two doctor variants: with the engine's defaults (ptrace fails there, so the
doctor also verifies the parrot seccomp profile in a second container), and
with --cap-add SYS_PTRACE (passes at once: one container). Rounds alternate
between the variants; medians are compared.
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
PCVMFS = [str(Path(sys.executable).parent / "pcvmfs")]


def run(argv: list[str], ok_codes: tuple[int, ...] = (0,)) -> None:
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert done.returncode in ok_codes, (argv, done.returncode, done.stderr)


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    docker = pcvmfs.Docker()
    with tempfile.TemporaryDirectory() as context:
        write_busybox_context(Path(context))
        docker.build(context, IMAGE)
    profiles = tempfile.mkdtemp()
    steps = {
        "pcvmfs doctor --image (engine defaults: fails, fix verified)": lambda: run(
            [*PCVMFS, "doctor", "--proxy", "DIRECT", "--image", IMAGE, "--user", "1000", "--profile-dir", profiles],
            ok_codes=(1,),
        ),
        "pcvmfs doctor --image --cap-add SYS_PTRACE (passes)": lambda: run(
            [*PCVMFS, "doctor", "--proxy", "DIRECT", "--image", IMAGE, "--user", "1000", "--cap-add", "SYS_PTRACE"]
        ),
        "docker run --rm IMG true": lambda: run(
            ["docker", "run", "--rm", "--label", "org.pcvmfs.managed=true", IMAGE, "true"]
        ),
    }
    for step in steps.values():
        step()
    times: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(rounds):
        for name, step in steps.items():
            start = time.perf_counter()
            step()
            times[name].append(time.perf_counter() - start)
    medians = {name: statistics.median(v) for name, v in times.items()}
    for name, values in times.items():
        print(f"{name:<62} median {medians[name] * 1000:7.1f} ms  min {min(values) * 1000:7.1f} ms  ({rounds} rounds)")
    baseline = medians["docker run --rm IMG true"]
    for name, median in medians.items():
        if name.startswith("pcvmfs"):
            print(f"ratio {name} / docker run --rm = {median / baseline:.2f} (goal: at most 1.5)")
    probe = str(pcvmfs.probe_path())
    durations = []
    for _ in range(50):
        start = time.perf_counter()
        run([probe])
        durations.append(time.perf_counter() - start)
    print(f"the probe's own run time (on the host, 50 runs): median {statistics.median(durations) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
