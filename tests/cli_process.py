"""The ``pactshare`` command in a process of its own, forked from a warm interpreter.

Hundreds of tests run the command as a user would: a separate process, its own arguments,
environment and working folder, its exit code and what it printed. Most of such a process's
start-up is the interpreter importing the same libraries every time (SQLAlchemy, pydantic,
Typer, Rich, cryptography: ~0.35 s of a ~0.45 s command). Here one *zygote* per test process
imports those libraries once and forks a child per command; the child takes the command's
standard streams, folder and environment, then runs ``python -m pactshare`` exactly as the
interpreter would (``runpy``, ``__main__``), so our own package is imported afresh in every
child, as in a new interpreter, and nothing of one command reaches the next.

What a fork cannot give stays with a new interpreter: the command's own start-up is tested
by ``tests/e2e/test_cli_startup.py`` with ``python -m pactshare``, the README's commands run
as written in a shell, and a command asked to run with interpreter options or another
``PYTHON*`` environment than the test process's starts a new interpreter too.
"""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

__all__ = ["run_pactshare"]

# Libraries imported once by the zygote: what most commands import, none of which reads the
# environment when imported in a way a test changes (Rich reads it when a Console is made,
# which our package does when imported: our package is never preloaded).
_PRELOAD = (
    "sqlalchemy",
    "sqlalchemy.dialects.sqlite",
    "sqlalchemy.engine.default",
    "pydantic",
    "typer",
    "typer.main",
    "rich.console",
    "rich.table",
    "rich.markdown",
    "rich.progress",
    "cryptography.hazmat.primitives.asymmetric.ed25519",
    "cryptography.hazmat.primitives.asymmetric.x25519",
    "cryptography.hazmat.primitives.ciphers.aead",
    "cryptography.hazmat.primitives.kdf.hkdf",
    "httpx",
    "blake3",
    "rfc8785",
    "tomllib",
    "zoneinfo",
    "email.message",
)

# The zygote: reads requests (JSON and four descriptors: stdin, stdout, stderr, and the pipe
# the child writes its exit status to) from the socket it inherits and forks a child for
# each; it ends when the test process closes its end.
_ZYGOTE = r"""
import atexit, json, os, runpy, signal, socket, sys, threading, traceback
channel = socket.socket(fileno=int(sys.argv[1]))
for name in sys.argv[2:]:
    __import__(name)
signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children reaped by the kernel: no zombies
while True:
    try:
        message, fds, _, _ = socket.recv_fds(channel, 1 << 20, 4)
    except OSError:
        break
    if not message:
        break
    request = json.loads(message)
    pid = os.fork()
    if pid:
        for fd in fds:
            os.close(fd)
        channel.sendall(b"%d\n" % pid)
        continue
    code = 1
    try:
        channel.close()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        stdin, stdout, stderr, status = fds
        for fd, target in ((stdin, 0), (stdout, 1), (stderr, 2)):
            os.dup2(fd, target)
            os.close(fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.argv = ["pactshare", *request["args"]]
        try:
            runpy.run_module("pactshare", run_name="__main__", alter_sys=True)
            code = 0
        except SystemExit as exc:  # as the interpreter reads it
            if exc.code is None:
                code = 0
            elif isinstance(exc.code, int):
                code = exc.code
            else:
                print(exc.code, file=sys.stderr)
                code = 1
        except BaseException:
            traceback.print_exc()
            code = 1
        threading._shutdown()  # then what the interpreter does on its way out
        atexit._run_exitfuncs()
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                code = code or 120
        os.write(status, b"%d" % code)
    finally:
        os._exit(code)
"""


class _Zygote:
    """One warm interpreter per test process, started on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._channel: socket.socket | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._env: dict[str, str] = {}

    def _start(self) -> socket.socket:
        ours, theirs = socket.socketpair()
        os.set_inheritable(theirs.fileno(), True)
        self._env = dict(os.environ)
        self._process = subprocess.Popen(
            [sys.executable, "-c", _ZYGOTE, str(theirs.fileno()), *_PRELOAD],
            pass_fds=(theirs.fileno(),),
            stdin=subprocess.DEVNULL,
        )
        theirs.close()
        self._channel = ours
        return ours

    def fork(self, args: list[str], env: dict[str, str], cwd: Path) -> tuple[int, int, int, int]:
        """Start the command; return its pid and our ends of its stdout, stderr and status."""
        pipes = [os.pipe() for _ in range(3)]
        stdin = os.open(os.devnull, os.O_RDONLY)
        theirs = [stdin, pipes[0][1], pipes[1][1], pipes[2][1]]
        request = json.dumps({"args": args, "env": env, "cwd": str(cwd)}).encode()
        try:
            with self._lock:
                channel = self._channel or self._start()
                socket.send_fds(channel, [request], theirs)
                answer = b""
                while not answer.endswith(b"\n"):
                    part = channel.recv(64)
                    if not part:
                        raise RuntimeError("the CLI zygote ended")
                    answer += part
        finally:
            for fd in theirs:
                os.close(fd)
        return int(answer), pipes[0][0], pipes[1][0], pipes[2][0]

    def can_run(self, env: dict[str, str]) -> bool:
        """Whether a fork of the zygote is the process ``env`` asks for: the interpreter's
        own settings (``PYTHON*``) are read only when it starts (not started yet: it will start
        with this process's environment)."""
        started_with = self._env if self._channel is not None else os.environ
        ours = {k: v for k, v in started_with.items() if k.startswith("PYTHON")}
        return ours == {k: v for k, v in env.items() if k.startswith("PYTHON")}


_zygote = _Zygote()


def _read_all(fd: int, into: list[bytes]) -> None:
    with os.fdopen(fd, "rb") as stream:
        into.append(stream.read())


def run_pactshare(
    args: list[str], env: dict[str, str], cwd: Path | None, timeout: float
) -> subprocess.CompletedProcess[str]:
    """``python -m pactshare *args`` with ``env`` in ``cwd``: its exit code and output as text
    (stdin is empty); killed after ``timeout`` seconds (subprocess.TimeoutExpired)."""
    folder = cwd or Path.cwd()
    if not _zygote.can_run(env):
        return subprocess.run(
            [sys.executable, "-m", "pactshare", *args],
            capture_output=True,
            text=True,
            check=False,
            env=env,
            timeout=timeout,
            cwd=folder,
            stdin=subprocess.DEVNULL,
        )
    pid, stdout, stderr, status = _zygote.fork(args, env, folder)
    out: list[bytes] = []
    err: list[bytes] = []
    readers = [
        threading.Thread(target=_read_all, args=(fd, into), daemon=True)
        for fd, into in ((stdout, out), (stderr, err))
    ]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join(timeout)
    if any(reader.is_alive() for reader in readers):
        os.kill(pid, 9)
        os.close(status)
        raise subprocess.TimeoutExpired(["pactshare", *args], timeout)
    with os.fdopen(status, "rb") as ended:
        written = ended.read()
    code = int(written) if written else -9  # killed before it could say
    return subprocess.CompletedProcess(["pactshare", *args], code, _text(out), _text(err))


def _text(chunks: list[bytes]) -> str:
    """Output as ``subprocess.run(text=True)`` gives it: the locale's encoding, universal
    newlines."""
    return io.TextIOWrapper(io.BytesIO(b"".join(chunks))).read()
