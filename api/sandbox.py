"""Confine a query worker process: no network, bounded memory, room for deep query parses.

The query guard already refuses anything that would make pyoxigraph reach the network; this is the
second wall. pyoxigraph fetches SERVICE URLs from native code that Python hooks cannot see, so the
worker moves into a network namespace of its own (no interfaces but a down loopback).
"""

from __future__ import annotations

import ctypes
import resource
import sys

CLONE_NEWNET = 0x40000000
CLONE_NEWUSER = 0x10000000


def drop_network() -> bool:
    """Move this process into an empty network namespace; False where the kernel refuses."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return False
    # As root CLONE_NEWNET is enough; an unprivileged user needs a user namespace first.
    return any(libc.unshare(flags) == 0 for flags in (CLONE_NEWNET, CLONE_NEWUSER | CLONE_NEWNET))


def confine(memory_mb: int, isolate_network: bool = True) -> bool:
    """Apply every limit to the current process; return whether the network was dropped."""
    isolated = drop_network() if isolate_network else False
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    sys.setrecursionlimit(10_000)  # rdflib's SPARQL parser recurses deeply on long queries
    return isolated
