"""Parrot debug-log parsing throughput: pcvmfs's streaming summary (the
release build of the `parrot_log_throughput` example of pcvmfs-core) side by
side with `grep -c 'exited normally'` and with a Python parser built on `re`
that finds the same events, on the same log of at least 1 GB, in MB/s and
peak memory.

Run by hand: .venv/bin/python benchmarks/parrot_log.py [--keep]

The log is made once under /tmp from the real logs of
shared/fixtures/parrot/ (the stderr of every case and the debug file of
`debug-file-o`) repeated. It is read once before timing so that every
contender reads it from the page cache. Each contender runs in its own
process, and its peak memory is that process's own (GNU time's `%M`). The log is
deleted at the end unless --keep is given.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT.parent / "shared" / "fixtures" / "parrot"
LOG = Path("/tmp/pcvmfs-parrot-log-1g.log")
MIN_BYTES = 1 << 30
EXAMPLE = ROOT / "target" / "release" / "examples" / "parrot_log_throughput"

# The Python parser: the line header, then the same events as the Rust one.
HEADER = re.compile(
    rb"^(?:(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d(?:\.\d+)?) )?([^\s\[]+)\[(\d+)\]"
    rb"(?:<child:(\d+)>)? *([A-Za-z0-9_-]+): ?(.*?)\r?$"
)
PROCESS = [
    ("process_started", re.compile(rb"^pid (\d+) started$")),
    ("attached", re.compile(rb"^attaching to pid (\d+)$")),
    ("process_exited", re.compile(rb"^pid (\d+) exited normally with code (-?\d+)")),
    ("process_killed", re.compile(rb"^pid (\d+) exited abnormally with signal (\d+)")),
    ("signal_received", re.compile(rb"^pid (\d+) received signal (\d+)")),
    ("execve_failed", re.compile(rb"^execve: failed: (.*)")),
    ("execve_succeeded", re.compile(rb"^execve: (.*?) \(.*succeeded in (?:64|32)-bit mode$")),
    ("program_exited", re.compile(rb"^(.*) exited normally with status (-?\d+)")),
    ("program_killed", re.compile(rb"^(.*) exited abnormally with signal (\d+)")),
]
DEBUG = [
    ("tracer_memory_read_failed", re.compile(rb"^tracer memory read failed: (.*)")),
    ("ptrace_error", re.compile(rb"ptrace error: (.*)")),
    ("version", re.compile(rb"^parrot_run version (\S+)")),
]
NOTICE = [
    ("unsupported_syscall", re.compile(rb"^warning: system call (\d+) \((.*?)\) not supported")),
    ("parrot_signaled", re.compile(rb"^received signal (\d+) .*killing all my children")),
    ("execve_failed", re.compile(rb"^unable to execute (.*): (.*)")),
    ("untested_kernel", re.compile(rb"^(.*) has not been tested on (.*) yet")),
    ("cvmfs_repository_not_configured", re.compile(rb"^PARROT_CVMFS_REPO does not contain")),
]
LOCAL_CVMFS = re.compile(rb" (/cvmfs/\S*)")
OTHER = [
    ("loader_cannot_stat", re.compile(rb"cannot stat shared object: (.*)")),
    ("driver_not_enabled", re.compile(rb"^(\S+) is not enabled\s*$")),
    ("usage", re.compile(rb"^Use: .*\[options\] <command>")),
]
BANNER = b"The `ptrace` system call appears to be disabled"


def python_parse(path: Path) -> None:
    """The `re` parser, run in a process of its own: prints its figures."""
    start = time.perf_counter()
    counts: Counter[str] = Counter()
    lines = 0
    held = 0
    with path.open("rb", buffering=1 << 20) as log:
        for line in log:
            lines += 1
            match = HEADER.match(line)
            if match is None:
                kind = "raw"
                if line.startswith(BANNER):
                    kind = "ptrace_disabled"
                elif line.startswith((b"Some possible causes", b" - ", b"  ")):
                    continue  # the banner's other lines fold into it
                else:
                    for name, pattern in OTHER:
                        if pattern.search(line):
                            kind = name
                            break
                counts["raw"] += held
                held = 0
                counts[kind] += 1
                continue
            category, message = match.group(5), match.group(6)
            if category == b"error":
                held += 1  # a backtrace, if a fatal line follows
                continue
            if category == b"fatal":
                held = 0
                counts["fatal"] += 1
                continue
            counts["raw"] += held
            held = 0
            kind = "raw"
            table = {b"process": PROCESS, b"debug": DEBUG, b"notice": NOTICE}.get(category)
            if table is not None:
                for name, pattern in table:
                    if pattern.search(message):
                        kind = name
                        break
            elif category == b"cvmfs":
                kind = "cvmfs"
            elif category == b"local" and LOCAL_CVMFS.search(message):
                kind = "cvmfs_served_locally"
            counts[kind] += 1
    counts["raw"] += held
    seconds = time.perf_counter() - start
    size = path.stat().st_size
    print(f"lines read: {lines}")
    for kind, count in sorted(counts.items()):
        print(f"events {kind}: {count}")
    print(f"seconds: {seconds:.3f}")
    print(f"MB/s: {size / 1e6 / seconds:.1f}")


def make_log() -> None:
    if LOG.exists() and LOG.stat().st_size >= MIN_BYTES:
        return
    pieces = [p.read_bytes() for p in sorted(FIXTURES.glob("*.stderr"))]
    pieces.append((FIXTURES / "debug-file-o.stdout").read_bytes())
    block = b"".join(piece for piece in pieces if piece)
    block = block * max(1, (4 << 20) // len(block))
    written = 0
    with LOG.open("wb") as out:
        while written < MIN_BYTES:
            out.write(block)
            written += len(block)
    print(f"wrote {LOG} ({written / 1e9:.2f} GB)")


def run(argv: list[str]) -> tuple[str, float, int]:
    """Runs a contender; its stdout, wall seconds and peak memory in KiB.

    The peak comes from GNU time, whose child is forked from a small
    process: a child forked from this Python would count Python's own pages
    in its peak until it execs.
    """
    peak_file = Path(f"/tmp/pcvmfs-parrot-log-peak-{os.getpid()}")
    start = time.perf_counter()
    process = subprocess.run(
        ["/usr/bin/time", "-f", "%M", "-o", str(peak_file), *argv],
        stdout=subprocess.PIPE,
        text=True,
    )
    seconds = time.perf_counter() - start
    if process.returncode not in (0, 1):  # grep exits 1 on no match
        sys.exit(f"{argv[0]} failed with {process.returncode}")
    peak_kib = int(peak_file.read_text().split()[-1])
    peak_file.unlink()
    return process.stdout, seconds, peak_kib


def figures(output: str) -> dict[str, str]:
    return dict(line.split(": ", 1) for line in output.splitlines() if ": " in line)


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--python-parser":
        python_parse(Path(sys.argv[2]))
        return
    keep = "--keep" in sys.argv
    subprocess.run(
        ["cargo", "build", "--release", "-q", "-p", "pcvmfs-core", "--example", "parrot_log_throughput"],
        cwd=ROOT,
        check=True,
    )
    make_log()
    size = LOG.stat().st_size
    with LOG.open("rb") as log:  # into the page cache
        while log.read(1 << 24):
            pass
    try:
        rust_out, rust_wall, rust_kib = run([str(EXAMPLE), str(LOG)])
        grep_out, grep_wall, grep_kib = run(["grep", "-c", "exited normally", str(LOG)])
        py_out, py_wall, py_kib = run([sys.executable, __file__, "--python-parser", str(LOG)])
    finally:
        if not keep:
            LOG.unlink(missing_ok=True)

    rust, python = figures(rust_out), figures(py_out)
    rust_mbs = float(rust["MB/s"])
    grep_mbs = size / 1e6 / grep_wall
    py_mbs = float(python["MB/s"])
    print(f"\nlog: {size} bytes ({size / 2**30:.2f} GiB), {rust['lines read']} lines\n")
    print(f"{'parser':<34}{'MB/s':>10}{'wall s':>10}{'peak MiB':>10}{'vs Rust':>10}")
    rows = [
        ("pcvmfs summarize (Rust)", rust_mbs, rust_wall, rust_kib),
        ("grep -c 'exited normally'", grep_mbs, grep_wall, grep_kib),
        ("Python re parser", py_mbs, py_wall, py_kib),
    ]
    for name, mbs, wall, kib in rows:
        print(f"{name:<34}{mbs:>10.1f}{wall:>10.2f}{kib / 1024:>10.1f}{mbs / rust_mbs:>9.2f}x")
    print(f"\nRust is {rust_mbs / grep_mbs:.2f}x grep and {rust_mbs / py_mbs:.1f}x Python")

    exited = int(rust.get("events process_exited", 0)) + int(rust.get("events program_exited", 0))
    print(f"grep 'exited normally' lines: {grep_out.strip()}; Rust process_exited + program_exited: {exited}")
    kinds = sorted(k for k in set(rust) | set(python) if k.startswith("events "))
    mismatches = [(k, rust.get(k), python.get(k)) for k in kinds if rust.get(k) != python.get(k)]
    if mismatches:
        print("event counts that differ (kind, Rust, Python):")
        for mismatch in mismatches:
            print("  ", mismatch)
    else:
        print(f"Rust and Python found the same events ({len(kinds)} kinds)")
    goal_speed = "met" if rust_mbs >= 1000 else "NOT met"
    goal_memory = "met" if rust_kib < 32 * 1024 else "NOT met"
    print(f"goal 1 GB/s: {goal_speed}; goal < 32 MiB: {goal_memory}")


if __name__ == "__main__":
    main()
