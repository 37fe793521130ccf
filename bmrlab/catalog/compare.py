"""A figure's distribution across chips, stations or dates: per group its n and median with
the 95 % bootstrap interval of the median, and a plot (box and points per group beside each
group's cumulative distribution) to see whether the groups differ."""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..analysis.uncertainty import median_interval

GROUPINGS = ("sample", "station", "date")


@dataclass
class Group:
    """One group's values of the figure and their summary."""

    name: str
    values: np.ndarray
    median: float
    ci_low: float | None
    ci_high: float | None

    @property
    def n(self) -> int:
        return len(self.values)


def groups(found: pd.DataFrame, figure: str, by: str) -> list[Group]:
    """The runs found (a ``Catalog.query`` table holding ``figure``) grouped ``by`` sample,
    station or date (UTC day the run started), in name order; runs without the figure are
    left out."""
    if by not in GROUPINGS:
        raise ValueError(f"by {by!r}: one of {', '.join(GROUPINGS)}")
    if figure not in found.columns:
        return []
    table = found[found[figure].notna()]
    keys = table["started"].str[:10] if by == "date" else table[by].fillna("")
    summary = []
    for name, values in table[figure].astype(float).groupby(keys, sort=True):
        array = values.to_numpy()
        low, high = median_interval(array)
        summary.append(Group(str(name), array, float(np.median(array)), low, high))
    return summary


def plot(summary: list[Group], figure: str, by: str, out) -> None:
    """Box and points per group (left) and each group's cumulative distribution (right),
    written as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    fig, (boxes, cumulative) = plt.subplots(1, 2, figsize=(11, 4.5), layout="constrained")
    positions = np.arange(1, len(summary) + 1)
    boxes.boxplot([g.values for g in summary], positions=positions, showfliers=False)
    jitter = np.random.default_rng(0)
    for position, group in zip(positions, summary, strict=True):
        spread = jitter.uniform(-0.15, 0.15, group.n)
        boxes.plot(position + spread, group.values, ".", alpha=0.5, markersize=4)
        if group.ci_low is not None and group.ci_high is not None:
            boxes.vlines(position + 0.3, group.ci_low, group.ci_high, color="k", linewidth=2)
        ordered = np.sort(group.values)
        fraction = np.arange(1, group.n + 1) / group.n
        cumulative.step(ordered, fraction, where="post", label=f"{group.name} (n={group.n})")
    boxes.set_xticks(positions, [g.name for g in summary], rotation=30, ha="right")
    boxes.set_xlabel(by)
    boxes.set_ylabel(figure)
    boxes.set_title(f"{figure} by {by} (bar: 95 % CI of the median)")
    cumulative.set_xlabel(figure)
    cumulative.set_ylabel("cumulative fraction of runs")
    cumulative.legend(fontsize="small")
    if all(g.values.min() > 0 for g in summary) and _spans_decades(summary):
        boxes.set_yscale("log")
        cumulative.set_xscale("log")
    fig.savefig(out, dpi=120)
    plt.close(fig)


def _spans_decades(summary: list[Group]) -> bool:
    values = np.concatenate([g.values for g in summary])
    return bool(values.max() / values.min() > 100)
