"""Parrot sessions from Python and the CLI: the runner with a stand-in for
parrot_run made from the image's own programs, the log judged as it
streams, and logs judged after the fact."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import pcvmfs
from conftest import FIXTURES, cli_env, docker_cli

PARROT_FIXTURES = FIXTURES / "parrot"
PCVMFS = [sys.executable, "-m", "pcvmfs"]

FAKE_PARROT = """#!/bin/sh
printf 'argv:%s\\n' "$@"
printf 'repo:%s\\n' "$PARROT_CVMFS_REPO"
printf 'uid:%s\\n' "$(id -u)"
cat /fake/log >&2
exit "$(cat /fake/status)"
"""


@pytest.fixture
def fake_parrot(tmp_path):
    # Mounted into the container, where parrotuser must reach it.
    tmp_path.chmod(0o755)
    (tmp_path / "parrot_run").write_text(FAKE_PARROT)
    (tmp_path / "parrot_run").chmod(0o755)
    (tmp_path / "log").write_bytes((PARROT_FIXTURES / "docker-default-seccomp.stderr").read_bytes())
    (tmp_path / "status").write_text("1\n")
    return tmp_path


def test_a_session_in_a_container_is_run_and_judged(docker, image, fake_parrot):
    session = pcvmfs.ParrotSession(parrot="/fake/parrot_run", repos="<default-repositories> it's $(x)", debug=["process"])
    lines: list[str] = []
    with docker.run(image, ["sleep", "600"], volumes=[f"{fake_parrot}:/fake:ro"], env={"TEST_USER": "parrotuser"}) as c:
        result = c.parrot(session, ["ls", "/cvmfs/alice.cern.ch"], on_log=lines.append)
    out = result.stdout.decode()
    assert out == "argv:-d\nargv:process\nargv:ls\nargv:/cvmfs/alice.cern.ch\nrepo:<default-repositories> it's $(x)\nuid:1000\n"
    assert result.user == "parrotuser" and result.exit_code == 1
    expected = (PARROT_FIXTURES / "docker-default-seccomp.stderr").read_text().splitlines()
    assert lines == expected and result.log_lines == len(expected)
    # As the fixtures' README says: attached, then process_vm_readv refused.
    assert result.outcome["kind"] == "parrot_failed"
    assert "tracer memory read failed" in result.outcome["reason"]
    assert [f["check"] for f in result.findings] == ["parrot.tracer_memory"]
    assert "ParrotResult(exit_code=1" in repr(result)


def test_a_failing_callback_is_raised_after_the_run(docker, image, fake_parrot):
    def callback(line: str) -> None:
        raise KeyError("from on_log")

    session = pcvmfs.ParrotSession(parrot="/fake/parrot_run")
    with docker.run(image, ["sleep", "600"], volumes=[f"{fake_parrot}:/fake:ro"]) as c:
        with pytest.raises(KeyError, match="from on_log"):
            c.parrot(session, ["true"], on_log=callback)


def test_a_session_on_the_local_host(fake_parrot):
    session = pcvmfs.ParrotSession(parrot=str(fake_parrot / "parrot_run"))
    # The stand-in reads /fake/...; here the files are elsewhere, so give it a
    # script of its own.
    script = fake_parrot / "local_parrot"
    script.write_text(f"#!/bin/sh\necho out\ncat '{PARROT_FIXTURES / 'ok-true-debug-all.stderr'}' >&2\nexit 0\n")
    script.chmod(0o755)
    session = pcvmfs.ParrotSession(parrot=str(script))
    result = pcvmfs.parrot_local(session, ["true"])
    assert result.exit_code == 0 and result.stdout == b"out\n"
    assert result.outcome["kind"] == "succeeded", result.outcome
    slow = fake_parrot / "slow"
    slow.write_text("#!/bin/sh\nsleep 30\n")
    slow.chmod(0o755)
    with pytest.raises(pcvmfs.ExecTimeoutError, match="killed"):
        pcvmfs.parrot_local(pcvmfs.ParrotSession(parrot=str(slow), timeout=0.3), ["true"])


def test_session_values_are_checked():
    with pytest.raises(pcvmfs.ParseError, match="debug flag"):
        pcvmfs.ParrotSession(debug=["nosuchflag"])
    with pytest.raises(pcvmfs.ParseError, match="absolute"):
        pcvmfs.ParrotSession(debug_file="relative.log")
    with pytest.raises(pcvmfs.ParseError, match="timeout"):
        pcvmfs.ParrotSession(timeout=-1)
    session = pcvmfs.ParrotSession(repos="<default-repositories>", proxy="http://ca-proxy.cern.ch:3128;DIRECT")
    assert session.env() == {
        "PARROT_ALLOW_SWITCHING_CVMFS_REPOSITORIES": "yes",
        "PARROT_CVMFS_REPO": "<default-repositories>",
        "HTTP_PROXY": "http://ca-proxy.cern.ch:3128;DIRECT",
    }
    assert session.argv(["ls"]) == ["parrot_run", "-d", "all", "ls"]
    assert "exec 'parrot_run' '-d' 'all' 'bash'" in session.env_script()


@pytest.mark.parametrize(
    "case, exit_code, kind",
    [
        ("ok-true-debug-all", 0, "succeeded"),
        ("exit-status-3", 3, "program_failed"),
        ("cap-sys-ptrace-ok", 0, "succeeded"),
        ("docker-default-seccomp", 1, "parrot_failed"),
        ("seccomp-denies-ptrace", 137, "parrot_failed"),
    ],
)
def test_the_fixture_logs_are_judged(case, exit_code, kind):
    stderr = PARROT_FIXTURES / f"{case}.stderr"
    meta = json.loads((PARROT_FIXTURES / f"{case}.json").read_text())
    assert meta["exit_status"] == exit_code
    judged = pcvmfs.parse_parrot_log(stderr, exit_code)
    assert judged["outcome"]["kind"] == kind, judged["outcome"]
    assert pcvmfs.parse_parrot_log(stderr.read_text(), exit_code)["outcome"] == judged["outcome"]
    done = subprocess.run([*PCVMFS, "parrot-log", str(stderr), "--exit-code", str(exit_code), "--json"], capture_output=True, text=True, env=cli_env())
    assert json.loads(done.stdout)["outcome"]["kind"] == kind
    assert done.returncode == (0 if kind == "succeeded" else 1)


def test_parrot_log_reads_standard_input():
    text = (PARROT_FIXTURES / "seccomp-denies-ptrace.stderr").read_text()
    done = subprocess.run([*PCVMFS, "parrot-log", "-", "--exit-code", "137"], capture_output=True, text=True, env=cli_env(), input=text)
    assert done.returncode == 1 and "outcome: parrot_failed" in done.stdout
    assert "->" in done.stdout, "findings come with remedies"


def test_pcvmfs_run_uses_an_init_and_passes_the_exit_code(docker, image, tmp_path):
    (tmp_path / "parrot_run").write_text(
        "#!/bin/sh\necho \"ran:$*\"\necho 'parrot_run[6]<child:6> process: /bin/sh exited normally with status 4' >&2\nexit 4\n"
    )
    (tmp_path / "parrot_run").chmod(0o755)
    (tmp_path / "Dockerfile").write_text(f"FROM {image}\nCOPY parrot_run /usr/bin/parrot_run\nENV TEST_USER=parrotuser\n")
    docker.build(tmp_path, "pcvmfs-test/fake-parrot:py")
    try:
        done = subprocess.run(
            [*PCVMFS, "run", "pcvmfs-test/fake-parrot:py", "--repo", "<default-repositories>", "-d", "process", "--", "sh", "-c", "exit 4"],
            capture_output=True, text=True, env=cli_env(), timeout=120,
        )
        assert done.returncode == 4, done.stderr
        assert done.stdout == "ran:-d process sh -c exit 4\n"
        assert "outcome program_failed" in done.stderr
        assert docker_cli("ps", "-aq", "--filter", "ancestor=pcvmfs-test/fake-parrot:py") == ""
        # The interactive environment: the wrapper script exports the
        # session's variables and execs parrot_run bash.
        done = subprocess.run(
            [*PCVMFS, "shell", "pcvmfs-test/fake-parrot:py", "--parrot", "--repo", "<default-repositories> x'y"],
            capture_output=True, text=True, env=cli_env(), timeout=120, stdin=subprocess.DEVNULL,
        )
        assert done.returncode == 4, done.stderr
        assert done.stdout == "ran:-d all bash\n", done.stdout
        assert "exited normally with status 4" in done.stderr
    finally:
        docker_cli("image", "rm", "pcvmfs-test/fake-parrot:py")


def test_repository_lists_and_proxy_chains_are_typed_and_round_trip():
    text = (
        "<default-repositories> alice-ocdb.cern.ch:url=http://cvmfs-stratum-one.cern.ch/cvmfs/alice-ocdb.cern.ch,"
        "pubkey=/etc/cvmfs/keys/cern.ch/cern-it1.cern.ch.pub"
    )
    repos = pcvmfs.CvmfsRepoList.parse(text)
    assert repos.has_defaults and pcvmfs.CvmfsRepoList.parse(repos.render()) == repos
    ocdb = repos.lookup("alice-ocdb.cern.ch")
    assert ocdb["pattern"] == "alice-ocdb.cern.ch"
    assert repos.lookup("alice.cern.ch")["pattern"] == "*.cern.ch", "the defaults cover *.cern.ch"
    built = pcvmfs.CvmfsRepoList(
        ["<default-repositories>", pcvmfs.CvmfsRepo("alice-ocdb.cern.ch", url="http://cvmfs-stratum-one.cern.ch/cvmfs/alice-ocdb.cern.ch", pubkey="/etc/cvmfs/keys/cern.ch/cern-it1.cern.ch.pub")]
    )
    assert built == repos
    chain = pcvmfs.ProxyChain.parse("http://ca-proxy.cern.ch:3128|http://192.0.2.1:3128;DIRECT")
    assert chain.groups == [["http://ca-proxy.cern.ch:3128", "http://192.0.2.1:3128"], ["DIRECT"]]
    assert chain.hosts == [("ca-proxy.cern.ch", 3128), ("192.0.2.1", 3128)] and chain.has_direct
    session = pcvmfs.ParrotSession(repos=repos, proxy=chain)
    assert session.env()["PARROT_CVMFS_REPO"] == repos.render()
    assert session.env()["HTTP_PROXY"] == chain.render()
    for bad, what in [("ca-proxy.cern.ch:3128", "scheme"), ("http://p", "port")]:
        with pytest.raises(pcvmfs.ParseError, match=what):
            pcvmfs.ProxyChain.parse(bad)
    with pytest.raises(pcvmfs.ParseError):
        pcvmfs.CvmfsRepoList.parse("repo:url=")
