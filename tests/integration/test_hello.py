"""`remoto hello`: the HTTP hello server under both connection models, checked with curl,
Python's http.client, raw sockets and wrk."""

import http.client
import re
import shutil
import signal
import socket
import subprocess
import time

import pytest

from conftest import run_remoto

# The connection models, the event model with each of its drivers (auto: io_uring where the
# kernel has it).
MODELS = {
    "event": ["--model", "event"],
    "event-asio": ["--model", "event", "--backend", "asio"],
    "thread": ["--model", "thread"],
}
BODY = b"Hello, cliente!"
OK = (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 15\r\n\r\n" + BODY)
GET = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"


@pytest.fixture(params=list(MODELS))
def hello(request, start_remoto):
    """A `remoto hello` on a free port, once per connection model."""
    return start_remoto("hello", "-p", "0", *MODELS[request.param], "--threads", "2")


def connect(server, timeout=5.0):
    return socket.create_connection((server.host, server.port), timeout=timeout)


def receive_until_closed(sock, limit=1 << 20):
    data = b""
    while len(data) < limit:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    return data


def receive_exactly(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        assert chunk, f"connection closed after {len(data)} of {n} bytes: {data!r}"
        data += chunk
    return data


def test_listening_line_names_a_real_port(hello):
    assert re.fullmatch(r"listening on 127\.0\.0\.1:\d+", hello.listening_line)
    assert hello.port != 0


def test_curl_get(hello):
    result = subprocess.run(["curl", "-sS", "-i", "--max-time", "5",
                             f"http://127.0.0.1:{hello.port}/any/path?x=1"],
                            capture_output=True, timeout=10)
    assert result.returncode == 0, result.stderr
    head, body = result.stdout.split(b"\r\n\r\n", 1)
    lines = head.split(b"\r\n")
    assert lines[0] == b"HTTP/1.1 200 OK"
    assert b"Content-Type: text/plain" in lines
    assert b"Content-Length: 15" in lines
    assert body == BODY


def test_http_client_keep_alive(hello):
    conn = http.client.HTTPConnection("127.0.0.1", hello.port, timeout=5)
    sock = None
    for i in range(5):
        conn.request("GET", f"/{i}")
        response = conn.getresponse()
        assert response.status == 200
        assert response.getheader("Content-Length") == "15"
        assert response.read() == BODY
        assert not response.will_close
        if sock is None:
            sock = conn.sock
        assert conn.sock is sock, "the connection was not reused"
    conn.close()


def test_pipelining(hello):
    with connect(hello) as sock:
        sock.sendall(GET * 16)
        assert receive_exactly(sock, 16 * len(OK)) == OK * 16


def test_http10_closes_unless_keep_alive(hello):
    with connect(hello) as sock:
        sock.sendall(b"GET / HTTP/1.0\r\n\r\n")
        reply = receive_until_closed(sock)
    assert reply.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"\r\nConnection: close\r\n" in reply
    assert reply.endswith(BODY)

    with connect(hello) as sock:
        request = b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
        for _ in range(3):
            sock.sendall(request)
            head = b""
            while not head.endswith(b"\r\n\r\n"):
                head += receive_exactly(sock, 1)
            assert b"\r\nConnection: keep-alive\r\n" in head
            assert receive_exactly(sock, 15) == BODY


def test_connection_close(hello):
    with connect(hello) as sock:
        # The second request must not be answered.
        sock.sendall(b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n" + GET)
        reply = receive_until_closed(sock)
    assert reply.count(b"HTTP/1.1 ") == 1
    assert b"\r\nConnection: close\r\n" in reply


CLOSE_GET = b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n"
CLOSE_OK = (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 15\r\n"
            b"Connection: close\r\n\r\n" + BODY)


def test_connection_close_alone_gets_the_reply_then_eof(hello):
    for _ in range(20):
        with connect(hello) as sock:
            sock.sendall(CLOSE_GET)
            assert receive_until_clean_eof(sock) == CLOSE_OK


def receive_until_clean_eof(sock):
    """Like receive_until_closed, but a reset fails the test."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


@pytest.mark.parametrize("extra", [b"x", GET * 50, b"y" * 300000],
                         ids=["one-byte", "pipelined", "300kB"])
def test_connection_close_with_unread_input_still_gets_the_whole_reply(hello, extra):
    # The server closes with input it never reads: that must not reset the connection
    # (a reset can destroy the reply before the client reads it).
    with connect(hello) as sock:
        sock.sendall(CLOSE_GET + extra)
        time.sleep(0.1)  # a reset, if any, arrives before we read
        assert receive_until_clean_eof(sock) == CLOSE_OK


def test_connection_close_with_a_body_still_on_its_way(hello):
    with connect(hello) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nConnection: close\r\nContent-Length: 20000\r\n\r\n")
        reply = receive_exactly(sock, 40)
        sock.sendall(b"z" * 20000)  # after the reply: read and discarded, no reset
        reply += receive_until_clean_eof(sock)
    assert reply.startswith(b"HTTP/1.1 405 Method Not Allowed\r\n")
    assert b"\r\nConnection: close\r\n" in reply


def test_head_has_no_body(hello):
    conn = http.client.HTTPConnection("127.0.0.1", hello.port, timeout=5)
    conn.request("HEAD", "/")
    response = conn.getresponse()
    assert response.status == 200
    assert response.getheader("Content-Length") == "15"
    assert response.read() == b""
    # The connection stays usable: no stray body bytes.
    conn.request("GET", "/")
    assert conn.getresponse().read() == BODY
    conn.close()


def test_post_gets_405_and_the_body_is_skipped(hello):
    conn = http.client.HTTPConnection("127.0.0.1", hello.port, timeout=5)
    conn.request("POST", "/", body=b"x" * 100000)
    response = conn.getresponse()
    assert response.status == 405
    assert response.getheader("Allow") == "GET, HEAD"
    response.read()
    conn.request("GET", "/")
    assert conn.getresponse().read() == BODY
    conn.close()


@pytest.mark.parametrize("request_bytes", [
    b"HELLO\r\n\r\n",
    b"GET /\r\n\r\n",
    b"GET / HTTP/2.0\r\n\r\n",
    b"GET / HTTP/1.1 extra\r\n\r\n",
], ids=["one-word", "two-parts", "http2", "four-parts"])
def test_malformed_request_line_gets_400_and_close(hello, request_bytes):
    with connect(hello) as sock:
        sock.sendall(request_bytes)
        reply = receive_until_closed(sock)
    assert reply.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert b"\r\nConnection: close\r\n" in reply


def test_header_without_colon_gets_400(hello):
    with connect(hello) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost localhost\r\n\r\n")
        reply = receive_until_closed(sock)
    assert reply.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert b"header line without a colon" in reply


def test_invalid_field_name_gets_400(hello):
    with connect(hello) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nBad Name: x\r\n\r\n")
        reply = receive_until_closed(sock)
    assert reply.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert b"invalid header field name" in reply


def test_oversized_head_gets_431(hello):
    with connect(hello) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nX-Big: " + b"a" * (17 * 1024) + b"\r\n\r\n")
        reply = receive_until_closed(sock)
    assert reply.startswith(b"HTTP/1.1 431 Request Header Fields Too Large\r\n")


def test_chunked_body_gets_411(hello):
    with connect(hello) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
        reply = receive_until_closed(sock)
    assert reply.startswith(b"HTTP/1.1 411 Length Required\r\n")


@pytest.mark.parametrize("model", MODELS)
def test_slowloris_is_dropped_without_delaying_others(start_remoto, model):
    server = start_remoto("hello", "-p", "0", *MODELS[model], "--idle-timeout", "0.5")
    slow = connect(server)
    slow.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")  # and never the rest
    begin = time.monotonic()
    with connect(server) as fast:
        for _ in range(3):
            fast.sendall(GET)
            assert receive_exactly(fast, len(OK)) == OK
    assert time.monotonic() - begin < 0.4, "the slow client delayed the fast one"
    slow.settimeout(3)
    assert receive_until_closed(slow) == b""  # closed without an answer
    assert 0.4 < time.monotonic() - begin < 2.5
    slow.close()


def test_thread_model_turns_away_clients_over_the_limit(start_remoto):
    server = start_remoto("hello", "-p", "0", "--model", "thread", "--max-clients", "2")
    held = [connect(server), connect(server)]
    for sock in held:
        sock.sendall(GET)
        assert receive_exactly(sock, len(OK)) == OK
    with connect(server) as extra:
        extra.sendall(GET)
        reply = receive_until_closed(extra)
    assert reply.startswith(b"HTTP/1.1 503 Service Unavailable\r\n")
    held[0].close()
    # Once a slot is free, clients are served again.
    deadline = time.monotonic() + 3
    while True:
        with connect(server) as sock:
            sock.sendall(GET)
            reply = receive_until_closed(sock, len(OK))
        if reply == OK or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert reply == OK
    held[1].close()


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk not installed")
def test_wrk_short_run_has_no_errors(hello):
    result = subprocess.run(["wrk", "-t1", "-c10", "-d1s", f"http://127.0.0.1:{hello.port}/"],
                            capture_output=True, text=True, timeout=20)
    assert result.returncode == 0, result.stderr
    assert "Socket errors" not in result.stdout, result.stdout
    assert "Non-2xx" not in result.stdout, result.stdout
    requests = int(re.search(r"(\d+) requests in", result.stdout).group(1))
    assert requests > 100, result.stdout


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_stops_cleanly_with_clients_connected(start_remoto, model, sig):
    server = start_remoto("hello", "-p", "0", *MODELS[model])
    clients = [connect(server) for _ in range(5)]
    clients[0].sendall(GET)
    assert receive_exactly(clients[0], len(OK)) == OK
    clients[1].sendall(b"GET / HTTP/1.1\r\n")  # half a request
    assert server.stop(sig) < 5
    for sock in clients:
        sock.close()


def test_ipv6(start_remoto):
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback")
    server = start_remoto("hello", "-H", "::1", "-p", "0")
    assert re.fullmatch(r"listening on \[::1\]:\d+", server.listening_line)
    with socket.create_connection(("::1", server.port), timeout=5) as sock:
        sock.sendall(GET)
        assert receive_exactly(sock, len(OK)) == OK


@pytest.mark.parametrize("args", [
    ["--no-such-option"],
    ["-p"],
    ["--model", "fork"],
    ["--backend", "epoll"],
    ["-p", "notaport"],
    ["extra-argument"],
])
def test_usage_errors_exit_2(args):
    result = run_remoto("hello", *args)
    assert result.returncode == 2
    assert b"Usage" in result.stderr or b"usage" in result.stderr
    assert result.stdout == b""


def test_help_exits_0():
    result = run_remoto("hello", "--help")
    assert result.returncode == 0
    assert b"--model" in result.stdout
    assert b"--backend" in result.stdout


@pytest.mark.parametrize("model", MODELS)
def test_port_in_use_is_a_clear_error(start_remoto, model):
    server = start_remoto("hello", "-p", "0", *MODELS[model])
    result = run_remoto("hello", "-p", server.port, *MODELS[model])
    assert result.returncode == 1
    assert f"127.0.0.1:{server.port}".encode() in result.stderr
    assert b"Address already in use" in result.stderr
