"""pcvmfs: run CVMFS-aware containers under parrot_run, without a CVMFS
mount on the host.

    >>> import pcvmfs
    >>> docker = pcvmfs.Docker()
    >>> report = pcvmfs.doctor(docker, proxy="http://squid.example.org:3128;DIRECT")
    >>> report.ok
"""

from __future__ import annotations

from .errors import (
    AppArmorError,
    ContainerError,
    DockerError,
    EngineUnreachableError,
    ExecTimeoutError,
    ImageError,
    ImageNotFoundError,
    ParseError,
    PcvmfsError,
    PullInterruptedError,
    RegistryAccessDeniedError,
    RegistryUnreachableError,
)
from ._pcvmfs import (
    AppliedSecurity,
    CctoolsSource,
    Container,
    CvmfsRepo,
    CvmfsRepoList,
    DnsOptions,
    Docker,
    EngineInfo,
    ExecResult,
    Finding,
    HostFacts,
    Image,
    ImageRecipe,
    ImageRef,
    ParrotResult,
    ParrotSession,
    ProxyChain,
    Report,
    SecurityOption,
    SecurityOptions,
    __version__,
    host_facts,
    parrot_local,
    parse_parrot_log,
)
from ._pcvmfs import doctor as _doctor
from . import apparmor, dns, seccomp

import os as _os
from pathlib import Path as _Path
from typing import Optional as _Optional, Union as _Union

#: The static probe shipped with the package.
PROBE = _Path(__file__).parent / "bin" / "pcvmfs-probe"


def probe_path() -> _Path:
    """The probe binary: ``PCVMFS_PROBE`` when set, else the one shipped
    with the package."""
    return _Path(_os.environ.get("PCVMFS_PROBE") or PROBE)


def doctor(
    docker: _Optional[Docker] = None,
    proxy: _Optional[str] = None,
    image: _Optional[str] = None,
    user: _Optional[str] = None,
    security: _Optional[SecurityOptions] = None,
    probe: _Optional[_Union[str, "_os.PathLike[str]"]] = None,
    profile_dir: _Optional[_Union[str, "_os.PathLike[str]"]] = None,
) -> Report:
    """Checks this node: platform, Docker engine, Yama, CVMFS proxy. With
    ``image``, also runs the probe there as ``user`` with ``security``,
    names the layer that refuses ptrace, and verifies the smallest remedy in
    a fresh container: ``report.ptrace_ready``,
    ``report.recommended_security`` and ``report.recommended_docker_flags``.
    A generated seccomp profile is written into ``profile_dir`` (default
    ``~/.pcvmfs``), where the recommended flags refer to it."""
    if image is None:
        return _doctor(docker, proxy)
    directory = _Path(profile_dir) if profile_dir is not None else _Path.home() / ".pcvmfs"
    return _doctor(docker, proxy, image, user, security, _Path(probe) if probe else probe_path(), directory.resolve())

__all__ = [
    "AppArmorError",
    "apparmor",
    "dns",
    "seccomp",
    "AppliedSecurity",
    "CctoolsSource",
    "ImageNotFoundError",
    "ImageRecipe",
    "ImageRef",
    "PullInterruptedError",
    "RegistryAccessDeniedError",
    "RegistryUnreachableError",
    "Container",
    "CvmfsRepo",
    "CvmfsRepoList",
    "ContainerError",
    "DnsOptions",
    "Docker",
    "DockerError",
    "EngineInfo",
    "EngineUnreachableError",
    "ExecResult",
    "ExecTimeoutError",
    "Finding",
    "HostFacts",
    "Image",
    "ParrotResult",
    "ParrotSession",
    "ProxyChain",
    "ImageError",
    "ParseError",
    "PcvmfsError",
    "Report",
    "SecurityOption",
    "SecurityOptions",
    "__version__",
    "doctor",
    "host_facts",
    "parrot_local",
    "parse_parrot_log",
    "probe_path",
    "PROBE",
]
