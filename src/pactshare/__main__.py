"""``python -m pactshare``: the same as the ``pactshare`` command."""

from pactshare.cli.main import run

run()
