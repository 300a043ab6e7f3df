"""A parallel search's flags checked before anything is written: workers, recycling, the lease, the address to serve on."""

from __future__ import annotations

import ipaddress
import math
import socket

from lstmtune.errors import OptionError
from lstmtune.plan.request import SearchRequest

MAX_WORKERS = 256
MAX_LEASE = 86400.0  # a day: a longer silence is a worker that is gone


def parse_address(text: str, option: str) -> tuple[str, int]:
    """'HOST:PORT' (PORT 0 on the chief picks a free port)."""
    host, sep, port = str(text).strip().rpartition(":")
    host = host.strip("[]")  # [::1]:8470
    # isdigit() alone accepts '²' and other non-ASCII digits, which int() then refuses
    if not sep or not host or not (port.isascii() and port.isdigit()) or not 0 <= int(port) <= 65535:
        raise OptionError(
            f"{option} must be HOST:PORT with a port from 0 to 65535, e.g. 127.0.0.1:8470, but got {text!r}"
        )
    problem = _host_problem(host)
    if problem:
        raise OptionError(f"{option} {text!r}: {problem}")
    return host, int(port)


def _host_problem(host: str) -> str | None:
    """Why `host` cannot be an IP address or a DNS name, or None (what getaddrinfo would refuse with a
    UnicodeError or a long wait)."""
    try:
        ipaddress.ip_address(host)
        return None
    except ValueError:
        pass
    if len(host) > 253:
        return f"a host name is at most 253 characters, but this one has {len(host)}"
    for label in host.rstrip(".").split("."):
        if not label:
            return "a host name has no empty parts between its dots"
        if len(label) > 63:
            return (
                f"each dot-separated part of a host name is at most 63 characters, but {label[:20]}... has {len(label)}"
            )
        if not all(c.isascii() and (c.isalnum() or c in "-_") for c in label):  # _: container names
            return f"a host name holds ASCII letters, digits, hyphens, underscores and dots only, but got {host!r}"
    return None


def check_parallel(request: SearchRequest) -> None:
    if not 0 <= request.workers <= MAX_WORKERS:
        raise OptionError(
            f"--workers must be from 0 to {MAX_WORKERS} (0: trials run in the search's own process), "
            f"but got {request.workers}"
        )
    if request.recycle_after is not None and request.recycle_after < 1:
        raise OptionError(f"--recycle-after must be at least 1 trial, but got {request.recycle_after}")
    if request.lease is not None and (
        isinstance(request.lease, bool)
        or not isinstance(request.lease, (int, float))
        or not math.isfinite(request.lease)
        or not 1 <= request.lease <= MAX_LEASE
    ):
        raise OptionError(f"--lease must be a number of seconds from 1 to {MAX_LEASE:g}, but got {request.lease!r}")
    options = (("--listen", request.listen), ("--recycle-after", request.recycle_after), ("--lease", request.lease))
    for name, value in options:
        if value is not None and not request.workers:
            raise OptionError(f"{name} applies to a parallel search: add --workers N (N ≥ 1)")
    if request.listen is not None:
        _check_listen(*parse_address(request.listen, "--listen"))


def _check_listen(host: str, port: int) -> None:
    """The address must be one this machine can serve on, before the run directory is touched."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise OptionError(f"--listen {host}:{port}: unknown host ({exc.strerror or exc})") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise OptionError(
                f"--listen {host}:{port}: cannot listen there ({exc.strerror or exc}: port in use, "
                "or not an address of this machine)"
            ) from None
