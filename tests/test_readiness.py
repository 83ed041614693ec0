"""pcvmfs.doctor(image=...) and `pcvmfs doctor --image` on the real engine:
the probe in a FROM-scratch busybox image, the layer named, the remedy
verified, and the recommended flags working as printed."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import pcvmfs
from conftest import FIXTURES, cli_env, docker_cli


def probe_in(flags: list[str], image: str, user: str = "1000") -> dict:
    """Runs the probe with plain `docker run` and the given flags."""
    out = docker_cli(
        "run", "--rm", "--label", "org.pcvmfs.managed=true", "-u", user,
        "-v", f"{pcvmfs.probe_path()}:/probe:ro", *flags, image, "/probe",
    )
    return json.loads(out)


def test_the_shipped_probe_exists_and_is_static():
    path = pcvmfs.probe_path()
    assert path.is_file(), "scripts/test.sh builds the probe into python/pcvmfs/bin"
    assert path.read_bytes()[:4] == b"\x7fELF"
    assert b"/lib64/ld-linux" not in path.read_bytes()[:4096], "no dynamic loader: static"


def test_the_engine_default_is_diagnosed_and_the_fix_works_as_printed(docker, image, tmp_path):
    report = pcvmfs.doctor(docker, proxy="DIRECT", image=image, user="1000", profile_dir=tmp_path)
    assert report.ptrace_ready is False and not report.ok
    checks = {f.check: f for f in report.findings}
    assert checks["ptrace.seccomp"].status == "fail"
    assert "process_vm_readv" in checks["ptrace.seccomp"].evidence
    assert checks["ptrace.ready"].status == "fail" and "(verified)" in checks["ptrace.ready"].remedy
    profile = tmp_path / "pcvmfs-parrot-seccomp.json"
    assert report.recommended_docker_flags == ["--security-opt", f"seccomp={profile}"]
    assert report.recommended_security.seccomp == str(profile)
    # The flags work as printed, with plain docker run.
    result = probe_in(report.recommended_docker_flags, image)
    assert all(step["ok"] for step in result["steps"]), result["steps"]
    # And without them, the same probe fails as the report said.
    failing = probe_in([], image)
    readv = [s for s in failing["steps"] if s["step"] == "process_vm_readv"][0]
    assert readv["errno"] == 1
    data = report.to_dict()
    assert data["ptrace"]["given"]["report"]["identity"]["uid"] == 1000


def test_options_that_work_are_recommended_as_they_are(docker, image, tmp_path):
    security = pcvmfs.SecurityOptions(cap_add=["SYS_PTRACE"])
    report = pcvmfs.doctor(docker, proxy="DIRECT", image=image, user="1000", security=security, profile_dir=tmp_path)
    assert report.ptrace_ready is True and report.ok
    assert report.recommended_security == security
    assert report.recommended_docker_flags == ["--cap-add", "SYS_PTRACE"]
    assert list(tmp_path.iterdir()) == [], "no profile written when none is needed"


def test_the_fixture_profile_refusing_ptrace(docker, image, tmp_path):
    security = pcvmfs.SecurityOptions(seccomp=FIXTURES / "parrot" / "seccomp-deny-ptrace.profile.json")
    report = pcvmfs.doctor(docker, proxy="DIRECT", image=image, security=security, profile_dir=tmp_path)
    assert report.ptrace_ready is False
    seccomp = [f for f in report.findings if f.check == "ptrace.seccomp"][0]
    assert "refuses ptrace itself" in seccomp.evidence
    assert report.recommended_security.seccomp == str(tmp_path / "pcvmfs-parrot-seccomp.json")


def test_errors_in_the_image_check_are_findings(docker, tmp_path):
    report = pcvmfs.doctor(docker, proxy="DIRECT", image="pcvmfs-test/nope:0", profile_dir=tmp_path)
    ready = [f for f in report.findings if f.check == "ptrace.ready"][0]
    assert ready.status == "fail" and "pcvmfs-test/nope:0" in ready.evidence
    assert report.ptrace_ready is None
    with pytest.raises(FileNotFoundError):
        pcvmfs.doctor(docker, image="x", probe=tmp_path / "missing-probe")


def test_the_doctor_command_with_an_image(image, tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "pcvmfs", "doctor", "--json", "--proxy", "DIRECT", "--image", image,
         "--user", "1000", "--profile-dir", str(tmp_path)],
        capture_output=True, text=True, env=cli_env(), timeout=300,
    )
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert report["ptrace"]["ptrace_ready"] is False
    assert report["ptrace"]["recommended_docker_flags"][1].startswith("seccomp=")
    done = subprocess.run(
        [sys.executable, "-m", "pcvmfs", "doctor", "--proxy", "DIRECT", "--image", image, "--cap-add", "SYS_PTRACE"],
        capture_output=True, text=True, env=cli_env(), timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ptrace.ready" in done.stdout


def test_the_seccomp_module_writes_the_parrot_profile(docker, image, tmp_path):
    from pcvmfs import seccomp

    default = seccomp.docker_default_profile()
    path = tmp_path / "parrot.json"
    profile = seccomp.parrot_profile(path)
    assert json.loads(path.read_text()) == profile
    assert seccomp.PARROT_SYSCALLS == ["ptrace", "process_vm_readv", "process_vm_writev"]
    added = [rule for rule in profile["syscalls"] if rule not in default["syscalls"]]
    assert len(added) == 1 and added[0]["names"] == seccomp.PARROT_SYSCALLS
    assert profile["defaultAction"] == default["defaultAction"] == "SCMP_ACT_ERRNO"
    with docker.run(image, ["sleep", "600"], security=pcvmfs.SecurityOptions(seccomp=path)) as c:
        report = c.probe(pcvmfs.probe_path(), user="1000")
        assert all(step["ok"] for step in report["steps"]), report["steps"]
        assert c.exec(["ls", "/.pcvmfs-probe"]).exit_code != 0, "removed after the run"
