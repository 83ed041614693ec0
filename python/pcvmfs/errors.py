"""The exceptions pcvmfs raises, all rooted at :class:`PcvmfsError`.

Files that cannot be read raise the built-in ``FileNotFoundError``,
``PermissionError`` or ``OSError`` instead, as the standard library does.
"""

from __future__ import annotations

__all__ = [
    "PcvmfsError",
    "DockerError",
    "EngineUnreachableError",
    "ImageError",
    "ImageNotFoundError",
    "RegistryAccessDeniedError",
    "RegistryUnreachableError",
    "PullInterruptedError",
    "ContainerError",
    "ExecTimeoutError",
    "ParseError",
    "AppArmorError",
]


class PcvmfsError(Exception):
    """The root of every pcvmfs error."""


class DockerError(PcvmfsError):
    """The Docker engine refused or failed an operation."""


class EngineUnreachableError(DockerError, ConnectionError):
    """No Docker engine answered where pcvmfs looked (the message says where)."""


class ImageError(DockerError):
    """An image is missing, or a build failed (the message names the step)."""


class ImageNotFoundError(ImageError, LookupError):
    """The registry has no such repository, tag or digest."""


class RegistryAccessDeniedError(ImageError, PermissionError):
    """The registry refused the credentials given, or needs some."""


class RegistryUnreachableError(ImageError, ConnectionError):
    """Nothing answered at the registry's address (the message names it)."""


class PullInterruptedError(ImageError):
    """A pull started and then failed: a connection cut or a bad layer."""


class ContainerError(DockerError):
    """A container does not exist (any more)."""


class ExecTimeoutError(DockerError, TimeoutError):
    """A command ran past its timeout and was killed."""


class ParseError(PcvmfsError, ValueError):
    """A value given to pcvmfs is malformed (the message says which and why)."""


class AppArmorError(PcvmfsError):
    """apparmor_parser refused a policy (the message names the line), is
    missing, or the kernel cannot load policy (the message says why)."""
