"""`make bench`: wall time and peak memory of finstack's main operations, for the README.

Each figure is the median of several runs of the real console command in a fresh process
(imports included: program synthesis is dominated by importing pulumi_aws).
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results.json"


def measure(argv: list[str], runs: int = 3) -> dict[str, float]:
    """Median wall seconds and max peak RSS (MiB) of `argv` over `runs` fresh processes."""
    walls: list[float] = []
    peaks: list[float] = []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        start = time.perf_counter()
        # Each run in its own `python -c` wrapper so ru_maxrss is this child's own peak.
        wrapper = (
            "import resource, runpy, sys; sys.argv = sys.argv[1:];"
            "code = 0\n"
            "try:\n    runpy.run_module(sys.argv[0], run_name='__main__')\n"
            "except SystemExit as e:\n    code = e.code or 0\n"
            "print('PEAK_KIB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
            "sys.exit(code)"
        )
        done = subprocess.run(
            [sys.executable, "-c", wrapper, *argv], cwd=ROOT, capture_output=True, text=True, check=False
        )
        walls.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
        peak = [line for line in done.stderr.splitlines() if line.startswith("PEAK_KIB")]
        peaks.append(int(peak[-1].split()[1]) / 1024 if peak else max(0, before) / 1024)
    return {"wall_s": round(statistics.median(walls), 3), "peak_mib": round(max(peaks), 1)}


def main() -> None:
    """Run every benchmark and print a table; results also land in benchmarks/results.json."""
    results: dict[str, dict[str, float]] = {}
    results["preview prod"] = measure(["finstack.cli", "preview", "--stack", "prod"])
    results["preview dev"] = measure(["finstack.cli", "preview", "--stack", "dev"])
    results["check prod"] = measure(["finstack.cli", "check", "--stack", "prod"])
    # A fresh in-process emulator each run: the full deploy of prod into moto.
    os.environ.pop("AWS_ENDPOINT_URL", None)
    results["emulated up prod"] = measure(["finstack.cli", "up", "--stack", "prod", "--emulate"], runs=1)
    state = json.loads((ROOT / ".finstack" / "prod" / "state.json").read_text())
    created = sum(1 for r in state["resources"] if r["emulated"])
    results["emulated up prod"]["resources_per_s"] = round(created / results["emulated up prod"]["wall_s"], 1)
    print(f"{'operation':<24} {'wall (s)':>9} {'peak (MiB)':>11}  notes")
    for name, figures in results.items():
        notes = f"{figures['resources_per_s']} emulated resources/s" if "resources_per_s" in figures else ""
        print(f"{name:<24} {figures['wall_s']:>9.2f} {figures['peak_mib']:>11.1f}  {notes}")
    print("\ncheck overhead over preview (in process and end to end) and analyzer throughput:")
    subprocess.run([sys.executable, "-m", "benchmarks.check_overhead"], cwd=ROOT, check=True)
    print("\ndrill orchestration overhead (measured RTO minus the emulator's modelled AWS time):")
    subprocess.run([sys.executable, "-m", "benchmarks.drills"], cwd=ROOT, check=True)
    RESULTS.write_text(json.dumps({"cpu_count": os.cpu_count(), "results": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
