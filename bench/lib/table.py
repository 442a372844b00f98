#!/usr/bin/python3
"""Turns the raw results of a bench/*.sh script into Markdown tables of medians.

Input: a TSV file with a header line; one line per measurement run. Rows are grouped by a
scenario column; within a scenario, one table row per server (in order of first appearance)
holds the median of each metric over that server's runs, and, where asked, the ratio of that
median to the baseline server's median.

    table.py RESULTS.tsv --group scenario --row server --baseline nginx \
        --col 'rps|requests/s|,.0f|ratio' --col 'p99_us|p99 (µs)|,.0f'

A column spec is KEY|TITLE|FORMAT[|ratio]: KEY names a TSV column, FORMAT is a Python format
spec for its median, and "ratio" adds a "÷ BASELINE" column next to it.
"""
import argparse
import csv
import statistics
import sys


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results")
    parser.add_argument("--group", required=True, help="column that names the scenario")
    parser.add_argument("--row", required=True, help="column that names the server")
    parser.add_argument("--baseline", help="server the ratios are taken against")
    parser.add_argument("--col", action="append", required=True, help="KEY|TITLE|FORMAT[|ratio]")
    args = parser.parse_args()

    columns = []
    for spec in args.col:
        parts = spec.split("|")
        if len(parts) not in (3, 4) or (len(parts) == 4 and parts[3] != "ratio"):
            parser.error(f"bad column spec: {spec}")
        columns.append((parts[0], parts[1], parts[2], len(parts) == 4))

    with open(args.results, newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))

    groups: dict[str, dict[str, list[dict]]] = {}
    for row in rows:
        groups.setdefault(row[args.group], {}).setdefault(row[args.row], []).append(row)

    def median(runs, key):
        values = [float(r[key]) for r in runs if r.get(key) not in (None, "", "nan")]
        return statistics.median(values) if values else None

    def fmt(value, spec):
        return "—" if value is None else format(value, spec)

    for group, servers in groups.items():
        base = servers.get(args.baseline) if args.baseline else None
        runs = max(len(v) for v in servers.values())
        print(f"\n**{group}** (median of {runs} runs)\n")
        header = [args.row]
        for key, title, _, ratio in columns:
            header.append(title)
            if ratio and base is not None:
                header.append(f"÷ {args.baseline}")
        print("| " + " | ".join(header) + " |")
        print("|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|")
        for server, server_runs in servers.items():
            cells = [server]
            for key, _, spec, ratio in columns:
                value = median(server_runs, key)
                cells.append(fmt(value, spec))
                if ratio and base is not None:
                    anchor = median(base, key)
                    cells.append(
                        "—" if value is None or not anchor else f"{value / anchor:.2f}")
            print("| " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
