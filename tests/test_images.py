"""Images against real parts: references, pulls from a Distribution
registry the tests run on 127.0.0.1 (with and without htpasswd), recipe
builds run and inspected, hostile recipe values, failing builds,
.dockerignore, import of root filesystems, and the inventory calls."""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path
from typing import Any, Dict, List

import pytest

import pcvmfs
from pcvmfs.errors import (
    ImageError,
    ImageNotFoundError,
    ParseError,
    RegistryAccessDeniedError,
    RegistryUnreachableError,
)

from conftest import BUSYBOX, cli_env, docker_cli
from registry import LocalRegistry, unused_address


def pcvmfs_cli(*args: str, stdin: str | None = None, env: Dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pcvmfs", *args], capture_output=True, text=True, input=stdin, env=env or cli_env(), timeout=600
    )


def image_exists(reference: str) -> bool:
    return subprocess.run(["docker", "image", "inspect", reference], capture_output=True).returncode == 0


@pytest.fixture
def cleanup_images():
    """Removes the images a test names, also when it fails."""
    made: List[str] = []
    yield made
    for reference in made:
        subprocess.run(["docker", "rmi", "-f", reference], capture_output=True)


# ---- references ----

VALID = [
    # text, registry, repository, tag, digest, str
    ("busybox", "docker.io", "library/busybox", "latest", None, "docker.io/library/busybox:latest"),
    ("mconcas/centos6-autobuild-container:latest", "docker.io", "mconcas/centos6-autobuild-container", "latest", None,
     "docker.io/mconcas/centos6-autobuild-container:latest"),
    ("127.0.0.1:5000/pcvmfs/test:1.0", "127.0.0.1:5000", "pcvmfs/test", "1.0", None, "127.0.0.1:5000/pcvmfs/test:1.0"),
    ("localhost/a_b__c.d-e:T_9", "localhost", "a_b__c.d-e", "T_9", None, "localhost/a_b__c.d-e:T_9"),
    ("registry.cern.ch/atlas/athena@sha256:" + "a" * 64, "registry.cern.ch", "atlas/athena", None, "sha256:" + "a" * 64,
     "registry.cern.ch/atlas/athena@sha256:" + "a" * 64),
    ("[::1]:5000/x:y", "[::1]:5000", "x", "y", None, "[::1]:5000/x:y"),
]

INVALID = [
    ("", "empty"),
    ("Ubuntu", "lower case"),
    ("docker.io/Library/busybox", "lower case"),
    ("a//b", "empty"),
    ("a/", "empty"),
    (":tag", ""),
    ("busybox:", "tag"),
    ("busybox@sha256:xyz", "digest"),
    ("busybox@sha256:" + "a" * 63, "digest"),
    ("busybox:" + "t" * 129, "tag"),
    ("busy box", ""),
    ("busybox\nRUN x", ""),
    ("localhost:99999/x", "port"),
    ("a" * 300, "255"),
]


@pytest.mark.parametrize("text,registry,repository,tag,digest,full", VALID)
def test_valid_references(text: str, registry: str, repository: str, tag: Any, digest: Any, full: str) -> None:
    ref = pcvmfs.ImageRef.parse(text)
    assert (ref.registry, ref.repository, ref.tag, ref.digest, str(ref)) == (registry, repository, tag, digest, full)
    assert pcvmfs.ImageRef.parse(str(ref)) == ref


@pytest.mark.parametrize("text,part", INVALID)
def test_invalid_references_name_the_part(text: str, part: str) -> None:
    with pytest.raises(ParseError) as raised:
        pcvmfs.ImageRef.parse(text)
    assert part.lower() in str(raised.value).lower()


def test_invalid_references_fail_before_the_engine(docker: pcvmfs.Docker) -> None:
    with pytest.raises(ParseError):
        docker.pull("Upper/Case")
    with pytest.raises(ParseError):
        docker.tag("busybox", "bad//ref")
    with pytest.raises(ParseError):
        pcvmfs.ImageRef.parse("x" * 1_000_000)


# ---- pulls from a local registry ----


@pytest.fixture(scope="module")
def layered_image(docker: pcvmfs.Docker, tmp_path_factory: pytest.TempPathFactory):
    """A busybox image with three layers of random data (so a pull fetches
    several layers), unique to this run."""
    context = tmp_path_factory.mktemp("layered")
    shutil.copy(BUSYBOX, context / "busybox")
    for i, size in enumerate((3, 2, 4)):
        (context / f"blob{i}").write_bytes(os.urandom(size << 20))
    marker = uuid.uuid4().hex
    (context / "marker").write_text(marker)
    (context / "Dockerfile").write_text(
        "FROM scratch\nCOPY busybox /bin/busybox\nCOPY blob0 /data/0\nCOPY blob1 /data/1\nCOPY blob2 /data/2\nCOPY marker /marker\n"
        'CMD ["/bin/busybox", "sh"]\n'
    )
    tag = f"pcvmfs-test/layered:{marker[:12]}"
    docker.build(context, tag)
    yield tag, marker
    subprocess.run(["docker", "rmi", "-f", tag], capture_output=True)


def _pushed(registry: LocalRegistry, local: str, repository: str) -> str:
    reference = registry.push(local, repository, "v1")
    registry.remove_local(reference)
    return reference


def test_pull_after_removal_with_progress_per_layer(docker: pcvmfs.Docker, layered_image, cleanup_images) -> None:
    local, marker = layered_image
    with LocalRegistry() as registry:
        reference = _pushed(registry, local, "pcvmfs/layered")
        cleanup_images.append(reference)
        # No local copy at all, so that every layer is fetched.
        docker.remove_image(local)
        events: List[Dict[str, Any]] = []
        try:
            image = docker.pull(reference, progress=events.append)
        finally:
            if image_exists(reference):
                docker_cli("tag", reference, local)
    assert reference in image.tags
    layers: Dict[str, List[Dict[str, Any]]] = {}
    for event in events:
        if event["kind"] == "layer":
            layers.setdefault(event["layer"], []).append(event)
    big = [name for name, seen in layers.items() if any((e["total"] or 0) >= 2 << 20 for e in seen)]
    assert len(big) == 3, layers.keys()
    for name, seen in layers.items():
        downloaded = [e["downloaded"] for e in seen]
        extracted = [e["extracted"] for e in seen]
        assert downloaded == sorted(downloaded), (name, downloaded)
        assert extracted == sorted(extracted), (name, extracted)
        assert seen[-1]["state"] in ("complete", "already_exists"), seen[-1]
    for name in big:
        last = layers[name][-1]
        assert last["downloaded"] == last["total"]
    assert any(e["kind"] == "status" and "Digest: sha256:" in e["text"] for e in events)
    # The image is usable.
    with docker.run(reference, command=["/bin/busybox", "sleep", "60"]) as container:
        assert container.exec(["/bin/busybox", "cat", "/marker"]).stdout.decode() == marker


def test_pull_with_htpasswd_credentials(docker: pcvmfs.Docker, layered_image, cleanup_images, tmp_path: Path, monkeypatch) -> None:
    local, _ = layered_image
    with LocalRegistry(auth=("griduser", "s3cr3t-pw")) as registry:
        reference = _pushed(registry, local, "pcvmfs/private")
        cleanup_images.append(reference)
        empty = tmp_path / "empty-config"
        empty.mkdir()
        monkeypatch.setenv("DOCKER_CONFIG", str(empty))
        with pytest.raises(RegistryAccessDeniedError) as raised:
            docker.pull(reference)
        assert "no credentials were sent" in str(raised.value)
        with pytest.raises(RegistryAccessDeniedError) as raised:
            docker.pull(reference, credentials=("griduser", "wrong"))
        assert "s3cr3t" not in str(raised.value) and "wrong" not in str(raised.value)
        assert not image_exists(reference)
        # progress=True: tqdm bars (on standard error here).
        image = docker.pull(reference, credentials=("griduser", "s3cr3t-pw"), progress=True)
        assert reference in image.tags
        docker.remove_image(reference)
        # From the Docker configuration, as `docker login` writes it.
        monkeypatch.setenv("DOCKER_CONFIG", registry.docker_config_dir)
        assert reference in docker.pull(reference).tags
        # The CLI, with the password on standard input.
        docker.remove_image(reference)
        done = pcvmfs_cli("image", "pull", reference, "--user", "griduser", "--password-stdin", stdin="s3cr3t-pw\n",
                          env=cli_env(DOCKER_CONFIG=str(empty)))
        assert done.returncode == 0, done.stderr
        assert reference in done.stdout
        done = pcvmfs_cli("image", "pull", reference, "--user", "griduser", stdin="x\n")
        assert done.returncode == 1 and "--password-stdin" in done.stderr


def test_pull_cli_in_a_terminal_keeps_standard_output_for_the_result(image: str, tmp_path: Path, cleanup_images) -> None:
    with LocalRegistry() as registry:
        reference = registry.push(image, "pcvmfs/tty-pull", "v1")
        registry.remove_local(reference)
        cleanup_images.append(reference)
        # A terminal for standard error (the bars and status lines), a file
        # for standard output.
        out = tmp_path / "stdout"
        command = "stty cols 100 rows 30; " + " ".join([sys.executable, "-m", "pcvmfs", "image", "pull", reference, ">", str(out)])
        done = subprocess.run(["script", "-qec", command, "/dev/null"], capture_output=True, text=True, env=cli_env(), timeout=300)
    assert done.returncode == 0, done.stdout
    assert "Pulling from pcvmfs/tty-pull" in done.stdout, done.stdout
    lines = out.read_text().splitlines()
    assert len(lines) == 1 and lines[0].startswith("sha256:") and reference in lines[0], lines


def test_pull_errors_are_distinguished(docker: pcvmfs.Docker) -> None:
    address = unused_address()
    with pytest.raises(RegistryUnreachableError) as raised:
        docker.pull(f"{address}/pcvmfs/nothing:1")
    assert address in str(raised.value)
    assert isinstance(raised.value, ConnectionError) and isinstance(raised.value, ImageError)
    with LocalRegistry() as registry:
        with pytest.raises(ImageNotFoundError) as raised:
            docker.pull(f"{registry.address}/pcvmfs/nosuch:latest")
        assert isinstance(raised.value, LookupError)
    done = pcvmfs_cli("image", "pull", f"{address}/x:1", "-q")
    assert done.returncode == 1 and "unreachable" in done.stderr


def test_a_registry_that_never_answers_is_unreachable(docker: pcvmfs.Docker) -> None:
    """A registry that takes connections and never answers: the engine
    gives up after its own timeout (about 25 s), and that is an unreachable
    registry, not a refusal."""
    import socket
    import threading

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    address = f"127.0.0.1:{silent.getsockname()[1]}"
    held: List[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                connection, _ = silent.accept()
            except OSError:
                return
            held.append(connection)

    threading.Thread(target=accept, daemon=True).start()
    try:
        with pytest.raises(RegistryUnreachableError) as raised:
            docker.pull(f"{address}/pcvmfs/silent:1")
    finally:
        silent.close()
        for connection in held:
            connection.close()
    message = str(raised.value)
    assert address in message and "refused" not in message, message
    assert held, "the engine connected to the silent registry"


# ---- recipes ----


def _cctools_tarball(path: Path) -> None:
    """A cctools-like release tarball: cctools-7.8.0/bin/parrot_run, a real
    executable (a script the image's sh runs)."""
    script = b'#!/bin/sh\necho "parrot_run (test) $*"\n'
    with tarfile.open(path, "w:gz") as tar:
        for directory in ("cctools-7.8.0", "cctools-7.8.0/bin"):
            info = tarfile.TarInfo(directory)
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            tar.addfile(info)
        info = tarfile.TarInfo("cctools-7.8.0/bin/parrot_run")
        info.size, info.mode = len(script), 0o755
        tar.addfile(info, io.BytesIO(script))


def _run_in(docker: pcvmfs.Docker, image: str, script: str, user: str | None = None) -> str:
    with docker.run(image, command=["sleep", "120"]) as container:
        done = container.exec(["sh", "-c", script], user=user)
        assert done.exit_code == 0, done.stderr
        return done.stdout.decode()


def test_a_recipe_image_has_parrot_the_user_and_the_keys(docker: pcvmfs.Docker, image: str, tmp_path: Path, cleanup_images) -> None:
    tarball = tmp_path / "cctools-7.8.0-x86_64.tar.gz"
    _cctools_tarball(tarball)
    key = tmp_path / "cern-it1.cern.ch.pub"
    key.write_text("-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAtest\n-----END PUBLIC KEY-----\n")
    extra = tmp_path / "default.local"
    extra.write_text("CVMFS_HTTP_PROXY=DIRECT\n")
    session = pcvmfs.ParrotSession(repos="<default-repositories>", proxy="http://squid.example.org:3128;DIRECT")
    recipe = pcvmfs.ImageRecipe(
        image,
        pcvmfs.CctoolsSource.tarball(tarball),
        test_user="griduser",
        test_uid=2001,
        keys={"cern.ch": key},
        files={"/etc/cvmfs/default.local": extra},
        env={"SITE_NAME": "T2_TEST"},
        labels={"org.example.site": "T2_TEST"},
        session=session,
    )
    tag = f"pcvmfs-test/recipe:{uuid.uuid4().hex[:8]}"
    cleanup_images.append(tag)
    lines: List[str] = []
    built = docker.build(recipe, tag, on_output=lines.append)
    assert any(line.startswith("Step ") for line in lines)
    assert built.labels["org.example.site"] == "T2_TEST"
    assert built.labels["org.pcvmfs.managed"] == "true" and built.labels["org.pcvmfs.recipe"] == "1"
    out = _run_in(
        docker,
        tag,
        'id griduser; echo "user=$TEST_USER home=$TEST_USER_HOME path=$PATH site=$SITE_NAME"; '
        "ls -ld $TEST_USER_HOME; parrot_run --version; command -v parrot_run; "
        "ls -ln /etc/cvmfs/keys/cern.ch/; cat /etc/cvmfs/default.local; test -x /opt/pcvmfs/parrot-env.sh && echo entry-ok",
    )
    assert "uid=2001(griduser)" in out, out
    assert "user=griduser home=/home/griduser " in out
    assert "path=/opt/cctools/bin:" in out
    assert "site=T2_TEST" in out
    home_line = next(line for line in out.splitlines() if line.endswith("/home/griduser"))
    assert "griduser" in home_line
    assert "parrot_run (test) --version" in out
    assert "/opt/cctools/bin/parrot_run" in out
    key_line = next(line for line in out.splitlines() if "cern-it1.cern.ch.pub" in line)
    assert key_line.startswith("-rw-r--r--") and " 0 " in key_line and " 0  " not in key_line.split("cern-it1")[0][:3], key_line
    assert key_line.split()[2:4] == ["0", "0"], key_line
    assert "CVMFS_HTTP_PROXY=DIRECT" in out and "entry-ok" in out
    # The entry script carries the session's settings, as the user runs it.
    env_out = _run_in(docker, tag, "grep -E 'HTTP_PROXY|PARROT_CVMFS_REPO' /opt/pcvmfs/parrot-env.sh", user="griduser")
    assert "squid.example.org:3128" in env_out and "<default-repositories>" in env_out


HOSTILE = [
    "$(touch /pwned)",
    "`touch /pwned`",
    "'; touch /pwned; '",
    '"; touch /pwned; "',
    "back\\slash \\$HOME ${PATH}",
]


def test_hostile_recipe_values_arrive_literally_or_are_refused(docker: pcvmfs.Docker, image: str, tmp_path: Path, cleanup_images) -> None:
    tarball = tmp_path / "cctools.tar.gz"
    _cctools_tarball(tarball)
    cctools = pcvmfs.CctoolsSource.tarball(tarball)
    for value in ("x\nRUN touch /pwned", "x\rRUN touch /pwned", "x\0y"):
        with pytest.raises(ParseError):
            pcvmfs.ImageRecipe(image, cctools, env={"SITE": value})
        with pytest.raises(ParseError):
            pcvmfs.ImageRecipe(image, cctools, labels={"org.example.x": value})
    for user in ("root", "a b", "$(id)", "x" * 40, "Griduser"):
        with pytest.raises(ParseError):
            pcvmfs.ImageRecipe(image, cctools, test_user=user)
    env = {f"V{i}": value for i, value in enumerate(HOSTILE)}
    labels = {f"org.example.v{i}": value for i, value in enumerate(HOSTILE)}
    recipe = pcvmfs.ImageRecipe(image, cctools, env=env, labels=labels)
    instructions = [line.split()[0] for line in recipe.dockerfile().splitlines() if line and not line.startswith("#") and not line.startswith(" ")]
    assert set(instructions) <= {"FROM", "COPY", "RUN", "ENV", "LABEL"}, instructions
    tag = f"pcvmfs-test/hostile:{uuid.uuid4().hex[:8]}"
    cleanup_images.append(tag)
    built = docker.build(recipe, tag)
    for i, value in enumerate(HOSTILE):
        assert built.labels[f"org.example.v{i}"] == value
    out = _run_in(docker, tag, "env; test -e /pwned && echo PWNED || echo clean")
    seen = dict(line.split("=", 1) for line in out.splitlines() if line.startswith("V") and "=" in line)
    assert seen == env, out
    assert out.splitlines()[-1] == "clean", out


def test_secrets_are_refused_with_advice(image: str, tmp_path: Path) -> None:
    tarball = tmp_path / "cctools.tar.gz"
    _cctools_tarball(tarball)
    cctools = pcvmfs.CctoolsSource.tarball(tarball)
    with pytest.raises(ParseError) as raised:
        pcvmfs.ImageRecipe(image, cctools, env={"CONDOR_PASSWORD": "hunter2"})
    message = str(raised.value)
    assert "hunter2" not in message and "docker run -e CONDOR_PASSWORD" in message
    with pytest.raises(ParseError):
        pcvmfs.ImageRecipe(image, cctools, env={"X": "-----BEGIN RSA PRIVATE KEY-----"})
    proxy = "http://alice:S3cr3tP4ss@proxy.cern.ch:3128"
    with pytest.raises(ParseError) as raised:
        pcvmfs.ImageRecipe(image, cctools, env={"HTTP_PROXY": proxy})
    message = str(raised.value)
    assert "S3cr3tP4ss" not in message and "password" in message and "docker run -e HTTP_PROXY" in message, message
    with pytest.raises(ParseError) as raised:
        pcvmfs.ImageRecipe(image, cctools, labels={"org.example.proxy": proxy})
    assert "S3cr3tP4ss" not in str(raised.value)
    # A user without a password names no secret.
    pcvmfs.ImageRecipe(image, cctools, env={"HTTP_PROXY": "http://alice@proxy.cern.ch:3128"})


def test_test_uids_up_to_2147483646_are_accepted(image: str, tmp_path: Path) -> None:
    tarball = tmp_path / "cctools.tar.gz"
    _cctools_tarball(tarball)
    cctools = pcvmfs.CctoolsSource.tarball(tarball)
    for uid in (60001, 1_000_000, 2_147_483_646):
        assert pcvmfs.ImageRecipe(image, cctools, test_uid=uid).test_uid == uid
    for uid in (0, 2_147_483_647):
        with pytest.raises(ParseError) as raised:
            pcvmfs.ImageRecipe(image, cctools, test_uid=uid)
        assert "2147483646" in str(raised.value) and "useradd" not in str(raised.value)


def test_recipe_files_into_a_directory_keep_their_names(docker: pcvmfs.Docker, image: str, tmp_path: Path, cleanup_images) -> None:
    tarball = tmp_path / "cctools.tar.gz"
    _cctools_tarball(tarball)
    cctools = pcvmfs.CctoolsSource.tarball(tarball)
    conf = tmp_path / "default.local"
    conf.write_text("CVMFS_HTTP_PROXY=DIRECT\n")
    site = tmp_path / "site"
    site.mkdir()
    (site / "a.conf").write_text("a\n")
    # A high uid too: useradd's UID_MAX limits only the uids it picks.
    recipe = pcvmfs.ImageRecipe(image, cctools, test_user="griduser", test_uid=70000,
                                files={"/etc/cvmfs/": conf, "/opt/": site})
    tag = f"pcvmfs-test/files-into:{uuid.uuid4().hex[:8]}"
    cleanup_images.append(tag)
    docker.build(recipe, tag)
    out = _run_in(docker, tag, "cat /etc/cvmfs/default.local /opt/site/a.conf; ls -A /etc/cvmfs /opt; id -u griduser")
    assert out.splitlines() == ["CVMFS_HTTP_PROXY=DIRECT", "a", "/etc/cvmfs:", "default.local", "", "/opt:", "cctools", "pcvmfs", "site", "70000"], out

    # A file whose destination is a directory of the base image (the test
    # image has /home) fails the build, naming it, rather than leaving the
    # file there as "0".
    into_home = pcvmfs.ImageRecipe(image, cctools, files={"/home": conf})
    bad_tag = f"pcvmfs-test/files-into-dir:{uuid.uuid4().hex[:8]}"
    cleanup_images.append(bad_tag)
    with pytest.raises(ImageError) as raised:
        docker.build(into_home, bad_tag)
    message = str(raised.value)
    assert "/home is a directory in the base image" in message, message
    assert not image_exists(bad_tag)


# ---- builds ----


def test_a_failing_third_step_is_named_with_its_output(docker: pcvmfs.Docker, image: str, tmp_path: Path, cleanup_images) -> None:
    (tmp_path / "Dockerfile").write_text(
        f"FROM {image}\nRUN echo first step\nRUN echo 'about to fail' && echo 'on stderr' >&2 && exit 3\nRUN echo never\n"
    )
    tag = f"pcvmfs-test/failing:{uuid.uuid4().hex[:8]}"
    cleanup_images.append(tag)
    before = set(docker_cli("ps", "-aq").split())
    with pytest.raises(ImageError) as raised:
        docker.build(tmp_path, tag)
    message = str(raised.value)
    # Step 5 is the LABEL pcvmfs adds to every image it builds.
    assert "Step 3/5 : RUN echo 'about to fail'" in message, message
    assert "about to fail" in message.split("last lines of output:")[1]
    assert "on stderr" in message
    assert "non-zero code: 3" in message
    # Intermediate containers are removed, also after the failure.
    assert set(docker_cli("ps", "-aq").split()) <= before


def test_a_dockerfile_syntax_error_is_an_image_error(docker: pcvmfs.Docker, image: str, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(f"FROM {image}\nRUNN echo typo\n")
    with pytest.raises(ImageError) as raised:
        docker.build(tmp_path, f"pcvmfs-test/typo:{uuid.uuid4().hex[:8]}")
    message = str(raised.value)
    assert "dockerfile parse error line 2" in message and "RUNN" in message, message


def test_build_tags_are_checked_before_the_context_is_read(docker: pcvmfs.Docker, tmp_path: Path) -> None:
    # The directory is missing: a tag checked after packing would raise
    # FileNotFoundError instead.
    missing = tmp_path / "missing"
    for tag, part in (("Bad:Tag", '"Bad"'), ("a:b:c", '"a:b"'), ("x/", "empty path component"), ("UPPER/case:1", '"UPPER"'),
                      ("x@sha256:" + "a" * 64, "digest")):
        with pytest.raises(ParseError) as raised:
            docker.build(missing, tag)
        message = str(raised.value)
        assert message.startswith("invalid image tag") and part in message, message


class _StopBuilding(Exception):
    pass


def test_a_raising_on_output_stops_the_build(docker: pcvmfs.Docker, image: str, tmp_path: Path, cleanup_images) -> None:
    (tmp_path / "Dockerfile").write_text(
        f"FROM {image}\nRUN echo slow-step-started && sleep 20 && echo slow-step-finished\n"
    )
    tag = f"pcvmfs-test/stopped:{uuid.uuid4().hex[:8]}"
    cleanup_images.append(tag)
    lines: List[str] = []

    def on_output(line: str) -> None:
        lines.append(line)
        if line == "slow-step-started":
            raise _StopBuilding(line)

    with pytest.raises(_StopBuilding):
        docker.build(tmp_path, tag, on_output=on_output)
    assert "slow-step-finished" not in lines, lines
    assert not image_exists(tag)
    # The step's container ran the echo; with the build's connection
    # closed, the engine stops it. `docker wait` returns once it is stopped
    # (or at once when it is already removed).
    running_in = [line.split()[-1] for line in lines if line.startswith(" ---> Running in ")]
    assert len(running_in) == 1, lines
    subprocess.run(["docker", "wait", running_in[0]], capture_output=True, timeout=60)
    assert docker_cli("ps", "-q", "--no-trunc", "--filter", f"id={running_in[0]}") == ""


def test_dockerignore_no_cache_and_build_args(docker: pcvmfs.Docker, image: str, tmp_path: Path, cleanup_images) -> None:
    (tmp_path / "Dockerfile").write_text(
        f"FROM {image}\nARG SITE=none\nCOPY . /ctx/\nRUN echo \"site=$SITE\" > /site && date +%s%N > /stamp\n"
    )
    (tmp_path / ".dockerignore").write_text("# secrets stay out\nsecret*\n*.log\n!keep.log\ncache/\n")
    (tmp_path / "secret.key").write_text("x")
    (tmp_path / "debug.log").write_text("x")
    (tmp_path / "keep.log").write_text("kept")
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "big").write_bytes(b"0" * 1000)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "main.c").write_text("int main;")
    tag = f"pcvmfs-test/ignore:{uuid.uuid4().hex[:8]}"
    cleanup_images.append(tag)
    docker.build(tmp_path, tag, build_args={"SITE": "T2_TEST"})
    listing = _run_in(docker, tag, "cd /ctx && find . | sort; cat /site; cat /stamp")
    lines = listing.splitlines()
    assert lines[:6] == [".", "./.dockerignore", "./Dockerfile", "./keep.log", "./src", "./src/main.c"], lines
    assert "site=T2_TEST" in lines
    stamp = lines[-1]
    docker.build(tmp_path, tag, build_args={"SITE": "T2_TEST"})
    assert _run_in(docker, tag, "cat /stamp").strip() == stamp  # cached
    docker.build(tmp_path, tag, build_args={"SITE": "T2_TEST"}, no_cache=True)
    assert _run_in(docker, tag, "cat /stamp").strip() != stamp
    with pytest.raises(ParseError) as raised:
        docker.build(tmp_path, tag, build_args={"GRID_TOKEN": "abc"})
    assert str(raised.value).startswith('invalid build argument "GRID_TOKEN"'), raised.value
    with pytest.raises(ParseError) as raised:
        docker.build(tmp_path, tag, build_args={"HTTP_PROXY": "http://alice:S3cr3tP4ss@proxy.cern.ch:3128"})
    assert "S3cr3tP4ss" not in str(raised.value) and "build argument" in str(raised.value)


def test_build_cli_from_recipe_flags(image: str, tmp_path: Path, cleanup_images) -> None:
    tarball = tmp_path / "cctools.tar.gz"
    _cctools_tarball(tarball)
    done = pcvmfs_cli("image", "recipe", "--base", image, "--cctools-tarball", str(tarball), "--env", "SITE=$(id)")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("#") and f"FROM docker.io/{image}\n" in done.stdout
    assert 'SITE="\\$(id)"' in done.stdout
    out = tmp_path / "ctx"
    done = pcvmfs_cli("image", "recipe", "--base", image, "--cctools-tarball", str(tarball), "-o", str(out))
    assert done.returncode == 0, done.stderr
    tag = f"pcvmfs-test/cli-recipe:{uuid.uuid4().hex[:8]}"
    cleanup_images.append(tag)
    done = pcvmfs_cli("image", "build", str(out), "-t", tag, "-q")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith("sha256:")
    # Not in a terminal: the log goes to standard error, the result alone
    # to standard output.
    done = pcvmfs_cli("image", "build", str(out), "-t", tag)
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == 1 and done.stdout.startswith("sha256:") and tag in done.stdout, done.stdout
    assert "Step 1/" in done.stderr, done.stderr
    done = pcvmfs_cli("image", "ls", tag, "--json")
    listed = json.loads(done.stdout)
    assert [tag] == listed[0]["tags"] and listed[0]["labels"]["org.pcvmfs.recipe"] == "1"
    done = pcvmfs_cli("image", "build", "-t", tag)
    assert done.returncode == 1 and "PATH" in done.stderr
    done = pcvmfs_cli("image", "build", str(out), "-t", tag, "--env", "SITE=x")
    assert done.returncode == 1 and "--env only apply to a recipe" in done.stderr
    done = pcvmfs_cli("image", "rm", tag)
    assert done.returncode == 0 and f"untagged {tag}" in done.stdout
    assert not image_exists(tag)


# ---- import and inventory ----


def _rootfs(directory: Path) -> Path:
    (directory / "bin").mkdir(parents=True)
    shutil.copy(BUSYBOX, directory / "bin" / "busybox")
    for name in ("sh", "cat", "sleep", "stat"):
        os.symlink("busybox", directory / "bin" / name)
    (directory / "etc").mkdir()
    (directory / "etc" / "hostname-marker").write_text("imported\n")
    os.chown(directory / "etc" / "hostname-marker", 1234, 4321)
    os.chmod(directory / "etc" / "hostname-marker", 0o640)
    return directory


def test_import_rootfs_from_a_directory_and_a_tarball(docker: pcvmfs.Docker, tmp_path: Path, cleanup_images) -> None:
    root = _rootfs(tmp_path / "root")
    tag = f"pcvmfs-test/imported:{uuid.uuid4().hex[:8]}"
    cleanup_images.append(tag)
    image = docker.import_rootfs(root, tag)
    assert tag in image.tags and image.labels["org.pcvmfs.managed"] == "true"
    out = _run_in(docker, tag, "cat /etc/hostname-marker; stat -c '%u:%g %a' /etc/hostname-marker")
    assert out.splitlines() == ["imported", "1234:4321 640"]

    tarball = tmp_path / "root.tar.gz"
    with tarfile.open(tarball, "w:gz") as tar:
        tar.add(root, ".")
    tag2 = tag + "-tar"
    cleanup_images.append(tag2)
    docker.import_rootfs(tarball, tag2)
    assert _run_in(docker, tag2, "cat /etc/hostname-marker").strip() == "imported"
    with pytest.raises(FileNotFoundError):
        docker.import_rootfs(tmp_path / "missing", tag2)
    # An image id, in the short form `docker images` shows, is taken.
    short = docker.images(reference=tag2)[0].id[7:19]
    assert any(line.startswith("deleted sha256:" + short) for line in docker.remove_image(short)), short
    assert not image_exists(tag2)
    done = pcvmfs_cli("image", "import", str(root), tag + "-cli")
    cleanup_images.append(tag + "-cli")
    assert done.returncode == 0, done.stderr


def test_inventory_lists_tags_and_removes(docker: pcvmfs.Docker, image: str, cleanup_images) -> None:
    name = f"pcvmfs-test/inventory-{uuid.uuid4().hex[:8]}"
    cleanup_images.extend([f"{name}:a", f"{name}:b"])
    tagged = docker.tag(image, f"{name}:a")
    docker.tag(image, pcvmfs.ImageRef.parse(f"{name}:b"))
    listed = docker.images(reference=f"{name}:*")
    assert len(listed) == 1 and sorted(t for t in listed[0].tags if t.startswith(name)) == [f"{name}:a", f"{name}:b"]
    assert listed[0].id == tagged.id
    assert listed[0].created and listed[0].size
    cli = json.loads(docker_cli("image", "inspect", image))[0]
    assert listed[0].id == cli["Id"]
    managed = docker.images(label="org.pcvmfs.managed=true")
    assert tagged.id in {i.id for i in managed}
    assert docker.remove_image(f"{name}:a") == [f"untagged {name}:a"]
    assert not image_exists(f"{name}:a") and image_exists(f"{name}:b")
    with pytest.raises(ImageError):
        docker.remove_image(f"{name}:nosuch")
    with pytest.raises(ParseError):
        docker.images(label="a b=c")
    for bad in ("Bad Ref", "Upper/Case:1", "x/"):
        with pytest.raises(ParseError) as raised:
            docker.remove_image(bad)
        assert str(raised.value).startswith("invalid image reference"), raised.value
    with pytest.raises(ParseError) as raised:
        docker.images(reference="Bad*")
    assert "upper-case" in str(raised.value)
    with pytest.raises(ImageError):
        docker.tag(f"{name}:nosuch", f"{name}:c")


def test_progress_bars_follow_events(capsys) -> None:
    from pcvmfs.progress import BuildBar, PullBars

    bars = PullBars()
    bars({"kind": "status", "text": "Pulling from pcvmfs/x"})
    for done in (0, 100, 50, 400):
        bars({"kind": "layer", "layer": "abc123", "state": "downloading", "downloaded": min(done, 400), "extracted": 0, "total": 400})
    bar = bars._bars["abc123"]
    assert (bar.n, bar.total) == (400, 400)
    bars.close()
    build = BuildBar()
    for line in ("Step 1/3 : FROM x", "output", "Step 3/3 : RUN y"):
        build(line)
    assert (build._bar.n, build._bar.total) == (3, 3)
    build.close()
    captured = capsys.readouterr()
    assert "Pulling from pcvmfs/x" in captured.err and "Pulling from" not in captured.out
    with pytest.raises(TypeError):
        pcvmfs.Docker().pull("busybox", progress=42)  # type: ignore[arg-type]


class _CorruptingProxy:
    """An HTTP proxy of the test's own in front of the registry, on
    127.0.0.1, that flips one byte in every layer blob it serves (a blob
    larger than 1 MiB), so that a pull fails in mid-stream: the engine
    downloads the layer, then finds its digest wrong."""

    def __init__(self, upstream: str) -> None:
        import http.server
        import threading
        import urllib.request

        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _forward(self, with_body: bool) -> None:
                request = urllib.request.Request(f"http://{upstream}{self.path}", method=self.command)
                for name in ("Accept", "Authorization", "Range"):
                    if self.headers.get(name):
                        request.add_header(name, self.headers[name])
                try:
                    response = opener.open(request, timeout=30)
                except urllib.error.HTTPError as err:
                    response = err
                body = response.read() if with_body else b""
                if with_body and "/blobs/sha256:" in self.path and len(body) > 1 << 20:
                    middle = len(body) // 2
                    body = body[:middle] + bytes([body[middle] ^ 0xFF]) + body[middle + 1 :]
                self.send_response(response.status if hasattr(response, "status") else response.code)
                for name, value in response.headers.items():
                    if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(name, value)
                length = response.headers.get("Content-Length")
                self.send_header("Content-Length", str(len(body)) if with_body else (length or "0"))
                self.end_headers()
                if with_body:
                    self.wfile.write(body)

            def do_GET(self) -> None:
                self._forward(True)

            def do_HEAD(self) -> None:
                self._forward(False)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.address = f"127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "_CorruptingProxy":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_a_pull_that_fails_in_mid_stream_is_interrupted(docker: pcvmfs.Docker, tmp_path: Path, cleanup_images) -> None:
    from pcvmfs.errors import PullInterruptedError

    # An image of its own, so that no layer of it is in the store already.
    shutil.copy(BUSYBOX, tmp_path / "busybox")
    (tmp_path / "blob").write_bytes(os.urandom(3 << 20))
    (tmp_path / "Dockerfile").write_text("FROM scratch\nCOPY busybox /bin/busybox\nCOPY blob /blob\n")
    local = f"pcvmfs-test/corrupt:{uuid.uuid4().hex[:8]}"
    docker.build(tmp_path, local)
    cleanup_images.append(local)
    with LocalRegistry() as registry:
        registry.push(local, "pcvmfs/corrupt", "v1")
        registry.remove_local(registry.reference("pcvmfs/corrupt", "v1"))
        docker.remove_image(local)
        with _CorruptingProxy(registry.address) as proxy:
            reference = f"{proxy.address}/pcvmfs/corrupt:v1"
            events: List[Dict[str, Any]] = []
            with pytest.raises(PullInterruptedError) as raised:
                docker.pull(reference, progress=events.append)
    message = str(raised.value)
    assert "verification failed" in message or "digest" in message, message
    assert any(e["kind"] == "layer" and e["downloaded"] > 0 for e in events), events
    assert not image_exists(reference)


def test_build_cli_in_a_terminal_shows_a_bar_over_the_steps(image: str, tmp_path: Path, cleanup_images) -> None:
    (tmp_path / "Dockerfile").write_text(f"FROM {image}\nRUN echo one\nRUN echo two\n")
    tag = f"pcvmfs-test/tty-build:{uuid.uuid4().hex[:8]}"
    cleanup_images.append(tag)
    # util-linux's script gives the command a terminal (of 100 columns:
    # a new pty has none, and tqdm then draws an empty bar).
    command = "stty cols 100 rows 30; " + " ".join([sys.executable, "-m", "pcvmfs", "image", "build", str(tmp_path), "-t", tag])
    done = subprocess.run(["script", "-qec", command, "/dev/null"], capture_output=True, text=True, env=cli_env(), timeout=300)
    assert done.returncode == 0, done.stdout
    assert "step" in done.stdout and "4/4" in done.stdout, done.stdout
    assert "---> Running in" not in done.stdout
    assert image_exists(tag)
