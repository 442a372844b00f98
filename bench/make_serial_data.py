#!/usr/bin/python3
"""Writes the serializer benchmark payloads into bench/data/, with Pyro4's own serializers.

Two payloads, each in the four formats remoto speaks:
  small.<fmt>   the INVOKE payload of echo("hello world") on object "test.echoserver"
                (Pyro4's dumpsCall: object, method, args, kwargs)
  medium.<fmt>  a dict of 1,000 entries with str keys and mixed values (ints, floats, short
                strs, bools, None, small lists and tuples, nested small dicts), built from a
                fixed seed. It stays json-safe (no bytes, complex, NaN or Infinity) so that
                the four files carry the same value and nlohmann-json can parse the json one.

The files are committed; rerun only to change the payloads:
    /usr/bin/python3 bench/make_serial_data.py
"""
import os
import random
import sys

import Pyro4.util

FORMATS = ("serpent", "json", "marshal", "msgpack")
DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
WORDS = ("alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota",
         "kappa", "lambda", "mu", "café", "naïve", "Grüße", "hello world", "", "x")


def scalar(rng):
    kind = rng.randrange(6)
    if kind == 0:
        return rng.randrange(-2**40, 2**40) if rng.random() < 0.3 else rng.randrange(-1000, 1000)
    if kind == 1:
        return round(rng.uniform(-1e6, 1e6), rng.randrange(0, 8))
    if kind == 2:
        # A fresh object each time: marshal would back-reference a shared one.
        return rng.choice(WORDS) + str(rng.randrange(100))
    if kind == 3:
        return rng.random() < 0.5
    if kind == 4:
        return None
    return rng.randrange(256)


def value(rng):
    kind = rng.randrange(10)
    if kind < 6:
        return scalar(rng)
    if kind == 6:
        return [scalar(rng) for _ in range(rng.randrange(0, 6))]
    if kind == 7:
        return tuple(scalar(rng) for _ in range(rng.randrange(0, 6)))
    return {"k%d" % i: scalar(rng) for i in range(rng.randrange(0, 5))}


def medium_value():
    rng = random.Random(20261201)
    return {"entry_%04d_%s" % (i, rng.choice(WORDS[:12])): value(rng) for i in range(1000)}


def main():
    os.makedirs(DATA_DIR, exist_ok=True)
    medium = medium_value()
    assert len(medium) == 1000
    for name in FORMATS:
        ser = Pyro4.util.get_serializer(name)
        payloads = {
            "small": ser.dumpsCall("test.echoserver", "echo", ("hello world",), {}),
            "medium": ser.dumps(medium),
        }
        for kind, data in payloads.items():
            path = os.path.join(DATA_DIR, "%s.%s" % (kind, name))
            with open(path, "wb") as f:
                f.write(data)
            print("%-30s %7d bytes" % (os.path.relpath(path), len(data)), file=sys.stderr)
        # The medium files must all decode to the same value (json turns tuples into lists).
        back = ser.loads(payloads["medium"])
        assert len(back) == 1000 and list(back) == list(medium), name


if __name__ == "__main__":
    main()
