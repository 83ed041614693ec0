"""AppArmor denial parsing throughput: pcvmfs's streaming reader (the
release build of the `denial_throughput` example of pcvmfs-apparmor) side
by side with a Python parser built on `re` that extracts the same fields,
on the same log of at least 1 GB, in lines per second.

Run by hand: .venv/bin/python benchmarks/apparmor_denials.py [--keep]

The log is made once under /tmp: the real lines of
shared/fixtures/kernel-log/ (AppArmor records, the SELinux ones, a line
that is neither) repeated among other kernel lines of the kinds a
container host shows, about one line in nine an AppArmor record. It is
read once before timing so that both parsers read it from the page cache.
Each parser runs in its own process, so that each peak memory is its own.
The log is deleted at the end unless --keep is given.
"""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT.parent / "shared" / "fixtures" / "kernel-log"
LOG = Path("/tmp/pcvmfs-apparmor-denials-1g.log")
MIN_BYTES = 1 << 30

# Other kernel lines of a container host, among which the fixture lines are
# repeated. `{t}` is the dmesg time, `{n}` a varying number.
KERNEL_LINES = [
    "[{t}] docker0: port {n}(veth3f2a{n}) entered blocking state",
    "[{t}] docker0: port {n}(veth3f2a{n}) entered forwarding state",
    "[{t}] eth0: renamed from veth9c1e{n}",
    "[{t}] IPv6: ADDRCONF(NETDEV_CHANGE): veth3f2a{n}: link becomes ready",
    "[{t}] overlayfs: upper fs does not support RENAME_WHITEOUT.",
    "[{t}] EXT4-fs (vda1): re-mounted 4f7c2b1e-9a3d-4c55-8e0b-2f6a1d9c7e31. Quota mode: none.",
    "[{t}] usb 1-1: new high-speed USB device number {n} using xhci_hcd",
    "[{t}] TCP: request_sock_TCP: Possible SYN flooding on port 8080. Sending cookies.",
    "[{t}] audit: type=1300 audit(1436187162.{n:03}:{n}): arch=c000003e syscall=101 "
    "success=no exit=-13 a0=10 a1=97 a2=0 a3=0 items=0 ppid=2410 pid=2412 auid=4294967295 "
    'uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=pts0 '
    'ses=4294967295 comm="parrot_run" exe="/opt/cctools/bin/parrot_run" key=(null)',
    "[{t}] audit: type=1327 audit(1436187162.{n:03}:{n}): proctitle=2F6F70742F6363746F6F6C732F62696E2F70",
    "[{t}] cgroup: fork rejected by pids controller in /system.slice/docker-{n}.scope",
    "[{t}] Memory cgroup out of memory: Killed process {n} (python3) total-vm:812340kB, "
    "anon-rss:512000kB, file-rss:0kB, shmem-rss:0kB, UID:1000 pgtables:1234kB oom_score_adj:0",
    "[{t}] nf_conntrack: default automatic helper assignment has been turned off for security reasons",
    "[{t}] br-5f3c{n}: port 1(vethb21{n}) entered disabled state",
    "[{t}] device veth3f2a{n} left promiscuous mode",
    "[{t}] Command line: BOOT_IMAGE=/boot/vmlinuz-6.1.0-18-amd64 root=UUID=4f7c2b1e ro quiet "
    "apparmor=1 security=apparmor",
    "[{t}] systemd-journald[{n}]: Data hash table of /var/log/journal/system.journal has a fill level at 75.0",
    "[{t}] kauditd_printk_skb: {n} callbacks suppressed",
]

# Block of generated lines written over and over until the log is big
# enough; large enough that the mix is realistic, small enough to build fast.
BLOCK_LINES = 200_000


def make_log() -> None:
    if LOG.exists() and LOG.stat().st_size >= MIN_BYTES:
        return
    real = (FIXTURES / "apparmor-denials.log").read_text().splitlines()
    selinux = (FIXTURES / "selinux-denials.log").read_text().splitlines()
    rng = random.Random(7251)
    block = []
    for i in range(BLOCK_LINES):
        draw = rng.random()
        if draw < 0.125:
            block.append(rng.choice(real))
        elif draw < 0.14:
            block.append(rng.choice(selinux))
        else:
            t = f"{7251 + i * 0.0137:12.6f}"
            block.append(rng.choice(KERNEL_LINES).format(t=t, n=rng.randrange(1, 999)))
    data = ("\n".join(block) + "\n").encode()
    print(f"making {LOG} ({MIN_BYTES / 1e9:.2f} GB or more) ...", flush=True)
    tmp = LOG.with_suffix(".part")
    with open(tmp, "wb") as out:
        written = 0
        while written < MIN_BYTES:
            out.write(data)
            written += len(data)
    tmp.rename(LOG)


def warm_page_cache() -> None:
    with open(LOG, "rb") as log:
        while log.read(8 << 20):
            pass


# --- The Python parser: the same fields as pcvmfs_apparmor::denials ---

RECORD_START = re.compile(r'apparmor="([A-Za-z]{1,32})"')
FIELD = re.compile(r'([A-Za-z0-9_-]+)=(?:"([^"]*)"?|([^ \t\r\n\x1d]*))')
STAMP = re.compile(r"audit\((\d+)\.(\d{3}):(\d+)\)")
KERNEL_HEX = re.compile(r"(?:[0-9A-F]{2})+")
TEXT_KEYS = {
    "operation", "class", "profile", "label", "peer", "name", "comm",
    "requested_mask", "denied_mask", "info", "error",
}
ID_KEYS = {"pid", "fsuid", "ouid"}
HEX_KEYS = {
    "addr", "comm", "exe", "fstype", "label", "name", "ns", "ocomm", "options",
    "path", "peer", "peer_addr", "profile", "srcname", "target", "trans",
}
SEPARATORS = " \t\r\n\x1d"


def parse_id(key: str, value: str) -> int | None:
    if value.isascii() and value.isdigit():
        number = int(value)
        return number if number <= 0xFFFFFFFF else None
    return 0xFFFFFFFF if key != "pid" and value == "-1" else None


def parse_text(line: str) -> dict | None:
    for start in RECORD_START.finditer(line):
        at = start.start()
        before = line[at - 1] if at else ""
        if before and before not in SEPARATORS and before != "'":
            continue
        rest = line[start.end():]
        if before == "'":
            in_quotes = False
            for i, char in enumerate(rest):
                if char == '"':
                    in_quotes = not in_quotes
                elif char == "'" and not in_quotes:
                    rest = rest[:i]
                    break
        kind = start.group(1)
        known = kind.upper() in ("DENIED", "ALLOWED", "AUDIT", "STATUS")
        record: dict = {"kind": kind.upper() if known else kind}
        other: dict = {}
        for field in FIELD.finditer(rest):
            key, quoted, plain = field.group(1), field.group(2), field.group(3)
            value = quoted if quoted is not None else plain
            if quoted is None and key in HEX_KEYS and KERNEL_HEX.fullmatch(value):
                value = bytes.fromhex(value).decode("utf-8", "replace")
            if key in TEXT_KEYS:
                record.setdefault(key, value)
            elif key in ID_KEYS:
                if key not in record:
                    number = parse_id(key, value)
                    if number is None:
                        other.setdefault(key, value)
                    else:
                        record[key] = number
            elif len(other) < 256:
                other.setdefault(key, value)
        stamp = STAMP.search(line, 0, at)
        if stamp:
            record["stamp"] = (int(stamp.group(1)), int(stamp.group(2)), int(stamp.group(3)))
        record["other"] = other
        return record
    return None


def parse_line(line: str) -> dict | None:
    if "apparmor=" not in line:
        return None
    if line.lstrip().startswith("{"):
        try:
            message = json.loads(line).get("MESSAGE")
        except (ValueError, AttributeError):
            return None
        return parse_text(message) if isinstance(message, str) else None
    return parse_text(line)


def field_count(record: dict) -> int:
    # The kind is not counted, as in the Rust example.
    return len(record) - 2 + len(record["other"])


def peak_rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def python_parse(path: str) -> None:
    """Prints the same report as the Rust example."""
    size = os.path.getsize(path)
    start = time.perf_counter()
    lines = records = fields = 0
    by_kind: dict[str, int] = {}
    with open(path, encoding="utf-8", errors="replace", newline="\n") as log:
        for line in log:
            lines += 1
            record = parse_line(line.rstrip("\n").removesuffix("\r"))
            if record is not None:
                records += 1
                fields += field_count(record)
                by_kind[record["kind"]] = by_kind.get(record["kind"], 0) + 1
    seconds = time.perf_counter() - start
    print(f"file bytes: {size}")
    print(f"lines read: {lines}")
    print(f"records found: {records}")
    print(f"fields found: {fields}")
    for kind in sorted(by_kind):
        print(f"records {kind}: {by_kind[kind]}")
    print(f"seconds: {seconds:.3f}")
    print(f"lines/s: {lines / seconds:.0f}")
    print(f"MB/s: {size / 1e6 / seconds:.1f}")
    print(f"peak RSS kB: {peak_rss_kib()}")


# --- Side by side ---


def report(output: str) -> dict[str, str]:
    return dict(line.split(": ", 1) for line in output.splitlines() if ": " in line)


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--python-parse":
        python_parse(sys.argv[2])
        return
    keep = "--keep" in sys.argv[1:]
    subprocess.run(
        ["cargo", "build", "--release", "--quiet", "-p", "pcvmfs-apparmor", "--example", "denial_throughput"],
        cwd=ROOT,
        check=True,
    )
    example = ROOT / "target" / "release" / "examples" / "denial_throughput"
    try:
        make_log()
        warm_page_cache()
        rust = report(subprocess.run([example, LOG], check=True, capture_output=True, text=True).stdout)
        python = report(
            subprocess.run(
                [sys.executable, __file__, "--python-parse", str(LOG)], check=True, capture_output=True, text=True
            ).stdout
        )
    finally:
        if not keep:
            LOG.unlink(missing_ok=True)
    print(f"log: {LOG}, {int(rust['file bytes']) / 1e9:.3f} GB, {int(rust['lines read']):,} lines")
    keys = ["lines read", "records found", "fields found"]
    keys += sorted(k for k in rust.keys() | python.keys() if k.startswith("records ") and k != "records found")
    keys += ["seconds", "lines/s", "MB/s", "peak RSS kB"]
    print(f"{'':<18} {'pcvmfs (Rust)':>16} {'Python re':>16}")
    for key in keys:
        print(f"{key:<18} {rust.get(key, '-'):>16} {python.get(key, '-'):>16}")
    same = all(rust.get(k) == python.get(k) for k in keys[:3])
    print(f"same records and fields: {'yes' if same else 'NO'}")
    ratio = float(rust["lines/s"]) / float(python["lines/s"])
    print(f"ratio lines/s pcvmfs / Python re = {ratio:.1f}")


if __name__ == "__main__":
    main()
