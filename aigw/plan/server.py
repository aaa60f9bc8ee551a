"""A plan fork server: `python -m aigw.plan.server SOCKET`, for many plans in a row.

Each stack plan is a fresh `python -m aigw.plan.runner FILE` process, and most of its second is
importing pulumi and pulumi_cloudflare. The server imports them once, in a clean single-threaded
process (no plan run, no Pulumi runtime configured, no thread started), then listens on the Unix
socket SOCKET and forks one child per request: the child is that freshly imported process, and
runs the runner exactly as `python -m aigw.plan.runner ARGS` would (same stdout, stderr and exit
status). With ``AIGW_PLAN_SERVER=SOCKET`` in the environment, `aigw` sends its per-stack plans
there instead of starting Python (aigw/plan/__init__.py); the test suite uses it.

A request is one JSON document ``{"argv": [...], "cwd": DIR, "env": {...}}`` after a 4-byte length;
the reply is ``{"returncode": N, "stdout": TEXT, "stderr": TEXT}`` the same way. The child chdirs
to ``cwd`` and replaces ``os.environ`` with ``env`` before the runner starts: nothing the runner
imports reads the environment at import time (pulumi reads PULUMI_CONFIG* and
PULUMI_ENABLE_LEGACY_APPLY when the runtime is configured, the policy reads AIGW_TODAY when it
judges), so the child honours the request's environment as a fresh process would. Interpreter
options (PYTHONPATH, -X, PYTHONHASHSEED) are the server's own: it runs the code it imported when it
started.

The server also runs the `aigw` command line itself (``"program": "aigw"`` in the request, with
``"argv0"``: the `aigw` script's path): the child runs ``aigw.cli.main`` as the console script would
(``sys.argv[0]`` that path, ``sys.path[0]`` its directory, stdin /dev/null, the interpreter's default
warning filters, the collector on, atexit handlers run at the end), so a test can run `aigw ...` without
paying Python's start and the CLI's imports each time. A request it cannot honour as a fresh process
would (PYTHONWARNINGS set, or importing the CLI warned when the server started) is refused
(``{"refused": REASON}``: :func:`request_cli` raises CliRefused) and the caller runs a real process.

This module imports nothing heavy at import time: :func:`request` is the client `aigw` uses.
"""

from __future__ import annotations

import json
import os
import socket
import struct
import sys
from typing import Any

_LENGTH = struct.Struct("!I")
# The warning filters the server imports under: those `aigw` gives every plan process (aigw/plan/__init__.py).
IMPORT_WARNINGS = "ignore"


class ServerUnreachable(OSError):
    """The socket could not be reached, or the server ended the conversation without a reply."""


class CliRefused(Exception):
    """The server cannot run this `aigw` request as a fresh process would (``str()`` says why)."""


# The command line, and the modules its commands import when they run.
CLI_IMPORTS = ("aigw.cli", "aigw.plan.format", "aigw.check", "aigw.check.format", "aigw.check.config", "aigw.review",
               "aigw.review.render", "aigw.review.git", "aigw.review.compare", "aigw.live.client", "aigw.live.drift",
               "aigw.live.audit", "aigw.live.importer", "aigw.prove.run", "aigw.prove.checks", "aigw.prove.evidence",
               "aigw.init.write", "aigw.init.project", "cloudflare", "ruamel.yaml")
# Why the server refuses `aigw` requests (None: it runs them): set when it starts (serve()).
_cli_refusal: str | None = "the server has not imported the command line"


def _send(sock: socket.socket, doc: dict[str, Any]) -> None:
    data = json.dumps(doc).encode()
    sock.sendall(_LENGTH.pack(len(data)) + data)


def _receive(sock: socket.socket) -> dict[str, Any] | None:
    def exactly(n: int) -> bytes | None:
        chunks = []
        while n:
            chunk = sock.recv(min(n, 1 << 20))
            if not chunk:
                return None
            chunks.append(chunk)
            n -= len(chunk)
        return b"".join(chunks)

    head = exactly(_LENGTH.size)
    if head is None:
        return None
    body = exactly(_LENGTH.unpack(head)[0])
    return None if body is None else json.loads(body)


def request(path: str, argv: list[str], cwd: str, env: dict[str, str]) -> tuple[int, str, str]:
    """Run the runner with ``argv`` (its arguments, without the program name) in the server at ``path``.

    Returns (returncode, stdout, stderr) as a `python -m aigw.plan.runner` subprocess would;
    ServerUnreachable when the socket cannot be reached or no reply comes.
    """
    reply = _exchange(path, {"argv": argv, "cwd": cwd, "env": env}, None)
    return int(reply["returncode"]), str(reply["stdout"]), str(reply["stderr"])


def request_cli(path: str, argv0: str, argv: list[str], cwd: str, env: dict[str, str],
                timeout: float | None = None) -> tuple[int, str, str]:
    """Run `aigw ARGV` (``argv0``: the `aigw` script's path) in the server at ``path``, as the console script
    would in a fresh process: (returncode, stdout, stderr). CliRefused when the server cannot run it so
    (run a real process then); ServerUnreachable as for :func:`request`; TimeoutError after ``timeout`` s."""
    reply = _exchange(path, {"program": "aigw", "argv0": argv0, "argv": argv, "cwd": cwd, "env": env}, timeout)
    if "refused" in reply:
        raise CliRefused(str(reply["refused"]))
    return int(reply["returncode"]), str(reply["stdout"]), str(reply["stderr"])


def _exchange(path: str, doc: dict[str, Any], timeout: float | None) -> dict[str, Any]:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        try:
            sock.connect(path)
        except OSError as exc:
            raise ServerUnreachable(f"cannot connect: {exc.strerror or exc}") from None
        sock.settimeout(timeout)
        try:
            _send(sock, doc)
            reply = _receive(sock)
        except TimeoutError:
            raise
        except OSError as exc:
            raise ServerUnreachable(f"the conversation failed: {exc.strerror or exc}") from None
    finally:
        sock.close()
    if reply is None:
        raise ServerUnreachable("the server closed the connection without a reply")
    return reply


def _capture() -> tuple[Any, Any]:
    """In the forked child: stdout and stderr (file descriptors 1 and 2 too) into two temporary files."""
    import io
    import tempfile

    out = tempfile.TemporaryFile()
    err = tempfile.TemporaryFile()
    os.dup2(out.fileno(), 1)
    os.dup2(err.fileno(), 2)
    sys.stdout = io.TextIOWrapper(open(1, "wb", closefd=False), encoding="utf-8", line_buffering=False)
    sys.stderr = io.TextIOWrapper(open(2, "wb", closefd=False), encoding="utf-8", errors="backslashreplace",
                                  line_buffering=True)
    return out, err


def _enter(doc: dict[str, Any]) -> None:
    """In the forked child: the request's working directory and environment (and its time zone)."""
    import time

    os.chdir(doc["cwd"])
    os.environ.clear()
    os.environ.update(doc["env"])
    time.tzset()


def _run_request(doc: dict[str, Any]) -> dict[str, Any]:
    """In the forked child: the runner (or, with ``program: aigw``, the command line) as a fresh process would
    run it, its output captured."""
    import warnings

    if doc.get("program") == "aigw":
        return _run_cli(doc)
    from . import runner

    out, err = _capture()
    _enter(doc)
    warnings_option = os.environ.get("PYTHONWARNINGS", "")
    if warnings_option != IMPORT_WARNINGS:
        # Imports ran under the server's filters: a fresh process with other filters could differ
        # (PYTHONWARNINGS=error fails importing pulumi_cloudflare), so it is refused, not approximated.
        sys.stderr.write(f"plan server: PYTHONWARNINGS={warnings_option!r}: the server imported the runner under "
                         f"PYTHONWARNINGS={IMPORT_WARNINGS!r} (as `aigw` runs it): plan in a fresh process instead\n")
        return _captured(1, out, err)
    # What PYTHONWARNINGS sets at interpreter start.
    warnings.resetwarnings()
    for category in (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning):
        warnings.simplefilter("ignore", category, append=True)
    warnings.filterwarnings("default", category=DeprecationWarning, module="__main__")
    warnings._processoptions(  # type: ignore[attr-defined]  # how the interpreter applies -W options
        [o for o in os.environ.get("PYTHONWARNINGS", "").split(",") if o])
    # `python -m` puts the working directory first on sys.path.
    sys.path[0] = os.getcwd()
    argv = [runner.__file__, *doc["argv"]]
    sys.argv = argv
    code = _exit_status(lambda: runner.main(argv))
    return _captured(code or 0, out, err)


# The warning filters of an interpreter started without -W or PYTHONWARNINGS (Python docs, "The Warnings
# Filter": the default filter list of a release build), in the order warnings.filters lists them.
_DEFAULT_FILTERS = (("default", DeprecationWarning, "__main__"), ("ignore", DeprecationWarning, None),
                    ("ignore", PendingDeprecationWarning, None), ("ignore", ImportWarning, None),
                    ("ignore", ResourceWarning, None))


def _default_warnings() -> None:
    import warnings

    warnings.resetwarnings()
    for action, category, module in reversed(_DEFAULT_FILTERS):
        if module is None:
            warnings.simplefilter(action, category)  # type: ignore[arg-type]
        else:
            warnings.filterwarnings(action, category=category, module=module)  # type: ignore[arg-type]


def _run_cli(doc: dict[str, Any]) -> dict[str, Any]:
    """In the forked child: `aigw ARGV` as the console script runs it (``from aigw.cli import main;
    sys.exit(main())``), in a process that imported the command line once."""
    if _cli_refusal is not None:
        return {"refused": _cli_refusal}
    if doc["env"].get("PYTHONWARNINGS"):
        return {"refused": "PYTHONWARNINGS is set: the server imported the command line under the default filters"}
    import atexit
    import gc

    from aigw.cli import main as cli

    out, err = _capture()
    _enter(doc)
    fd = os.open(os.devnull, os.O_RDONLY)
    os.dup2(fd, 0)
    os.close(fd)
    sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115 - the process's stdin, as at start
    _default_warnings()
    gc.set_threshold(700, 10, 10)  # an interpreter's defaults: the runner's import turned the collector off
    gc.enable()
    argv0 = str(doc["argv0"])
    sys.argv = [argv0, *doc["argv"]]
    sys.path[0] = os.path.dirname(argv0)  # a script's directory comes first on sys.path
    # The console script names the program after itself (click: the basename of sys.argv[0]).
    code = _exit_status(lambda: cli.main(args=list(doc["argv"]), prog_name=os.path.basename(argv0)))
    atexit._run_exitfuncs()  # what the interpreter runs before it exits (the server's child leaves by os._exit)
    return _captured(code if isinstance(code, int) else 0, out, err)


def _exit_status(run: Any) -> Any:
    """``run()``'s exit status as the interpreter would make it: SystemExit's code (a message printed,
    status 1), an uncaught exception's traceback and status 1."""
    import traceback

    try:
        return run()
    except SystemExit as exc:
        if exc.code is not None and not isinstance(exc.code, int):
            sys.stderr.write(f"{exc.code}\n")
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001 - as the interpreter reports an uncaught exception
        traceback.print_exc()
        return 1


def _captured(code: int, out: Any, err: Any) -> dict[str, Any]:
    sys.stdout.flush()
    sys.stderr.flush()
    texts = []
    for f in (out, err):
        f.seek(0)
        texts.append(f.read().decode("utf-8", errors="backslashreplace"))
    return {"returncode": code, "stdout": texts[0], "stderr": texts[1]}


def serve(path: str) -> None:
    import gc
    import importlib
    import socketserver
    import warnings

    # The command line first, under an interpreter's default filters, as `aigw` imports it: a warning there
    # would be printed by a fresh `aigw` and not by a child of this server, so `aigw` requests are then refused.
    # With it, what its commands import when they run (the same modules, imported once here).
    global _cli_refusal
    with warnings.catch_warnings(record=True) as caught:
        _default_warnings()
        for name in CLI_IMPORTS:
            importlib.import_module(name)
    _cli_refusal = (f"importing the command line warned ({caught[0].category.__name__}: {caught[0].message})"
                    if caught else None)
    # The filters a plan process imports under (PYTHONWARNINGS=ignore), whatever the server's own.
    warnings.resetwarnings()
    warnings.simplefilter(IMPORT_WARNINGS)
    # Then the runner (it disables the collector while the rest is imported, as in a plan process), then
    # everything a plan imports, once.
    importlib.import_module("aigw.plan.runner")
    for name in ("pulumi", "pulumi_cloudflare", "pulumi.runtime.mocks", "pulumi.runtime.stack",
                 "pulumi.runtime.sync_await", "aigw_policy.values", "aigw.config", "aigw.components.tokens",
                 "aigw.program"):
        importlib.import_module(name)

    gc.collect()
    gc.freeze()

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:  # in the forked child
            doc = _receive(self.request)
            if doc is None:
                return
            try:
                reply = _run_request(doc)
            except BaseException as exc:  # noqa: BLE001 - the client gets a reply, never a hang
                reply = {"returncode": 1, "stdout": "", "stderr": f"plan server: {type(exc).__name__}: {exc}\n"}
            _send(self.request, reply)

    class Server(socketserver.ForkingMixIn, socketserver.UnixStreamServer):
        """Each connection in its own forked child (which exits after it); the parent only accepts."""

    if os.path.exists(path):
        os.unlink(path)
    with Server(path, Handler) as server:
        server.serve_forever(poll_interval=0.5)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        sys.stderr.write("usage: python -m aigw.plan.server SOCKET\n")
        return 2
    try:
        serve(argv[1])
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
