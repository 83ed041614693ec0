"""Shared fixtures: the real Docker engine, a FROM-scratch busybox image
built with pcvmfs itself, and a check around every test that it left no
pcvmfs-managed container behind."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

import pcvmfs

BUSYBOX = Path("/bin/busybox")
IMAGE = "pcvmfs-test/busybox:py"
ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT.parent / "shared" / "fixtures"


def write_busybox_context(directory: Path) -> None:
    """A FROM scratch image with Debian's static busybox and a user
    parrotuser (uid 1000)."""
    assert BUSYBOX.is_file(), "install Debian's busybox-static (scripts/test.sh does)"
    shutil.copy(BUSYBOX, directory / "busybox")
    (directory / "passwd").write_text(
        "root:x:0:0:root:/root:/bin/sh\nparrotuser:x:1000:1000:parrot:/home/parrotuser:/bin/sh\n"
    )
    (directory / "group").write_text("root:x:0:\nparrotuser:x:1000:\n")
    (directory / "Dockerfile").write_text(
        "FROM scratch\n"
        "COPY busybox /bin/busybox\n"
        "COPY passwd group /etc/\n"
        'RUN ["/bin/busybox", "--install", "-s", "/bin"]\n'
        "RUN mkdir -p /tmp /home/parrotuser && chmod 1777 /tmp && chown 1000:1000 /home/parrotuser\n"
        'CMD ["/bin/sh"]\n'
    )


@pytest.fixture(scope="session")
def docker() -> pcvmfs.Docker:
    # No skip: a test that needs the engine fails without it.
    return pcvmfs.Docker()


@pytest.fixture(scope="session")
def image(docker: pcvmfs.Docker, tmp_path_factory: pytest.TempPathFactory) -> str:
    context = tmp_path_factory.mktemp("busybox")
    write_busybox_context(context)
    docker.build(context, IMAGE)
    return IMAGE


def docker_cli(*args: str) -> str:
    """The Docker command line's answer, an account independent of pcvmfs."""
    done = subprocess.run(["docker", *args], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def managed_containers() -> list[str]:
    out = docker_cli("ps", "-aq", "--filter", "label=org.pcvmfs.managed=true")
    return out.split()


@pytest.fixture(autouse=True)
def no_container_left_behind():
    before = managed_containers()
    yield
    after = managed_containers()
    leaked = sorted(set(after) - set(before))
    for container in leaked:
        subprocess.run(["docker", "rm", "-f", container], capture_output=True)
    assert not leaked, f"containers left behind: {leaked}"


def cli_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("HTTP_PROXY", "http_proxy")}
    env.update(extra)
    return env


def proc_status(container: pcvmfs.Container, field: str) -> str:
    text = container.exec(["cat", "/proc/self/status"]).stdout.decode()
    for line in text.splitlines():
        if line.startswith(field + ":"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"no {field} in {text}")


def write_tree(root: Path, files: dict[str, str]) -> Path:
    """A canned host tree: each absolute path under root with its content."""
    for path, content in files.items():
        target = root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content)
    return root
