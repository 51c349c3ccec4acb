"""localindex publisher: turns index inputs into validated RDF Data Cube releases."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("localindex")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+source"
