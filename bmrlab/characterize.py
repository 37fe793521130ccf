"""The standard characterization: a device's Table 1 row from five protocols.

I-V sweep, pulse delay, retention, endurance and paired pulse run one after the other on one
station into one HDF5 file, each adapted to what the earlier ones measured, as an
experimenter would: the delay amplitudes bracket the measured Vset, the endurance set pulse
is an amplitude whose measured delays fit well inside it, the relaxation between endurance
cycles outlasts the measured retention, and the endurance run goes on to twice the published
endurance (where the device file gives one), so that a device that lasts as long as written
is told from one that lasts longer. Vset, the delay and the retention are measured until their
95 % intervals are within 10 % (``PRECISION``). Test conditions (volatile or not, the delay and
retention pulse) come from the device file (``--device-file`` on any station, ``--device`` on
the simulator), else the standard ones. The figures come only from the measured arrays; the
device file's published figures plan only how long it measures (endurance's reach, the
stimuli a precision may take, :func:`stimuli_budget`) and are printed beside them
(:func:`comparison`).

Switching wears a device out (Table 1 lists devices that last 46 cycles), so each protocol
runs on a pristine device of the same kind where the station's prober gives one (the simulated
chip: the next nominally identical device, ``Prober.pristine_copies``); where a person moves
the probes, and on a wafer, all five run on the device under test, and the cycles the earlier
protocols switched it are added to its measured endurance.
"""

import math
from dataclasses import dataclass, field

from . import runner, standard
from .analysis.retention import TYPE_BOUNDARY_S
from .analysis.uncertainty import PRECISION
from .procedures.iv_sweep import IvSweepResult
from .procedures.pulse_delay import PulseDelayResult
from .procedures.retention import Retention, RetentionResult, expected_window
from .results import ProtocolResult
from .standard import TABLE1

ORDER = ("iv-sweep", "pulse-delay", "retention", "endurance", "paired-pulse")
DELAY_MULTIPLES = (1.5, 2.0, 2.5, 3.0, 4.0)  # delay amplitudes, in measured Vsets
SET_PULSE_DELAYS = 3.0  # the endurance set pulse lasts this many p95 delays at least
RELAX_RETENTIONS = 5.0  # endurance relaxation, in measured retentions
ENDURANCE_REACH = 2.0  # the endurance run's cycle limit, in published endurances
MOST_STIMULI = 60  # the I-V cycles, delay steps and retention traces measured for PRECISION ...
WEAR_SHARE = 0.5  # ... and at most this share of the published endurance (each one sets)
RETENTION_VSETS = 1.5  # a retention pulse that sets the device: this many measured Vsets ...
RETENTION_DELAYS = 1.5  # ... lasting this many p95 delays at that amplitude
# results shown beside the Table 1 row
EXTRAS = (
    "delay_fit",
    "retention_fit",
    "ppf",
    "failed_sets",
    "failed_resets",
    "first_failed_cycle",
)

Measured = dict[str, ProtocolResult]  # protocol -> its typed result


@dataclass
class Characterization:
    device: str
    figures: dict = field(default_factory=dict)  # the Table 1 columns
    published: dict = field(default_factory=dict)  # the device file's, to compare with
    conditions: dict = field(default_factory=dict)  # the device file's test conditions
    stats: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)  # ppf, delay fit, flags
    results: list = field(default_factory=list)  # runner.RunResult per protocol
    notes: list = field(default_factory=list)  # choices made on the way and conflicts, in words

    @property
    def exit_status(self) -> int:
        return max((r.exit_status for r in self.results), default=1)

    def summary(self) -> dict:
        return {
            "device": self.device,
            "figures": self.figures,
            "published": self.published,
            "conditions": self.conditions,
            "stats": self.stats,
            **self.extra,
            "notes": self.notes,
            "runs": [
                {"protocol": r.protocol, "status": r.status, "reason": r.reason, "run": r.run}
                for r in self.results
            ],
            "files": [str(p) for r in self.results for p in r.figure_files],
            "results": {  # every protocol's whole typed result, as its run stored it
                r.protocol: r.result.model_dump(mode="json")
                for r in self.results
                if r.result is not None
            },
        }


def delay_amplitudes(vset_mV, delay_at: float, limit: float, also=()) -> list[float]:
    """The Table 1 amplitude, ``also`` (the retention pulse's, so that its delay is known)
    and multiples of the measured Vset below the station limit."""
    amplitudes = {round(delay_at, 6), *(round(v, 6) for v in also if v <= 0.9 * limit)}
    if vset_mV:
        amplitudes |= {
            round(k * vset_mV * 1e-3, 4)
            for k in DELAY_MULTIPLES
            if k * vset_mV * 1e-3 <= 0.9 * limit
        }
    return sorted(amplitudes)


def set_pulse(delay: PulseDelayResult | None, width: float) -> dict:
    """The endurance set pulse: the lowest measured amplitude whose delays (p95) fit
    ``SET_PULSE_DELAYS`` times in a pulse of ``width``; for a device slower than that at
    every amplitude, the amplitude with the shortest p95 delay and a pulse that long
    ``SET_PULSE_DELAYS`` times ({} when no amplitude switched)."""
    if delay is None:
        return {}
    switched = [
        (float(mv) * 1e-3, s.p95 * 1e-3)
        for mv, s in sorted(delay.stats.delay_by_mV.items(), key=lambda x: float(x[0]))
        if s.median is not None and s.p95 is not None
    ]
    for amplitude, p95 in switched:
        if p95 * SET_PULSE_DELAYS <= width:
            return {"set_v": amplitude}
    if not switched:
        return {}
    amplitude, p95 = min(switched, key=lambda pair: pair[1])
    return {"set_v": amplitude, "set_width": float(f"{SET_PULSE_DELAYS * p95:.2g}")}


def table1_retention_pulse(conditions: dict) -> tuple[float, float]:
    """The retention pulse (V, s) of the test conditions: the device file's, else standard."""
    if "retention_pulse_mV" in conditions:
        return conditions["retention_pulse_mV"] * 1e-3, conditions["retention_pulse_ms"] * 1e-3
    return standard.RETENTION_PULSE


def _delay_at(delay: PulseDelayResult, v: float):
    """The delay summary measured at amplitude ``v`` (None if it was not measured)."""
    for mv, summary in delay.stats.delay_by_mV.items():
        if abs(float(mv) * 1e-3 - v) <= 1e-6 + 1e-4 * v:
            return summary
    return None


def retention_pulse(
    delay: PulseDelayResult | None, vset_mV: float | None, conditions: dict
) -> tuple[dict, str, str]:
    """The retention pulse ``{pulse_v, pulse_width}``, which kind it is (``table1`` or
    ``adapted``) and why: the Table 1 condition when the pulse-delay run measured a median
    delay at its amplitude shorter than its width (it sets the device), else
    ``RETENTION_VSETS`` measured Vsets (or the lowest switching amplitude above) lasting
    ``RETENTION_DELAYS`` times the 95th-percentile delay measured there."""
    v, width = table1_retention_pulse(conditions)
    table1 = f"the Table 1 condition ({v * 1e3:g} mV, {width * 1e3:g} ms)"
    kept = {"pulse_v": v, "pulse_width": width}
    if delay is None:
        return kept, "table1", f"{table1}: no pulse-delay measurement to judge it by"
    at = _delay_at(delay, v)
    if at is not None and at.median is not None and at.median * 1e-3 < width:
        why = f"{table1}: its measured median delay ({at.median:.3g} ms) is shorter than its width"
        return kept, "table1", why
    if at is None:
        measured = "its delay was not measured"
    elif at.median is None:
        measured = "most pulses at its amplitude did not switch"
    else:
        measured = f"its median delay ({at.median:.3g} ms) is not shorter than its width"
    target = RETENTION_VSETS * (vset_mV or 0.0) * 1e-3
    switching = []  # (amplitude V, p95 delay ms) at or above the target that switched
    for mv, s in delay.stats.delay_by_mV.items():
        if float(mv) * 1e-3 >= target * (1 - 1e-3) and s.median is not None and s.p95 is not None:
            switching.append((float(mv) * 1e-3, s.p95))
    if not vset_mV or not switching:
        missing = "no Vset was measured" if not vset_mV else "no amplitude above it switched"
        return kept, "table1", f"{table1}, though {measured}: {missing}"
    amplitude, p95 = min(switching)
    pulse_width = min(max(float(f"{RETENTION_DELAYS * p95 * 1e-3:.2g}"), 1e-4), 100.0)
    why = (
        f"{amplitude * 1e3:g} mV ({amplitude * 1e3 / vset_mV:.2g} x the measured Vset), "
        f"{pulse_width * 1e3:g} ms ({RETENTION_DELAYS:g} x the p95 delay there, "
        f"{p95:.3g} ms) instead of {table1}: {measured}"
    )
    return {"pulse_v": amplitude, "pulse_width": pulse_width}, "adapted", why


def characterize(
    station,
    out,
    *,
    sample: str,
    device: str,
    figures_dir=None,
    overrides: dict | None = None,
    on_event=None,
) -> Characterization:
    """Run the five protocols; stop at the first that does not finish."""
    overrides = overrides or {}
    conditions = station.conditions()
    volatile = conditions.get("volatile", True)
    result = Characterization(device, published=station.published(), conditions=conditions)
    measured: Measured = {}
    limit = station.config.limits.max_voltage
    for protocol in ORDER:  # every given parameter checked before anything is sent
        runner.prepare(station, protocol, overrides.get(protocol, {}))
    fresh = station.prober.pristine_copies  # a pristine device for each protocol
    for k, protocol in enumerate(ORDER):
        adapted, why = adapt(protocol, measured, {**conditions, **result.published}, limit)
        given = overrides.get(protocol, {})
        values = {**adapted, **given}
        if protocol == "retention":
            choice = "given" if {"pulse_v", "pulse_width"} & set(given) else why.split(":")[0]
            result.extra["retention_pulse_choice"] = choice
            result.notes.append(
                "retention pulse: "
                + ("as given with --set" if choice == "given" else why.partition(": ")[2])
            )
        procedure = runner.prepare(station, protocol, values)
        if k and fresh:
            station.reach()
        run = runner.run(
            station,
            procedure,
            out,
            sample=sample,
            device=device,
            figures_dir=figures_dir,
            on_event=on_event,
        )
        result.results.append(run)
        if run.result is not None:
            measured[protocol] = run.result
        if run.status != "finished":
            break
    collect(result, measured, volatile)
    result.extra["fresh_device_per_protocol"] = fresh
    if not fresh and result.figures["endurance_cycles"] is not None:
        earlier = switched_cycles(measured)
        result.figures["endurance_cycles"] += earlier
        result.extra["cycles_before_endurance"] = earlier
    return result


def switched_cycles(measured: Measured) -> int:
    """How many times the earlier protocols switched the device (from their measurements)."""
    total = 0
    if isinstance(iv := measured.get("iv-sweep"), IvSweepResult):
        total += iv.stats.vset_mV.n
    if isinstance(delay := measured.get("pulse-delay"), PulseDelayResult):
        total += sum(s.switched for s in delay.stats.delay_by_mV.values())
    if isinstance(retention := measured.get("retention"), RetentionResult):
        total += retention.stats.retention_ms.set_traces
    return total


def adapt(protocol: str, measured: Measured, conditions: dict, limit: float) -> tuple[dict, str]:
    """Parameters of ``protocol`` that follow from the earlier measurements and the test
    conditions (with the published figures, which only set how long it measures), and
    for the retention pulse which kind it is and why (``kind: why``; '' for the others)."""
    iv = measured.get("iv-sweep")
    vset = iv.vset_mV if isinstance(iv, IvSweepResult) else None
    delay = measured.get("pulse-delay")
    delay = delay if isinstance(delay, PulseDelayResult) else None
    if protocol == "iv-sweep":
        return {"precision": PRECISION, "max_cycles": stimuli_budget(conditions)}, ""
    if protocol == "pulse-delay":
        at = conditions.get("delay_at_mV", 100.0) * 1e-3
        also = [table1_retention_pulse(conditions)[0]]
        amplitudes = delay_amplitudes(vset, at, limit, also)
        most = {"precision": PRECISION, "max_pulses": stimuli_budget(conditions)}
        return {"amplitudes": amplitudes, "delay_at": at, **most}, ""
    if protocol == "retention":
        values, kind, why = retention_pulse(delay, vset, conditions)
        most = {"precision": PRECISION, "max_traces": stimuli_budget(conditions)}
        if conditions.get("volatile", True) and conditions.get("retention_ms"):
            expected = conditions["retention_ms"] * 1e-3
            most["window"] = expected_window(expected, Retention.window.default)
        return {**values, **most}, f"{kind}: {why}"
    if protocol == "endurance":
        values = set_pulse(delay, 10e-3)
        if conditions.get("endurance_cycles"):
            values["max_cycles"] = math.ceil(ENDURANCE_REACH * conditions["endurance_cycles"])
        retention = measured.get("retention")
        if (
            conditions.get("volatile", True)
            and isinstance(retention, RetentionResult)
            and retention.retention_ms
            and not retention.retention_censored
        ):
            values["relax"] = max(0.2, RELAX_RETENTIONS * retention.retention_ms * 1e-3)
        return values, ""
    return {}, ""


def stimuli_budget(conditions: dict) -> int:
    """The most cycles, steps or traces a figure is measured with for its precision: each sets
    the device, so a device published to last N cycles gets at most ``WEAR_SHARE`` N of them
    (ag-cspbi3-ag, 46 cycles: 60 delay steps wore it out and the later ones set late)."""
    endurance = conditions.get("endurance_cycles")
    if not endurance:
        return MOST_STIMULI
    return max(1, min(MOST_STIMULI, int(WEAR_SHARE * endurance)))


def collect(result: Characterization, measured: Measured, declared: bool) -> None:
    """The Table 1 row, the spreads and the extras (flags, fits, PPF) from the protocols'
    results, as JSON for the summary. The type is the one the retention run measured (the
    ``declared`` one of the test conditions where it could not tell), a conflict flagged."""
    figures: dict = {key: None for key in TABLE1}
    for run_result in measured.values():
        figures.update(run_result.table1())
        stored = run_result.model_dump(mode="json")
        result.stats.update(stored.get("stats") or {})
        result.extra.update(run_result.flags())
        result.extra.update({key: stored[key] for key in EXTRAS if key in stored})
    retention = measured.get("retention")
    found = retention.volatile if isinstance(retention, RetentionResult) else None
    figures["volatile"] = declared if found is None else found
    result.extra["type_measured"] = found is not None
    result.extra["type_conflict"] = found is not None and found != declared
    if isinstance(retention, RetentionResult):
        note = type_note(retention, declared)
        if note:
            result.notes.append(note)
    result.figures = figures


# the Table 1 columns shown with the 95 % confidence interval of their median (``stats``)
WITH_INTERVAL = {
    "vset_mV": "Vset",
    "vreset_mV": "Vreset",
    "on_off_ratio": "On/Off",
    "delay_ms": "delay",
    "retention_ms": "retention",
}


def _interval(c: Characterization, key: str, fmt: str) -> str:
    """`` [60, 65]``: the 95 % confidence interval of the figure ``key`` from its spread in
    ``stats``, where the figure is that spread's median; '' otherwise."""
    spread, value = c.stats.get(key) or {}, c.figures.get(key)
    low, high = spread.get("ci_low"), spread.get("ci_high")
    if value is None or low is None or high is None or spread.get("median") != value:
        return ""
    return f" [{fmt.format(low)}, {fmt.format(high)}]"


def interval_note(c: Characterization) -> str:
    """What the brackets of :func:`table_row` are, with the count behind each ('' when no
    figure has an interval)."""
    counts = [
        f"{name} {c.stats[key].get('n')}"
        for key, name in WITH_INTERVAL.items()
        if _interval(c, key, "{}")
    ]
    if not counts:
        return ""
    return "[low, high]: 95 % confidence interval of the median; n: " + ", ".join(counts)


def type_note(retention: RetentionResult, declared: bool) -> str:
    """What the Table 1 type rests on where it is not simply measured as declared: the
    declared type where the retention run could not tell, a warning where they conflict."""
    found, ms = retention.volatile, retention.retention_ms
    if found is None:
        why = (
            "its pulse set no trace"
            if ms is None
            else f"the state outlasted its window ({ms:.3g} ms), shorter than the "
            f"{TYPE_BOUNDARY_S:g} s that part the types"
        )
        return f"type: {type_name(declared)} as declared: the retention run could not tell ({why})"
    if found != declared:
        return (
            f"warning: type measured {type_name(found)} (retention {ms:.3g} ms), but the test "
            f"conditions declare it {type_name(declared)}"
        )
    return ""


def type_name(volatile: bool) -> str:
    return "volatile" if volatile else "nonvolatile"


def table_row(c: Characterization) -> str:
    """The device's row in the layout of Table 1 of the review, each median with its 95 %
    confidence interval (:func:`interval_note` says over how many)."""
    f = c.figures

    def num(value, fmt="{:.3g}"):
        return "-" if value is None else fmt.format(value)

    def median(key, fmt):
        return num(f[key], fmt) + _interval(c, key, fmt)

    delay = (
        "-"
        if f["delay_ms"] is None
        else f"{median('delay_ms', '{:.3g}')} ms @ {f['delay_at_mV']:g} mV"
    )
    if f["retention_ms"] is None:
        retention = "-"
    else:
        bound = ">" if c.extra.get("retention_censored") else ""
        retention = (
            f"{bound}{median('retention_ms', '{:.3g}')} ms ({f['retention_pulse_mV']:g} mV, "
            f"{f['retention_pulse_ms']:g} ms)"
        )
    on_off = ("> " if c.extra.get("on_off_lower_bound") else "") + median("on_off_ratio", "{:.2g}")
    endurance = (">=" if c.extra.get("endurance_censored") else "") + num(
        f["endurance_cycles"], "{:.3g}"
    )
    columns = [
        ("Device", c.device),
        ("Vset (mV)", median("vset_mV", "{:.0f}")),
        ("Vreset (mV)", median("vreset_mV", "{:.0f}")),
        ("On/Off", on_off),
        ("Endurance (cycles)", endurance),
        ("Delay", delay),
        ("Retention", retention),
        (
            "Type",
            type_name(f["volatile"]) + (" (declared not)" if c.extra.get("type_conflict") else ""),
        ),
    ]
    widths = [max(len(h), len(v)) for h, v in columns]
    header = " | ".join(h.ljust(w) for (h, _), w in zip(columns, widths, strict=True))
    rule = "-+-".join("-" * w for w in widths)
    row = " | ".join(v.ljust(w) for (_, v), w in zip(columns, widths, strict=True))
    return "\n".join([header, rule, row])


# the published figures a characterization measures, with the flag that makes a measured one
# a lower bound (a censored figure, or an On/Off at the instrument's floor) and how the bound
# is written (an endurance censored at N: the device survived N cycles, >= N)
COMPARED = {
    "vset_mV": ("Vset (mV)", "", ""),
    "vreset_mV": ("Vreset (mV)", "", ""),
    "on_off_ratio": ("On/Off", "on_off_lower_bound", ">"),
    "endurance_cycles": ("Endurance (cycles)", "endurance_censored", ">="),
    "delay_ms": ("Delay (ms)", "", ""),
    "retention_ms": ("Retention (ms)", "retention_censored", ">"),
}


def _condition(key: str, values: dict) -> str:
    """The condition a delay or retention was measured under, from ``values`` (measured
    figures or the device file's conditions, which name them alike)."""
    try:
        if key == "delay_ms":
            return f" @ {values['delay_at_mV']:g} mV"
        if key == "retention_ms":
            return f" ({values['retention_pulse_mV']:g} mV, {values['retention_pulse_ms']:g} ms)"
    except (KeyError, TypeError):  # not measured, or no device file conditions
        pass
    return ""


def comparison(c: Characterization) -> str:
    """The measured figures beside the device file's published ones ('' without any): a
    line per published figure with measured/published ('>' or '>=' where the measured figure
    is a lower bound)."""
    rows = [("figure", "measured", "published", "ratio")]
    for key, (label, flag, symbol) in COMPARED.items():
        if key not in c.published:
            continue
        published, measured = c.published[key], c.figures.get(key)
        bound = symbol if flag and c.extra.get(flag) else ""
        rows.append(
            (
                label,
                "-" if measured is None else f"{bound}{measured:.3g}" + _condition(key, c.figures),
                f"{published:.3g}" + _condition(key, c.conditions),
                "-" if measured is None else f"{bound}{measured / published:.2f}",
            )
        )
    if len(rows) == 1:
        return ""
    widths = [max(len(row[k]) for row in rows) for k in range(4)]
    lines = [
        "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in rows
    ]
    return "\n".join(["measured beside published (device file):", *lines])
