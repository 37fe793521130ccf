"""PNG figures of runs, drawn headless with matplotlib (labelled axes, units, log scales)."""

import itertools
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
from contextlib import contextmanager

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import ticker

from .analysis.iv import NO_FIELD_DRIVEN, RESET_WORDS, IvPhase, ResetKind
from .analysis.retention import RetentionPhase
from .units import format_quantity

MAX_LOOPS = 200  # I-V loops drawn in one figure; a longer run shows evenly spaced cycles
MAX_TRACES = 200  # retention traces drawn in one figure, likewise
SET_TRACE = {"lw": 0.8, "alpha": 0.6}  # a retention trace the pulse set ...
NOISE_READS = 5  # reads below the floor that show the read noise of the range
NOT_SET_TRACE = {"lw": 0.9, "alpha": 0.9, "color": "0.25", "ls": "--", "zorder": 3}  # ... did not


PLAIN_LABELS = (1e-3, 1e4)  # log-axis tick values written as plain numbers (20, not 2x10^1)


class PlainLogLabels(ticker.Formatter):
    """Tick labels of a log axis as plain numbers (``20``, ``0.5``) when the axis's whole
    view lies between ``PLAIN_LABELS``, else all in ``10^-9`` style: one axis never mixes
    ``1`` with ``10^1``. Which ticks get a label is matplotlib's choice (``inner``)."""

    def __init__(self, inner: ticker.Formatter):
        self.inner = inner

    def set_axis(self, axis) -> None:
        super().set_axis(axis)
        self.inner.set_axis(axis)

    def set_locs(self, locs) -> None:
        self.inner.set_locs(locs)

    def __call__(self, x, pos=None) -> str:
        text = self.inner(x, pos)
        low, high = sorted(abs(v) for v in self.axis.get_view_interval())
        if text and PLAIN_LABELS[0] <= low and high < PLAIN_LABELS[1]:
            return f"{x:g}"
        return text


def plain_log_labels(fig) -> None:
    """Every log axis of ``fig`` labelled with ``PlainLogLabels``."""
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            if axis.get_scale() == "log":
                axis.set_major_formatter(PlainLogLabels(axis.get_major_formatter()))
                axis.set_minor_formatter(PlainLogLabels(axis.get_minor_formatter()))


@contextmanager
def figure(path):
    """Axes for one PNG figure: the folder is made, the figure laid out (log axes with plain
    tick labels), saved and closed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(7, 5), dpi=120)
    try:
        yield ax
        plain_log_labels(fig)
        fig.tight_layout()
        fig.savefig(path)
    finally:
        plt.close(fig)


def group_keys(stored, key: str) -> np.ndarray:
    """The distinct values of column ``key`` (the cycles, the traces), read block by block."""
    found = [np.unique(block[key]) for block in stored.chunks([key])]
    return np.unique(np.concatenate(found)) if found else np.empty(0, dtype=int)


def evenly_spaced(keys: np.ndarray, most: int) -> set:
    """At most ``most`` of ``keys``, evenly spaced from the first to the last."""
    if not keys.size:
        return set()
    return set(keys[np.linspace(0, keys.size - 1, min(most, keys.size)).astype(int)].tolist())


def cycle_colours(ax, cycles: np.ndarray):
    """The colour of each cycle and a colour bar with whole-cycle ticks: one band per cycle
    for a few cycles, a continuous scale with integer ticks for many."""
    first = int(cycles.min()) if cycles.size else 1
    last = int(cycles.max()) if cycles.size else 1
    cmap = plt.get_cmap("viridis")
    norm: matplotlib.colors.Normalize
    if last - first < 10:
        norm = matplotlib.colors.BoundaryNorm(np.arange(first - 0.5, last + 1.5), cmap.N)
        ticks = np.arange(first, last + 1)
    else:
        norm = matplotlib.colors.Normalize(first, last)
        ticks = None
    bar = ax.figure.colorbar(
        plt.cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax, label="cycle", ticks=ticks
    )
    if ticks is None:
        bar.locator = matplotlib.ticker.MaxNLocator(integer=True)
        bar.update_ticks()
    return lambda c: cmap(norm(c))


def direction_arrows(ax, v: np.ndarray, i: np.ndarray) -> None:
    """An arrow along each leg of one loop (0 -> +max, +max -> 0, 0 -> -max, -max -> 0) in
    the direction of the sweep, 20-40 % into the leg (so that the legs' arrows do not
    overlap) where the current changes least (an arrow across a set or a reset would point
    off the curve)."""
    log_i = np.log10(np.maximum(i, 1e-30))
    ends = np.flatnonzero((np.diff(np.sign(np.diff(v))) != 0) | (v[1:-1] == 0)) + 1
    for a, b in itertools.pairwise([0, *ends.tolist(), v.size - 1]):
        span = (b - a) // 12
        if span < 1:
            continue
        starts = np.arange(a + (b - a) // 5, a + 2 * (b - a) // 5)
        if not starts.size:
            continue
        k = int(starts[np.argmin(np.abs(log_i[starts + span] - log_i[starts]))])
        ax.annotate(
            "",
            xy=(v[k + span] * 1e3, i[k + span]),
            xytext=(v[k] * 1e3, i[k]),
            arrowprops={"arrowstyle": "-|>", "color": "black", "lw": 1.5, "mutation_scale": 14},
        )


def iv_loops(stored, result, path: Path) -> Path:
    """log|I| against the programmed voltage (the one Vset is taken on), coloured by cycle,
    with the compliance, the sweep direction (arrows on the last loop drawn), the reads of
    a bipolar sweep's control cycle and the median Vset (and field-driven Vreset) marked.
    A long run draws ``MAX_LOOPS`` evenly spaced cycles, read one at a time from the file."""
    cycles = group_keys(stored, "cycle")
    cycles = cycles[cycles > 0]  # cycle 0: a bipolar run's control, drawn by its reads
    shown_cycles = evenly_spaced(cycles, MAX_LOOPS)
    compliance = stored.parameters.get("compliance")
    with figure(path) as ax:
        colour = cycle_colours(ax, cycles)
        lowest, last, controls = [], None, 0
        for c, data in stored.groups("cycle", ["v_src_V", "i_A", "phase"]):
            i = np.abs(data["i_A"])
            hold = (data["phase"] == IvPhase.HOLD_READ) & (i > 0)
            if hold.any():  # the control cycle of a bipolar sweep
                controls += 1
                ax.semilogy(
                    data["v_src_V"][hold] * 1e3,
                    i[hold],
                    "kx",
                    ms=6,
                    label="control: reads during its hold at 0 V",
                )
            if c not in shown_cycles:
                continue
            sel = (data["phase"] == IvPhase.SWEEP) & (i > 0)
            ax.semilogy(data["v_src_V"][sel] * 1e3, i[sel], color=colour(c), lw=0.8, alpha=0.8)
            if sel.any():
                lowest.append(np.percentile(i[sel], 1))
                if not hold.any():
                    last = (data["v_src_V"][sel], i[sel])
        if last is not None:
            direction_arrows(ax, *last)
        if compliance:
            ax.axhline(
                compliance,
                color="gray",
                ls="-.",
                lw=1.0,
                label=f"compliance {compliance * 1e6:g} µA",
            )
        for key, label, sign, style in (
            ("vset_mV", "Vset", 1, "--"),
            ("vreset_mV", "Vreset (field-driven)", -1, ":"),
        ):
            value = getattr(result, key, None)
            if value is not None:
                ax.axvline(
                    sign * value,
                    color="crimson",
                    ls=style,
                    lw=1.2,
                    label=f"median {label} {value:.1f} mV",
                )
        if lowest:  # the noise floor, not single near-zero readings, sets the bottom
            ax.set_ylim(bottom=float(np.median(lowest)) / 3)
        if compliance:
            ax.set_ylim(top=max(ax.get_ylim()[1], compliance * 3))
        ax.set_xlabel("programmed voltage (mV)")
        ax.set_ylabel("|Current| (A)")
        title = f"I-V loops, {cycles.size} cycles"
        if len(shown_cycles) < cycles.size:
            title += f" ({len(shown_cycles)} shown)"
        if controls:
            title += " and a control"
        if result is not None and result.on_off_ratio:
            title += (
                f"; On/Off {result.on_off_ratio:.2g} at {stored.parameters['v_read'] * 1e3:g} mV"
            )
        ax.set_title(title + "\n(arrows: sweep direction)", fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8, loc="lower right")
    return Path(path)


def _interval_bars(values: list, lows: list, highs: list) -> np.ndarray:
    """Error-bar lengths below and above each value from its interval (0 where unknown)."""
    below = [v - lo if lo is not None else 0.0 for v, lo in zip(values, lows, strict=True)]
    above = [hi - v if hi is not None else 0.0 for v, hi in zip(values, highs, strict=True)]
    return np.maximum([below, above], 0.0)


def delay_against_voltage(stored, result, path: Path) -> Path:
    """Median delay with its 95 % confidence interval against amplitude on a log axis, with
    the fit and its standard errors; a run that did not finish has no delays: its figure
    says so."""
    with figure(path) as ax:
        by_mv = result.stats.delay_by_mV if result is not None else {}
        for resolved, style, words in ((True, "o", "median"), (False, "^", "resolution-limited")):
            points = [
                (float(mv), s)
                for mv, s in by_mv.items()
                if s.median is not None and s.resolved is resolved
            ]
            if not points:
                continue
            mv, summaries = zip(*points, strict=True)
            medians = [s.median for s in summaries]
            ax.errorbar(
                mv,
                medians,
                yerr=_interval_bars(
                    medians, [s.ci_low for s in summaries], [s.ci_high for s in summaries]
                ),
                fmt=style,
                color="navy",
                capsize=3,
                label=f"{words} [95 % CI]",
            )
        fit = result.delay_fit if result is not None else None
        if fit:
            v = np.linspace(
                max(min(map(float, by_mv)), (fit.V_th_mV or 0.0) * 1.02),
                max(map(float, by_mv)),
                200,
            )
            rate = np.sinh(v / fit.V0_mV) / fit.tau0_s
            tau_x = fit.tau_x_s
            t_d = 1 / rate if tau_x is None else tau_x * np.log(rate * tau_x / (rate * tau_x - 1))
            label = (
                f"fit (± standard error): V0 = {_with_se(fit.V0_mV, fit.V0_mV_se, 1)} mV, "
                f"tau0 = {_with_se(fit.tau0_s * 1e3, _scaled(fit.tau0_s_se, 1e3))} ms"
            )
            if tau_x is not None:
                label += (
                    f",\ntau_x = {_with_se(tau_x * 1e3, _scaled(fit.tau_x_s_se, 1e3))} ms, "
                    f"V_th = {_with_se(fit.V_th_mV or 0.0, fit.V_th_mV_se, 1)} mV"
                )
            ax.plot(v, t_d * 1e3, color="crimson", label=label)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
        ax.set_yscale("log")
        ax.set_xlabel("step amplitude (mV)")
        ax.set_ylabel("switching delay (ms)")
        ax.set_title(
            "Pulse delay: median over pulses with its 95 % confidence interval"
            if result is not None
            else f"Pulse delay: the run did not finish ({stored.rows} rows, no delays)"
        )
        ax.grid(True, which="both", alpha=0.3)
    return Path(path)


def _scaled(value: float | None, scale: float) -> float | None:
    return None if value is None else value * scale


def _with_se(value: float, se: float | None, digits: int | None = None) -> str:
    """``78 ± 6`` (or the value alone when its standard error is not determined)."""
    text = f"{value:.{digits}f}" if digits is not None else f"{value:.3g}"
    if se is None:
        return text
    return text + " ± " + (f"{se:.{digits}f}" if digits is not None else f"{se:.2g}")


def retention_decay(stored, result, path: Path) -> Path:
    """Read conductance against time after the pulse, one line per trace (``MAX_TRACES``
    evenly spaced ones of a long run, read one at a time from the file), log axes, with what
    the figure is made of: the threshold, the traces the pulse never set (grey, dashed), the
    floor of the fixed measure range (the HRS is taken there when below it) and the read
    noise of that range (the 95th percentile of the reads below the floor), where a lost
    state's reads lie; the median retention marked."""
    from .analysis.retention import RANGE_FLOOR, floor_conductance, off_conductance, pulse_set

    parameters = stored.parameters
    v_read, compliance = parameters["v_read"], parameters["compliance"]
    traces = group_keys(stored, "trace")
    shown = evenly_spaced(traces, MAX_TRACES)
    floor = floor_conductance(compliance, v_read)
    failed, below_floor = [], []  # the lines of traces the pulse did not set; noise reads
    with figure(path) as ax:
        for trace, data in stored.groups("trace", ["phase", "t_after_s", "i_A"]):
            hrs = np.abs(data["i_A"][data["phase"] == RetentionPhase.HRS_READ])
            read = (data["phase"] == RetentionPhase.READ) & (data["t_after_s"] > 0)
            if trace not in shown or not (read.any() and hrs.size):
                continue
            g = np.abs(data["i_A"][read]) / v_read
            below_floor += [x[x < floor] for x in (g, hrs / v_read)]
            was_set = pulse_set(g[0], off_conductance(hrs[-1], compliance, v_read))
            (line,) = ax.loglog(
                data["t_after_s"][read] * 1e3,
                np.maximum(g, 1e-13),
                marker="." if len(traces) == 1 else None,
                **(SET_TRACE if was_set else NOT_SET_TRACE),
            )
            if not was_set:
                failed.append(line)
        if failed:
            traces_text = f"{len(failed)} trace" + ("s" if len(failed) > 1 else "")
            failed[0].set_label(f"pulse did not set the device ({traces_text})")
        range_text = format_quantity(compliance, "A", 3)
        ax.axhline(
            floor,
            color="black",
            ls=":",
            lw=1,
            label=f"floor of the {range_text} range ({RANGE_FLOOR:.1%}): {floor:.2g} S",
        )
        noise = np.concatenate(below_floor) if below_floor else np.empty(0)
        bottom = 0.3 * floor
        if noise.size >= NOISE_READS and np.percentile(noise, 95) > 0:
            level = float(np.percentile(noise, 95))
            bottom = 0.05 * level
            ax.axhspan(1e-13, level, color="0.88", zorder=0)
            ax.text(
                0.01,
                level,
                f"read noise of the {range_text} range: {level:.1g} S",
                transform=ax.get_yaxis_transform(),
                va="bottom",
                fontsize=8,
                color="0.3",
            )
        threshold = getattr(result, "retention_threshold", None)
        if threshold is not None:
            ax.axhline(
                threshold.threshold_S,
                color="navy",
                ls="-.",
                lw=1.2,
                label=f"threshold sqrt(G_on G_off): {threshold.threshold_S:.2g} S"
                + (" (G_off at the floor)" if threshold.hrs_at_floor else ""),
            )
        value = result.retention_ms if result is not None else None
        if value:
            kind = "window (censored)" if result.retention_censored else "median retention"
            ax.axvline(value, color="crimson", ls="--", label=f"{kind} {value:.3g} ms")
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8, loc="best")
        ax.set_ylim(bottom=max(1e-13, bottom))
        ax.set_xlabel("time after the pulse (ms)")
        ax.set_ylabel(f"read conductance at {v_read * 1e3:g} mV (S)")
        title = (
            f"Retention after {parameters['pulse_v'] * 1e3:g} mV, "
            f"{parameters['pulse_width'] * 1e3:g} ms"
        )
        if len(shown) < len(traces):
            title += f" ({len(shown)} of {len(traces)} traces shown)"
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
    return Path(path)


def endurance_states(stored, result, path: Path) -> Path:
    """LRS and HRS against cycle (log axes) as the analysis uses them: the HRS from the
    resolved read where it held (open markers at its floor), the On/Off = 10 criterion as
    the line LRS/10 the HRS must stay below, every cycle's set-pulse current (thinned to its
    peaks block by block) with the failed sets and resets marked, and the endurance."""
    from .analysis.endurance import EndurancePhase, failed_resets, failed_sets
    from .decimate import peak_decimate
    from .procedures.endurance import stored_reads
    from .units import format_quantity

    v_read = stored.parameters["v_read"]
    reads = stored_reads(stored)
    scheme = result.stats.read_scheme if result is not None else None
    set_threshold = scheme.set_threshold_A if scheme is not None else None
    reset_threshold = scheme.reset_threshold_A if scheme is not None else None
    pulses: list[tuple[np.ndarray, np.ndarray]] = []
    failed: dict[str, list[np.ndarray]] = {"set": [], "reset": []}
    for block in stored.chunks(["cycle", "phase", "i_A"]):
        current = np.abs(block["i_A"])
        on_set = block["phase"] == EndurancePhase.SET
        pulses.append(peak_decimate(block["cycle"][on_set], np.maximum(current[on_set], 1e-14)))
        for kind, phase, test, threshold in (
            ("set", EndurancePhase.SET, failed_sets, set_threshold),
            ("reset", EndurancePhase.RESET, failed_resets, reset_threshold),
        ):
            sel = block["phase"] == phase
            if threshold is not None and sel.any():
                failed[kind].append(block["cycle"][sel][test(block["i_A"][sel], threshold)])
    with figure(path) as ax:
        if pulses:
            x, y = (np.concatenate(parts) for parts in zip(*pulses, strict=True))
            ax.loglog(x, y, ".", ms=1.5, color="0.6", label="end of each set pulse")
        if reads.cycles.size:
            label = f"read at {v_read * 1e3:g} mV"
            ax.loglog(
                reads.cycles, reads.lrs, "o-", ms=3, lw=0.8, color="crimson", label=f"LRS {label}"
            )
            ax.loglog(
                reads.cycles,
                reads.lrs / 10,
                "--",
                lw=1,
                color="crimson",
                alpha=0.6,
                label="LRS/10: On/Off = 10 criterion",
            )
            hrs = np.maximum(reads.hrs, reads.floor)
            ax.loglog(reads.cycles, hrs, "-", lw=0.8, color="navy")
            above = reads.hrs > reads.floor
            ax.loglog(
                reads.cycles[above],
                hrs[above],
                "o",
                ms=3,
                color="navy",
                label=f"HRS {label} (as analysed)",
            )
            if (~above).any():
                ax.loglog(
                    reads.cycles[~above],
                    hrs[~above],
                    "o",
                    ms=4,
                    mfc="none",
                    color="navy",
                    label="HRS at its read floor",
                )
            ax.loglog(
                reads.cycles,
                reads.floor,
                ":",
                lw=1,
                color="navy",
                alpha=0.6,
                label="HRS read floor",
            )
        bottom = ax.get_ylim()[0] if ax.has_data() else 1e-14
        for kind, marker, color in (("set", "x", "darkorange"), ("reset", "+", "purple")):
            cycles = np.concatenate(failed[kind]) if failed[kind] else np.empty(0)
            if cycles.size:
                shown = cycles[np.linspace(0, cycles.size - 1, min(cycles.size, 2000)).astype(int)]
                ax.plot(
                    shown,
                    np.full(shown.size, bottom * 2),
                    marker,
                    ms=5,
                    color=color,
                    label=f"failed {kind}: {cycles.size:,} cycles",
                )
        value = result.endurance_cycles if result is not None else None
        if value:
            kind = "run ended (censored)" if result.endurance_censored else "endurance"
            bound = " (lower bound: HRS floor)" if result.endurance_floor_limited else ""
            ax.axvline(value, color="gray", ls="--", label=f"{kind}: {value:,} cycles{bound}")
        ax.set_xlabel("cycle")
        ax.set_ylabel("current (A)")
        title = "Endurance: LRS and HRS against cycle"
        if scheme is not None and scheme.hrs_range_A is not None:
            title += (
                f"\nHRS read on the {format_quantity(scheme.hrs_range_A, 'A', 3)} range at "
                f"{scheme.hrs_nplc:g} NPLC; every cycle's set checked, "
                f"{scheme.cycles_read} cycles read"
            )
        ax.set_title(title, fontsize=10)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7, loc="best")
        ax.grid(True, which="both", alpha=0.3)
    return Path(path)


def ppf_against_interval(stored, result, path: Path) -> Path:
    """PPF index against the pulse interval (log x): each pair (read one at a time from the
    file), the median of the pairs with its 95 % confidence interval, and the fit of the
    pairs with the standard error of its time constant."""
    from .analysis.paired_pulse import PAIR_COLUMNS, pair_currents, ppf_index

    with figure(path) as ax:
        pairs = [
            (interval * 1e3, float(ppf_index([a1], [a2])[0]))
            for a1, a2, interval in pair_currents(stored.groups("pair", PAIR_COLUMNS))
        ]
        if pairs:
            ax.semilogx(*zip(*pairs, strict=True), ".", color="gray", alpha=0.5, label="pairs")
        ppf = result.ppf if result is not None else None
        if ppf is not None and ppf.interval_ms:
            median = np.array([np.nan if i is None else i for i in ppf.index])
            low = np.array([np.nan if v is None else v for v in ppf.index_ci_low])
            high = np.array([np.nan if v is None else v for v in ppf.index_ci_high])
            ax.errorbar(
                ppf.interval_ms,
                median,
                yerr=[np.nan_to_num(median - low), np.nan_to_num(high - median)],
                fmt="o",
                color="navy",
                capsize=3,
                label=f"median of the pairs, 95 % CI (n = {_count_text(ppf.n)} per interval)",
            )
            ax.set_xscale("log")
        if ppf is not None and (fit := ppf.fit) is not None:
            dt = np.geomspace(min(ppf.interval_ms), max(ppf.interval_ms), 200)
            ax.semilogx(
                dt, fit.index(dt), color="crimson", label=f"fit of the pairs: {fit.formula()}"
            )
        ax.axhline(1.0, color="gray", lw=0.8)
        ax.set_xlabel("interval between the pulses (ms)")
        ax.set_ylabel("PPF index A2 / A1")
        ax.set_title("Paired-pulse facilitation")
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
        ax.grid(True, which="both", alpha=0.3)
    return Path(path)


def _count_text(counts: list[int]) -> str:
    """``10``, or ``8-10`` where the intervals have different counts."""
    if not counts:
        return "0"
    low, high = min(counts), max(counts)
    return f"{low}" if low == high else f"{low}-{high}"


def vset_histogram(result, path: Path) -> Path:
    """Histogram of the per-cycle set voltages and, when the sweep reset the device by the
    field, of the reset voltages, with the medians; how each cycle's low-resistance state
    ended (the Vreset classification) in the corner."""
    resets = result.stats.resets
    with figure(path) as ax:
        shown = []
        for spread, label, color in (
            (result.stats.vset_mV, "Vset", "navy"),
            (result.stats.vreset_mV, "|Vreset| (field-driven)", "crimson"),
        ):
            values = spread.values
            if values:
                shown.append(label)
                ax.hist(
                    values,
                    bins=min(20, max(5, len(values) // 2)),
                    alpha=0.6,
                    color=color,
                    label=f"{label}: median {spread.median:.1f} mV, n = {len(values)}",
                )
                ax.axvline(spread.median, color=color, ls="--")
        counts = [
            f"{getattr(resets, name)} {RESET_WORDS[ResetKind(name)]}"
            for name in type(resets).model_fields
            if getattr(resets, name)
        ]
        words = "End of the LRS: " + "; ".join(counts)
        reason = result.stats.vreset_mV.reason
        if result.vreset_mV is None and reason:  # a reason that gives the counts replaces them
            words = ("" if reason.startswith(NO_FIELD_DRIVEN) else f"{words}. ") + (
                f"No Vreset: {reason}"
            )
        ax.text(
            0.02,
            0.97,
            textwrap.fill(words, 60),
            transform=ax.transAxes,
            va="top",
            fontsize=7,
            bbox={"facecolor": "white", "edgecolor": "lightgray"},
        )
        ax.set_xlabel("|switching voltage| (mV)")
        ax.set_ylabel("cycles")
        ax.set_title(
            "Set and reset voltages over cycles" if len(shown) == 2 else "Set voltage over cycles"
        )
        ax.set_ylim(top=ax.get_ylim()[1] * 1.6)  # room for the classification
        if ax.get_legend_handles_labels()[0]:
            ax.legend(loc="upper right", fontsize=8)
    return Path(path)
