"""Compute: the index builders (indices/), the SPI engine (spi/), the tidy observation table every
builder returns, and aggregation of area values by declared rule (aggregate.py)."""
