"""The pcvmfs command line: doctor, info, host-facts, shell, version, help."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pcvmfs
from conftest import cli_env, managed_containers

PCVMFS = [sys.executable, "-m", "pcvmfs"]


def run(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([*PCVMFS, *args], capture_output=True, text=True, env=cli_env(**env), timeout=120)


def test_version_and_help():
    done = run("--version")
    assert done.returncode == 0 and done.stdout.strip() == f"pcvmfs {pcvmfs.__version__}"
    done = run("--help")
    assert done.returncode == 0
    for command in ("doctor", "shell", "info", "host-facts"):
        assert command in done.stdout
    assert run().returncode == 2
    assert run("frobnicate").returncode == 2


def test_the_console_script_is_installed():
    script = os.path.join(os.path.dirname(sys.executable), "pcvmfs")
    done = subprocess.run([script, "--version"], capture_output=True, text=True)
    assert done.returncode == 0 and "pcvmfs" in done.stdout


def test_doctor_json_is_valid_and_passes_here():
    done = run("doctor", "--json", "--proxy", "http://localhost:3128;DIRECT")
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["ok"] is True
    checks = [f["check"] for f in report["findings"]]
    assert checks == [
        "node.platform", "docker.engine", "host.yama", "cvmfs.proxy", "dns.trap", "dns.user_networks", "dns.config"
    ]
    for finding in report["findings"]:
        assert finding["status"] in ("ok", "warn", "fail") and finding["evidence"]
    # User-defined networks: the embedded resolver, forwarding to this host's
    # (non-loopback) servers.
    servers = [
        line.split()[1] for line in Path("/etc/resolv.conf").read_text().splitlines() if line.startswith("nameserver")
    ]
    usable = [s for s in servers if not s.startswith("127.") and s != "::1"]
    assert usable, "this test expects a host with a non-loopback resolver"
    user = report["findings"][5]
    assert user["status"] == "ok" and "127.0.0.11" in user["evidence"], user
    assert all(s in user["evidence"] for s in usable), user


def test_doctor_reads_the_proxy_from_the_environment():
    done = run("doctor", "--json", HTTP_PROXY="http://localhost:3128")
    proxy = [f for f in json.loads(done.stdout)["findings"] if f["check"] == "cvmfs.proxy"][0]
    assert proxy["status"] == "ok" and "HTTP_PROXY" in proxy["evidence"]


def test_doctor_exits_1_when_a_check_fails():
    done = run("doctor", "--json", "--proxy", "DIRECT", DOCKER_HOST="unix:///nonexistent/d.sock")
    assert done.returncode == 1
    report = json.loads(done.stdout)
    assert report["ok"] is False
    done = run("doctor", "--proxy", "squid:3128")
    # The table wraps long evidence to the terminal's width.
    assert done.returncode == 1 and "FAIL" in done.stdout and "no scheme" in " ".join(done.stdout.split())
    done = run("--host", "unix:///nonexistent/d.sock", "doctor", "--proxy", "DIRECT")
    assert done.returncode == 1 and "/nonexistent/d.sock" in " ".join(done.stdout.split())


def test_info_and_host_facts():
    done = run("info", "--json")
    assert done.returncode == 0 and json.loads(done.stdout)["api_version"]
    done = run("host-facts", "--json")
    assert done.returncode == 0 and json.loads(done.stdout)["kernel_release"] == os.uname().release
    done = run("--host", "unix:///nonexistent/d.sock", "info")
    assert done.returncode == 1 and "pcvmfs: error:" in done.stderr and "/nonexistent/d.sock" in done.stderr


def read_until(fd: int, marker: bytes, timeout: float = 60, until_eof: bool = False) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while marker not in seen:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"never saw {'the end' if until_eof else repr(marker)} in {seen!r}"
        ready, _, _ = select.select([fd], [], [], remaining)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    return seen


def test_shell_is_interactive_and_leaves_nothing_behind(image):
    before = managed_containers()
    pid, fd = pty.fork()
    if pid == 0:
        os.execvpe(PCVMFS[0], [*PCVMFS, "shell", image, "--user", "1000", "--cap-add", "SYS_PTRACE"], cli_env())
    read_until(fd, b"$ ")
    os.write(fd, b"echo uid=$(id -u); grep CapBnd /proc/self/status; exit 3\r")
    # Everything up to the end of the session (the pty closes on exit).
    seen = read_until(fd, b"<end of session>", timeout=60, until_eof=True)
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    assert b"uid=1000" in seen, seen
    # A non-root user has no effective capabilities; the bounding set shows
    # what the container was given.
    cap_bnd = [line for line in seen.split(b"\n") if line.startswith(b"CapBnd:")]
    assert cap_bnd and int(cap_bnd[0].split()[1], 16) & (1 << 19), seen
    assert os.waitstatus_to_exitcode(status) == 3
    assert managed_containers() == before


def test_shell_errors_are_clear():
    done = run("shell", "pcvmfs-test/nope:0")
    assert done.returncode == 1 and "no such image" in done.stderr
    done = run("shell", "img", "--cap-add", "NOPE")
    assert done.returncode == 1 and "capability" in done.stderr
    done = run("shell", "img", "-e", "NOEQUALS")
    assert done.returncode == 1 and "NAME=VALUE" in done.stderr
    done = run("doctor", "--", "x")
    assert done.returncode == 2 and "only for" in done.stderr


def test_shell_runs_a_command_after_the_separator_without_a_terminal(image):
    done = subprocess.run(
        [*PCVMFS, "shell", image, "-u", "parrotuser", "-e", "WHO=param", "--", "sh", "-c", 'echo "$WHO $(id -un)"; exit 5'],
        capture_output=True,
        text=True,
        env=cli_env(),
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 5, done.stderr
    assert "param parrotuser" in done.stdout


def test_shell_reads_a_script_from_a_pipe(image):
    done = subprocess.run(
        [*PCVMFS, "shell", image],
        input="echo piped-$((6 * 7))\n",
        capture_output=True,
        text=True,
        env=cli_env(),
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "piped-42" in done.stdout


def test_the_type_stubs_match_the_extension():
    done = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "--ignore-disjoint-bases", "pcvmfs._pcvmfs"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    package = os.path.dirname(pcvmfs.__file__)
    done = subprocess.run([sys.executable, "-m", "mypy", package], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
