"""``pcvmfs image``: pull, build, recipe, ls, rm, import."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Dict, List

from . import _pcvmfs
from .cli_args import pairs
from .errors import ParseError


def _recipe_arguments(parser: argparse.ArgumentParser, required: bool) -> None:
    group = parser.add_argument_group("recipe (a parrot-ready image)")
    group.add_argument("--base", required=required, metavar="IMAGE", help="the base image (any image with /bin/sh)")
    source = group.add_mutually_exclusive_group()
    source.add_argument("--cctools-url", metavar="URL", help="a cctools release tarball to download during the build")
    source.add_argument("--cctools-tarball", metavar="FILE", help="a cctools release tarball on this host")
    source.add_argument("--cctools-dir", metavar="DIR", help="an unpacked cctools on this host")
    group.add_argument("--test-user", default="parrotuser", metavar="NAME", help="the test user (default: parrotuser)")
    group.add_argument("--test-uid", type=int, default=1000, metavar="UID", help="its uid (default: 1000)")
    group.add_argument("--key", action="append", default=[], metavar="DOMAIN=FILE", help="a CVMFS public key for DOMAIN's repositories")
    group.add_argument("--file", action="append", default=[], metavar="SRC:DEST", help="copy a file or directory into the image")
    group.add_argument("--env", action="append", default=[], metavar="NAME=VALUE", help="an ENV of the image (no secrets)")
    group.add_argument("--label", action="append", default=[], metavar="KEY=VALUE", help="a LABEL of the image")
    group.add_argument("--repo", metavar="REPOS", help="PARROT_CVMFS_REPO for the entry script /opt/pcvmfs/parrot-env.sh")
    group.add_argument("--proxy", metavar="CHAIN", help="HTTP_PROXY for the entry script")


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "image",
        help="images: pull, build (a directory or a parrot-ready recipe), recipe, ls, rm, import",
        description="Get an image with parrot and the CVMFS keys in it: pull a published one, or build one "
        "from a Dockerfile or from pcvmfs's recipe.",
    )
    sub = parser.add_subparsers(dest="image_command", metavar="ACTION", required=True)

    pull = sub.add_parser("pull", help="pull an image from a registry", description="Pull REFERENCE, with a progress bar per layer in a terminal. Credentials: --user with --password-stdin, else the Docker configuration (~/.docker/config.json).")
    pull.add_argument("reference", metavar="REFERENCE")
    pull.add_argument("--user", metavar="USER", help="registry user (the password is read from standard input)")
    pull.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    pull.add_argument("--quiet", "-q", action="store_true", help="no progress output")

    build = sub.add_parser(
        "build",
        help="build a directory's Dockerfile, or a recipe",
        description="Build PATH (a directory holding a Dockerfile; .dockerignore is honoured), or, with --base, "
        "the parrot-ready recipe the options describe.",
    )
    build.add_argument("path", nargs="?", metavar="PATH")
    build.add_argument("--tag", "-t", required=True, metavar="TAG")
    build.add_argument("--no-cache", action="store_true", help="build every step again")
    build.add_argument("--build-arg", action="append", default=[], metavar="NAME=VALUE", help="a build argument (no secrets)")
    build.add_argument("--keep-intermediate", action="store_true", help="keep intermediate containers (default: removed)")
    build.add_argument("--quiet", "-q", action="store_true", help="print only the image id")
    build.add_argument("--verbose", "-v", action="store_true", help="print every line of the build (default in a terminal: a bar over the steps)")
    _recipe_arguments(build, required=False)

    recipe = sub.add_parser("recipe", help="print a recipe's Dockerfile, or write its whole build context")
    _recipe_arguments(recipe, required=True)
    recipe.add_argument("--output", "-o", metavar="DIR", help="write the Dockerfile and context into DIR (new or empty)")

    ls = sub.add_parser("ls", help="list images")
    ls.add_argument("reference", nargs="?", metavar="PATTERN", help="a reference pattern such as pcvmfs/*")
    ls.add_argument("--label", metavar="KEY[=VALUE]", help="only images with this label")
    ls.add_argument("--json", action="store_true", help="print JSON")

    rm = sub.add_parser("rm", help="remove images")
    rm.add_argument("references", nargs="+", metavar="REFERENCE")
    rm.add_argument("--force", "-f", action="store_true", help="also when containers use it or it has other tags")

    imp = sub.add_parser("import", help="make an image from a root filesystem (a directory or a tarball)")
    imp.add_argument("source", metavar="PATH")
    imp.add_argument("tag", metavar="TAG")


def recipe_from(args: argparse.Namespace) -> "_pcvmfs.ImageRecipe":
    if args.cctools_url:
        cctools = _pcvmfs.CctoolsSource.url(args.cctools_url)
    elif args.cctools_tarball:
        cctools = _pcvmfs.CctoolsSource.tarball(args.cctools_tarball)
    elif args.cctools_dir:
        cctools = _pcvmfs.CctoolsSource.directory(args.cctools_dir)
    else:
        raise ParseError("a recipe needs cctools: --cctools-url, --cctools-tarball or --cctools-dir")
    keys: Dict[str, List[str]] = {}
    for domain, path in pairs(args.key, "--key"):
        keys.setdefault(domain, []).append(path)
    files = {dest: src for src, dest in pairs(args.file, "--file", ":")}
    session = _pcvmfs.ParrotSession(repos=args.repo, proxy=args.proxy)
    return _pcvmfs.ImageRecipe(
        args.base,
        cctools,
        test_user=args.test_user,
        test_uid=args.test_uid,
        keys=keys,
        files=files,
        env=pairs(args.env, "--env"),
        labels=pairs(args.label, "--label"),
        session=session,
    )


def _show(image: Any) -> str:
    return f"{image.id} {' '.join(image.tags)}".strip()


def _pull(args: argparse.Namespace) -> int:
    credentials = None
    if args.user:
        if not args.password_stdin:
            raise ParseError("--user needs --password-stdin (a password on the command line would be seen by every user)")
        password = sys.stdin.readline().rstrip("\r\n")
        credentials = (args.user, password)
    elif args.password_stdin:
        raise ParseError("--password-stdin needs --user")
    progress: Any = None
    if not args.quiet:
        if sys.stderr.isatty():
            progress = True
        else:
            def progress(event: Dict[str, Any]) -> None:
                if event["kind"] == "status":
                    print(event["text"], file=sys.stderr)
                elif event["state"] in ("complete", "already_exists"):
                    print(f"{event['layer']}: {event['state'].replace('_', ' ')}", file=sys.stderr)
    image = _pcvmfs.Docker(args.host).pull(args.reference, credentials=credentials, progress=progress)
    print(_show(image))
    return 0


def _to_stderr(line: str) -> None:
    """A build's log line, on standard error as the bar is: standard output
    holds only the result."""
    print(line, file=sys.stderr)


def _build(args: argparse.Namespace) -> int:
    recipe_given = args.base is not None
    if recipe_given == (args.path is not None):
        raise ParseError("give either PATH (a directory with a Dockerfile) or --base and cctools for a recipe")
    recipe_only = {
        "--cctools-url": args.cctools_url, "--cctools-tarball": args.cctools_tarball, "--cctools-dir": args.cctools_dir,
        "--key": args.key, "--file": args.file, "--env": args.env, "--repo": args.repo, "--proxy": args.proxy,
    }
    if not recipe_given:
        given = [flag for flag, value in recipe_only.items() if value]
        if given:
            raise ParseError(f"{', '.join(given)} only apply to a recipe (--base); a directory build takes its Dockerfile as it is")
    source: Any = recipe_from(args) if recipe_given else args.path
    # With a recipe the labels are in its Dockerfile; for a directory, on the build.
    labels = None if recipe_given else dict(pairs(args.label, "--label"))
    progress: Any = None
    on_output = None
    if args.verbose or (not args.quiet and not sys.stderr.isatty()):
        on_output = _to_stderr
    elif not args.quiet:
        progress = True  # a bar over the steps; a failure still shows its output
    image = _pcvmfs.Docker(args.host).build(
        source,
        args.tag,
        no_cache=args.no_cache,
        build_args=dict(pairs(args.build_arg, "--build-arg")),
        remove_intermediate=not args.keep_intermediate,
        progress=progress,
        on_output=on_output,
        labels=labels,
    )
    print(_show(image) if not args.quiet else image.id)
    return 0


def _recipe(args: argparse.Namespace) -> int:
    recipe = recipe_from(args)
    if args.output:
        recipe.write_context(args.output)
        print(f"wrote the Dockerfile and build context to {args.output}; build it with: pcvmfs image build {args.output} -t TAG")
    else:
        print(recipe.dockerfile(), end="")
    return 0


def _ls(args: argparse.Namespace) -> int:
    images = _pcvmfs.Docker(args.host).images(reference=args.reference, label=args.label)
    if args.json:
        print(json.dumps([image.to_dict() for image in images], indent=2))
        return 0
    for image in images:
        size = f"{(image.size or 0) / 1e6:.1f} MB"
        tags = ", ".join(image.tags) or "<untagged>"
        print(f"{image.id[7:19]}  {size:>10}  {tags}")
    return 0


def _rm(args: argparse.Namespace) -> int:
    docker = _pcvmfs.Docker(args.host)
    for reference in args.references:
        for line in docker.remove_image(reference, force=args.force):
            print(line)
    return 0


def _import(args: argparse.Namespace) -> int:
    image = _pcvmfs.Docker(args.host).import_rootfs(args.source, args.tag)
    print(_show(image))
    return 0


def run(args: argparse.Namespace) -> int:
    handler = {"pull": _pull, "build": _build, "recipe": _recipe, "ls": _ls, "rm": _rm, "import": _import}
    return handler[args.image_command](args)
