"""AppArmor for parrot containers: policy files as data, the Docker default
profile and its ptrace variant, validation with the real ``apparmor_parser``,
the kernel's AppArmor state, installing and removing profiles, and reading
the kernel's denial records.

    >>> from pcvmfs import apparmor
    >>> policy = apparmor.docker_default("docker-ptrace").with_ptrace_peers()
    >>> apparmor.validate(policy)
    >>> apparmor.install(policy)            # /etc/apparmor.d/docker-ptrace, loaded
    >>> apparmor.security_opt("docker-ptrace")
    'apparmor=docker-ptrace'
"""

from __future__ import annotations

from ._pcvmfs import Denial, PolicyFile, Profile, Status
from ._pcvmfs import apparmor_confinement as confinement
from ._pcvmfs import apparmor_docker_default as docker_default
from ._pcvmfs import apparmor_install as install
from ._pcvmfs import apparmor_parse_denials as parse_denials
from ._pcvmfs import apparmor_remove as remove
from ._pcvmfs import apparmor_security_opt as security_opt
from ._pcvmfs import apparmor_status as status
from ._pcvmfs import apparmor_validate as validate

__all__ = [
    "Denial",
    "PolicyFile",
    "Profile",
    "Status",
    "confinement",
    "docker_default",
    "install",
    "parse_denials",
    "remove",
    "security_opt",
    "status",
    "validate",
]
