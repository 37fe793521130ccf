"""All benchmarks against their baselines (the same as `bmrlab bench --json`).

Run: ``python bench/run_all.py`` (a few minutes; docs/performance.md has the last figures).
"""

import json
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from bmrlab.benchmarks import run_all, verdicts

if __name__ == "__main__":
    results = run_all(lambda name: print(f"bench: {name} ...", flush=True))
    print(json.dumps({**results, "targets_met": verdicts(results)}, indent=1))
