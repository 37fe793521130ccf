"""PNG figures of runs, drawn headless with matplotlib (labelled axes, units, log scales)."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
from contextlib import contextmanager

import matplotlib.pyplot as plt
import numpy as np

from .analysis.iv import IvPhase
from .analysis.retention import RetentionPhase
from .units import format_quantity

MAX_LOOPS = 200  # I-V loops drawn in one figure; a longer run shows evenly spaced cycles
MAX_TRACES = 200  # retention traces drawn in one figure, likewise
SET_TRACE = {"lw": 0.8, "alpha": 0.6}  # a retention trace the pulse set ...
NOISE_READS = 5  # reads below the floor that show the read noise of the range
NOT_SET_TRACE = {"lw": 0.9, "alpha": 0.9, "color": "0.25", "ls": "--", "zorder": 3}  # ... did not


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
    """HRS and LRS read currents against cycle (log axes), with the endurance marked. The
    reads are taken from the file block by block, each block's thinned to its peaks."""
    from .analysis.endurance import EndurancePhase
    from .decimate import peak_decimate

    v_read = stored.parameters["v_read"]
    with figure(path) as ax:
        for phase, label, color in (
            (EndurancePhase.LRS_READ, "LRS", "crimson"),
            (EndurancePhase.HRS_READ, "HRS", "navy"),
        ):
            cycles, currents = [], []
            for block in stored.chunks(["cycle", "phase", "i_A"]):
                sel = block["phase"] == phase
                x, y = peak_decimate(
                    block["cycle"][sel], np.maximum(np.abs(block["i_A"][sel]), 1e-14)
                )
                cycles.append(x)
                currents.append(y)
            if cycles:
                ax.loglog(
                    np.concatenate(cycles),
                    np.concatenate(currents),
                    "o-",
                    ms=3,
                    lw=0.8,
                    color=color,
                    label=f"{label} read at {v_read * 1e3:g} mV",
                )
        value = result.endurance_cycles if result is not None else None
        if value:
            kind = "run ended (censored)" if result.endurance_censored else "endurance"
            ax.axvline(value, color="gray", ls="--", label=f"{kind}: {value:g} cycles")
        ax.set_xlabel("cycle")
        ax.set_ylabel("read current (A)")
        ax.set_title("Endurance: HRS and LRS against cycle")
        if ax.get_legend_handles_labels()[0]:
            ax.legend()
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
