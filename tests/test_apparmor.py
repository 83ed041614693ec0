"""pcvmfs.apparmor and `pcvmfs apparmor`: policies, the Docker default
profile, validation with the real apparmor_parser, status on canned trees,
install and remove, denials from the fixture log."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import pcvmfs
from pcvmfs import apparmor
from conftest import FIXTURES, cli_env, write_tree

OLD = FIXTURES / "apparmor"
PCVMFS = [sys.executable, "-m", "pcvmfs"]


def test_the_old_profiles_parse_and_differ_by_the_ptrace_rule():
    template = apparmor.PolicyFile.parse((OLD / "old-docker-default-template.profile").read_text())
    ptrace = apparmor.PolicyFile.parse((OLD / "old-docker-ptrace.profile").read_text())
    assert [p.name for p in template.profiles] == ["docker-default"]
    assert template.profiles[0].flags == ["attach_disconnected", "mediate_deleted"]
    assert template.difference(ptrace) == ([], ["ptrace peer=@{profile_name},"])
    # The same rules; the old file puts the new one after `umount,`, the
    # model appends it, so only the order differs.
    changed = template.with_ptrace_peers().renamed("docker-ptrace")
    assert changed.difference(ptrace) == ([], [])
    assert changed != ptrace
    assert sorted(changed.profiles[0].rules) == sorted(ptrace.profiles[0].rules)
    assert apparmor.PolicyFile.parse(template.render()) == template
    assert "docker-default" in repr(template)


def test_the_current_default_against_the_old_template():
    current = apparmor.docker_default()
    old = apparmor.PolicyFile.parse((OLD / "old-docker-default-template.profile").read_text())
    only_current, only_old = current.difference(old)
    assert 'ptrace (trace,tracedby,read,readby) peer="docker-default",' in only_current
    assert "deny network ax25," in only_current
    assert "signal (receive) peer=unconfined," in only_current
    assert "deny @{PROC}/mem rwklx," in only_old
    assert "deny @{PROC}/{*,**^[0-9*],sys/kernel/shm*} wkx," in only_old
    assert "deny mount," not in only_current + only_old, "both have it"


def test_validate_accepts_the_defaults_and_maps_a_rejection_to_its_line():
    for policy in (apparmor.docker_default(), apparmor.docker_default("docker-ptrace").with_ptrace_peers()):
        apparmor.validate(policy)
        apparmor.validate(policy.render())
    broken = apparmor.docker_default().add_rule("capability not_a_capability,")
    line = broken.render().splitlines().index("  capability not_a_capability,") + 1
    with pytest.raises(pcvmfs.AppArmorError, match=f"at line {line}"):
        apparmor.validate(broken)
    with pytest.raises(TypeError):
        apparmor.validate(42)


def test_parse_errors_have_a_position():
    with pytest.raises(pcvmfs.ParseError, match=r"line 2, column 10: expected ','"):
        apparmor.PolicyFile.parse("profile p {\n  network\n  capability,\n}\n")
    with pytest.raises(pcvmfs.ParseError, match="NUL"):
        apparmor.PolicyFile.parse("profile p {\0}")
    with pytest.raises(pcvmfs.ParseError, match="nest deeper"):
        apparmor.PolicyFile.parse("profile p {\n" * 10000)


def test_rules_can_be_added_and_removed():
    policy = apparmor.PolicyFile.parse("profile p {\n  capability,\n}\n")
    more = policy.add_rule("ptrace peer=@{profile_name}")
    assert more.profiles[0].has_rule("ptrace peer=@{profile_name},")
    assert more.add_rule("ptrace peer=@{profile_name},") == more, "added once"
    assert more.remove_rule("ptrace peer=@{profile_name},") == policy
    with pytest.raises(pcvmfs.AppArmorError, match="no profile"):
        policy.add_rule("capability,", profile="other")
    with pytest.raises(pcvmfs.ParseError):
        policy.add_rule("!!!")


def test_status_on_canned_trees(tmp_path):
    on = write_tree(
        tmp_path / "on",
        {
            "/sys/module/apparmor/parameters/enabled": "Y\n",
            "/sys/kernel/security/apparmor/profiles": "docker-default (enforce)\nx (complain)\n",
            "/proc/7/attr/current": "docker-default (enforce)\n",
        },
    )
    status = apparmor.status(on)
    assert status.enabled and status.reason is None
    assert status.profiles == [("docker-default", "enforce"), ("x", "complain")]
    assert apparmor.confinement(7, on) == ("docker-default", "enforce")
    off = write_tree(tmp_path / "off", {"/sys/module/apparmor/parameters/enabled": "N\n"})
    assert "disabled" in apparmor.status(off).reason
    absent = write_tree(tmp_path / "absent", {"/proc/version": "Linux\n"})
    assert "no AppArmor module" in apparmor.status(absent).reason


def test_install_without_loading_then_remove(tmp_path):
    no_apparmor = write_tree(tmp_path / "host", {"/proc/version": "Linux\n"})
    target = tmp_path / "apparmor.d"
    target.mkdir()
    policy = apparmor.docker_default("pcvmfs-ptrace").with_ptrace_peers()
    path = apparmor.install(policy, target, load=False, root=no_apparmor)
    assert Path(path).read_text() == policy.render()
    with pytest.raises(pcvmfs.AppArmorError, match="no AppArmor module"):
        apparmor.install(apparmor.docker_default("other"), target, load=True, root=no_apparmor)
    assert sorted(p.name for p in target.iterdir()) == ["pcvmfs-ptrace"], "nothing else written"
    assert apparmor.remove("pcvmfs-ptrace", target, root=no_apparmor)
    assert list(target.iterdir()) == []
    with pytest.raises(pcvmfs.ParseError, match="profile name"):
        apparmor.remove("../etc/passwd", target)
    assert apparmor.security_opt("docker-ptrace") == "apparmor=docker-ptrace"


def test_denials_from_the_fixture_log():
    log = FIXTURES / "kernel-log" / "apparmor-denials.log"
    from_path = apparmor.parse_denials(log)
    from_text = apparmor.parse_denials(log.read_text())
    assert [d.to_dict() for d in from_path] == [d.to_dict() for d in from_text]
    assert len(from_path) == 6, "the IPv6 line is not an AppArmor record"
    first = from_path[0]
    assert (first.kind, first.operation, first.profile, first.peer) == ("denied", "ptrace", "docker-default", "docker-default")
    assert (first.pid, first.comm, first.requested_mask, first.denied_mask) == (2412, "parrot_run", "trace", "trace")
    assert from_path[2].denied_mask == "tracedby" and from_path[2].comm == "ls"
    assert from_path[4].name == "/proc/sysrq-trigger"
    assert from_path[5].kind == "status"
    assert from_path[1].to_dict()["stamp"] == {"seconds": 1436187162, "millis": 404, "serial": 77}
    assert apparmor.parse_denials((FIXTURES / "kernel-log" / "selinux-denials.log").read_text()) == []


def test_the_apparmor_command_line(tmp_path):
    def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([*PCVMFS, "apparmor", *args], capture_output=True, text=True, env=cli_env(), input=stdin)

    rendered = run("render", "--name", "docker-ptrace", "--ptrace")
    assert rendered.returncode == 0 and "ptrace peer=@{profile_name}," in rendered.stdout
    (tmp_path / "p").write_text(rendered.stdout)
    assert run("validate", str(tmp_path / "p")).returncode == 0
    (tmp_path / "bad").write_text("profile bad {\n  capability nope_cap,\n}\n")
    done = run("validate", str(tmp_path / "bad"))
    assert done.returncode == 1 and "at line 2" in done.stderr
    target = tmp_path / "d"
    target.mkdir()
    done = run("install", "--name", "pcvmfs-cli", "--ptrace", "--directory", str(target), "--no-load")
    assert done.returncode == 0 and "apparmor=pcvmfs-cli" in done.stdout
    assert (target / "pcvmfs-cli").exists()
    assert run("remove", "pcvmfs-cli", "--directory", str(target)).returncode == 0
    status = run("status", "--json")
    assert status.returncode == 0 and json.loads(status.stdout)["enabled"] == apparmor.status().enabled
    log = (FIXTURES / "kernel-log" / "apparmor-denials.log").read_text()
    denials = run("denials", "--json", stdin=log)
    records = [json.loads(line) for line in denials.stdout.splitlines()]
    assert len(records) == 6 and records[0]["comm"] == "parrot_run"
    if not apparmor.status().enabled:
        done = run("install", "--name", "pcvmfs-cli", "--directory", str(target))
        assert done.returncode == 1 and "cannot load AppArmor policy" in done.stderr
        assert list(target.iterdir()) == []
