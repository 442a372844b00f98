"""Shared helpers for the integration tests: run the built `remoto` (env REMOTO_BIN).

Servers:  `start_remoto` is a factory fixture. `start_remoto("hello", "-p", "0")` starts
`remoto hello -p 0` (pass port 0 yourself: the fixture does not know each subcommand's
options), waits up to 10 s for its "listening on HOST:PORT" line and returns a RemotoServer with
.host, .port, .proc and .output (the lines printed after the listening line, collected by a
background thread). At teardown every server still running gets SIGTERM and must exit with
status 0 within 5 s; a server a test stopped itself (server.stop(signal.SIGINT)) is checked by
that call instead.

    def test_something(start_remoto):
        server = start_remoto("tcp", "echo", "-p", "0")
        with socket.create_connection((server.host, server.port)) as s: ...

Commands:  `run_remoto("tcp", "connect", "127.0.0.1", "1", input=b"")` runs a command to its
end (10 s timeout by default) and returns the subprocess.CompletedProcess (bytes).
"""

import os
import re
import selectors
import signal
import subprocess
import tempfile
import threading
import time

import pytest

REMOTO_BIN = os.environ.get("REMOTO_BIN", "remoto")
LISTENING = re.compile(r"listening on (\[[^\]]+\]|[^:\s]+):(\d+)")


class RemotoServer:
    """A `remoto` subcommand running in the background; see the module docstring."""

    def __init__(self, args, ready_timeout=10.0):
        self.args = [str(a) for a in args]
        self._stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([REMOTO_BIN, *self.args], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=self._stderr)
        self.output = []
        line = self._read_listening_line(ready_timeout)
        match = LISTENING.search(line)
        if not match:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"remoto {' '.join(self.args)}: expected 'listening on "
                                 f"HOST:PORT', got {line!r}; stderr: {self.stderr()!r}")
        self.listening_line = line.rstrip("\n")
        self.host = match.group(1).strip("[]")
        self.port = int(match.group(2))
        # Keep draining stdout so a chatty server never blocks on a full pipe.
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _read_listening_line(self, timeout):
        deadline = time.monotonic() + timeout
        data = b""
        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            while not data.endswith(b"\n"):
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(left):
                    self.proc.kill()
                    self.proc.wait()
                    raise AssertionError(f"remoto {' '.join(self.args)}: no listening line "
                                         f"within {timeout}s; stderr: {self.stderr()!r}")
                chunk = os.read(self.proc.stdout.fileno(), 1)
                if not chunk:
                    self.proc.wait()
                    raise AssertionError(f"remoto {' '.join(self.args)} exited with "
                                         f"{self.proc.returncode} before listening; stderr: "
                                         f"{self.stderr()!r}")
                data += chunk
        return data.decode()

    def _drain(self):
        for line in self.proc.stdout:
            self.output.append(line.decode(errors="replace").rstrip("\n"))

    def stderr(self):
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")

    def stop(self, sig=signal.SIGTERM, timeout=5.0):
        """Sends `sig`; asserts the server exits with status 0 within `timeout` seconds.
        Returns the seconds it took."""
        begin = time.monotonic()
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"remoto {' '.join(self.args)} still running {timeout}s "
                                 f"after signal {sig}")
        assert code == 0, f"remoto {' '.join(self.args)} exited with {code}: {self.stderr()}"
        return time.monotonic() - begin


@pytest.fixture
def start_remoto():
    servers = []

    def start(*args, ready_timeout=10.0):
        server = RemotoServer(args, ready_timeout)
        servers.append(server)
        return server

    yield start
    errors = []
    for server in servers:
        if server.proc.returncode is not None:
            continue
        try:
            server.stop()
        except AssertionError as e:
            errors.append(str(e))
    assert not errors, errors


def run_remoto(*args, input=None, timeout=10.0):
    return subprocess.run([REMOTO_BIN, *map(str, args)], input=input, capture_output=True,
                          timeout=timeout)
