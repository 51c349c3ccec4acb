"""Index builders: each turns a dataset's inputs into the tidy observation table."""

from __future__ import annotations


def builder(name: str):
    from . import federated, imd, imd_summary, spi, submission

    builders = {
        "imd": imd.build,
        "imd-summary": imd_summary.build,
        "spi": spi.build,
        "federated": federated.build,
        "submission": submission.build,
    }
    try:
        return builders[name]
    except KeyError:
        raise ValueError(f"unknown builder {name!r} (known: {', '.join(builders)})") from None
