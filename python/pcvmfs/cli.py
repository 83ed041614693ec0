"""The ``pcvmfs`` command line."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Sequence

from . import _pcvmfs, cli_dns, cli_image
from .cli_args import pairs
from .display import report_text
from .errors import ParseError, PcvmfsError

_DESCRIPTION = """\
pcvmfs prepares a node to run CVMFS-aware containers under parrot_run,
without a CVMFS mount on the host. Start with `pcvmfs doctor`.
"""


def _parser() -> argparse.ArgumentParser:  # noqa: C901 - one place for the whole command line
    parser = argparse.ArgumentParser(prog="pcvmfs", description=_DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"pcvmfs {_pcvmfs.__version__}")
    parser.add_argument(
        "--host",
        metavar="HOST",
        help="the Docker engine (unix:///path or tcp://host:port); default: DOCKER_HOST, "
        "else unix:///var/run/docker.sock",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    doctor = commands.add_parser(
        "doctor",
        help="check this node's prerequisites",
        description="Check this node: an x86_64 Linux node, a working Docker engine, Yama's "
        "ptrace setting, and a CVMFS proxy whose host name resolves. "
        "Exits with 1 when a check fails.",
    )
    doctor.add_argument("--json", action="store_true", help="print the report as JSON")
    doctor.add_argument("--image", metavar="IMAGE", help="also check that parrot can trace in IMAGE, and verify a fix")
    doctor.add_argument("--user", "-u", metavar="USER", help="with --image: the user parrot runs as (default: the image's)")
    doctor.add_argument("--seccomp", metavar="PROFILE", help="with --image: 'unconfined' or a seccomp profile file")
    doctor.add_argument("--apparmor", metavar="PROFILE", help="with --image: an AppArmor profile name")
    doctor.add_argument("--cap-add", action="append", default=[], metavar="CAP")
    doctor.add_argument("--cap-drop", action="append", default=[], metavar="CAP")
    doctor.add_argument("--no-new-privileges", action="store_true")
    doctor.add_argument(
        "--profile-dir",
        metavar="DIR",
        help="with --image: where a generated seccomp profile is written (default: ~/.pcvmfs)",
    )
    doctor.add_argument(
        "--proxy",
        metavar="URL",
        help="the CVMFS proxy chain, e.g. 'http://squid.example.org:3128;DIRECT' "
        "(default: HTTP_PROXY, then http_proxy)",
    )

    info = commands.add_parser("info", help="show what the Docker engine says about itself")
    info.add_argument("--json", action="store_true", help="print JSON")

    facts = commands.add_parser("host-facts", help="show the host facts that matter to ptrace")
    facts.add_argument("--json", action="store_true", help="print JSON")

    shell = commands.add_parser(
        "shell",
        help="an interactive shell in a new container (removed on exit)",
        description="Start IMAGE with a terminal, like `docker run --rm -it`, with the same "
        "security options pcvmfs applies elsewhere.",
    )
    shell.add_argument("image", metavar="IMAGE")
    shell.add_argument(
        "cmd",
        nargs="*",
        metavar="COMMAND",
        help="default: the image's command; put it after -- when it has options (-- sh -l)",
    )
    shell.add_argument("--user", "-u", metavar="USER", help="NAME, UID or UID:GID")
    shell.add_argument("--env", "-e", action="append", default=[], metavar="NAME=VALUE")
    shell.add_argument("--volume", "-v", action="append", default=[], metavar="SRC:DST[:ro]")
    shell.add_argument("--seccomp", metavar="PROFILE", help="'unconfined' or a seccomp profile file")
    shell.add_argument("--apparmor", metavar="PROFILE", help="an AppArmor profile name")
    shell.add_argument("--cap-add", action="append", default=[], metavar="CAP")
    shell.add_argument("--cap-drop", action="append", default=[], metavar="CAP")
    shell.add_argument("--no-new-privileges", action="store_true")
    shell.add_argument("--dns", action="append", default=[], metavar="ADDRESS")
    shell.add_argument("--dns-search", action="append", default=[], metavar="DOMAIN")
    shell.add_argument("--dns-option", action="append", default=[], metavar="OPTION")
    _apparmor_parser(commands)
    _parrot_parsers(commands, shell)
    cli_dns.add_parser(commands)
    cli_image.add_parser(commands)
    return parser


def _session_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--repo", metavar="REPOS", help="PARROT_CVMFS_REPO, e.g. '<default-repositories>'")
    parser.add_argument("--proxy", metavar="CHAIN", help="HTTP_PROXY for parrot, e.g. 'http://squid:3128;DIRECT'")
    parser.add_argument("--debug", "-d", action="append", metavar="FLAG", help="parrot_run -d flags (default: all)")
    parser.add_argument("--parrot", default="parrot_run", metavar="PROGRAM", help="the parrot_run program")
    parser.add_argument("--timeout", type=float, metavar="SECONDS", help="kill the run after this long")


def _session(args: argparse.Namespace) -> "_pcvmfs.ParrotSession":
    return _pcvmfs.ParrotSession(
        parrot=args.parrot,
        repos=args.repo,
        proxy=args.proxy,
        debug=args.debug or ["all"],
        timeout=args.timeout,
    )


def _parrot_parsers(commands: argparse._SubParsersAction, shell: argparse.ArgumentParser) -> None:
    run = commands.add_parser(
        "run",
        help="run a command under parrot_run in a new container (with an init), and judge the run",
        description="Run COMMAND under parrot_run as the command of a new container from IMAGE (with an "
        "init as PID 1), as the image's TEST_USER unless --user is given. The program's output goes to "
        "standard output; the outcome and findings read from parrot's log go to standard error. Exits "
        "with parrot_run's exit code.",
    )
    run.add_argument("image", metavar="IMAGE")
    run.add_argument("cmd", nargs="*", metavar="COMMAND")
    run.add_argument("--user", "-u", metavar="USER")
    run.add_argument("--log", action="store_true", help="also show parrot's log as it streams")
    run.add_argument("--json", action="store_true", help="print the outcome, findings and log summary as JSON")
    run.add_argument("--seccomp", metavar="PROFILE")
    run.add_argument("--apparmor", metavar="PROFILE")
    run.add_argument("--cap-add", action="append", default=[], metavar="CAP")
    run.add_argument("--cap-drop", action="append", default=[], metavar="CAP")
    run.add_argument("--no-new-privileges", action="store_true")
    _session_arguments(run)

    shell.add_argument("--parrot", action="store_true", help="start the (parrot_env) shell: parrot_run bash")
    shell.add_argument("--repo", metavar="REPOS", help="with --parrot: PARROT_CVMFS_REPO")
    shell.add_argument("--proxy", metavar="CHAIN", help="with --parrot: HTTP_PROXY")

    log = commands.add_parser(
        "parrot-log",
        help="judge a parrot log you already have (from a failed job, say)",
        description="Read a parrot_run debug log (FILE, or - for standard input): the outcome, the "
        "findings and their remedies; --json adds the events counted by kind.",
    )
    log.add_argument("file", nargs="?", default="-", metavar="FILE")
    log.add_argument("--exit-code", type=int, metavar="N", help="parrot_run's exit code, when known")
    log.add_argument("--json", action="store_true")


def _apparmor_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "apparmor",
        help="AppArmor profiles for parrot: render, validate, install, remove, status, denials",
        description="The Docker default AppArmor profile and its ptrace variant, checked by the "
        "real apparmor_parser, installed into /etc/apparmor.d and loaded.",
    )
    sub = parser.add_subparsers(dest="apparmor_command", metavar="ACTION", required=True)

    render = sub.add_parser("render", help="print the Docker default profile (or its ptrace variant)")
    render.add_argument("--name", default="docker-default", help="profile name (default: docker-default)")
    render.add_argument("--ptrace", action="store_true", help="let the profile's processes trace each other")
    render.add_argument("--daemon-profile", default="unconfined", help="the profile dockerd runs under")

    validate = sub.add_parser("validate", help="check a policy file with apparmor_parser (nothing is loaded)")
    validate.add_argument("file", metavar="FILE")

    install = sub.add_parser("install", help="write a profile to the policy directory and load it")
    source = install.add_mutually_exclusive_group(required=True)
    source.add_argument("file", nargs="?", metavar="FILE", help="a policy file")
    source.add_argument("--name", help="the Docker default profile under this name")
    install.add_argument("--ptrace", action="store_true", help="with --name: add the ptrace rule")
    install.add_argument("--directory", default="/etc/apparmor.d", help="default: /etc/apparmor.d")
    install.add_argument("--no-load", action="store_true", help="write the file only")

    remove = sub.add_parser("remove", help="unload a profile and delete its file")
    remove.add_argument("name", metavar="NAME")
    remove.add_argument("--directory", default="/etc/apparmor.d", help="default: /etc/apparmor.d")

    status = sub.add_parser("status", help="whether the kernel enforces AppArmor, and the loaded profiles")
    status.add_argument("--json", action="store_true", help="print JSON")

    denials = sub.add_parser("denials", help="the AppArmor records of a kernel, syslog or audit log")
    denials.add_argument("file", nargs="?", default="-", metavar="FILE", help="a log file, or - for standard input")
    denials.add_argument("--json", action="store_true", help="print JSON, one record a line")


def _env_pairs(items: Sequence[str]) -> dict:
    return dict(pairs(items, "--env", shape="NAME=VALUE"))


def _security(args: argparse.Namespace) -> _pcvmfs.SecurityOptions:
    """The security options given by --seccomp, --apparmor, --cap-add,
    --cap-drop and --no-new-privileges."""
    return _pcvmfs.SecurityOptions(
        seccomp=args.seccomp,
        apparmor=args.apparmor,
        cap_add=args.cap_add,
        cap_drop=args.cap_drop,
        no_new_privileges=args.no_new_privileges,
    )


def _doctor(args: argparse.Namespace) -> int:
    if args.host:
        os.environ["DOCKER_HOST"] = args.host
    from . import doctor

    report = doctor(proxy=args.proxy, image=args.image, user=args.user, security=_security(args), profile_dir=args.profile_dir)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print(report_text(report.to_dict()))
        if report.ptrace_ready is False and report.recommended_docker_flags:
            print("verified fix: docker run " + " ".join(report.recommended_docker_flags) + f" {args.image} ...")
    return 0 if report.ok else 1


def _info(args: argparse.Namespace) -> int:
    info = _pcvmfs.Docker(args.host).info()
    if args.json:
        print(json.dumps(info.to_dict(), indent=2))
    else:
        data = info.to_dict()
        for key in ("version", "api_version", "engine_api_version", "os", "kernel_version", "arch", "storage_driver"):
            print(f"{key:<20} {data[key]}")
        for option in data["security_options"]:
            attrs = ", ".join(f"{k}={v}" for k, v in option["attributes"].items())
            print(f"{'security option':<20} {option['name']}" + (f" ({attrs})" if attrs else ""))
    return 0


def _host_facts(args: argparse.Namespace) -> int:
    facts = _pcvmfs.host_facts().to_dict()
    if args.json:
        print(json.dumps(facts, indent=2))
    else:
        for key, value in facts.items():
            print(f"{key:<22} {value}")
    return 0


def _shell(args: argparse.Namespace) -> int:
    security = _security(args)
    if args.parrot:
        if args.cmd:
            raise ParseError("--parrot starts parrot_run bash; give no COMMAND")
        session = _pcvmfs.ParrotSession(repos=args.repo, proxy=args.proxy)
        args.cmd = ["/bin/sh", "-c", session.env_script("bash"), "pcvmfs-parrot-env"]
    dns = _pcvmfs.DnsOptions(args.dns, args.dns_search, args.dns_option)
    docker = _pcvmfs.Docker(args.host)
    code = docker.shell(
        args.image,
        command=args.cmd or None,
        user=args.user,
        env=_env_pairs(args.env),
        security=security,
        dns=dns,
        volumes=args.volume,
    )
    return int(code) & 0xFF if code >= 0 else 1


def _apparmor(args: argparse.Namespace) -> int:
    from . import apparmor

    action = args.apparmor_command
    if action == "render":
        policy = apparmor.docker_default(args.name, args.daemon_profile)
        print(policy.with_ptrace_peers().render() if args.ptrace else policy.render(), end="")
    elif action == "validate":
        with open(args.file, encoding="utf-8") as f:
            apparmor.validate(apparmor.PolicyFile.parse(f.read()))
        print(f"{args.file}: accepted by apparmor_parser")
    elif action == "install":
        if args.file:
            with open(args.file, encoding="utf-8") as f:
                policy = apparmor.PolicyFile.parse(f.read())
        else:
            policy = apparmor.docker_default(args.name)
            if args.ptrace:
                policy = policy.with_ptrace_peers()
        path = apparmor.install(policy, args.directory, load=not args.no_load)
        name = policy.profiles[0].name
        print(f"installed {path}" + ("" if args.no_load else " and loaded it"))
        print(f"use it with: --security-opt {apparmor.security_opt(name)}")
    elif action == "remove":
        removed = apparmor.remove(args.name, args.directory)
        print(f"removed {args.name}" if removed else f"no profile {args.name} in {args.directory}")
    elif action == "status":
        status = apparmor.status()
        if args.json:
            print(json.dumps(status.to_dict(), indent=2))
        elif status.enabled:
            print(f"AppArmor is enabled; {len(status.profiles)} profiles loaded")
            for name, mode in status.profiles:
                print(f"  {name} ({mode})")
        else:
            print(f"AppArmor is not enabled: {status.reason}")
    elif action == "denials":
        if args.file == "-":
            records = apparmor.parse_denials(sys.stdin.read())
        else:
            from pathlib import Path

            records = apparmor.parse_denials(Path(args.file))
        for record in records:
            print(json.dumps(record.to_dict()) if args.json else repr(record))
    return 0


def _print_judgement(outcome: dict, findings: list) -> None:
    reason = f": {outcome['reason']}" if outcome.get("reason") else ""
    print(f"pcvmfs: outcome {outcome['kind']}{reason}", file=sys.stderr)
    for finding in findings:
        print(f"pcvmfs: {finding['status']} {finding['check']}: {finding['evidence']}", file=sys.stderr)
        if finding.get("remedy"):
            print(f"pcvmfs:   -> {finding['remedy']}", file=sys.stderr)


def _run(args: argparse.Namespace) -> int:
    if not args.cmd:
        raise ParseError("give the command to run under parrot: pcvmfs run IMAGE -- COMMAND...")
    docker = _pcvmfs.Docker(args.host)
    on_log = (lambda line: print(line, file=sys.stderr)) if args.log else None
    result = docker.parrot(args.image, _session(args), args.cmd, user=args.user, security=_security(args), on_log=on_log)
    sys.stdout.buffer.write(result.stdout)
    sys.stdout.flush()
    if args.json:
        print(json.dumps({"exit_code": result.exit_code, "outcome": result.outcome, "findings": result.findings, "log": result.log}, indent=2), file=sys.stderr)
    else:
        _print_judgement(result.outcome, result.findings)
    return int(result.exit_code) & 0xFF if result.exit_code >= 0 else 1


def _parrot_log(args: argparse.Namespace) -> int:
    from pathlib import Path

    source = sys.stdin.read() if args.file == "-" else Path(args.file)
    judged = _pcvmfs.parse_parrot_log(source, args.exit_code)
    if args.json:
        print(json.dumps(judged, indent=2))
    else:
        outcome = judged["outcome"]
        reason = f": {outcome['reason']}" if outcome.get("reason") else ""
        print(f"outcome: {outcome['kind']}{reason}")
        for finding in judged["findings"]:
            print(f"{finding['status']:<5} {finding['check']}: {finding['evidence']}")
            if finding.get("remedy"):
                print(f"      -> {finding['remedy']}")
    return 0 if judged["outcome"]["kind"] == "succeeded" else 1


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command line; returns the exit code."""
    parser = _parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    # argparse's sub-commands do not honour "--"; what follows it is the
    # shell's command, taken literally.
    trailing: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, trailing = argv[:cut], argv[cut + 1 :]
    args = parser.parse_args(argv)
    if trailing:
        if args.command not in ("shell", "run"):
            parser.error("'--' is only for `pcvmfs shell IMAGE -- COMMAND...` and `pcvmfs run IMAGE -- COMMAND...`")
        args.cmd = [*args.cmd, *trailing]
    handlers = {
        "doctor": _doctor,
        "info": _info,
        "host-facts": _host_facts,
        "shell": _shell,
        "apparmor": _apparmor,
        "run": _run,
        "parrot-log": _parrot_log,
        "dns": cli_dns.run,
        "image": cli_image.run,
    }
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return handlers[args.command](args)
    except (PcvmfsError, OSError) as err:
        print(f"pcvmfs: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("pcvmfs: interrupted", file=sys.stderr)
        return 130
