"""The local registry harness (tests/registry.py) against the real Docker
engine: push, pull back, run; basic auth; and the daemon's messages for
the failures the project's pull code classifies."""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from registry import LocalRegistry, unused_address

BUSYBOX = Path("/bin/busybox")


def docker(*args: str, config: str | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    command = ["docker"] + (["--config", config] if config else []) + list(args)
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout)


def image_present(reference: str) -> bool:
    return docker("image", "inspect", reference).returncode == 0


@pytest.fixture
def built_image(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A FROM scratch busybox image of its own (a marker file makes its
    ID unique, so a pull really downloads it): (tag, marker)."""
    assert BUSYBOX.is_file(), "install Debian's busybox-static (scripts/test.sh does)"
    marker = uuid.uuid4().hex
    tag = f"pcvmfs-test/registry-harness:{marker[:12]}"
    shutil.copy(BUSYBOX, tmp_path / "busybox")
    (tmp_path / "Dockerfile").write_text(
        "FROM scratch\n"
        "COPY busybox /bin/busybox\n"
        f'RUN ["/bin/busybox", "sh", "-c", "echo {marker} > /marker"]\n'
        'CMD ["/bin/busybox", "sh"]\n'
    )
    env = dict(os.environ, DOCKER_BUILDKIT="0")
    done = subprocess.run(
        ["docker", "build", "-q", "-t", tag, str(tmp_path)], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, f"docker build failed:\n{done.stdout}{done.stderr}"
    try:
        yield tag, marker
    finally:
        docker("rmi", "-f", tag)


def test_push_pull_run_without_auth(built_image: tuple[str, str]) -> None:
    tag, marker = built_image
    with LocalRegistry() as registry:
        assert registry.address.startswith("127.0.0.1:")
        assert registry.url == f"http://{registry.address}"
        ref = registry.push(tag, "harness/busybox", "v1")
        assert ref == f"{registry.address}/harness/busybox:v1"
        try:
            # Nothing of the image stays locally: the pull must download it.
            registry.remove_local(ref)
            docker("rmi", "-f", tag)
            assert not image_present(ref) and not image_present(tag)

            pulled = docker("pull", ref)
            assert pulled.returncode == 0, pulled.stdout + pulled.stderr
            assert "Downloaded newer image" in pulled.stdout, pulled.stdout
            assert image_present(ref)

            ran = docker("run", "--rm", ref, "/bin/busybox", "true")
            assert ran.returncode == 0, ran.stderr
            cat = docker("run", "--rm", ref, "/bin/busybox", "cat", "/marker")
            assert cat.returncode == 0, cat.stderr
            assert cat.stdout.strip() == marker
        finally:
            registry.remove_local(ref)


def test_missing_repository_and_tag_are_manifest_unknown(built_image: tuple[str, str]) -> None:
    tag, _ = built_image
    with LocalRegistry() as registry:
        ref = registry.push(tag, "harness/busybox", "v1")
        try:
            for missing in (f"{registry.address}/nosuch:latest", f"{registry.address}/harness/busybox:nosuchtag"):
                pulled = docker("pull", missing)
                assert pulled.returncode != 0
                assert f"manifest for {missing} not found: manifest unknown" in pulled.stderr, pulled.stderr
        finally:
            registry.remove_local(ref)


def test_auth_needs_the_right_credentials(built_image: tuple[str, str], tmp_path: Path) -> None:
    tag, marker = built_image
    with LocalRegistry(auth=("alice", "s3cret")) as registry:
        assert registry.auth == ("alice", "s3cret")
        ref = registry.push(tag, "private/busybox", "v1")
        try:
            registry.remove_local(ref)
            docker("rmi", "-f", tag)

            empty = tmp_path / "empty-config"
            empty.mkdir()
            refused = docker("pull", ref, config=str(empty))
            assert refused.returncode != 0
            assert "no basic auth credentials" in refused.stderr, refused.stderr

            wrong = tmp_path / "wrong-config"
            wrong.mkdir()
            token = base64.b64encode(b"alice:wrong").decode()
            (wrong / "config.json").write_text(json.dumps({"auths": {registry.address: {"auth": token}}}))
            refused = docker("pull", ref, config=str(wrong))
            assert refused.returncode != 0
            assert "unauthorized: authentication required" in refused.stderr, refused.stderr
            assert not image_present(ref)

            pulled = docker("pull", ref, config=registry.docker_config_dir)
            assert pulled.returncode == 0, pulled.stdout + pulled.stderr
            cat = docker("run", "--rm", ref, "/bin/busybox", "cat", "/marker")
            assert cat.stdout.strip() == marker, cat.stderr
        finally:
            registry.remove_local(ref)


def test_tls_with_a_self_signed_certificate(built_image: tuple[str, str]) -> None:
    # Not needed for htpasswd with Distribution 2.8, but it works: the
    # engine takes 127.0.0.0/8 as insecure and so skips verification.
    tag, _ = built_image
    with LocalRegistry(auth=("bob", "pw"), tls=True) as registry:
        assert registry.url == f"https://{registry.address}"
        ref = registry.push(tag, "tls/busybox", "v1")
        try:
            registry.remove_local(ref)
            docker("rmi", "-f", tag)
            pulled = docker("pull", ref, config=registry.docker_config_dir)
            assert pulled.returncode == 0, pulled.stdout + pulled.stderr
            ran = docker("run", "--rm", ref, "/bin/busybox", "true")
            assert ran.returncode == 0, ran.stderr
        finally:
            registry.remove_local(ref)


def test_unused_address_refuses_quickly() -> None:
    address = unused_address()
    host, port = address.split(":")
    assert host == "127.0.0.1"
    start = time.monotonic()
    pulled = docker("pull", f"{address}/nosuch:latest", timeout=30)
    elapsed = time.monotonic() - start
    assert pulled.returncode != 0
    assert f'Get "http://{address}/v2/": dial tcp {address}: connect: connection refused' in pulled.stderr, pulled.stderr
    assert elapsed < 10, elapsed


def test_exit_stops_the_process_and_removes_the_directory() -> None:
    with LocalRegistry() as registry:
        pid, port, directory = registry.pid, registry.port, registry.directory
        assert pid is not None and directory.is_dir()
        os.kill(pid, 0)  # running
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert not directory.exists()
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0
