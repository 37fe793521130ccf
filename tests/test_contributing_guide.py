"""The contributing guide's example protocol, taken from the guide as written, is a complete
protocol: found by the registry, run end to end on the simulated station, re-analysed from
its file, its figures in words and in the JSON schema."""

import importlib.util
import re
import sys
from pathlib import Path

import pytest

import bmrlab.procedures as procedures
from bmrlab import runner
from bmrlab.result_rows import result_rows

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "contributing.md"
MODULE = "bmrlab.procedures.conductance_check"


@pytest.fixture
def guide_protocol(tmp_path, monkeypatch):
    text = GUIDE.read_text()
    code = re.search(r"<!-- protocol example: start -->\n```python\n(.*?)```", text, re.S)[1]
    path = tmp_path / "conductance_check.py"
    path.write_text(code)
    spec = importlib.util.spec_from_file_location(MODULE, path)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, MODULE, module)
    spec.loader.exec_module(module)
    monkeypatch.setattr(procedures, "PROTOCOLS", procedures._discover())
    return module


def test_the_guide_protocol_runs_and_is_reanalysed(guide_protocol, station, tmp_path):
    assert "conductance-check" in procedures.PROTOCOLS
    procedure = runner.prepare(station, "conductance-check", {"reads": 20})
    result = runner.run(station, procedure, tmp_path / "g.h5", sample="s", device="d")
    assert result.status == "finished", result.reason
    g = result.result.conductance_S
    assert g.n == 20 and 1e-13 < g.median < 1e-9  # a pristine device: its HRS
    assert not runner.reanalyze(tmp_path / "g.h5").changed
    (row,) = result_rows(result.result)
    assert row.figure == "conductance" and row.value.endswith("S") and row.n == "20"


def test_the_guide_protocol_refuses_bad_input_before_connecting(guide_protocol, station):
    with pytest.raises(procedures.BadInput, match=r"v_read = 0\.5"):
        runner.prepare(station, "conductance-check", {"v_read": 0.5})
    assert station.smu is None
