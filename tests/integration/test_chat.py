"""`remoto chat`: the server checked with several Python socket clients, and `chat join`
driven through its stdin and stdout."""

import os
import selectors
import signal
import socket
import subprocess
import time

import pytest

from conftest import REMOTO_BIN, run_remoto


class Client:
    """A line-oriented chat client over a plain socket."""

    def __init__(self, server, nick=None, rcvbuf=None):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(5)
        self.sock.connect((server.host, server.port))
        self.buffer = b""
        if nick:
            self.send(nick)
            assert self.line() == f"* welcome {nick}"
            assert self.line().startswith("* users: ")

    def send(self, text):
        self.sock.sendall(text.encode() + b"\n")

    def line(self, timeout=5.0):
        """The next line, without its newline; None at EOF. Fails after `timeout`."""
        self.sock.settimeout(timeout)
        while b"\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line.decode()

    def silent(self, wait=0.3):
        """True if nothing arrives within `wait` seconds."""
        try:
            self.sock.settimeout(wait)
            chunk = self.sock.recv(65536)
        except socket.timeout:
            return self.buffer == b""
        self.buffer += chunk
        return False

    def closed(self, timeout=5.0):
        """True once the server has closed the connection (unread lines are skipped)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.line(deadline - time.monotonic()) is None:
                    return True
            except socket.timeout:
                return False
            except ConnectionResetError:
                return True
        return False

    def close(self):
        self.sock.close()


@pytest.fixture
def chat(start_remoto):
    return start_remoto("chat", "serve", "-p", "0")


@pytest.fixture
def clients():
    made = []
    yield made
    for c in made:
        c.close()


def join(server, clients, nick, **kw):
    c = Client(server, nick, **kw)
    clients.append(c)
    return c


def test_listening_line(chat):
    assert chat.listening_line == f"listening on 127.0.0.1:{chat.port}"


def test_join_announcements_and_broadcast(chat, clients):
    alice = join(chat, clients, "alice")
    bob = join(chat, clients, "bob")
    assert alice.line() == "* bob joined"
    carol = join(chat, clients, "carol")
    assert alice.line() == "* carol joined"
    assert bob.line() == "* carol joined"
    alice.send("hello everyone")
    assert bob.line() == "alice: hello everyone"
    assert carol.line() == "alice: hello everyone"
    assert alice.silent()  # no echo to the sender


def test_welcome_lists_the_users(chat, clients):
    join(chat, clients, "zed")
    amy = Client(chat)
    clients.append(amy)
    amy.send("amy")
    assert amy.line() == "* welcome amy"
    assert amy.line() == "* users: amy, zed"


def test_duplicate_nick_is_rejected_and_closed(chat, clients):
    alice = join(chat, clients, "alice")
    other = Client(chat)
    clients.append(other)
    other.send("Alice")
    assert other.line() == "error: nick taken"
    assert other.closed()
    assert alice.silent()


@pytest.mark.parametrize("nick", ["", "two words", "x" * 33, "colon:", "/who"])
def test_invalid_nick_is_rejected_and_closed(chat, clients, nick):
    c = Client(chat)
    clients.append(c)
    c.send(nick)
    assert c.line().startswith("error: invalid nick")
    assert c.closed()


def test_private_message(chat, clients):
    alice = join(chat, clients, "alice")
    bob = join(chat, clients, "bob")
    carol = join(chat, clients, "carol")
    alice.send("/msg bob just between us")
    assert bob.line() == "* carol joined"
    assert bob.line() == "alice (private): just between us"
    assert carol.silent()
    alice.send("/msg nobody hello?")
    assert alice.line() == "* bob joined"
    assert alice.line() == "* carol joined"
    assert alice.line() == "error: no such user: nobody"
    alice.send("/msg bob")
    assert alice.line() == "error: usage: /msg NICK text"


def test_who_lists_users(chat, clients):
    bob = join(chat, clients, "bob")
    join(chat, clients, "alice")
    assert bob.line() == "* alice joined"
    bob.send("/who")
    assert bob.line() == "* users: alice, bob"


def test_quit_says_bye_and_others_see_the_leave(chat, clients):
    alice = join(chat, clients, "alice")
    bob = join(chat, clients, "bob")
    assert alice.line() == "* bob joined"
    bob.send("/quit")
    assert bob.line() == "* bye"
    assert bob.closed()
    assert alice.line() == "* bob left"


def test_closing_the_socket_is_a_leave(chat, clients):
    alice = join(chat, clients, "alice")
    bob = Client(chat, "bob")
    assert alice.line() == "* bob joined"
    bob.close()
    assert alice.line() == "* bob left"


def test_unknown_command_and_escaped_slash(chat, clients):
    alice = join(chat, clients, "alice")
    bob = join(chat, clients, "bob")
    alice.send("/dance")
    assert alice.line() == "* bob joined"
    assert alice.line().startswith("error: unknown command: /dance")
    alice.send("//dance")
    assert bob.line() == "alice: /dance"


def test_over_long_line_is_rejected(chat, clients):
    alice = join(chat, clients, "alice")
    bob = join(chat, clients, "bob")
    assert alice.line() == "* bob joined"
    alice.send("x" * 5000)
    assert alice.line() == "error: line too long (max 4096 bytes)"
    alice.send("y" * 4096)  # exactly the limit is fine
    assert bob.line() == "alice: " + "y" * 4096
    alice.send("still here")
    assert bob.line() == "alice: still here"


def test_control_characters_are_neutralised(chat, clients):
    alice = join(chat, clients, "alice")
    bob = join(chat, clients, "bob")
    alice.sock.sendall(b"\x1b[2Jgotcha\r\n")
    assert bob.line() == "alice: ?[2Jgotcha"


def test_a_client_that_never_reads_is_dropped_and_others_keep_chatting(chat, clients):
    alice = join(chat, clients, "alice")
    bob = join(chat, clients, "bob")
    # A small receive window so the kernel buffers fill soon; the server queue does the rest.
    sleepy = join(chat, clients, "sleepy", rcvbuf=4096)
    assert alice.line() == "* bob joined"
    assert alice.line() == "* sleepy joined"
    assert bob.line() == "* sleepy joined"
    text = "m" * 4000
    begin = time.monotonic()
    dropped = False
    sent = 0
    while time.monotonic() - begin < 20 and not dropped:
        # A burst, then bob must have every line promptly: sleepy never slows him down.
        for _ in range(50):
            alice.send(text)
            sent += 1
        for _ in range(50):
            got = bob.line(timeout=2)
            if got == "* sleepy left":
                dropped = True
                got = bob.line(timeout=2)
            assert got == "alice: " + text, f"after {sent} lines"
    assert dropped, f"sleepy not dropped after {sent} lines of {len(text)} bytes"
    assert alice.line() == "* sleepy left"
    bob.send("are we still on?")
    assert alice.line(timeout=2) == "bob: are we still on?"


def test_sigterm_with_clients_connected_exits_0(start_remoto, clients):
    server = start_remoto("chat", "serve", "-p", "0")
    alice = join(server, clients, "alice")
    join(server, clients, "bob")
    half = Client(server)  # connected, no nick yet
    clients.append(half)
    assert alice.line() == "* bob joined"
    assert server.stop(signal.SIGTERM) < 5
    assert alice.closed(2)
    assert half.closed(2)


def test_sigint_exits_0(start_remoto):
    server = start_remoto("chat", "serve", "-p", "0")
    assert server.stop(signal.SIGINT) < 5


def join_process(server, nick):
    return subprocess.Popen([REMOTO_BIN, "chat", "join", server.host, str(server.port), nick],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)


def read_line(proc, timeout=5.0):
    """One line from the process's stdout, or None at EOF; fails after `timeout`."""
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    data = b""
    deadline = time.monotonic() + timeout
    while not data.endswith(b"\n"):
        left = deadline - time.monotonic()
        assert left > 0 and sel.select(left), f"no line within {timeout}s; got {data!r}"
        chunk = os.read(proc.stdout.fileno(), 1)
        if not chunk:
            return None
        data += chunk
    return data.decode().rstrip("\n")


def test_join_relays_stdin_and_stdout(chat, clients):
    alice = join(chat, clients, "alice")
    proc = join_process(chat, "bob")
    try:
        assert read_line(proc) == "* welcome bob"
        assert read_line(proc) == "* users: alice, bob"
        assert alice.line() == "* bob joined"
        proc.stdin.write(b"hi alice\n")
        proc.stdin.flush()
        assert alice.line() == "bob: hi alice"
        alice.send("hi bob")
        assert read_line(proc) == "alice: hi bob"
        proc.stdin.write(b"/msg alice psst\n")
        proc.stdin.flush()
        assert alice.line() == "bob (private): psst"
        proc.stdin.close()  # end of input: join sends /quit and exits
        assert read_line(proc) == "* bye"
        assert proc.wait(timeout=5) == 0
        assert alice.line() == "* bob left"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_join_with_piped_input_and_unterminated_last_line(chat, clients):
    alice = join(chat, clients, "alice")
    result = run_remoto("chat", "join", "127.0.0.1", chat.port, "bob",
                        input=b"first\nsecond without newline")
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode().splitlines()[0] == "* welcome bob"
    assert result.stdout.decode().splitlines()[-1] == "* bye"
    assert alice.line() == "* bob joined"
    assert alice.line() == "bob: first"
    assert alice.line() == "bob: second without newline"
    assert alice.line() == "* bob left"


def test_join_exits_when_the_server_closes(start_remoto):
    server = start_remoto("chat", "serve", "-p", "0")
    proc = join_process(server, "bob")
    try:
        assert read_line(proc) == "* welcome bob"
        assert read_line(proc) == "* users: bob"
        server.stop()
        assert read_line(proc) is None
        assert proc.wait(timeout=5) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_join_with_a_taken_nick_exits_1(chat, clients):
    join(chat, clients, "alice")
    result = run_remoto("chat", "join", "127.0.0.1", chat.port, "alice", input=b"")
    assert result.returncode == 1
    assert result.stdout == b"error: nick taken\n"
    assert b"refused" in result.stderr


def test_join_without_a_server_exits_1():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, not listening: connections are refused
        result = run_remoto("chat", "join", "127.0.0.1", port, "bob", input=b"")
    assert result.returncode == 1
    assert b"Connection refused" in result.stderr


@pytest.mark.parametrize("args", [
    [],
    ["bogus"],
    ["serve", "--port", "x"],
    ["serve", "extra"],
    ["join"],
    ["join", "127.0.0.1", "4000"],
    ["join", "127.0.0.1", "0", "bob"],
    ["join", "127.0.0.1", "4000", "bad nick"],
])
def test_usage_errors_exit_2(args):
    result = run_remoto("chat", *args, input=b"")
    assert result.returncode == 2, result
    assert result.stderr


def test_help_exits_0():
    for args in (["--help"], ["serve", "--help"], ["join", "--help"]):
        result = run_remoto("chat", *args)
        assert result.returncode == 0
        assert b"Usage" in result.stdout
