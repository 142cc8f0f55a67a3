"""Issue 18: the `spia` commands at the prompt, whole process (interpreter start, imports, query, output),
median of --runs, on the demo database.

    .venv/bin/python bench/cli.py [--runs 5] [--database-url URL]

Targets: `spia threshold … --json` ≤ 0.5 s, `spia due --json` and `spia list --json` ≤ 1.0 s. The app's modules
are byte-compiled first (`make install` does the same), so a PYTHONDONTWRITEBYTECODE environment does not make
every command compile them again.
"""
from __future__ import annotations

import argparse
import compileall
import os
import statistics
import subprocess
import sys
import time

from common import ROOT, prepare_database

COMMANDS = [
    ("spia threshold --subjects 300000 --handlers 500 --json", 0.5,
     ["threshold", "--subjects", "300000", "--handlers", "500", "--json"]),
    ("spia due --json", 1.0, ["due", "--json"]),
    ("spia list --json", 1.0, ["list", "--json"]),
]


def time_command(argv: list[str], env: dict[str, str], runs: int) -> list[float]:
    spia = [sys.executable, "-m", "app.cli", *argv]
    subprocess.run(spia, env=env, check=True, capture_output=True)  # the OS file cache is warm, as at a prompt
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(spia, env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    return times


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--database-url", help="an existing database with the demo (default: a new SQLite file)")
    args = ap.parse_args()
    compileall.compile_dir(str(ROOT / "app"), quiet=1)
    url = args.database_url or prepare_database()
    env = {**os.environ, "DATABASE_URL": url, "SPIA_ENVIRONMENT": "test"}
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    failed = 0
    for label, target, argv in COMMANDS:
        times = time_command(argv, env, args.runs)
        med = statistics.median(times)
        ok = med <= target
        failed += not ok
        print(f"{label}: median {med:.2f} s over {args.runs} runs (min {min(times):.2f}, max {max(times):.2f}); "
              f"target ≤ {target:.1f} s {'met' if ok else 'NOT met'}")
    print(f"load average at the end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
