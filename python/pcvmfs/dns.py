"""DNS that works inside containers.

A host whose ``/etc/resolv.conf`` lists only a loopback resolver (dnsmasq's
``127.0.1.1``, systemd-resolved's ``127.0.0.53``) makes Docker hand
containers Google's public servers, which many sites block. This module
finds that trap, fixes it where the host's daemon reads its settings, and
proves the result inside a container.

    >>> from pcvmfs import dns
    >>> dns.diagnose().findings                 # this host, as the doctor sees it
    >>> cfg = dns.DaemonDnsConfig.load()        # /etc/docker/daemon.json
    >>> cfg.set_dns(["192.0.2.53"], search=["example.org"])
    >>> cfg.save()                              # atomic, with a backup
    >>> dns.verify(pcvmfs.Docker(), "busybox", ["cvmfs-stratum-one.cern.ch"]).ok
"""

from __future__ import annotations

import os as _os
from pathlib import Path as _Path
from typing import Optional as _Optional, Sequence as _Sequence, Union as _Union

from ._pcvmfs import (
    DaemonDnsConfig,
    DnsDiagnosis,
    DnsOptions,
    DnsVerification,
    Docker,
    DockerdStartup,
    DockerOpts,
    ResolvConf,
)
from ._pcvmfs import dns_diagnose as diagnose
from ._pcvmfs import dns_dockerd_startup as dockerd_startup
from ._pcvmfs import dns_verify as _verify


def verify(
    docker: Docker,
    image: str,
    names: _Sequence[str],
    dns: _Optional[DnsOptions] = None,
    network: _Optional[str] = None,
    user: _Optional[str] = None,
    probe: _Optional[_Union[str, "_os.PathLike[str]"]] = None,
) -> DnsVerification:
    """Runs a container of ``image`` (with per-container ``dns`` settings and
    on ``network`` when given) and looks up each of ``names`` inside it:
    returns the container's ``resolv_conf`` and every lookup. The probe that
    does the lookups is copied in, so any image works."""
    from . import probe_path

    return _verify(docker, image, list(names), dns, network, user, _Path(probe) if probe else probe_path())


__all__ = [
    "DaemonDnsConfig",
    "DnsDiagnosis",
    "DnsVerification",
    "DockerOpts",
    "DockerdStartup",
    "ResolvConf",
    "diagnose",
    "dockerd_startup",
    "verify",
]
