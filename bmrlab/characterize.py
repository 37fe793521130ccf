"""The standard characterization: a device's Table 1 row from five protocols.

I-V sweep, pulse delay, retention, endurance and paired pulse run one after the other on one
station into one HDF5 file, each adapted to what the earlier ones measured, as an
experimenter would: the delay amplitudes bracket the measured Vset, the endurance set pulse
is an amplitude whose measured delays fit well inside it, the relaxation between endurance
cycles outlasts the measured retention. Test conditions (volatile or not, the delay and
retention pulse) come from the device file (``--device-file`` on any station, ``--device`` on
the simulator), else the standard ones. The figures come only from the measured arrays; the
device file's published figures are only printed beside them (:func:`comparison`).

Switching wears a device out (Table 1 lists devices that last 46 cycles), so each protocol
runs on a pristine device of the same kind where the station's prober moves to one by itself
(the simulated prober: the next nominally identical device of the chip); where a person moves
the probes all five run on the probed device, and the cycles the earlier protocols switched it
are added to its measured endurance.
"""

from dataclasses import dataclass, field

from . import runner
from .procedures.iv_sweep import IvSweepResult
from .procedures.pulse_delay import PulseDelayResult
from .procedures.retention import RetentionResult
from .results import ProtocolResult
from .standard import TABLE1

ORDER = ("iv-sweep", "pulse-delay", "retention", "endurance", "paired-pulse")
DELAY_MULTIPLES = (1.5, 2.0, 2.5, 3.0, 4.0)  # delay amplitudes, in measured Vsets
SET_PULSE_DELAYS = 3.0  # the endurance set pulse lasts this many p95 delays at least
RELAX_RETENTIONS = 5.0  # endurance relaxation, in measured retentions
EXTRAS = ("delay_fit", "retention_fit", "ppf")  # results shown beside the Table 1 row

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


def delay_amplitudes(vset_mV, delay_at: float, limit: float) -> list[float]:
    """The Table 1 amplitude and multiples of the measured Vset below the station limit."""
    amplitudes = {round(delay_at, 6)}
    if vset_mV:
        amplitudes |= {
            round(k * vset_mV * 1e-3, 4)
            for k in DELAY_MULTIPLES
            if k * vset_mV * 1e-3 <= 0.9 * limit
        }
    return sorted(amplitudes)


def set_pulse(delay: PulseDelayResult | None, width: float) -> float | None:
    """The lowest measured amplitude whose delays (p95) fit ``SET_PULSE_DELAYS`` times in a
    pulse of ``width``."""
    if delay is None:
        return None
    for mv, s in sorted(delay.stats.delay_by_mV.items(), key=lambda x: float(x[0])):
        if s.median is not None and s.p95 is not None and s.p95 * 1e-3 * SET_PULSE_DELAYS <= width:
            return float(mv) * 1e-3
    return None


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
    fresh = station.prober.unattended  # a pristine device for each protocol
    for k, protocol in enumerate(ORDER):
        values = {**adapt(protocol, measured, conditions, limit), **overrides.get(protocol, {})}
        procedure = runner.prepare(station, protocol, values)
        if k and fresh:
            station.prober.next_device()
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
        total += sum(1 for v in retention.stats.retention_ms.values if v > 0)
    return total


def adapt(protocol: str, measured: Measured, conditions: dict, limit: float) -> dict:
    """Parameters of ``protocol`` that follow from the earlier measurements."""
    if protocol == "pulse-delay":
        iv = measured.get("iv-sweep")
        vset = iv.vset_mV if isinstance(iv, IvSweepResult) else None
        at = conditions.get("delay_at_mV", 100.0) * 1e-3
        return {"amplitudes": delay_amplitudes(vset, at, limit), "delay_at": at}
    if protocol == "endurance":
        values = {}
        delay = measured.get("pulse-delay")
        set_v = set_pulse(delay if isinstance(delay, PulseDelayResult) else None, 10e-3)
        if set_v:
            values["set_v"] = set_v
        retention = measured.get("retention")
        if (
            conditions.get("volatile", True)
            and isinstance(retention, RetentionResult)
            and retention.retention_ms
            and not retention.retention_censored
        ):
            values["relax"] = max(0.2, RELAX_RETENTIONS * retention.retention_ms * 1e-3)
        return values
    return {}


def collect(result: Characterization, measured: Measured, volatile: bool) -> None:
    """The Table 1 row, the spreads and the extras (flags, fits, PPF) from the protocols'
    results, as JSON for the summary."""
    figures: dict = {key: None for key in TABLE1}
    for run_result in measured.values():
        figures.update(run_result.table1())
        stored = run_result.model_dump(mode="json")
        result.stats.update(stored.get("stats") or {})
        result.extra.update(run_result.flags())
        result.extra.update({key: stored[key] for key in EXTRAS if key in stored})
    figures["volatile"] = volatile
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
    endurance = (">" if c.extra.get("endurance_censored") else "") + num(
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
        ("Type", "volatile" if f["volatile"] else "nonvolatile"),
    ]
    widths = [max(len(h), len(v)) for h, v in columns]
    header = " | ".join(h.ljust(w) for (h, _), w in zip(columns, widths, strict=True))
    rule = "-+-".join("-" * w for w in widths)
    row = " | ".join(v.ljust(w) for (_, v), w in zip(columns, widths, strict=True))
    return "\n".join([header, rule, row])


# the published figures a characterization measures, with the flag that makes a measured one
# a bound (a censored figure, or an On/Off at the instrument's floor)
COMPARED = {
    "vset_mV": ("Vset (mV)", ""),
    "vreset_mV": ("Vreset (mV)", ""),
    "on_off_ratio": ("On/Off", "on_off_lower_bound"),
    "endurance_cycles": ("Endurance (cycles)", "endurance_censored"),
    "delay_ms": ("Delay (ms)", ""),
    "retention_ms": ("Retention (ms)", "retention_censored"),
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
    line per published figure with measured/published ('>' where the measured figure is a
    lower bound)."""
    rows = [("figure", "measured", "published", "ratio")]
    for key, (label, flag) in COMPARED.items():
        if key not in c.published:
            continue
        published, measured = c.published[key], c.figures.get(key)
        bound = ">" if flag and c.extra.get(flag) else ""
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
