"""`remoto resolve` against what Python's socket module says for the same names and addresses."""

import ipaddress
import os
import socket
import subprocess

import pytest

REMOTO = os.environ.get("REMOTO_BIN", "remoto")
UNKNOWN = "no.such.host.invalid"  # RFC 6761: .invalid never resolves


def resolve(*args, timeout=20):
    return subprocess.run([REMOTO, "resolve", *args], capture_output=True, text=True,
                          timeout=timeout)


def python_addresses(name):
    """Distinct addresses in getaddrinfo's order, as Python prints them."""
    seen = []
    for family, _, _, _, sockaddr in socket.getaddrinfo(name, None):
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        text = sockaddr[0]
        if text not in seen:
            seen.append(text)
    return seen


def lines(text):
    return text.splitlines()


def test_localhost_matches_python():
    result = resolve("localhost")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    out = lines(result.stdout)
    assert out == python_addresses("localhost")
    assert "127.0.0.1" in out
    for text in out:
        assert ipaddress.ip_address(text).is_loopback


def test_several_names_in_order():
    names = ["127.0.0.1", "localhost", "::1", socket.gethostname(), "10.1.2.3"]
    result = resolve(*names)
    assert result.returncode == 0, result.stderr
    expected = [a for name in names for a in python_addresses(name)]
    assert lines(result.stdout) == expected


def test_numeric_addresses_print_canonically():
    result = resolve("2001:DB8:0:0::1", "::ffff:192.168.0.1", "192.168.0.1")
    assert result.returncode == 0, result.stderr
    assert lines(result.stdout) == ["2001:db8::1", "::ffff:192.168.0.1", "192.168.0.1"]


def test_reverse_matches_getnameinfo():
    expected, _ = socket.getnameinfo(("127.0.0.1", 0), socket.NI_NAMEREQD)
    result = resolve("--reverse", "127.0.0.1")
    assert result.returncode == 0, result.stderr
    assert lines(result.stdout) == [expected]
    assert resolve("-r", "127.0.0.1").stdout == result.stdout


def test_reverse_of_nameless_address_fails():
    # TEST-NET-1 (RFC 5737) has no names.
    result = resolve("--reverse", "192.0.2.1", "127.0.0.1")
    assert result.returncode == 2
    assert lines(result.stdout) == [socket.getnameinfo(("127.0.0.1", 0), socket.NI_NAMEREQD)[0]]
    assert result.stderr.startswith("remoto resolve: 192.0.2.1: ")


def test_reverse_needs_an_address():
    result = resolve("--reverse", "localhost")
    assert result.returncode == 2
    assert result.stdout == ""
    assert "localhost" in result.stderr and "not an IP address" in result.stderr


@pytest.mark.parametrize("hex_text,expected", [
    ("C0A80001", "192.168.0.1"),
    ("c0a80001", "192.168.0.1"),
    ("7F000001", "127.0.0.1"),
    ("20010DB8000000000000000000000001", "2001:db8::1"),
    ("00000000000000000000000000000001", "::1"),
    ("00000000000000000000FFFF01020304", "::ffff:1.2.3.4"),
])
def test_bytes(hex_text, expected):
    result = resolve("--bytes", hex_text)
    assert result.returncode == 0, result.stderr
    assert lines(result.stdout) == [expected]
    raw = bytes.fromhex(hex_text)
    family = socket.AF_INET if len(raw) == 4 else socket.AF_INET6
    assert expected == socket.inet_ntop(family, raw)


@pytest.mark.parametrize("bad,why", [
    ("C0A8001", "7 hex digits"),
    ("C0A8000100", "10 hex digits"),
    ("", "0 hex digits"),
    ("C0A8000G", "not a hex digit: 'G'"),
    ("0xC0A80001", "not a hex digit: 'x'"),
    ("20010DB800000000000000000000001", "31 hex digits"),
])
def test_bad_bytes(bad, why):
    result = resolve("-b", bad, "7F000001")
    assert result.returncode == 2
    assert lines(result.stdout) == ["127.0.0.1"]  # the good argument still runs
    assert len(lines(result.stderr)) == 1
    assert result.stderr.startswith(f"remoto resolve: {bad}: ")
    assert why in result.stderr


def test_unknown_host():
    result = resolve(UNKNOWN)
    assert result.returncode == 2
    assert result.stdout == ""
    try:
        socket.getaddrinfo(UNKNOWN, None)
        pytest.skip("this resolver claims to know .invalid")
    except socket.gaierror as e:
        reason = e.strerror
    assert lines(result.stderr) == [f"remoto resolve: {UNKNOWN}: {reason}"]


def test_good_and_bad_names_mixed():
    result = resolve("127.0.0.1", UNKNOWN, "localhost")
    assert result.returncode == 2
    assert lines(result.stdout) == ["127.0.0.1"] + python_addresses("localhost")
    assert len(lines(result.stderr)) == 1
    assert UNKNOWN in result.stderr


def test_local_host_name():
    result = resolve("--local")
    assert result.returncode == 0, result.stderr
    assert lines(result.stdout) == [socket.gethostname()]


@pytest.mark.parametrize("args", [[], ["--no-such-option", "localhost"], ["-r", "-b", "7F000001"]])
def test_usage_errors(args):
    result = resolve(*args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Usage:" in result.stderr


def test_help():
    result = resolve("--help")
    assert result.returncode == 0
    assert "Usage:" in result.stdout
    assert "--reverse" in result.stdout and "--bytes" in result.stdout
