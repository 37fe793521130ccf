"""Re-analysis at scale: the figures of many catalogued runs recomputed from their files with
the current definitions, on Dask (local worker processes by default, or a cluster's
scheduler), and written back into the catalog as each run comes in, so an interruption
loses nothing already done. A run whose data cannot be read is reported and skipped.

The files are not changed: the catalog's copy of a run's figures is updated (``catalog
rebuild`` reads the figures stored in the files again).
"""

import os
from dataclasses import dataclass, field

import pandas as pd


@dataclass
class ReanalysisReport:
    """Runs recomputed, of which changed in the catalog; runs skipped with why
    (``file:run`` -> reason)."""

    recomputed: int = 0
    changed: int = 0
    skipped: dict[str, str] = field(default_factory=dict)


def recompute(file: str, run: str) -> tuple[dict | None, str | None]:
    """In a worker: (the run's recomputed result as JSON, None), or (None, why it could not
    be recomputed)."""
    from ..runner import reanalyze

    try:
        return reanalyze(file, run).result.model_dump(mode="json"), None
    except Exception as error:  # a run whose data or parameters cannot be read
        return None, f"{type(error).__name__}: {error}"


def reanalyze_runs(
    catalog,
    found: pd.DataFrame,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    progress: bool = True,
) -> ReanalysisReport:
    """Recompute every run of ``found`` (a ``Catalog.query`` table) and update ``catalog``.
    ``scheduler``: the address of a Dask scheduler; by default a local cluster of
    ``workers`` processes (default: one per core), one thread each (the analyses hold the
    GIL)."""
    from distributed import Client, LocalCluster, as_completed
    from tqdm import tqdm  # type: ignore[import-untyped]

    report = ReanalysisReport()
    if found.empty:
        return report
    if scheduler:
        client = Client(scheduler)
    else:
        cluster = LocalCluster(
            n_workers=workers or os.cpu_count() or 1,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        )
        client = Client(cluster)
    try:
        files, runs = found["file"].tolist(), found["run"].tolist()
        futures = client.map(recompute, files, runs, pure=False)
        where = {
            future.key: (file, run) for future, file, run in zip(futures, files, runs, strict=True)
        }
        bar = tqdm(total=len(futures), unit="run", disable=not progress)
        for future in as_completed(futures):
            file, run = where[future.key]
            result, why = future.result()
            if result is None:
                report.skipped[f"{file}:{run}"] = str(why)
            else:
                report.changed += catalog.update_result(file, run, result)
                report.recomputed += 1
            bar.update()
        bar.close()
    finally:
        client.close()
        if not scheduler:
            cluster.close()
    return report
