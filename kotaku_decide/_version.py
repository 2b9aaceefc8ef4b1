"""The package version, read from the installed distribution's metadata (pyproject.toml is the one source)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("kotaku-decide")
except PackageNotFoundError:  # run from a source folder that was never installed
    __version__ = "0+unknown"
