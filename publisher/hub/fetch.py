"""Fetching from a member: HTTP GET of allow-listed URLs only, with a timeout, a size cap and no
redirects, and unpacking a dump within the hub's limit."""

from __future__ import annotations

import urllib.error
import urllib.request
import zlib

from .config import Member


class HarvestError(Exception):
    """A member's release cannot be harvested; the message says which and why."""


class Fetcher:
    """HTTP GET of allow-listed URLs only, with a timeout, a size cap and no redirects."""

    def __init__(self, timeout_s: float, max_bytes: int):
        self.timeout_s, self.max_bytes = timeout_s, max_bytes
        self.opener = urllib.request.build_opener(_NoRedirects, urllib.request.ProxyHandler({}))

    def get(self, member: Member, url: str, accept: str) -> bytes:
        if not member.allows(url):
            raise HarvestError(f"{url} is not under {member.id}'s base URI {member.base_uri}: not fetched")
        request = urllib.request.Request(url, headers={"Accept": accept, "User-Agent": "localindex-hub"})
        try:
            with self.opener.open(request, timeout=self.timeout_s) as response:
                body = response.read(self.max_bytes + 1)
        except urllib.error.HTTPError as error:
            raise HarvestError(f"{url}: HTTP {error.code}") from None
        except (urllib.error.URLError, OSError) as error:
            raise HarvestError(f"{url}: {getattr(error, 'reason', error)}") from None
        if len(body) > self.max_bytes:
            raise HarvestError(f"{url}: larger than the hub's limit of {self.max_bytes:,} bytes")
        return body


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, request, fp, code, message, headers, new_url):
        raise urllib.error.HTTPError(new_url, code, f"redirect to {new_url} not followed", headers, fp)


def read_dump(body: bytes, max_bytes: int) -> bytes:
    """Gunzip a dump, refusing more than ``max_bytes`` of N-Triples (a gzip bomb stops here)."""
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = decompressor.decompress(body, max_bytes + 1)
    except zlib.error as error:
        raise HarvestError(f"not a gzip file ({error})") from None
    if len(data) > max_bytes or decompressor.unconsumed_tail:
        raise HarvestError(f"expands beyond the hub's limit of {max_bytes:,} bytes")
    return data
