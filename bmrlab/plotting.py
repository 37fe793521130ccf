"""PNG figures of runs, drawn headless with matplotlib (labelled axes, units, log scales)."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from .analysis.iv import SWEEP  # noqa: E402


def iv_loops(data: dict, figures: dict, path: Path) -> Path:
    """log|I| against V, coloured by cycle, with the median Vset (and Vreset) marked."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    v, i, cycle = data["v_V"] * 1e3, np.abs(data["i_A"]), data["cycle"]
    sweep = data["phase"] == SWEEP
    cycles = np.unique(cycle)
    norm = matplotlib.colors.Normalize(cycles.min(), max(cycles.max(), cycles.min() + 1))
    fig, ax = plt.subplots(figsize=(7, 5), dpi=120)
    for c in cycles:
        sel = (cycle == c) & sweep & (i > 0)
        ax.semilogy(v[sel], i[sel], color=plt.cm.viridis(norm(c)), lw=0.8, alpha=0.8)
    for key, label, sign, style in (("vset_mV", "Vset", 1, "--"), ("vreset_mV", "Vreset", -1, ":")):
        value = figures.get(key)
        if value is not None:
            ax.axvline(sign * value, color="crimson", ls=style, lw=1.2,
                       label=f"median {label} {value:.1f} mV")
    shown = i[sweep & (i > 0)]
    if shown.size:  # the noise floor, not single near-zero readings, sets the bottom
        ax.set_ylim(bottom=np.percentile(shown, 1) / 3)
    ax.set_xlabel("Voltage (mV)")
    ax.set_ylabel("|Current| (A)")
    title = f"I-V loops, {len(cycles)} cycles"
    if figures.get("on_off_ratio"):
        title += f"; On/Off {figures['on_off_ratio']:.2g} at {figures.get('v_read_mV', 20):g} mV"
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, loc="lower right")
    fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap="viridis"), ax=ax, label="cycle")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
