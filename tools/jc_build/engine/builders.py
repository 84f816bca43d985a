"""Several builders for one build: docker hosts given as ``--builders``, ``$JCB_BUILDERS`` or
WORKSPACE.star's ``builders`` (``unix:///run/b.sock``, ``tcp://jetson2:2376``, ``ssh://me@jetson2``
or the name of a docker context)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from jc_build.engine.detect import detect_engine
from jc_build.engine.model import Engine

SCHEMES = ("unix", "tcp", "ssh", "npipe")
_CONTEXT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+-]*")


def parse_builders(items: Iterable[str]) -> list[str]:
    """The builders named by ``items`` (each may hold several, comma-separated), each once, in order;
    ValueError naming the first one that is neither a docker host URL nor a context name."""
    hosts: list[str] = []
    for item in items:
        for host in (h.strip() for h in item.split(",")):
            if not host:
                continue
            scheme, sep, rest = host.partition("://")
            if sep and (scheme not in SCHEMES or not rest):
                raise ValueError(f"builder '{host}': a docker host is {', '.join(s + '://...' for s in SCHEMES)}")
            if not sep and not _CONTEXT.fullmatch(host):
                raise ValueError(f"builder '{host}' is neither a docker host URL ({', '.join(SCHEMES)}) "
                                 "nor a docker context name")
            hosts.append(host)
    return list(dict.fromkeys(hosts))


def open_builders(builder: str | None, hosts: list[str]) -> list[Engine]:
    """One engine per host, each checked to answer (EngineUnavailable naming the first that does not)."""
    return [detect_engine(builder, host) for host in hosts]
