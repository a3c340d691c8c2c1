"""The ``pactshare`` command line: the shell around the pure core.

Only this package (and the web entry point) reads environment variables and the clock.
"""

__all__: list[str] = []
