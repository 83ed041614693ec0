"""``pcvmfs dns``: check, fix and prove DNS inside containers."""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import subprocess

from . import _pcvmfs, dns
from .errors import ParseError


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "dns",
        help="DNS inside containers: check for the loopback trap, fix it at the daemon, verify it",
        description="A host resolv.conf that lists only loopback resolvers (dnsmasq's 127.0.1.1, "
        "systemd-resolved's 127.0.0.53) makes Docker give containers 8.8.8.8 and 8.8.4.4, which "
        "many sites block. `check` finds it, `apply` writes the site's resolvers where this host's "
        "dockerd reads them, `verify` looks names up inside a container.",
    )
    sub = parser.add_subparsers(dest="dns_command", metavar="ACTION", required=True)

    check = sub.add_parser("check", help="what containers get, and whether it is the trap (exit 1 if so)")
    check.add_argument("--network", default="bridge", help="bridge (default), host, none or a user-defined network")
    check.add_argument("--json", action="store_true", help="print JSON")

    apply = sub.add_parser(
        "apply",
        help="set the daemon's DNS servers in daemon.json or DOCKER_OPTS (whichever dockerd reads)",
        description="Set the daemon-wide DNS settings in the file this host's dockerd reads: "
        "/etc/docker/daemon.json, or DOCKER_OPTS in /etc/default/docker when the init system "
        "passes it on. Other settings, comments and key order are kept; the file is replaced "
        "atomically and the old one kept as FILE.pcvmfs-backup (or .1, .2, ...: backups are never "
        "overwritten). A loopback server is refused (it names the container itself). The daemon is "
        "restarted only with --restart.",
    )
    apply.add_argument("--server", action="append", required=True, metavar="IP", help="a name server address (repeat for several)")
    apply.add_argument("--search", action="append", metavar="DOMAIN", help="a search domain (repeat; default: keep)")
    apply.add_argument("--option", action="append", metavar="OPTION", help="a resolver option such as ndots:2 (repeat; default: keep)")
    target = apply.add_mutually_exclusive_group()
    target.add_argument("--daemon-json", metavar="PATH", help="write this daemon.json (default: detected)")
    target.add_argument("--docker-opts", metavar="PATH", help="write DOCKER_OPTS in this file (default: detected)")
    apply.add_argument("--dry-run", action="store_true", help="print the new file instead of writing it")
    apply.add_argument("--restart", action="store_true", help="restart the daemon afterwards (systemctl or service)")
    apply.add_argument(
        "--force",
        action="store_true",
        help="write even when the other place (dockerd's flags or daemon.json) also sets DNS, which stops "
        "dockerd from starting, or when a server is a loopback address",
    )

    verify = sub.add_parser(
        "verify",
        help="look names up inside a new container (the CVMFS proxy by default)",
        description="Run a container of IMAGE and look each name up inside it, the way the C "
        "library does (/etc/hosts, then the name servers with the search list): prints the "
        "container's resolv.conf, which server answered and what. Exits with 1 when a name does "
        "not resolve.",
    )
    verify.add_argument("--image", required=True, metavar="IMAGE", help="any image (the probe is copied in)")
    verify.add_argument("--name", action="append", default=[], metavar="NAME", help="a name to look up (repeat)")
    verify.add_argument("--proxy", metavar="CHAIN", help="also look up these CVMFS proxies' hosts (default: HTTP_PROXY)")
    verify.add_argument("--server", action="append", default=[], metavar="IP", help="per-container DNS server (docker run --dns)")
    verify.add_argument("--search", action="append", default=[], metavar="DOMAIN", help="per-container search domain")
    verify.add_argument("--option", action="append", default=[], metavar="OPTION", help="per-container resolver option")
    verify.add_argument("--network", metavar="NETWORK", help="the network to join (default: the bridge)")
    verify.add_argument("--user", "-u", metavar="USER")
    verify.add_argument("--json", action="store_true", help="print JSON")


def _engine_version(host: str | None) -> str | None:
    try:
        return _pcvmfs.Docker(host).info().version
    except Exception:  # noqa: BLE001 - without an engine the older rules apply
        return None


def _print_findings(findings: list) -> None:
    for finding in findings:
        print(f"{finding.status:<5} {finding.check}: {finding.evidence}")
        if finding.remedy:
            print(f"      -> {finding.remedy}")


def _check(args: argparse.Namespace) -> int:
    diagnosis = dns.diagnose(network=args.network, engine_version=_engine_version(args.host))
    if args.json:
        data = diagnosis.to_dict()
        data["dockerd"] = dns.dockerd_startup().to_dict()
        print(json.dumps(data, indent=2))
    else:
        servers = ", ".join(diagnosis.container_servers) or "none"
        via = "the embedded resolver 127.0.0.11 -> " if diagnosis.embedded_resolver else ""
        print(f"containers on {args.network} use: {via}{servers}")
        _print_findings(diagnosis.findings)
    return 0 if diagnosis.ok else 1


def _clashes(
    kind: str, written: dict[str, str], dockerd_args: list[str], host_daemon_json: dns.DaemonDnsConfig | None
) -> list[str]:
    """What already sets, in the other place, a setting this change writes:
    dockerd refuses to start when a flag and a daemon.json key (whatever its
    value, even an empty list) set the same thing. `written` maps the flags
    written to their daemon.json keys."""
    if kind == "daemon_json":
        flags = {a.split("=", 1)[0] for a in dockerd_args}
        return [f"{flag} on dockerd's command line" for flag in written if flag in flags]
    if host_daemon_json is None:
        return []
    return [f'"{key}" in {host_daemon_json.path}' for key in written.values() if host_daemon_json.has(key)]


def _apply(args: argparse.Namespace) -> int:
    startup = dns.dockerd_startup()
    if args.daemon_json:
        kind, path = "daemon_json", args.daemon_json
    elif args.docker_opts:
        kind, path = "docker_opts", args.docker_opts
    else:
        kind, path = startup.target_kind, startup.target_path
    servers = _pcvmfs.DnsOptions(args.server, [], []).servers
    loopback = [s for s in servers if ipaddress.ip_address(s).is_loopback]
    if loopback and not args.force:
        raise ParseError(
            f"{', '.join(loopback)} is a loopback address: inside a container it names the container "
            "itself, where no name server runs (the very trap this fixes). Give the address of a resolver "
            "containers can reach, or pass --force (only containers on the host network could use it)"
        )
    config: dns.DaemonDnsConfig | dns.DockerOpts
    if kind == "daemon_json":
        daemon_json = dns.DaemonDnsConfig.load(path)
        daemon_json.set_dns(args.server, search=args.search, options=args.option)
        config, text = daemon_json, daemon_json.to_json()
    else:
        docker_opts = dns.DockerOpts.load(path)
        docker_opts.set_dns(args.server, search=args.search, options=args.option)
        config, text = docker_opts, docker_opts.text
    written = {"--dns": "dns"}
    if args.search is not None:
        written["--dns-search"] = "dns-search"
    if args.option is not None:
        written["--dns-opt"] = "dns-opts"

    # Only this host's daemon is known: a file of another daemon (given by
    # path) is not checked against it.
    def same(a: str, b: str) -> bool:
        return os.path.realpath(a) == os.path.realpath(b)

    ours = same(path, startup.config_file) if kind == "daemon_json" else same(path, "/etc/default/docker")
    clashes: list[str] = []
    if ours:
        host_daemon_json = None
        if kind == "docker_opts":
            try:
                host_daemon_json = dns.DaemonDnsConfig.load(startup.config_file)
            except (ParseError, OSError) as err:
                if not args.force:
                    raise ParseError(
                        f"cannot tell whether {startup.config_file} already sets DNS, which would stop "
                        f"dockerd from starting with the flags written here: {err}. Fix that file, or pass "
                        "--force"
                    ) from err
        clashes = _clashes(kind, written, startup.args, host_daemon_json)
    if clashes and not args.force:
        raise ParseError(
            f"{', '.join(clashes)} already set the same as this change would in {path}: dockerd refuses "
            "to start with a setting given both as a flag and in daemon.json. Remove the other one first, "
            "write the other file (--daemon-json / --docker-opts), or pass --force"
        )
    if args.dry_run:
        print(text, end="")
        return 0
    backup = config.save()
    kept = f"the previous file is kept as {backup}" if backup else "it did not exist before"
    print(f"wrote {path} ({kept})")
    command = startup.restart_command
    if not args.restart:
        if command:
            print(f"restart the daemon to apply it: {' '.join(command)}")
        else:
            print("restart dockerd (however it was started here) to apply it")
        return 0
    if not command:
        raise ParseError("cannot restart dockerd: the init system is unknown here; restart it by hand")
    print(f"restarting: {' '.join(command)}", flush=True)
    return subprocess.run(command, check=False).returncode


def _proxy_hosts(chain: str | None) -> list[str]:
    text = chain or os.environ.get("HTTP_PROXY") or os.environ.get("http_proxy")
    if not text:
        return []
    hosts = []
    for host, _port in _pcvmfs.ProxyChain.parse(text).hosts:
        if host not in hosts:
            hosts.append(host)
    return hosts


def _verify(args: argparse.Namespace) -> int:
    names = list(args.name)
    for host in _proxy_hosts(args.proxy):
        if host not in names:
            names.append(host)
    if not names:
        raise ParseError("give names to look up with --name NAME (or a CVMFS proxy with --proxy / HTTP_PROXY)")
    options = _pcvmfs.DnsOptions(args.server, args.search, args.option)
    result = dns.verify(_pcvmfs.Docker(args.host), args.image, names, dns=options, network=args.network, user=args.user)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
        return 0 if result.ok else 1
    print("resolv.conf in the container:")
    for line in (result.resolv_conf or "(unreadable)\n").splitlines():
        print(f"  {line}")
    for lookup in result.lookups:
        if lookup["ok"]:
            via = f" via {lookup['server']}" if lookup.get("server") else f" from {lookup['source']}"
            print(f"ok    {lookup['name']}: {', '.join(lookup['addresses'])} ({lookup['query']}{via})")
        else:
            print(f"fail  {lookup['name']}: {lookup['error']}")
    return 0 if result.ok else 1


def run(args: argparse.Namespace) -> int:
    handler = {"check": _check, "apply": _apply, "verify": _verify}[args.dns_command]
    return handler(args)


