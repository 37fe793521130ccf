"""How the coverage and seed benchmarks judge a measured figure against a written one."""

from bmrlab.benchmarks.figure_space import misses, read_report, report


def test_a_censored_endurance_is_judged_as_a_lower_bound():
    written = {"endurance_cycles": 1000.0}
    assert not misses({"endurance_cycles": 1100}, written, {})
    short = misses({"endurance_cycles": 900}, written, {"endurance_censored": True})
    assert short == ["endurance_cycles >= 900 for 1000 (censored: short of +-30%)"]
    longer = misses({"endurance_cycles": 2000}, written, {"endurance_censored": True})
    assert longer == ["endurance_cycles >= 2e+03 for 1000 (censored: outlasts +-30%)"]
    assert misses({"endurance_cycles": None}, written, {}) == [
        "endurance_cycles none for 1000 (+-30%)"
    ]


def test_an_on_off_at_the_floor_counts_up_to_the_factor():
    written = {"on_off_ratio": 1e5}
    assert not misses({"on_off_ratio": 200.0}, written, {"on_off_lower_bound": True})
    assert misses({"on_off_ratio": 200.0}, written, {})
    assert misses({"on_off_ratio": 3e5}, written, {"on_off_lower_bound": True})


def test_a_report_is_printed_and_read_back(tmp_path, capsys):
    out = tmp_path / "rows.jsonl"
    report({"a": 1}, out)
    report({"b": None}, out)
    assert read_report(out) == [{"a": 1}, {"b": None}]
    assert capsys.readouterr().out.splitlines() == ['{"a": 1}', '{"b": null}']
