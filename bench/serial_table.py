#!/usr/bin/python3
"""Joins serial_bench's Google Benchmark JSON (medians) with serial_python.py's JSON lines into
the Markdown table that bench/serial.sh prints. MB = 1e6 bytes; every rate is the payload file
size over the CPU time of one operation (Google Benchmark's rates; Python: process_time).

Goals: remoto >= 20x Python for serpent (pure Python), >= 2x Python for json, marshal and
msgpack (C), and at least half the speed of the raw C++ library where there is one.

Usage: serial_table.py SERIAL_BENCH.json PYTHON.jsonl [SERIAL_BENCH.json PYTHON.jsonl ...]
(one pair per round, run back to back: rates are medians over the rounds, and each ratio is the
median of the rounds' own ratios, so that a slow or fast spell of the machine falls on both
sides of it)
"""
import json
import statistics
import sys

FORMATS = ("serpent", "json", "marshal", "msgpack")
PYTHON_GOAL = {"serpent": 20.0, "json": 2.0, "marshal": 2.0, "msgpack": 2.0}
RAW_GOAL = 0.5  # remoto / raw library


def read_round(gbench_path, python_path):
    """(rates, python, gbench) of one round: MB/s by (op, payload, format, impl) and by
    (op, payload, format)."""
    with open(gbench_path) as f:
        gbench = json.load(f)
    rates = {}
    for b in gbench["benchmarks"]:
        if b.get("aggregate_name", "median") != "median" or "bytes_per_second" not in b:
            continue
        op, payload, fmt, impl = b.get("run_name", b["name"]).split("/")[:4]
        rates[(op, payload, fmt, impl)] = b["bytes_per_second"] / 1e6
    python = {}
    with open(python_path) as f:
        for line in f:
            r = json.loads(line)
            python[(r["op"], r["payload"], r["format"])] = r["mb_per_s"]
    return rates, python, gbench


def median_of(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def main():
    if len(sys.argv) < 3 or len(sys.argv) % 2 != 1:
        sys.exit(__doc__)
    rounds = [read_round(sys.argv[i], sys.argv[i + 1]) for i in range(1, len(sys.argv), 2)]
    gbench = rounds[0][2]

    def remoto_rate(op, payload, fmt, impl):
        return median_of([r[0].get((op, payload, fmt, impl)) for r in rounds])

    def python_rate(op, payload, fmt):
        return median_of([r[1].get((op, payload, fmt)) for r in rounds])

    def ratio_of(op, payload, fmt, impl, against):
        """Median over the rounds of remoto / `against` (python, or a raw impl) in that round."""
        ratios = []
        for rates, python, _ in rounds:
            a = rates.get((op, payload, fmt, impl))
            b = python.get((op, payload, fmt)) if against is None else rates.get(
                (op, payload, fmt, against))
            if a is not None and b:
                ratios.append(a / b)
        return statistics.median(ratios) if ratios else None

    build = gbench.get("context", {}).get("library_build_type")
    if build and build != "release":
        # Debian's libbenchmark reports "debug"; only its timing loop is affected, not remoto.
        print("(Debian's Google Benchmark library is a %s build: it only runs the timing loop;"
              " remoto and the raw libraries are compiled into serial_bench.)" % build)
        print()
    print("| payload | serializer | op | remoto MB/s | Python MB/s | ratio | raw C++ lib MB/s "
          "| ratio to raw | goal met? |")
    print("|---|---|---|--:|--:|--:|--:|--:|---|")
    met = missed = 0
    for payload in ("small", "medium"):
        for fmt in FORMATS:
            for op in ("decode", "encode"):
                remoto = remoto_rate(op, payload, fmt, "remoto")
                py = python_rate(op, payload, fmt)
                raw_impl = {"msgpack": "msgpack-cxx", "json": "nlohmann-json"}.get(fmt)
                raw = remoto_rate(op, payload, fmt, raw_impl) if raw_impl else None
                if remoto is None or py is None:
                    continue
                verdicts = []
                ratio = ratio_of(op, payload, fmt, "remoto", None)
                goal = PYTHON_GOAL[fmt]
                verdicts.append(("yes" if ratio >= goal else "**no**") + " (≥%g× Python)" % goal)
                raw_cells = "– | –"
                if raw is not None:
                    raw_ratio = ratio_of(op, payload, fmt, "remoto", raw_impl)
                    raw_cells = "%.1f (%s) | %.2f×" % (raw, raw_impl, raw_ratio)
                    verdicts.append(("yes" if raw_ratio >= RAW_GOAL else "**no**")
                                    + " (within 2× of raw)")
                for v in verdicts:
                    if v.startswith("yes"):
                        met += 1
                    else:
                        missed += 1
                name = "small call" if payload == "small" else "medium dict"
                print("| %s | %s | %s | %.1f | %.1f | %.2f× | %s | %s |"
                      % (name, fmt, op, remoto, py, ratio, raw_cells, "; ".join(verdicts)))
    print()
    print("Goals met: %d of %d." % (met, met + missed))


if __name__ == "__main__":
    main()
