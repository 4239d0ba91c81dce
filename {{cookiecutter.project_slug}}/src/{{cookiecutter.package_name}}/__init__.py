"""The service package: settings, the HTTP API and the clients it uses."""

from importlib.metadata import PackageNotFoundError, metadata

# The name pyproject.toml gives the project, under which it is installed.
_DISTRIBUTION = "{{ cookiecutter.__dns_name }}"

try:
    _metadata = metadata(_DISTRIBUTION)
    __version__: str = _metadata["Version"]
    __summary__: str = _metadata["Summary"] or ""
except PackageNotFoundError:  # a source tree that was never installed
    __version__ = "{{ cookiecutter.version }}"
    __summary__ = ""
