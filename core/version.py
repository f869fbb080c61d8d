"""The version written into every file's provenance metadata."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("tinct")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"
