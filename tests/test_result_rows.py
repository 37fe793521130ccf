"""Typed results in words: the rows the window and the terminal show, from the model alone."""

from bmrlab.result_rows import result_rows, si, value_text
from bmrlab.results import ProtocolResult, ResultModel, Spread, figure, flag


class Fit(ResultModel):
    model: str = "weibull"
    tau_ms: float | None = figure("ms", "time constant")
    k: float = figure("", "shape", 1.2)


class Curve(ResultModel):
    interval_ms: list[float] = figure("ms", "interval between the pulses", [])
    index: list[float | None] = figure("", "A2/A1", [])
    fit: Fit | None = None


class Stats(ResultModel):
    vset_mV: Spread
    hrs_A: Spread


class ExampleResult(ProtocolResult):
    vset_mV: float | None = figure("mV", "median set voltage")
    on_off_ratio: float | None = figure("", "median On/Off")
    on_off_lower_bound: bool = flag("on_off_ratio", "lower bound: HRS at the current floor")
    by_amplitude: dict[str, Spread] = figure("ms", "delay per amplitude", {})
    ppf: Curve = Curve()
    stats: Stats


def example(**changes) -> ExampleResult:
    stats = Stats(
        vset_mV=Spread(median=63.0, p5=54.9, p95=69.3, n=3, values=[63, 70, 54]),
        hrs_A=Spread(reason="no read"),
    )
    values = {"vset_mV": 63.0, "on_off_ratio": 1.6e6, "stats": stats, **changes}
    return ExampleResult(**values)


def by_name(result) -> dict:
    return {row.figure: row for row in result_rows(result)}


def test_a_figure_with_its_spread_units_and_n():
    row = by_name(example())["Vset"]
    assert (row.value, row.spread, row.n) == ("63 mV", "54.9 .. 69.3 mV", "3")


def test_a_set_flag_is_a_note_on_the_figure_it_qualifies():
    assert by_name(example())["On/Off ratio"].note == ""
    row = by_name(example(on_off_lower_bound=True))["On/Off ratio"]
    assert row.note == "lower bound: HRS at the current floor"
    assert "on off lower bound" not in by_name(example())


def test_a_missing_figure_says_why_where_the_value_would_be():
    assert by_name(example())["HRS current"].value == "no read"


def test_a_curve_is_one_row_per_point_and_its_fit_one_row():
    result = example(ppf=Curve(interval_ms=[1.0, 2.0], index=[1.3, None], fit=Fit(tau_ms=32.4)))
    rows = by_name(result)
    assert rows["PPF index at 1 ms"].value == "1.3"
    assert rows["PPF index at 2 ms"].value == "not measured"
    assert rows["PPF fit"].note == "weibull; tau = 32.4 ms; k = 1.2"


def test_a_mapping_is_one_row_per_key():
    result = example(by_amplitude={"100": Spread(median=12.7, p5=8.6, p95=20.5, n=20)})
    assert by_name(result)["by amplitude at 100"].value == "12.7 ms"


def test_units_in_words():
    assert si("mV") == ("V", 1e-3) and si("S") == ("S", 1.0) and si("") == ("", 1.0)
    assert value_text(0.0123, "s") == "12.3 ms"
    assert value_text(True) == "yes" and value_text(None) == "not measured"
    assert value_text(30, "cycles") == "30 cycles"


def test_a_median_reads_with_its_confidence_interval_in_the_unit_of_the_median():
    stats = Stats(
        vset_mV=Spread(median=63.2, ci_low=60.1, ci_high=65.0, p5=55.0, p95=69.3, n=20),
        hrs_A=Spread(),
    )
    delay = Spread(median=0.95, ci_low=0.9, ci_high=1.2, n=20)
    rows = by_name(example(vset_mV=63.2, stats=stats, by_amplitude={"100": delay}))
    assert rows["Vset"].value == "63.2 [60.1, 65] mV" and rows["Vset"].n == "20"
    assert rows["by amplitude at 100"].value == "950 [900, 1200] us"  # in the median's unit


def test_an_interval_belongs_to_the_median_not_to_another_value():
    stats = Stats(vset_mV=Spread(median=63.0, ci_low=60.0, ci_high=65.0, n=3), hrs_A=Spread())
    assert by_name(example(vset_mV=70.0, stats=stats))["Vset"].value == "70 mV"


class Points(ResultModel):
    interval_ms: list[float] = figure("ms", "interval", [])
    index: list[float | None] = figure("", "median index", [])
    index_ci_low: list[float | None] = figure("", "low end", [])
    index_ci_high: list[float | None] = figure("", "high end", [])
    n: list[int] = figure("", "pairs", [])
    fit: "ErrorFit | None" = None


class ErrorFit(ResultModel):
    tau_ms: float = figure("ms", "time constant", 0.0)
    tau_ms_se: float | None = figure("ms", "standard error of tau")


class PointsResult(ProtocolResult):
    ppf: Points


def test_a_curve_point_shows_its_interval_and_count_and_a_fit_its_standard_errors():
    Points.model_rebuild()
    result = PointsResult(
        ppf=Points(
            interval_ms=[1.0, 2.0],
            index=[1.31, None],
            index_ci_low=[1.25, None],
            index_ci_high=[1.36, None],
            n=[10, 0],
            fit=ErrorFit(tau_ms=26.93, tau_ms_se=7.88),
        )
    )
    rows = by_name(result)
    assert (rows["PPF index at 1 ms"].value, rows["PPF index at 1 ms"].n) == (
        "1.31 [1.25, 1.36]",
        "10",
    )
    assert rows["PPF index at 2 ms"].value == "not measured"
    assert not any("ci" in name for name in rows)  # the interval is not a curve of its own
    assert rows["PPF fit"].note == "tau = 26.9 ± 7.9 ms"


class Drift(ResultModel):
    G_start_S: float | None = figure("S", "median of the first reads")
    G_start_S_ci_low: float | None = figure("S", "low end")
    G_start_S_ci_high: float | None = figure("S", "high end")
    slope: float | None = figure("", "slope")
    slope_se: float | None = figure("", "its standard error")


class DriftResult(ProtocolResult):
    drift: Drift


def test_a_scalar_figure_shows_its_interval_and_a_slope_its_error():
    drift = Drift(G_start_S=1e-5, G_start_S_ci_low=9.7e-6, G_start_S_ci_high=1.05e-5, slope=0.05)
    (row,) = result_rows(DriftResult(drift=drift))
    assert row.note == "G start = 10 [9.7, 10.5] uS; slope = 0.05"
    (row,) = result_rows(DriftResult(drift=drift.model_copy(update={"slope_se": 0.0123})))
    assert row.note.endswith("slope = 0.05 ± 0.012")
