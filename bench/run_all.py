"""`make bench`: run every benchmark in bench/ one after another and print their reports and a summary.

    .venv/bin/python bench/run_all.py [--quick] [--only export,editor,foundation,cli,load,bigcity]

The benchmarks are not part of the timed test suite. Each runs in its own process against its own database
(SQLite files; `load` and `bigcity` use `--sqlite` here so that no PostgreSQL database is dropped). `--quick` shortens the
runs (for a smoke check); the figures quoted in closing notes come from the default settings on a quiet machine.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

BENCHES = {
    "export": (["export.py"], ["export.py", "--runs", "3", "--pdf-runs", "1"]),
    "editor": (["editor.py"], ["editor.py", "--saves", "30", "--pages", "5"]),
    "foundation": (["foundation.py", "--seconds", "10"], ["foundation.py", "--seconds", "3", "--clients", "5"]),
    "cli": (["cli.py"], ["cli.py", "--runs", "2"]),
    "load": (["load.py", "--sqlite", "--users", "10", "--seconds", "30"],
             ["load.py", "--sqlite", "--users", "4", "--seconds", "8"]),
    "bigcity": (["bigcity.py", "--sqlite"], ["bigcity.py", "--sqlite", "--jimu", "100", "--runs", "2", "--cli-runs", "1"]),
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="short runs (smoke check, not figures to quote)")
    ap.add_argument("--only", default=",".join(BENCHES), help="comma-separated subset of: " + ", ".join(BENCHES))
    args = ap.parse_args()
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = [n for n in names if n not in BENCHES]
    if unknown:
        ap.error(f"unknown benchmark(s): {', '.join(unknown)}")
    summary = []
    for name in names:
        argv = BENCHES[name][1 if args.quick else 0]
        print(f"\n=== {name}: {' '.join(argv)}", flush=True)
        t0 = time.perf_counter()
        rc = subprocess.call([sys.executable, str(HERE / argv[0]), *argv[1:]], cwd=HERE.parent)
        summary.append((name, rc, time.perf_counter() - t0))
    print("\n=== summary")
    for name, rc, secs in summary:
        print(f"{name:<11} {'ok' if rc == 0 else f'FAILED (exit {rc})':<18} {secs:6.1f} s")
    return 0 if all(rc == 0 for _, rc, _ in summary) else 1


if __name__ == "__main__":
    sys.exit(main())
