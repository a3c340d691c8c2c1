"""pactshare: share sensitive information only as written agreements allow.

The pure domain (parties, agreements and their lifecycle, decisions, access) lives in
:mod:`pactshare.domain`; agreement files are read by :mod:`pactshare.scenarios`; every error
pactshare raises derives from :class:`pactshare.errors.PactshareError`.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("pactshare")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0+unknown"

__all__ = ["__version__"]
