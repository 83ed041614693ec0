"""A real Docker Distribution registry on 127.0.0.1 for tests (a helper,
not a test file).

Debian's ``docker-registry`` (Distribution 2.8) serves on a free port of
127.0.0.1 from a temporary directory; tests push locally built images to
it with the docker CLI and pull them back through the local engine. The
Docker engine treats 127.0.0.0/8 as an insecure registry, so plain HTTP
works, and so does a self-signed certificate (``tls=True``). Distribution
2.8 does not require TLS for htpasswd auth, so ``auth=`` works over plain
HTTP too.

    with LocalRegistry(auth=("alice", "secret")) as registry:
        ref = registry.push("pcvmfs-test/busybox:py", "busybox", "v1")
        registry.remove_local(ref)
        subprocess.run(["docker", "--config", registry.docker_config_dir,
                        "pull", ref], check=True)
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import BinaryIO

REGISTRY_BINARY = "/usr/bin/docker-registry"
HOST = "127.0.0.1"


def free_port() -> int:
    """A TCP port of 127.0.0.1 that was free a moment ago (bound, then
    closed)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def unused_address() -> str:
    """'127.0.0.1:PORT' with nothing listening on it."""
    return f"{HOST}:{free_port()}"


def _docker(*args: str, config: str | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    command = ["docker"]
    if config is not None:
        command += ["--config", config]
    command += list(args)
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout)


class LocalRegistry:
    """A Distribution registry process of its own on 127.0.0.1:PORT.

    auth: (user, password) turns on htpasswd (bcrypt) basic auth.
    tls: serve HTTPS with a self-signed certificate for IP 127.0.0.1.
    """

    def __init__(
        self,
        auth: tuple[str, str] | None = None,
        *,
        tls: bool = False,
        startup_timeout: float = 20.0,
        stop_timeout: float = 10.0,
    ) -> None:
        self.auth = auth
        self.tls = tls
        self.startup_timeout = startup_timeout
        self.stop_timeout = stop_timeout
        self.port: int | None = None
        self.pid: int | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._dir: Path | None = None
        self._log: BinaryIO | None = None

    # -- addresses -------------------------------------------------------
    @property
    def address(self) -> str:
        assert self.port is not None, "registry not started"
        return f"{HOST}:{self.port}"

    @property
    def url(self) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{self.address}"

    @property
    def directory(self) -> Path:
        assert self._dir is not None, "registry not started"
        return self._dir

    @property
    def docker_config_dir(self) -> str:
        """A DOCKER_CONFIG directory with this registry's credentials (an
        empty ``auths`` without auth), for ``docker --config DIR``."""
        return str(self.directory / "docker-config")

    @property
    def log_path(self) -> Path:
        return self.directory / "registry.log"

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    # -- lifecycle -------------------------------------------------------
    def __enter__(self) -> "LocalRegistry":
        self._dir = Path(tempfile.mkdtemp(prefix="pcvmfs-registry-"))
        try:
            self._start()
        except BaseException:
            self._stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop()

    def _write_files(self) -> Path:
        d = self.directory
        (d / "data").mkdir()
        lines = [
            "version: 0.1",
            "log:",
            "  level: warn",
            "  accesslog:",
            "    disabled: true",
            "storage:",
            "  filesystem:",
            f"    rootdirectory: {d / 'data'}",
            "  delete:",
            "    enabled: true",
            "http:",
            f"  addr: {self.address}",
            "  secret: pcvmfs-test-registry",
        ]
        if self.tls:
            cert, key = d / "cert.pem", d / "key.pem"
            done = subprocess.run(
                [
                    "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-days", "2", "-subj", f"/CN={HOST}",
                    "-addext", f"subjectAltName=IP:{HOST}",
                    "-keyout", str(key), "-out", str(cert),
                ],
                capture_output=True, text=True,
            )
            assert done.returncode == 0, f"openssl failed: {done.stderr}"
            lines += ["  tls:", f"    certificate: {cert}", f"    key: {key}"]
        if self.auth is not None:
            user, password = self.auth
            done = subprocess.run(
                ["htpasswd", "-Bbn", user, password], capture_output=True, text=True
            )
            assert done.returncode == 0, f"htpasswd failed: {done.stderr}"
            (d / "htpasswd").write_text(done.stdout.strip() + "\n")
            lines += [
                "auth:",
                "  htpasswd:",
                "    realm: pcvmfs-test-registry",
                f"    path: {d / 'htpasswd'}",
            ]
        config = d / "config.yml"
        config.write_text("\n".join(lines) + "\n")

        docker_config = Path(self.docker_config_dir)
        docker_config.mkdir()
        auths: dict[str, dict[str, str]] = {}
        if self.auth is not None:
            token = base64.b64encode(f"{self.auth[0]}:{self.auth[1]}".encode()).decode()
            auths[self.address] = {"auth": token}
        (docker_config / "config.json").write_text(json.dumps({"auths": auths}))
        return config

    def _start(self) -> None:
        self.port = free_port()
        config = self._write_files()
        self._log = open(self.log_path, "wb")
        self._process = subprocess.Popen(
            [REGISTRY_BINARY, "serve", str(config)],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.pid = self._process.pid
        self._wait_ready()

    def _probe(self) -> int | None:
        """The status of GET /v2/, or None while nothing answers."""
        context = None
        if self.tls:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context)
        )
        try:
            with opener.open(f"{self.url}/v2/", timeout=2) as answer:
                status: int = answer.status
                return status
        except urllib.error.HTTPError as error:
            code: int = error.code
            return code
        except (OSError, ssl.SSLError):
            return None

    def _wait_ready(self) -> None:
        assert self._process is not None
        expected = 401 if self.auth is not None else 200
        deadline = time.monotonic() + self.startup_timeout
        status = None
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise AssertionError(
                    f"docker-registry exited with {self._process.returncode} before answering:\n{self.log()}"
                )
            status = self._probe()
            if status == expected:
                return
            time.sleep(0.1)
        raise AssertionError(
            f"docker-registry on {self.address} did not answer GET /v2/ with {expected} "
            f"within {self.startup_timeout}s (last status {status}):\n{self.log()}"
        )

    def _stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            try:
                os.kill(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                process.wait(timeout=self.stop_timeout)
            except subprocess.TimeoutExpired:
                try:
                    os.kill(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                process.wait(timeout=self.stop_timeout)
        if self._log is not None:
            self._log.close()
            self._log = None
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    # -- images ----------------------------------------------------------
    def reference(self, repository: str, tag: str = "latest") -> str:
        return f"{self.address}/{repository}:{tag}"

    def push(self, local_image: str, repository: str, tag: str = "latest") -> str:
        """Tags local_image as ADDRESS/repository:tag, pushes it, and returns
        that reference (the tag stays in the local engine: see
        remove_local)."""
        ref = self.reference(repository, tag)
        tagged = _docker("tag", local_image, ref)
        assert tagged.returncode == 0, f"docker tag {local_image} {ref} failed:\n{tagged.stdout}{tagged.stderr}"
        pushed = _docker("push", ref, config=self.docker_config_dir)
        assert pushed.returncode == 0, (
            f"docker push {ref} failed ({pushed.returncode}):\n{pushed.stdout}{pushed.stderr}\n"
            f"registry log:\n{self.log()}"
        )
        return ref

    def pull(self, reference: str, config: str | None = None) -> subprocess.CompletedProcess[str]:
        """docker pull with this registry's credentials (or config), not
        checked."""
        return _docker("pull", reference, config=config or self.docker_config_dir)

    @staticmethod
    def remove_local(reference: str) -> None:
        """docker rmi -f of reference in the local engine (no error if it is
        not there)."""
        _docker("rmi", "-f", reference)
