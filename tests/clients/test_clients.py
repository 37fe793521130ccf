"""Independent clients (PyMeasure, QCoDeS, vendor examples, manuals) against the simulated
station, in-process and through `bmrlab sim serve`: none hangs, none fails unexpectedly, and
at least 95 % of each client's calls pass."""

import pytest

from .clients import CLIENTS
from .harness import load_not_modelled, run_client

PASS_RATE = 0.95


@pytest.mark.parametrize("client", sorted(CLIENTS))
def test_client_runs_cleanly(client, transport):
    run = run_client(client, transport)
    summary = run.summary()
    hung = [f"{c.label}: {c.error}" for c in run.calls if c.outcome == "hung"]
    failed = [f"{c.label}: {c.error}" for c in run.calls if c.outcome == "failed"]
    assert not hung, f"{len(hung)} calls hung:\n" + "\n".join(hung)
    assert not failed, f"{len(failed)} calls failed:\n" + "\n".join(failed)
    assert summary["pass_rate"] >= PASS_RATE, summary


def test_every_not_modelled_call_names_its_client_error_and_reason():
    for (client, call), entry in load_not_modelled().items():
        assert CLIENTS[client][0] == entry["model"], (client, call)
        assert entry["error"].strip() and entry["why"].strip(), (client, call)
