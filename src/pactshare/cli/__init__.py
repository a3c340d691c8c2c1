"""The ``pactshare`` command line: the shell around the pure core.

Only this package reads environment variables (it hands ``os.environ`` to
:func:`pactshare.node.clock.node_clock`, which reads ``PACTSHARE_CLOCK``).
"""

__all__: list[str] = []
