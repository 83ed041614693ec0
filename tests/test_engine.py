"""pcvmfs.Docker against the real engine: info, build, run, exec, inspect,
security options, errors and cleanup."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import pcvmfs
from conftest import docker_cli, proc_status, write_busybox_context


def test_info_agrees_with_the_docker_cli(docker):
    info = docker.info()
    assert info.version == docker_cli("version", "--format", "{{.Server.Version}}")
    assert info.engine_api_version == docker_cli("version", "--format", "{{.Server.APIVersion}}")
    assert info.kernel_version == docker_cli("info", "--format", "{{.KernelVersion}}")
    assert info.arch == docker_cli("info", "--format", "{{.Architecture}}")
    assert info.storage_driver == docker_cli("info", "--format", "{{.Driver}}")
    raw = json.loads(docker_cli("info", "--format", "{{json .SecurityOptions}}"))
    assert len(info.security_options) == len(raw)
    for option, text in zip(info.security_options, raw):
        expected = dict(part.split("=", 1) for part in text.split(","))
        assert option.name == expected.pop("name")
        assert option.attributes == expected
    assert docker.api_version == info.api_version
    assert "EngineInfo(" in repr(info) and info.to_dict()["version"] == info.version


def test_exec_as_root_and_as_a_user(docker, image):
    with docker.run(image, ["sleep", "600"]) as c:
        assert c.exec(["id", "-u"]).stdout == b"0\n"
        assert c.exec(["id", "-u"], user="1000").stdout == b"1000\n"
        assert c.exec(["id", "-un"], user="parrotuser").stdout == b"parrotuser\n"
        result = c.exec(["sh", "-c", "echo out; echo err >&2; exit 7"])
        assert (result.exit_code, result.stdout, result.stderr) == (7, b"out\n", b"err\n")
        assert "exit_code=7" in repr(result)
        assert result.to_dict() == {"exit_code": 7, "stdout": "out\n", "stderr": "err\n"}


def test_run_as_a_user_with_env_and_labels(docker, image):
    hostile = "'; touch /tmp/pwned; echo '$(id)`id`\n"
    with docker.run(
        image, ["sleep", "600"], user="1000:1000", env={"HOSTILE": hostile}, labels={"site": "T2_TEST"}
    ) as c:
        assert c.exec(["id", "-u"]).stdout == b"1000\n"
        out = c.exec(["sh", "-c", 'printf %s "$HOSTILE"']).stdout.decode()
        assert out == hostile
        assert c.exec(["ls", "/tmp/pwned"]).exit_code != 0
        assert docker_cli("inspect", "--format", '{{index .Config.Labels "site"}}', c.id) == "T2_TEST"
        assert docker_cli("inspect", "--format", '{{index .Config.Labels "org.pcvmfs.managed"}}', c.id) == "true"


def test_binary_and_large_output_come_back_exactly(docker, image, tmp_path):
    blob = os.urandom(11 * 1024 * 1024) + bytes(range(256))
    (tmp_path / "blob").write_bytes(blob)
    with docker.run(image, ["sleep", "600"], volumes=[f"{tmp_path}:/data:ro"]) as c:
        out = c.exec(["cat", "/data/blob"])
        assert out.exit_code == 0 and out.stdout == blob and out.stderr == b""
        err = c.exec(["sh", "-c", "cat /data/blob >&2"])
        assert err.stderr == blob and err.stdout == b""


def test_security_options_are_really_applied(docker, image):
    security = pcvmfs.SecurityOptions(
        seccomp="unconfined", cap_add=["SYS_PTRACE"], cap_drop=["net_raw"], no_new_privileges=True
    )
    with docker.run(image, ["sleep", "600"], security=security) as c:
        applied = c.inspect()
        assert applied.seccomp == "unconfined"
        assert applied.cap_add == ["CAP_SYS_PTRACE"] and applied.cap_drop == ["CAP_NET_RAW"]
        assert applied.no_new_privileges and not applied.privileged
        assert proc_status(c, "Seccomp") == "0"
        assert proc_status(c, "NoNewPrivs") == "1"
        cap_eff = int(proc_status(c, "CapEff"), 16)
        assert cap_eff & (1 << 19), "CAP_SYS_PTRACE (bit 19) is effective"
        assert not cap_eff & (1 << 13), "CAP_NET_RAW (bit 13) is dropped"
    with docker.run(image, ["sleep", "600"]) as c:
        assert c.inspect().seccomp == "default"
        assert proc_status(c, "Seccomp") == "2"
        assert proc_status(c, "NoNewPrivs") == "0"


def test_a_seccomp_profile_that_refuses_a_syscall(docker, image, tmp_path):
    profile = tmp_path / "deny-mkdir.json"
    profile.write_text(
        json.dumps(
            {
                "defaultAction": "SCMP_ACT_ALLOW",
                "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}],
            }
        )
    )
    with docker.run(image, ["sleep", "600"], security=pcvmfs.SecurityOptions(seccomp=profile)) as c:
        assert c.inspect().seccomp == "custom"
        assert "mkdirat" in c.inspect().seccomp_profile
        refused = c.exec(["mkdir", "/tmp/x"])
        assert refused.exit_code != 0 and b"Operation not permitted" in refused.stderr
        assert c.exec(["touch", "/tmp/y"]).exit_code == 0


def test_the_fixture_profile_that_refuses_ptrace_loads(docker, image):
    from conftest import FIXTURES

    profile = FIXTURES / "parrot" / "seccomp-deny-ptrace.profile.json"
    with docker.run(image, ["sleep", "600"], security=pcvmfs.SecurityOptions(seccomp=profile)) as c:
        assert c.inspect().seccomp == "custom"
        assert proc_status(c, "Seccomp") == "2"


def test_dns_options_reach_resolv_conf(docker, image):
    dns = pcvmfs.DnsOptions(["192.0.2.53", "2001:db8::53"], ["cern.ch"], ["ndots:2"])
    with docker.run(image, ["sleep", "600"], dns=dns) as c:
        lines = c.exec(["cat", "/etc/resolv.conf"]).stdout.decode().splitlines()
    assert "nameserver 192.0.2.53" in lines and "nameserver 2001:db8::53" in lines
    assert "search cern.ch" in lines and "options ndots:2" in lines


def test_the_context_manager_removes_the_container_when_the_block_raises(docker, image):
    with pytest.raises(RuntimeError, match="boom"):
        with docker.run(image, ["sleep", "600"]) as c:
            container_id = c.id
            raise RuntimeError("boom")
    assert c.removed
    assert docker_cli("ps", "-aq", "--no-trunc", "--filter", f"id={container_id}") == ""
    c.remove()  # a second removal is harmless
    assert "removed" in repr(c)


def test_a_container_that_exits_at_once(docker, image):
    with docker.run(image, ["true"]) as c:
        docker_cli("wait", c.id)
        with pytest.raises(pcvmfs.DockerError, match="not running"):
            c.exec(["true"])


def test_an_exec_that_times_out_is_killed(docker, image):
    with docker.run(image, ["sleep", "600"]) as c:
        with pytest.raises(pcvmfs.ExecTimeoutError, match="killed") as caught:
            c.exec(["sh", "-c", "sleep 987; echo never"], timeout=0.5)
        assert isinstance(caught.value, TimeoutError)
        ps = c.exec(["ps", "-o", "args"]).stdout.decode()
        assert "sleep 987" not in ps and "sleep 600" in ps
        for bad in (0, -1, float("nan"), float("inf")):
            with pytest.raises(pcvmfs.ParseError, match="timeout"):
                c.exec(["true"], timeout=bad)


def test_ctrl_c_interrupts_a_waiting_call(image, tmp_path):
    script = tmp_path / "wait.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import sys, pcvmfs
            docker = pcvmfs.Docker()
            with docker.run({image!r}, ["sleep", "600"]) as c:
                print("ready", flush=True)
                try:
                    c.exec(["sleep", "300"])
                except KeyboardInterrupt:
                    print("interrupted", flush=True)
            print("removed", c.removed, flush=True)
            """
        )
    )
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    import time

    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    assert "interrupted" in out and "removed True" in out, out


def test_missing_image_and_missing_program(docker, image):
    with pytest.raises(pcvmfs.ImageError, match="pcvmfs-test/nope:0"):
        docker.run("pcvmfs-test/nope:0", ["true"])
    with pytest.raises(pcvmfs.DockerError, match="/no/such/program"):
        docker.run(image, ["/no/such/program"])


def test_a_missing_socket_is_named(monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/pcvmfs.sock")
    with pytest.raises(pcvmfs.EngineUnreachableError) as caught:
        pcvmfs.Docker()
    message = str(caught.value)
    assert "/nonexistent/pcvmfs.sock" in message and "DOCKER_HOST" in message
    assert isinstance(caught.value, pcvmfs.DockerError) and isinstance(caught.value, pcvmfs.PcvmfsError)


def test_build_streams_output_and_reports_a_failing_step(docker, tmp_path):
    write_busybox_context(tmp_path)
    lines: list[str] = []
    built = docker.build(tmp_path, "pcvmfs-test/py-build:1", on_output=lines.append)
    assert "pcvmfs-test/py-build:1" in built.tags
    assert built.id == docker_cli("image", "inspect", "--format", "{{.Id}}", "pcvmfs-test/py-build:1")
    assert any(line.startswith("Step 1/") for line in lines)
    with (tmp_path / "Dockerfile").open("a") as f:
        f.write("RUN echo failing now && false\n")
    with pytest.raises(pcvmfs.ImageError) as caught:
        docker.build(tmp_path, "pcvmfs-test/py-build:2")
    message = str(caught.value)
    assert "RUN echo failing now && false" in message and "failing now" in message
    docker_cli("image", "rm", "pcvmfs-test/py-build:1")


def test_a_failing_output_callback_stops_with_its_exception(docker, tmp_path):
    write_busybox_context(tmp_path)

    def callback(line: str) -> None:
        raise KeyError("from the callback")

    with pytest.raises(KeyError, match="from the callback"):
        docker.build(tmp_path, "pcvmfs-test/py-build:3", on_output=callback)


def test_build_context_errors(docker, tmp_path):
    with pytest.raises(FileNotFoundError, match="no Dockerfile"):
        docker.build(tmp_path, "pcvmfs-test/x:1")
    with pytest.raises(FileNotFoundError):
        docker.build(tmp_path / "missing", "pcvmfs-test/x:1")
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    with pytest.raises(pcvmfs.ParseError, match="image tag"):
        docker.build(tmp_path, "bad tag")


def test_managed_containers_lists_what_pcvmfs_started(docker, image):
    with docker.run(image, ["sleep", "600"]) as c:
        assert c.id in docker.managed_containers()
    assert c.id not in docker.managed_containers()
