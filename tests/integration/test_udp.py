"""`remoto udp`: the echo server checked from Python sockets, and `udp send` against it."""

import os
import signal
import socket
import time

import pytest

from conftest import run_remoto

MAX_DATAGRAM = 65507


@pytest.fixture(params=[1, 3], ids=["1thread", "3threads"])
def echo(request, start_remoto):
    """A `remoto udp echo` on a free port."""
    return start_remoto("udp", "echo", "-p", "0", "--threads", request.param)


def udp_client(server, timeout=5.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    s.connect((server.host, server.port))
    return s


def free_udp_port():
    """A port nothing listens on (bound then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_listening_line_names_the_default_host(echo):
    assert echo.host == "127.0.0.1"
    assert echo.listening_line == f"listening on 127.0.0.1:{echo.port}"


@pytest.mark.parametrize("size", [0, 1, 1400, MAX_DATAGRAM])
def test_echoes_a_datagram_unchanged(echo, size):
    payload = os.urandom(size)
    with udp_client(echo) as s:
        s.send(payload)
        assert s.recv(65536) == payload


def test_echoes_many_datagrams(echo):
    count = 2000
    received = set()
    with udp_client(echo) as s:
        # In windows of 100, so that loopback buffers never overflow and nothing is lost.
        for start in range(0, count, 100):
            for i in range(start, start + 100):
                s.send(b"datagram %d" % i)
            for _ in range(100):
                received.add(s.recv(100))
    assert received == {b"datagram %d" % i for i in range(count)}


def test_each_sender_gets_its_own_replies(echo):
    clients = [udp_client(echo) for _ in range(5)]
    try:
        for round_ in range(3):
            for i, s in enumerate(clients):
                s.send(b"%d:%d" % (i, round_))
            for i, s in enumerate(clients):
                assert s.recv(100) == b"%d:%d" % (i, round_)
    finally:
        for s in clients:
            s.close()


def test_ipv6_listening_line_uses_brackets(start_remoto):
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback")
    server = start_remoto("udp", "echo", "-H", "::1", "-p", "0")
    assert server.listening_line == f"listening on [::1]:{server.port}"
    with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
        s.settimeout(5)
        s.sendto(b"six", ("::1", server.port))
        assert s.recv(100) == b"six"


def test_send_prints_the_reply(echo):
    result = run_remoto("udp", "send", "127.0.0.1", echo.port, "hello, udp")
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"hello, udp\n"


def test_send_count_prints_each_reply(echo):
    result = run_remoto("udp", "send", "127.0.0.1", echo.port, "ping", "--count", "5")
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"ping\n" * 5


def test_send_empty_message(echo):
    result = run_remoto("udp", "send", "localhost", echo.port, "")
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"\n"


def test_send_without_server_fails_within_the_timeout():
    begin = time.monotonic()
    result = run_remoto("udp", "send", "127.0.0.1", free_udp_port(), "anyone?", "--timeout", "1")
    assert result.returncode == 1
    assert time.monotonic() - begin < 5
    assert result.stdout == b""
    assert b"remoto udp send:" in result.stderr


def test_send_times_out_when_nothing_answers():
    # A bound socket that never answers: no ICMP refusal, so the timeout is what ends it.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        begin = time.monotonic()
        result = run_remoto("udp", "send", "127.0.0.1", silent.getsockname()[1], "hello?",
                            "--timeout", "0.5")
        elapsed = time.monotonic() - begin
        assert silent.recv(100) == b"hello?"
    assert result.returncode == 1
    assert 0.5 <= elapsed < 5
    assert b"no reply" in result.stderr


@pytest.mark.parametrize("args", [
    [],
    ["bogus"],
    ["echo", "--port", "notaport"],
    ["echo", "--threads", "0"],
    ["echo", "--unknown"],
    ["send"],
    ["send", "127.0.0.1"],
    ["send", "127.0.0.1", "7"],
    ["send", "127.0.0.1", "70000", "x"],
    ["send", "127.0.0.1", "7", "x", "--count", "0"],
    ["send", "127.0.0.1", "7", "x", "--timeout", "-1"],
])
def test_usage_errors_exit_2(args):
    result = run_remoto("udp", *args)
    assert result.returncode == 2, result
    assert result.stderr


def test_help_exits_0():
    for args in (["--help"], ["echo", "--help"], ["send", "--help"]):
        result = run_remoto("udp", *args)
        assert result.returncode == 0
        assert b"Usage" in result.stdout


def test_sigint_stops_the_server(start_remoto):
    server = start_remoto("udp", "echo", "-p", "0")
    with udp_client(server) as s:
        s.send(b"x")
        assert s.recv(10) == b"x"
    assert server.stop(signal.SIGINT) < 5


def test_sigterm_stops_a_busy_server(start_remoto):
    server = start_remoto("udp", "echo", "-p", "0", "--threads", "2")
    with udp_client(server) as s:
        s.setblocking(False)
        for _ in range(5000):  # a flood still in flight when the signal comes
            try:
                s.send(b"flood")
            except BlockingIOError:
                pass
        assert server.stop(signal.SIGTERM) < 5


def test_bind_failure_exits_1():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        result = run_remoto("udp", "echo", "-p", taken.getsockname()[1])
    assert result.returncode == 1
    assert b"Address already in use" in result.stderr
