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
    ParseError,
    PcvmfsError,
)
from ._pcvmfs import (
    AppliedSecurity,
    Container,
    DnsOptions,
    Docker,
    EngineInfo,
    ExecResult,
    Finding,
    HostFacts,
    Image,
    Report,
    SecurityOption,
    SecurityOptions,
    __version__,
    doctor,
    host_facts,
)
from . import apparmor

__all__ = [
    "AppArmorError",
    "apparmor",
    "AppliedSecurity",
    "Container",
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
    "ImageError",
    "ParseError",
    "PcvmfsError",
    "Report",
    "SecurityOption",
    "SecurityOptions",
    "__version__",
    "doctor",
    "host_facts",
]
