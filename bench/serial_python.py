#!/usr/bin/python3
"""Python's own serializers on the payloads of bench/data/ (see bench/make_serial_data.py),
timed the way bench/serial_bench.cpp times remoto: decode = bytes -> objects, encode =
objects -> bytes, MB/s = payload file size / time, with MB = 1e6 bytes.

The calls are the libraries themselves with Pyro4's options (Pyro4's serializer classes add a
little pure-Python work on top, e.g. recreate_classes after loading, which is left out here,
so these numbers are if anything favourable to Python):
  serpent  serpent.loads / serpent.dumps(module_in_classname=True)   (pure Python)
  json     json.loads / json.dumps(ensure_ascii=False).encode()       (C accelerated)
  marshal  marshal.loads / marshal.dumps                              (C)
  msgpack  msgpack.unpackb(raw=False) / msgpack.packb(use_bin_type=True)  (C extension)
Each measurement: timeit (process CPU time, like Google Benchmark's rates) with a loop count
that takes >= 0.2 s, repeated REPEATS times (default 5); the median is reported.

Usage: serial_python.py [--json] [--repeats N]   (--json: one JSON object per line)
"""
import argparse
import json
import marshal
import os
import statistics
import sys
import time
import timeit

import msgpack
import serpent

DATA_DIR = os.environ.get("REMOTO_BENCH_DATA") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "data")

# Statements as timeit strings, so that no Python wrapper call is timed along with the library.
LOADS = {
    "serpent": "serpent.loads(data)",
    "json": "json.loads(data)",
    "marshal": "marshal.loads(data)",
    "msgpack": "msgpack.unpackb(data, raw=False)",
}
DUMPS = {
    "serpent": "serpent.dumps(obj, module_in_classname=True)",
    "json": "json.dumps(obj, ensure_ascii=False).encode('utf-8')",
    "marshal": "marshal.dumps(obj)",
    "msgpack": "msgpack.packb(obj, use_bin_type=True)",
}
MODULES = {"serpent": serpent, "json": json, "marshal": marshal, "msgpack": msgpack}


def seconds_per_call(stmt, names, repeats):
    # CPU time, as Google Benchmark rates use: other jobs on the pinned CPU do not count.
    timer = timeit.Timer(stmt, timer=time.process_time, globals=names)
    number, _ = timer.autorange()  # a loop count that takes >= 0.2 s
    number = max(1, number)
    return statistics.median(timer.repeat(repeat=repeats, number=number)) / number


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    if not args.json:
        print("Python %s; MB = 1e6 bytes" % sys.version.split()[0])
        print("%-7s %-8s %-6s %8s %10s" % ("payload", "format", "op", "bytes", "MB/s"))
    for kind in ("small", "medium"):
        for fmt in ("serpent", "json", "marshal", "msgpack"):
            with open(os.path.join(DATA_DIR, "%s.%s" % (kind, fmt)), "rb") as f:
                data = f.read()
            names = {fmt: MODULES[fmt], "data": data}
            names["obj"] = eval(LOADS[fmt], names)  # the decoded value is what encode takes
            for op, stmt in (("decode", LOADS[fmt]), ("encode", DUMPS[fmt])):
                secs = seconds_per_call(stmt, names, args.repeats)
                mbps = len(data) / secs / 1e6
                if args.json:
                    print(json.dumps({"payload": kind, "format": fmt, "op": op,
                                      "bytes": len(data), "seconds": secs, "mb_per_s": mbps}))
                else:
                    print("%-7s %-8s %-6s %8d %10.2f" % (kind, fmt, op, len(data), mbps))
                sys.stdout.flush()


if __name__ == "__main__":
    main()
