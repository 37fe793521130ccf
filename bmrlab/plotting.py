"""PNG figures of runs, drawn headless with matplotlib (labelled axes, units, log scales)."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
from contextlib import contextmanager

import matplotlib.pyplot as plt
import numpy as np

from .analysis.iv import IvPhase
from .analysis.retention import RetentionPhase

MAX_LOOPS = 200  # I-V loops drawn in one figure; a longer run shows evenly spaced cycles
MAX_TRACES = 200  # retention traces drawn in one figure, likewise


@contextmanager
def figure(path):
    """Axes for one PNG figure: the folder is made, the figure laid out, saved and closed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(7, 5), dpi=120)
    try:
        yield ax
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


def iv_loops(stored, result, path: Path) -> Path:
    """log|I| against V, coloured by cycle, with the median Vset (and Vreset) marked. A long
    run draws ``MAX_LOOPS`` evenly spaced cycles, read one at a time from the file."""
    cycles = group_keys(stored, "cycle")
    shown_cycles = evenly_spaced(cycles, MAX_LOOPS)
    with figure(path) as ax:
        norm = matplotlib.colors.Normalize(
            cycles.min() if cycles.size else 0,
            max(cycles.max(), cycles.min() + 1) if cycles.size else 1,
        )
        lowest = []
        for c, data in stored.groups("cycle", ["v_V", "i_A", "phase"]):
            if c not in shown_cycles:
                continue
            i = np.abs(data["i_A"])
            sel = (data["phase"] == IvPhase.SWEEP) & (i > 0)
            ax.semilogy(
                data["v_V"][sel] * 1e3, i[sel], color=plt.cm.viridis(norm(c)), lw=0.8, alpha=0.8
            )
            if sel.any():
                lowest.append(np.percentile(i[sel], 1))
        for key, label, sign, style in (
            ("vset_mV", "Vset", 1, "--"),
            ("vreset_mV", "Vreset", -1, ":"),
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
        ax.set_xlabel("Voltage (mV)")
        ax.set_ylabel("|Current| (A)")
        title = f"I-V loops, {cycles.size} cycles"
        if len(shown_cycles) < cycles.size:
            title += f" ({len(shown_cycles)} shown)"
        if result is not None and result.on_off_ratio:
            title += (
                f"; On/Off {result.on_off_ratio:.2g} at {stored.parameters['v_read'] * 1e3:g} mV"
            )
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8, loc="lower right")
        ax.figure.colorbar(plt.cm.ScalarMappable(norm=norm, cmap="viridis"), ax=ax, label="cycle")
    return Path(path)


def delay_against_voltage(stored, result, path: Path) -> Path:
    """Median delay (5-95 % bars) against amplitude on a log axis, with the fit; a run that
    did not finish has no delays: its figure says so."""
    with figure(path) as ax:
        by_mv = result.stats.delay_by_mV if result is not None else {}
        for mv, s in by_mv.items():
            if s.median is None:
                continue
            style = "o" if s.resolved else "^"
            low, high = max(s.median - s.p5, 0.0), max(s.p95 - s.median, 0.0)
            ax.errorbar(
                float(mv), s.median, yerr=[[low], [high]], fmt=style, color="navy", capsize=3
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
            label = f"fit: V0 = {fit.V0_mV:.0f} mV, tau0 = {fit.tau0_s * 1e3:.3g} ms" + (
                ""
                if tau_x is None
                else f", tau_x = {tau_x * 1e3:.3g} ms, V_th = {fit.V_th_mV:.0f} mV"
            )
            ax.plot(v, t_d * 1e3, color="crimson", label=label)
            ax.legend()
        ax.set_yscale("log")
        ax.set_xlabel("step amplitude (mV)")
        ax.set_ylabel("switching delay (ms)")
        ax.set_title(
            "Pulse delay: median and 5-95 % over pulses (triangles: resolution-limited)"
            if result is not None
            else f"Pulse delay: the run did not finish ({stored.rows} rows, no delays)"
        )
        ax.grid(True, which="both", alpha=0.3)
    return Path(path)


def retention_decay(stored, result, path: Path) -> Path:
    """Read conductance against time after the pulse, one line per trace (``MAX_TRACES``
    evenly spaced ones of a long run, read one at a time from the file), log axes, with the
    median retention marked."""
    parameters = stored.parameters
    v_read = parameters["v_read"]
    traces = group_keys(stored, "trace")
    shown = evenly_spaced(traces, MAX_TRACES)
    with figure(path) as ax:
        for trace, data in stored.groups("trace", ["phase", "t_after_s", "i_A"]):
            if trace not in shown:
                continue
            read = (data["phase"] == RetentionPhase.READ) & (data["t_after_s"] > 0)
            g = np.maximum(np.abs(data["i_A"][read]) / v_read, 1e-13)
            ax.loglog(
                data["t_after_s"][read] * 1e3,
                g,
                lw=0.8,
                alpha=0.6,
                marker="." if len(traces) == 1 else None,
            )
        value = result.retention_ms if result is not None else None
        if value:
            kind = "window (censored)" if result.retention_censored else "median retention"
            ax.axvline(value, color="crimson", ls="--", label=f"{kind} {value:.3g} ms")
            ax.legend()
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
    file), the median of the pairs and its exponential fit."""
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
            ax.semilogx(
                ppf.interval_ms,
                [np.nan if i is None else i for i in ppf.index],
                "o",
                color="navy",
                label="median of pairs",
            )
        fit = ppf.fit if ppf is not None else None
        if fit is not None:
            dt = np.geomspace(min(ppf.interval_ms), max(ppf.interval_ms), 200)
            ax.semilogx(dt, fit.index(dt), color="crimson", label=f"fit: {fit.formula()}")
        ax.axhline(1.0, color="gray", lw=0.8)
        ax.set_xlabel("interval between the pulses (ms)")
        ax.set_ylabel("PPF index A2 / A1")
        ax.set_title("Paired-pulse facilitation")
        if ax.get_legend_handles_labels()[0]:
            ax.legend()
        ax.grid(True, which="both", alpha=0.3)
    return Path(path)


def vset_histogram(result, path: Path) -> Path:
    """Histogram of the per-cycle set (and reset) voltages, with the medians."""
    with figure(path) as ax:
        for spread, label, color in (
            (result.stats.vset_mV, "Vset", "navy"),
            (result.stats.vreset_mV, "|Vreset|", "crimson"),
        ):
            values = spread.values
            if values:
                ax.hist(
                    values,
                    bins=min(20, max(5, len(values) // 2)),
                    alpha=0.6,
                    color=color,
                    label=f"{label}: median {np.median(values):.1f} mV, n = {len(values)}",
                )
                ax.axvline(np.median(values), color=color, ls="--")
        ax.set_xlabel("switching voltage (mV)")
        ax.set_ylabel("cycles")
        ax.set_title("Set and reset voltages over cycles")
        if ax.get_legend_handles_labels()[0]:
            ax.legend()
    return Path(path)
