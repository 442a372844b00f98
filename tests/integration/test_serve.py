"""`remoto serve`: one process, a whole node; every service it prints answers."""

import re
import signal
import socket
import subprocess
import time

import pytest

from conftest import REMOTO_BIN, run_remoto

SERVICE = re.compile(r"^\s+(http hello|tcp echo|udp echo|chat)\s+listening on ([\d.]+):(\d+)$")


@pytest.fixture
def node():
    proc = subprocess.Popen([REMOTO_BIN, "serve", "--http-port", "0", "--echo-port", "0",
                             "--udp-port", "0", "--chat-port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ports, lines = {}, []
    deadline = time.monotonic() + 10
    while len(ports) < 4 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        m = SERVICE.match(line.rstrip("\n"))
        if m:
            ports[m.group(1)] = int(m.group(3))
    assert len(ports) == 4, f"serve printed {lines!r}, stderr {proc.stderr.read()!r}"
    yield proc, ports, lines
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 0


def test_serve_prints_what_to_try(node):
    proc, ports, lines = node
    text = "".join(lines)
    assert f"curl http://127.0.0.1:{ports['http hello']}/" in text
    assert f"tcp connect 127.0.0.1 {ports['tcp echo']}" in text
    assert f"udp send 127.0.0.1 {ports['udp echo']} hola" in text


def test_every_service_answers(node):
    proc, ports, _ = node
    out = subprocess.run(["curl", "-s", f"http://127.0.0.1:{ports['http hello']}/"],
                         capture_output=True, timeout=10)
    assert out.stdout == b"Hello, cliente!"

    done = run_remoto("tcp", "connect", "127.0.0.1", ports["tcp echo"], input=b"hola\n")
    assert done.returncode == 0 and done.stdout == b"hola\n"

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(5)
        s.sendto(b"ping", ("127.0.0.1", ports["udp echo"]))
        assert s.recvfrom(100)[0] == b"ping"

    with socket.create_connection(("127.0.0.1", ports["chat"]), timeout=5) as a, \
            socket.create_connection(("127.0.0.1", ports["chat"]), timeout=5) as b:
        a.sendall(b"alice\n")
        b.sendall(b"bob\n")
        fa, fb = a.makefile("rb"), b.makefile("rb")
        # wait until bob's join reached alice, then talk
        while b"bob" not in fa.readline():
            pass
        a.sendall(b"hola bob\n")
        while True:
            line = fb.readline()
            assert line, "chat closed"
            if line == b"alice: hola bob\n":
                break


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_stops_cleanly(node, sig):
    proc, ports, _ = node
    held = socket.create_connection(("127.0.0.1", ports["http hello"]), timeout=5)
    begin = time.monotonic()
    proc.send_signal(sig)
    assert proc.wait(timeout=5) == 0
    assert time.monotonic() - begin < 5
    held.close()


def test_usage_error_exits_2():
    done = run_remoto("serve", "--no-such-option")
    assert done.returncode == 2
    assert b"--http-port" in done.stderr
