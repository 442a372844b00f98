"""Runs each course example (examples/NN_name.cpp) and checks what it prints.

Servers bind port 0 and print "listening on 127.0.0.1:PORT"; the test reads that line, then
runs the matching client example (or a Python peer) against the port. The example binaries
sit in the build tree next to remoto: <build>/examples/example_NN_name.
"""

import os
import re
import selectors
import socket
import subprocess
import time
from pathlib import Path

import pytest

REMOTO = Path(os.environ.get("REMOTO_BIN", "remoto")).resolve()
EXAMPLES = REMOTO.parent.parent.parent / "examples"  # <build>/apps/remoto/remoto -> <build>
TIMEOUT = 20


def example(name):
    path = EXAMPLES / f"example_{name}"
    if not path.exists():
        pytest.skip(f"{path} not built (REMOTO_EXAMPLES=OFF?)")
    return str(path)


def run(name, *args):
    result = subprocess.run([example(name), *map(str, args)], capture_output=True, text=True,
                            timeout=TIMEOUT)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return result.stdout.splitlines()


class Server:
    """A server example in the background; port is read from its first line."""

    def __init__(self, name, *args):
        self.proc = subprocess.Popen([example(name), *map(str, args)], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        line = self._readline(TIMEOUT)
        match = re.fullmatch(r"listening on 127\.0\.0\.1:(\d+)\n", line)
        assert match, f"unexpected first line {line!r}"
        self.port = int(match.group(1))

    def _readline(self, timeout):
        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            if not sel.select(timeout):
                raise AssertionError("server printed nothing in time")
        return self.proc.stdout.readline()

    def finish(self):
        """Waits for the server to exit on its own; returns the rest of its output lines."""
        out, err = self.proc.communicate(timeout=TIMEOUT)
        assert self.proc.returncode == 0, err
        assert err == ""
        return out.splitlines()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.communicate()


def test_01_threads():
    out = run("01_threads")
    for thread in (1, 2, 3):
        own = [line for line in out if line.startswith(f"thread {thread}:")]
        assert own == [f"thread {thread}: step {s}" for s in (1, 2, 3)] + [f"thread {thread}: done"]
        assert f"main: started thread {thread}" in out
    assert out[-1] == "main: all 3 threads joined"
    assert len(out) == 3 * 4 + 3 + 1


def test_02_address():
    out = run("02_address")
    reverse = socket.getnameinfo(("127.0.0.1", 0), socket.NI_NAMEREQD)[0]
    assert out[0] == f"this machine is called {socket.gethostname()}"
    assert "localhost -> 127.0.0.1 (IPv4), loopback" in out
    assert "parsed 2001:0DB8:0000:0000:0000:0000:0000:0001 -> 2001:db8::1" in out
    assert "bytes c0 a8 00 01 -> 192.168.0.1 (site-local, a private network)" in out
    assert "bytes of ::1 -> " + " ".join(["00"] * 15 + ["01"]) in out
    assert f"127.0.0.1 is called {reverse}" in out
    assert out[-1].startswith("no.such.host.invalid -> error: ")


def test_03_server_with_04_client():
    with Server("03_tcp_server") as server:
        client = run("04_tcp_client", "127.0.0.1", server.port, "one", "two words")
        out = server.finish()
    assert client[0] == f"connected to 127.0.0.1:{server.port} from " + client[0].split()[-1]
    assert client[1:] == ["sent: one | got back: one", "sent: two words | got back: two words",
                          "connection closed"]
    client_end = client[0].split()[-1]
    assert out == [f"client connected from {client_end}", "received: one", "received: two words",
                   "client closed the connection; server done"]


def test_03_server_reassembles_lines_from_a_stream():
    # TCP carries bytes, not messages: a line split over two sends is still one line.
    with Server("03_tcp_server") as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT) as s:
            s.sendall(b"hel")
            time.sleep(0.05)
            s.sendall(b"lo\nworld\n")
            got = b""
            while got.count(b"\n") < 2:
                got += s.recv(100)
            assert got == b"hello\nworld\n"
        out = server.finish()
    assert out[1:] == ["received: hello", "received: world",
                       "client closed the connection; server done"]


def test_04_client_alone():
    out = run("04_tcp_client")
    assert re.fullmatch(r"no server given: started an echo server on 127\.0\.0\.1:\d+", out[0])
    assert out[1].startswith("connected to 127.0.0.1:")
    assert out[2:] == ["sent: hello, server | got back: hello, server",
                       "sent: how are you? | got back: how are you?", "sent: bye | got back: bye",
                       "connection closed"]


def test_05_serves_clients_at_the_same_time():
    with Server("05_thread_per_client", 0, 3) as server:
        clients = [socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT)
                   for _ in range(3)]
        # Talk to the last client first: a one-at-a-time server would never answer it while
        # the first connection sits idle.
        for number, s in reversed(list(enumerate(clients, 1))):
            s.sendall(f"from client {number}\n".encode())
            assert s.makefile("rb").readline() == f"from client {number}\n".encode()
        for s in clients:
            s.close()
        out = server.finish()
    assert out[-1] == "served 3 clients; server done"
    threads = {}
    for number in (1, 2, 3):
        assert sum(line.startswith(f"client {number} connected from 127.0.0.1:") for line in out) == 1
        assert f"client {number} disconnected" in out
        [line] = [l for l in out if l.startswith(f"client {number} (thread ")]
        match = re.fullmatch(rf"client {number} \(thread (\d+)\): from client {number}", line)
        assert match, line
        threads[number] = match.group(1)
    assert len(set(threads.values())) == 3, "each client gets a thread of its own"


def test_05_with_04_clients():
    with Server("05_thread_per_client", 0, 2) as server:
        for _ in range(2):
            client = run("04_tcp_client", "127.0.0.1", server.port, "ping")
            assert client[1:] == ["sent: ping | got back: ping", "connection closed"]
        out = server.finish()
    assert out[-1] == "served 2 clients; server done"


def test_06_receiver_with_07_sender():
    with Server("06_udp_receiver") as receiver:
        sender = run("07_udp_sender", "127.0.0.1", receiver.port, "alpha", "beta gamma", "delta")
        out = receiver.finish()
    assert sender == [f"sent to 127.0.0.1:{receiver.port}: {m}"
                      for m in ("alpha", "beta gamma", "delta")]
    assert len(out) == 4
    source = re.fullmatch(r"datagram 1 from (127\.0\.0\.1:\d+): alpha", out[0]).group(1)
    assert out[1:] == [f"datagram 2 from {source}: beta gamma", f"datagram 3 from {source}: delta",
                       "received 3 datagrams; receiver done"]


def test_06_keeps_datagram_boundaries():
    with Server("06_udp_receiver", 0, 2) as receiver:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", 0))
            s.sendto(b"one\ntwo", ("127.0.0.1", receiver.port))
            s.sendto(b"three", ("127.0.0.1", receiver.port))
            me = "127.0.0.1:%d" % s.getsockname()[1]
            out = receiver.finish()
    assert out == [f"datagram 1 from {me}: one", "two", f"datagram 2 from {me}: three",
                   "received 2 datagrams; receiver done"]


def test_07_sender_alone():
    out = run("07_udp_sender")
    port = re.fullmatch(r"no receiver given: started one on 127\.0\.0\.1:(\d+)", out[0]).group(1)
    messages = ("first datagram", "second datagram", "third datagram")
    sent = [line for line in out if line.startswith("sent to ")]
    got = [line for line in out if line.startswith("receiver got from ")]
    assert sent == [f"sent to 127.0.0.1:{port}: {m}" for m in messages]
    assert [line.split(": ", 1)[1] for line in got] == list(messages)
    assert len(out) == 7


def test_08_values_round_trip_through_every_serializer():
    text = "\n".join(run("08_values")) + "\n"
    assert "repr:    {'triangle': [{'x': 0.0, 'y': 0.0}, {'x': 1.0, 'y': 0.0}," in text
    for name in ("serpent", "json", "marshal", "msgpack"):
        assert re.search(rf"^{name} +\d+ bytes, triangle\[1\].x = 1$", text, re.M), text
    assert "error:   item 1: expected int, got str" in text
    # What the example writes, Python's serpent reads back as the same value.
    serpent_text = text.split("serpent: ", 1)[1].split("\nerror:", 1)[0]
    check = subprocess.run(
        ["/usr/bin/python3", "-c",
         "import serpent,sys; v=serpent.loads(sys.stdin.buffer.read()); "
         "assert v == {'triangle': [{'x': 0.0, 'y': 0.0}, {'x': 1.0, 'y': 0.0}, "
         "{'x': 0.0, 'y': 1.0}]}, v"],
        input=serpent_text.encode(), capture_output=True, timeout=30)
    assert check.returncode == 0, check.stderr
