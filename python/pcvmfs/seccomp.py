"""Seccomp profiles for parrot containers.

``parrot_profile(path)`` writes Docker's default profile for x86_64 plus
exactly the syscalls parrot's tracer needs (``ptrace``, ``process_vm_readv``,
``process_vm_writev``), which Docker 20.10's default allows only with
``CAP_SYS_PTRACE``. Everything else the default refuses stays refused.

    >>> from pcvmfs import seccomp
    >>> seccomp.parrot_profile("/etc/pcvmfs/parrot-seccomp.json")
    >>> pcvmfs.SecurityOptions(seccomp="/etc/pcvmfs/parrot-seccomp.json")
"""

from __future__ import annotations

import json
import os
from typing import Any, Optional, Union

from . import _pcvmfs

__all__ = ["PARROT_SYSCALLS", "docker_default_profile", "parrot_profile"]

#: What the parrot profile adds to Docker's default.
PARROT_SYSCALLS: list[str] = _pcvmfs.seccomp_parrot_syscalls()


def docker_default_profile() -> dict[str, Any]:
    """Docker's default seccomp profile for x86_64, as pcvmfs holds it."""
    result: dict[str, Any] = json.loads(_pcvmfs.seccomp_docker_default())
    return result


def parrot_profile(path: Optional[Union[str, "os.PathLike[str]"]] = None) -> dict[str, Any]:
    """The parrot profile; with ``path``, also written there (atomically)."""
    result: dict[str, Any] = json.loads(_pcvmfs.seccomp_parrot_profile(path))
    return result
