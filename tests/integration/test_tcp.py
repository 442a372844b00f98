"""`remoto tcp echo` (both connection models) and `remoto tcp connect`, the netcat-like client."""

import os
import re
import signal
import socket
import subprocess
import threading

import pytest

from conftest import REMOTO_BIN, run_remoto

# The connection models, the event model with each of its drivers (auto: io_uring where the
# kernel has it).
MODELS = {
    "event": ["--model", "event"],
    "event-asio": ["--model", "event", "--backend", "asio"],
    "thread": ["--model", "thread"],
}


@pytest.fixture(params=list(MODELS))
def echo(request, start_remoto):
    """A `remoto tcp echo` on a free port, once per connection model."""
    return start_remoto("tcp", "echo", "-p", "0", *MODELS[request.param], "--threads", "2")


def echo_round_trip(server, data):
    """Sends `data` from one thread while reading the echo in another (so a large payload
    cannot deadlock on full buffers), then half-closes; returns what came back before the
    server closed."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        def send():
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
        sender = threading.Thread(target=send)
        sender.start()
        chunks = []
        while True:
            chunk = sock.recv(1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
        sender.join()
    return b"".join(chunks)


def test_listening_line(echo):
    assert re.fullmatch(r"listening on 127\.0\.0\.1:\d+", echo.listening_line)


def test_echoes_binary_data(echo):
    data = bytes(range(256)) * 4
    assert echo_round_trip(echo, data) == data


def test_echoes_a_megabyte(echo):
    data = os.urandom(1 << 20)
    assert echo_round_trip(echo, data) == data


def test_many_concurrent_clients(echo):
    results = [None] * 32

    def client(i):
        data = os.urandom(10000 + i)
        results[i] = echo_round_trip(echo, data) == data

    threads = [threading.Thread(target=client, args=(i,)) for i in range(len(results))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert all(results), results


def test_connect_pipes_stdin_and_prints_the_echo(echo):
    text = b"hola, servidor\nsegunda linea\n"
    result = run_remoto("tcp", "connect", "127.0.0.1", echo.port, input=text)
    assert result.returncode == 0, result.stderr
    assert result.stdout == text


def test_connect_with_a_large_input(echo):
    data = os.urandom(3 << 20)
    result = run_remoto("tcp", "connect", "127.0.0.1", echo.port, input=data, timeout=20)
    assert result.returncode == 0, result.stderr
    assert result.stdout == data


def test_connect_exits_when_the_server_closes():
    # A server that says one line and closes without reading: the client must not wait for
    # its stdin to end.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        proc = subprocess.Popen([REMOTO_BIN, "tcp", "connect", "127.0.0.1", str(port)],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        conn, _ = listener.accept()
        conn.sendall(b"bye\n")
        conn.close()
        out, err = proc.communicate(timeout=5)  # stdin still open until communicate closes it
    assert proc.returncode == 0, err
    assert out == b"bye\n"


def test_connect_refused_exits_1_with_a_message():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound but not listening: connections are refused
        result = run_remoto("tcp", "connect", "127.0.0.1", port, input=b"x")
    assert result.returncode == 1
    assert f"127.0.0.1:{port}".encode() in result.stderr
    assert b"Connection refused" in result.stderr


def test_connect_unknown_host_exits_1():
    result = run_remoto("tcp", "connect", "no-such-host.invalid", 7, input=b"")
    assert result.returncode == 1
    assert b"no-such-host.invalid" in result.stderr


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_stops_cleanly_with_clients_connected(start_remoto, model, sig):
    server = start_remoto("tcp", "echo", "-p", "0", *MODELS[model])
    clients = [socket.create_connection(("127.0.0.1", server.port), timeout=5)
               for _ in range(4)]
    clients[0].sendall(b"ping")
    assert clients[0].recv(4) == b"ping"
    assert server.stop(sig) < 5
    for sock in clients:
        sock.close()


def test_ipv6_echo(start_remoto):
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback")
    server = start_remoto("tcp", "echo", "-H", "::1", "-p", "0")
    assert re.fullmatch(r"listening on \[::1\]:\d+", server.listening_line)
    result = run_remoto("tcp", "connect", "::1", server.port, input=b"seis\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"seis\n"


@pytest.mark.parametrize("args", [
    [],
    ["listen"],
    ["echo", "--bogus"],
    ["echo", "--model", "fork"],
    ["echo", "-p"],
    ["connect", "127.0.0.1"],
    ["connect", "127.0.0.1", "notaport"],
])
def test_usage_errors_exit_2(args):
    result = run_remoto("tcp", *args)
    assert result.returncode == 2, result
    assert b"Usage" in result.stderr or b"usage" in result.stderr
