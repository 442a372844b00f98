"""`remoto convert` against Python's Pyro4 serializers (serpent, json, msgpack, marshal).

Random nested values (fixed seeds) are serialized with Pyro4's own serializer objects
(Pyro4.util.get_serializer(name).dumps), converted by remoto, and loaded again by Pyro4: what
Python loads from remoto's output must equal what it loads from its own. Both directions are
exercised in every conversion: remoto decodes what Python wrote and Python decodes what remoto
wrote. Cross conversions (FROM != TO) must give what Pyro4's TO.dumps(FROM.loads(data)) gives,
and fail (exit 1) exactly where that raises.

Equality is strict: bool is not int, tuple is not list, -0.0 is not 0.0, NaN equals NaN, dict
order counts, sets compare as sets (and a set that json or msgpack turned into a list compares
as a set too, since its order is Python's hash order). Values have no frozenset: remoto reads
one as a set, so the comparison treats frozenset as set.
"""

import marshal
import math
import os
import random
import struct
import subprocess

import msgpack
import pytest
import serpent
from Pyro4.util import get_serializer

REMOTO = os.environ.get("REMOTO_BIN", "remoto")
FORMATS = ["serpent", "json", "msgpack", "marshal"]
PLACEHOLDER = "not built yet"


def convert(src, dst, data, timeout=30):
    result = subprocess.run([REMOTO, "convert", "-f", src, "-t", dst], input=data,
                            capture_output=True, timeout=timeout)
    if result.returncode != 0 and PLACEHOLDER.encode() in result.stderr:
        pytest.skip(f"remoto's {src} or {dst} serializer is still a placeholder")
    return result


# ---- random values ----------------------------------------------------------------------------

class Caps:
    """What one serializer carries from Python to Python (spec §4.8)."""

    def __init__(self, name):
        self.name = name
        self.bytes = name != "json"
        self.complex = name != "json"
        self.surrogates = name in ("marshal", "serpent")  # serpent writes them as \udxxx
        self.frozenset = name in ("marshal", "serpent")
        self.any_keys = name in ("marshal", "serpent")  # json/msgpack: str keys only
        self.nonfinite_complex = name != "serpent"  # Python serpent bug: unparsable
        self.bytes_keys = name == "marshal"  # serpent writes a dict as the key


TEXT_PIECES = [
    "a", "hello", "x y", "'", '"', "\\", "\n", "\t", "\r", "\x00", "\x07", "\x7f", "é", "ü",
    "\xa0", "\xad", "€", "日本", "\u200b", "\u2028", "😀", "\U000e0001", "\U0010ffff", "{}", "#",
]


def gen_str(rng, caps):
    if rng.random() < 0.05:
        return "".join(rng.choice("abc") for _ in range(rng.randint(256, 400)))  # long ASCII
    pieces = [rng.choice(TEXT_PIECES) for _ in range(rng.randint(0, 6))]
    if caps.surrogates and rng.random() < 0.1:
        pieces.insert(rng.randint(0, len(pieces)), rng.choice(["\ud800", "\udfff", "\udc80"]))
    return "".join(pieces)


def gen_int(rng):
    r = rng.random()
    if r < 0.5:
        return rng.randint(-300, 300)
    if r < 0.75:
        edge = rng.choice([2**31 - 1, 2**31, 2**32, 2**63 - 1, 2**63, 2**64 - 1, 2**64, 2**15,
                           2**30, 2**45, 2**60])
        return rng.choice([edge, -edge, edge + 1, -edge - 1])
    return rng.choice([1, -1]) * rng.getrandbits(rng.randint(65, 3000))


def gen_float(rng, finite=False):
    r = rng.random()
    if r < 0.3:
        return rng.uniform(-1e6, 1e6)
    if r < 0.5:
        d = struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0]
        if not math.isnan(d) and not (finite and math.isinf(d)):
            return d
        return 1.5
    specials = [0.0, -0.0, 1e16, 1e-7, 5e-324, 1.7976931348623157e308, 0.1, 1e22]
    if not finite:
        specials += [math.inf, -math.inf, math.nan]
    return rng.choice(specials)


def gen_scalar(rng, caps, key=False):
    kinds = ["none", "bool", "int", "float", "str", "str"]
    if caps.bytes and (not key or caps.bytes_keys):
        kinds.append("bytes")
    if caps.complex:
        kinds.append("complex")
    if key:
        kinds.remove("none")  # serpent cannot write a None key
    kind = rng.choice(kinds)
    if kind == "none":
        return None
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "int":
        return gen_int(rng)
    if kind == "float":
        return gen_float(rng, finite=key)  # NaN keys: two NaNs would be two Python keys
    if kind == "str":
        return gen_str(rng, caps)
    if kind == "bytes":
        return bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 12)))
    if caps.nonfinite_complex and not key:
        return complex(gen_float(rng), gen_float(rng))
    real = gen_float(rng, finite=True)
    imag = gen_float(rng, finite=True)
    if caps.name == "serpent":  # Python serpent bugs with -0.0 parts (spec §4.3)
        real, imag = real or 0.0, imag or 0.0
        real, imag = (abs(real) if real == 0 else real), (abs(imag) if imag == 0 else imag)
    return complex(real, imag)


def gen_key(rng, caps):
    if not caps.any_keys:
        return gen_str(rng, caps)
    if rng.random() < 0.15:
        return tuple(gen_scalar(rng, caps, key=True) for _ in range(rng.randint(0, 3)))
    return gen_scalar(rng, caps, key=True)


def gen_value(rng, caps, depth=0, pool=None):
    if pool and rng.random() < 0.05:
        return rng.choice(pool)  # shared objects: marshal writes references for them
    if depth >= 4 or rng.random() < 0.45:
        value = gen_scalar(rng, caps)
    else:
        kind = rng.choice(["list", "tuple", "dict", "set", "deep"])
        n = rng.randint(0, 5)
        if kind == "list":
            value = [gen_value(rng, caps, depth + 1, pool) for _ in range(n)]
        elif kind == "tuple":
            value = tuple(gen_value(rng, caps, depth + 1, pool) for _ in range(n))
        elif kind == "dict":
            value = {gen_key(rng, caps): gen_value(rng, caps, depth + 1, pool) for _ in range(n)}
        elif kind == "set":
            items = {gen_key(rng, caps) if caps.any_keys else gen_str(rng, caps)
                     for _ in range(n)}
            value = frozenset(items) if caps.frozenset and rng.random() < 0.2 else set(items)
        else:
            value = gen_scalar(rng, caps)
            for _ in range(rng.randint(20, 60)):
                value = rng.choice([[value], (value,), {"k": value}])
    if pool is not None and rng.random() < 0.1:
        pool.append(value)
    return value


def gen_values(seed, name, count):
    rng = random.Random(f"{seed}-{name}")
    caps = Caps(name)
    pool = []
    return [gen_value(rng, caps, pool=pool) for _ in range(count)]


# ---- strict comparison ------------------------------------------------------------------------

def canon(v, shape=None):
    """A hashable, type-strict picture of v. `shape` is the value v was made from: where it held
    a set that came out as a list (json, msgpack), the list is compared as a set."""
    t = type(v)
    if isinstance(shape, (set, frozenset)) and t is list:
        return ("set", frozenset(canon(x) for x in v))
    if v is None:
        return ("none",)
    if t is bool:
        return ("bool", v)
    if t is int:
        return ("int", v)
    if t is float:
        return ("float", repr(v))
    if t is complex:
        return ("complex", repr(v.real), repr(v.imag))
    if t is str:
        return ("str", v)
    if t in (bytes, bytearray):
        return ("bytes", bytes(v))
    if t in (list, tuple):
        shapes = list(shape) if type(shape) in (list, tuple) and len(shape) == len(v) else []
        return (t.__name__, tuple(canon(x, shapes[i] if shapes else None)
                                  for i, x in enumerate(v)))
    if t in (set, frozenset):
        return ("set", frozenset(canon(x) for x in v))
    if t is dict:
        shapes = list(shape.values()) if type(shape) is dict and len(shape) == len(v) else []
        return ("dict", tuple((canon(k), canon(x, shapes[i] if shapes else None))
                              for i, (k, x) in enumerate(v.items())))
    raise TypeError(f"unexpected type {t}")


def first_difference(a, b, path="value"):
    """Where two lists of loaded values differ, for the failure message."""
    for i, (x, y) in enumerate(zip(a, b)):
        if canon(x) != canon(y):
            return f"{path}[{i}]: remoto gave {x!r}, Python {y!r}"
    return f"lengths {len(a)} and {len(b)}"


# ---- same-format round trips ------------------------------------------------------------------

@pytest.mark.parametrize("name", FORMATS)
def test_round_trip_through_remoto(name):
    ser = get_serializer(name)
    total = 0
    for seed in range(3):
        values = gen_values(seed, name, 1000)
        data = ser.dumps(values)
        result = convert(name, name, data)
        assert result.returncode == 0, result.stderr.decode(errors="replace")
        assert result.stderr == b""
        expected = ser.loads(data)
        want = canon(expected, expected)
        got = ser.loads(result.stdout)
        assert canon(got, expected) == want, first_difference(got, expected)
        # remoto reads its own output back to the same value.
        again = convert(name, name, result.stdout)
        assert again.returncode == 0, again.stderr
        assert canon(ser.loads(again.stdout), expected) == want
        total += len(values)
    assert total == 3000


@pytest.mark.parametrize("name", FORMATS)
def test_single_values_of_every_kind(name):
    """Each value on its own as the document, including the top-level cases."""
    ser = get_serializer(name)
    caps = Caps(name)
    values = [None, True, False, 0, -1, 2**31, -2**63, 2**64, -2**200, 0.0, -0.0, math.inf,
              -math.inf, math.nan, 1e-7, "", "é😀", [], (), {}, [[[]]], {"a": [1, (2,)]}]
    if caps.bytes:
        values += [b"", b"\x00\xff"]
    if caps.complex:
        values += [1 + 2j, complex(-1.5, -0.5)]
    if caps.surrogates:
        values += ["\ud800", "a\udfffb"]
    if caps.any_keys:
        values += [{1: "one", (1, 2): "t", 2.5: None}, {1, "x", (1, 2)}, set()]
    for value in values:
        data = ser.dumps(value)
        result = convert(name, name, data)
        assert result.returncode == 0, (value, result.stderr)
        assert canon(ser.loads(result.stdout)) == canon(ser.loads(data)), value


# ---- cross conversions -------------------------------------------------------------------------

PAIRS = [(a, b) for a in FORMATS for b in FORMATS if a != b]


def python_convert(src, dst, data):
    """What Pyro4 does: dst.dumps(src.loads(data)), or the exception it raises."""
    try:
        return get_serializer(dst).dumps(get_serializer(src).loads(data))
    except Exception as e:  # noqa: BLE001 - any refusal counts
        return e


def has_frozenset(v):
    if isinstance(v, frozenset):
        return True
    if isinstance(v, (list, tuple, set)):
        return any(has_frozenset(x) for x in v)
    if isinstance(v, dict):
        return any(has_frozenset(k) or has_frozenset(x) for k, x in v.items())
    return False


def python_loadable(name, data):
    try:
        get_serializer(name).loads(data)
        return True
    except Exception:  # noqa: BLE001
        return False


@pytest.mark.parametrize("src,dst", PAIRS)
def test_cross_conversion_matches_pyro4(src, dst):
    ser_src, ser_dst = get_serializer(src), get_serializer(dst)
    values = gen_values(100, src, 400)
    accepted, refused = [], []
    for v in values:
        out = python_convert(src, dst, ser_src.dumps(v))
        if isinstance(out, Exception):
            refused.append(v)
        elif python_loadable(dst, out):  # else Python writes what it cannot read back: skip
            accepted.append(v)
    assert len(accepted) > 200
    # Everything Pyro4 converts, remoto converts to the same value (one document).
    data = ser_src.dumps(accepted)
    result = convert(src, dst, data)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    expected = ser_dst.loads(ser_dst.dumps(ser_src.loads(data)))
    shape = ser_src.loads(data)
    got = ser_dst.loads(result.stdout)
    assert canon(got, shape) == canon(expected, shape), first_difference(got, expected)
    # What Pyro4 refuses to write, remoto refuses too, with a message and exit status 1.
    # (Except a frozenset, which Pyro4's json and msgpack refuse: remoto reads it as a set.)
    for v in [v for v in refused if not has_frozenset(v)][:8]:
        result = convert(src, dst, ser_src.dumps(v))
        assert result.returncode == 1, (v, result.stdout)
        assert result.stderr.startswith(b"remoto convert: "), result.stderr


def test_refusals_that_pyro4_makes():
    cases = [
        ("marshal", "json", marshal.dumps(b"bytes")),
        ("marshal", "json", marshal.dumps(1 + 2j)),
        ("marshal", "json", marshal.dumps("lone \ud800")),
        ("marshal", "msgpack", marshal.dumps("lone \udc00")),
        ("marshal", "json", marshal.dumps({(1, 2): 3})),  # json keys: str, int, float, bool, None
        ("serpent", "json", get_serializer("serpent").dumps([1 + 1j])),
    ]
    for src, dst, data in cases:
        assert isinstance(python_convert(src, dst, data), Exception), (src, dst, data)
        result = convert(src, dst, data)
        assert result.returncode == 1, (src, dst, data, result.stdout)
        assert result.stderr.startswith(b"remoto convert: ")


def test_class_dicts_pass_as_pyro4_passes_them():
    # An exception dict with a bare class name comes back with its module, as Pyro4 dumps it.
    data = get_serializer("json").dumps({"__class__": "ValueError", "__exception__": True,
                                         "args": ["bad"], "attributes": {}})
    result = convert("json", "serpent", data)
    assert result.returncode == 0, result.stderr
    assert result.stdout == python_convert("json", "serpent", data)
    # Unknown classes and double underscores are refused as Pyro4 refuses them.
    for cls, message in [("example.Point", b"unsupported serialized class: example.Point"),
                         ("__main__.X", b"refused to deserialize types with double underscores")]:
        data = get_serializer("json").dumps([{"__class__": cls}])
        assert isinstance(python_convert("json", "json", data), Exception)
        result = convert("json", "json", data)
        assert result.returncode == 1
        assert message in result.stderr
    # Pyro4's marshal writes a URI only at the top level.
    uri = {"__class__": "Pyro4.core.URI", "state": ["PYRO", "obj", None, "localhost", 9999]}
    for doc, ok in [(uri, True), ([uri], False)]:
        data = get_serializer("json").dumps(doc)
        assert isinstance(python_convert("json", "marshal", data), Exception) != ok
        result = convert("json", "marshal", data)
        assert (result.returncode == 0) == ok, result.stderr
        if ok:
            assert marshal.loads(result.stdout) == marshal.loads(python_convert("json", "marshal",
                                                                                data))


# ---- errors -------------------------------------------------------------------------------------

def test_trailing_garbage_is_an_error_except_in_marshal():
    cases = {
        "serpent": get_serializer("serpent").dumps([1, 2]) + b" x",
        "json": get_serializer("json").dumps([1, 2]) + b" x",
        "msgpack": msgpack.packb([1, 2]) + b"\x01",
    }
    for name, data in cases.items():
        result = convert(name, name, data)
        assert result.returncode == 1, (name, result.stdout)
        assert result.stderr.startswith(b"remoto convert: "), result.stderr
    # Python's marshal.loads ignores what follows the value; so does remoto.
    result = convert("marshal", "marshal", marshal.dumps([1, 2]) + b"trailing")
    assert result.returncode == 0, result.stderr
    assert marshal.loads(result.stdout) == [1, 2]


def test_unhashable_keys_are_decoding_errors():
    cases = [
        ("serpent", b"# serpent utf-8 python3.2\n{[1]:2}"),
        ("serpent", b"# serpent utf-8 python3.2\n{{1,2}}"),
        ("marshal", b"{[\x00\x00\x00\x00N0"),  # {[]: None}
        ("marshal", b"<\x01\x00\x00\x00{0"),  # {{}}
        ("msgpack", b"\x81\x91\x01\x02"),  # {[1]: 2}
    ]
    for name, data in cases:
        result = convert(name, "repr", data)
        assert result.returncode == 1, (name, data, result.stdout)
        assert result.stderr.startswith(b"remoto convert: ")
        assert b"unhashable" in result.stderr, result.stderr


def test_bad_input_says_what_and_where():
    result = convert("marshal", "json", b"[\x05\x00\x00\x00NN")
    assert result.returncode == 1
    assert b"offset" in result.stderr, result.stderr
    result = convert("marshal", "json", b"")
    assert result.returncode == 1
    assert b"end of data" in result.stderr


def test_usage_errors_exit_2():
    for args in [[], ["-f", "json"], ["-t", "json"], ["-f", "pickle", "-t", "json"],
                 ["-f", "json", "-t", "yaml"], ["-f", "repr", "-t", "json"], ["--nope"]]:
        result = subprocess.run([REMOTO, "convert", *args], input=b"1", capture_output=True,
                                timeout=10)
        assert result.returncode == 2, (args, result.stderr)
        assert result.stderr, args
    result = subprocess.run([REMOTO, "convert", "--help"], capture_output=True, timeout=10)
    assert result.returncode == 0
    assert b"serpent" in result.stdout


def test_reads_a_file_argument(tmp_path):
    path = tmp_path / "value.bin"
    path.write_bytes(marshal.dumps({"a": (1, 2.5)}))
    result = subprocess.run([REMOTO, "convert", "-f", "marshal", "-t", "repr", str(path)],
                            capture_output=True, timeout=10)
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"{'a': (1, 2.5)}\n"
    result = subprocess.run([REMOTO, "convert", "-f", "marshal", "-t", "repr",
                             str(tmp_path / "missing")], capture_output=True, timeout=10)
    assert result.returncode == 1
    assert b"missing" in result.stderr


# ---- repr -------------------------------------------------------------------------------------

def has_unordered(v):
    if isinstance(v, (set, frozenset)):
        return True
    if isinstance(v, (list, tuple)):
        return any(has_unordered(x) for x in v)
    if isinstance(v, dict):
        return any(has_unordered(k) or has_unordered(x) for k, x in v.items())
    return False


def test_repr_matches_python():
    values = [v for v in gen_values(7, "marshal", 400) if not has_unordered(v)]
    data = marshal.dumps(values)
    result = convert("marshal", "repr", data)
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode("utf-8", "surrogatepass") == repr(marshal.loads(data)) + "\n"
    result = convert("marshal", "pretty", data)
    assert result.returncode == 0, result.stderr
    import ast
    text = result.stdout.decode("utf-8", "surrogatepass")
    # pretty is valid Python for finite values; check it reads back where it can.
    if "nan" not in text and "inf" not in text:
        assert canon(ast.literal_eval(text)) == canon(marshal.loads(data))


def test_serpent_nan_marker_becomes_a_float():
    data = b"# serpent utf-8 python3.2\n[{'__class__':'float','value':'nan'},1.5]"
    result = convert("serpent", "json", data)
    assert result.returncode == 0, result.stderr
    assert result.stdout == python_convert("serpent", "json", data)
    assert serpent.loads(data)[0] == {"__class__": "float", "value": "nan"}  # bare serpent: a dict
