"""Pass rates of the independent clients against the simulated station.

Runs every client of tests/clients in-process (``@bmrsim``) and through ``bmrlab sim serve``
and prints, per client: calls, passed, not modelled, failed, hung and the pass rate.
``--failures FILE`` also writes the failing calls, grouped by simulated instrument (Markdown).

    python bench/clients_report.py [--failures FILE] [--client NAME ...]
"""

import argparse
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.clients.clients import CLIENTS
from tests.clients.harness import InProcess, Served, run_client

COLUMNS = ("calls", "passed", "not modelled", "failed", "hung")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--failures", type=Path, help="write the failing calls here (Markdown)")
    parser.add_argument(
        "--client", action="append", choices=sorted(CLIENTS), help="only this client (repeatable)"
    )
    args = parser.parse_args()
    names = args.client or list(CLIENTS)
    served = Served()
    runs = []
    try:
        for transport in (InProcess(), served):
            for name in names:
                runs.append((transport.name, run_client(name, transport)))
    finally:
        served.stop()
    print(
        f"{'client':<24} {'transport':<10} "
        + " ".join(f"{c:>12}" for c in COLUMNS)
        + f" {'pass %':>7}"
    )
    totals = defaultdict(lambda: defaultdict(int))
    for transport, run in runs:
        s = run.summary()
        for c in COLUMNS:
            totals[transport][c] += s[c]
        print(
            f"{run.client:<24} {transport:<10} "
            + " ".join(f"{s[c]:>12}" for c in COLUMNS)
            + f" {100 * s['pass_rate']:>7.1f}"
        )
    for transport, t in totals.items():
        rate = 100 * t["passed"] / t["calls"] if t["calls"] else 0.0
        print(
            f"{'all':<24} {transport:<10} "
            + " ".join(f"{t[c]:>12}" for c in COLUMNS)
            + f" {rate:>7.1f}"
        )
    if args.failures:
        args.failures.write_text(failures_markdown(runs))
    return 0


def failures_markdown(runs) -> str:
    """Failing and hung calls per simulated model; a call failing alike on both transports is
    listed once, and the calls a client could not make after its construction failed are
    counted on one line."""
    seen = defaultdict(list)  # (model, outcome, client, label, error) -> transports
    not_run = defaultdict(list)  # (model, client, reason) -> transports and counts
    for transport, run in runs:
        skipped = [c for c in run.calls if c.error.startswith("not run")]
        if skipped:
            not_run[(run.model, run.client, skipped[0].error)].append(
                f"{transport}: {len(skipped)} calls"
            )
        for call in run.calls:
            if call.outcome in ("failed", "hung") and not call.error.startswith("not run"):
                seen[(run.model, call.outcome, call.client, call.label, call.error)].append(
                    transport
                )
    lines = [
        "# Failing client calls, by simulated instrument",
        "",
        "Written by bench/clients_report.py. Each line: outcome | client | transports | "
        "call | error. A call the real instrument refuses as well, or one deliberately "
        "not modelled, belongs in tests/clients/not_modelled.yaml under its model "
        "(client, call, the simulator's clear error, why).",
        "",
    ]
    for model in sorted({key[0] for key in [*seen, *not_run]}):
        lines += [f"## {model}", ""]
        for (m, client, reason), where in not_run.items():
            if m == model:
                lines.append(f"- {reason} | {client} | {'; '.join(where)}")
        for (m, outcome, client, label, error), where in seen.items():
            if m == model:
                lines.append(f"- {outcome} | {client} | {', '.join(where)} | `{label}` | {error}")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
