"""Values checked before any engine call: security and DNS options, bad
types and hostile or huge input; host facts on canned trees; reports."""

from __future__ import annotations

from pathlib import Path

import pytest

import pcvmfs
from conftest import write_tree


def test_security_options_are_canonical_and_compare():
    a = pcvmfs.SecurityOptions(seccomp="unconfined", cap_add=["sys_ptrace"], no_new_privileges=True)
    b = pcvmfs.SecurityOptions(seccomp="unconfined", cap_add=["CAP_SYS_PTRACE"], no_new_privileges=True)
    assert a == b and a.cap_add == ["CAP_SYS_PTRACE"]
    assert a != pcvmfs.SecurityOptions()
    assert repr(a) == 'SecurityOptions(seccomp="unconfined", cap_add=["CAP_SYS_PTRACE"], no_new_privileges=True)'
    assert pcvmfs.SecurityOptions(seccomp=Path("/p.json")).seccomp == "/p.json"
    assert a.to_dict()["cap_add"] == ["CAP_SYS_PTRACE"]


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        ({"cap_add": ["SYS_PTRAC"]}, "capability"),
        ({"cap_drop": ["$(reboot)"]}, "capability"),
        ({"apparmor": "docker ptrace"}, "AppArmor profile name"),
        ({"apparmor": "-x"}, "AppArmor profile name"),
        ({"apparmor": "a\nb"}, "AppArmor profile name"),
        ({"seccomp": ""}, "seccomp"),
    ],
)
def test_bad_security_options_raise_parse_error(kwargs, expected):
    with pytest.raises(pcvmfs.ParseError, match=expected) as caught:
        pcvmfs.SecurityOptions(**kwargs)
    assert isinstance(caught.value, ValueError)


def test_a_huge_value_gives_a_short_message():
    with pytest.raises(pcvmfs.ParseError) as caught:
        pcvmfs.SecurityOptions(cap_add=["X" * 5_000_000])
    assert len(str(caught.value)) < 300


@pytest.mark.parametrize(
    "args, expected",
    [
        ((["8.8.8.8\nnameserver 6.6.6.6"],), "DNS server"),
        ((["example.org"],), "DNS server"),
        (([], ["a..b"]), "search domain"),
        (([], ["x\nnameserver 1.1.1.1"]), "search domain"),
        (([], [], ["ndots:1 rotate"]), "DNS option"),
    ],
)
def test_bad_dns_options_raise_parse_error(args, expected):
    with pytest.raises(pcvmfs.ParseError, match=expected):
        pcvmfs.DnsOptions(*args)


def test_dns_options_keep_their_order():
    dns = pcvmfs.DnsOptions(["192.0.2.2", "192.0.2.1"], ["b.org", "a.org"], ["edns0"])
    assert dns.servers == ["192.0.2.2", "192.0.2.1"] and dns.search == ["b.org", "a.org"]
    assert dns == pcvmfs.DnsOptions(["192.0.2.2", "192.0.2.1"], ["b.org", "a.org"], ["edns0"])


def test_bad_types_and_values_fail_before_the_engine(docker):
    with pytest.raises(TypeError, match="list of strings"):
        docker.run("img", "ls -l")
    with pytest.raises(TypeError, match="strings to strings"):
        docker.run("img", ["true"], env={"A": 1})
    with pytest.raises(TypeError, match="mapping"):
        docker.run("img", ["true"], env=["A=1"])
    with pytest.raises(pcvmfs.ParseError, match="'='"):
        docker.run("img", ["true"], env={"A=B": "c"})
    with pytest.raises(pcvmfs.ParseError, match="NUL"):
        docker.run("img", ["echo", "a\0b"])
    with pytest.raises(pcvmfs.ParseError, match="volume"):
        docker.run("img", ["true"], volumes=["/only-one-part"])
    with pytest.raises(pcvmfs.ParseError, match="user"):
        docker.run("img", ["true"], user="a b")
    with pytest.raises(pcvmfs.ParseError, match="image"):
        docker.run("", ["true"])
    with pytest.raises(pcvmfs.ParseError, match="set by pcvmfs"):
        docker.run("img", ["true"], labels={"org.pcvmfs.managed": "false"})


def test_host_facts_on_an_ubuntu_like_tree(tmp_path):
    root = write_tree(
        tmp_path,
        {
            "/proc/sys/kernel/arch": "x86_64\n",
            "/proc/sys/kernel/osrelease": "6.8.0-45-generic\n",
            "/sys/module/apparmor/parameters/enabled": "Y\n",
            "/proc/sys/kernel/yama/ptrace_scope": "1\n",
            "/proc/sys/kernel/seccomp/actions_avail": "kill_process errno\n",
            "/proc/sys/user/max_user_namespaces": "100\n",
        },
    )
    facts = pcvmfs.host_facts(root)
    assert (facts.arch, facts.kernel_release) == ("x86_64", "6.8.0-45-generic")
    assert facts.apparmor_enabled and facts.selinux == "disabled"
    assert facts.yama_ptrace_scope == 1 and facts.seccomp_available
    assert facts.unprivileged_userns is True
    assert facts.to_dict()["yama_ptrace_scope"] == 1


@pytest.mark.parametrize("scope", [0, 1, 2, 3])
def test_host_facts_read_every_yama_scope_and_apparmor_off(tmp_path, scope):
    root = write_tree(
        tmp_path,
        {"/proc/sys/kernel/yama/ptrace_scope": f"{scope}\n", "/sys/module/apparmor/parameters/enabled": "N\n"},
    )
    facts = pcvmfs.host_facts(root)
    assert facts.yama_ptrace_scope == scope and not facts.apparmor_enabled


def test_host_facts_selinux_enforcing(tmp_path):
    facts = pcvmfs.host_facts(write_tree(tmp_path, {"/sys/fs/selinux/enforce": "1\n"}))
    assert facts.selinux == "enforcing" and facts.yama_ptrace_scope is None


def test_host_facts_of_this_machine():
    facts = pcvmfs.host_facts()
    assert facts.kernel_release == Path("/proc/sys/kernel/osrelease").read_text().strip()
    import platform

    assert facts.arch == platform.machine()
    status = Path("/proc/self/status").read_text()
    assert facts.seccomp_available == ("Seccomp:" in status)
    enabled = Path("/sys/module/apparmor/parameters/enabled")
    assert facts.apparmor_enabled == (enabled.exists() and enabled.read_text().strip() == "Y")
    assert "HostFacts(" in repr(facts)


def test_the_report_shows_itself_as_text_html_and_dict(docker):
    report = pcvmfs.doctor(docker, proxy="http://localhost:3128;DIRECT")
    data = report.to_dict()
    assert data["ok"] is True and report.ok and len(report) == len(data["findings"]) == 7
    checks = [f.check for f in report.findings]
    assert checks == [
        "node.platform", "docker.engine", "host.yama", "cvmfs.proxy", "dns.trap", "dns.user_networks", "dns.config"
    ]
    text = repr(report)
    assert "docker.engine" in text and text.rstrip().endswith("0 fail")
    html = report._repr_html_()
    assert html.startswith("<table") and "<code>cvmfs.proxy</code>" in html
    proxy = report.findings[3]
    assert proxy.status == "ok" and "127.0.0.1" in proxy.evidence and proxy.remedy is None


def test_the_report_escapes_what_it_shows(docker):
    report = pcvmfs.doctor(docker, proxy="<script>alert(1)</script>")
    assert not report.ok and report.worst == "fail"
    assert "<script>" not in report._repr_html_()
    assert "&lt;script&gt;" in report._repr_html_()
    proxy = report.findings[3]
    assert proxy.status == "fail" and "no scheme" in proxy.evidence and "http://" in proxy.remedy


def test_doctor_without_a_proxy_warns_and_says_how_to_give_one(docker, monkeypatch):
    monkeypatch.delenv("HTTP_PROXY", raising=False)
    monkeypatch.delenv("http_proxy", raising=False)
    finding = pcvmfs.doctor(docker).findings[3]
    assert finding.status == "warn" and "--proxy" in finding.remedy
    monkeypatch.setenv("http_proxy", "http://localhost:3128")
    finding = pcvmfs.doctor(docker).findings[3]
    assert finding.status == "ok" and "http_proxy" in finding.evidence


def test_doctor_reports_an_unreachable_engine_as_a_failed_finding(monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/pcvmfs.sock")
    report = pcvmfs.doctor(proxy="DIRECT")
    engine = report.findings[1]
    assert engine.check == "docker.engine" and engine.status == "fail"
    assert "/nonexistent/pcvmfs.sock" in engine.evidence and not report.ok
