"""Wafer throughput: devices per hour for the quick screen and for the full
characterization of the shipped ``wafer-screen`` recipe, in simulated time (what the station
would take: the instruments' timing and the prober's stepping, StageMotion), in wall time on
one core, and in wall time with simulated chips in parallel processes (one virtual station
each, a slice of the wafer's rows each, each into its own HDF5 file).

Simulated time is the hardware's figure: one prober steps one wafer, so it is not divided by
the processes. The parallel figures are the simulator's use of every core.
"""

import itertools
import os
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from ..device_map import WaferSelection
from ..recipe import Recipe, execute, load_recipe, plan
from ..station import Station

SCREEN_ROWS = 2  # the quick screen of 2 rows of the 10 x 10 demo wafer: 20 devices
FULL_DEVICES = 4  # the screen and full characterization of the first 4 dies of row 0


def run_slice(recipe: Recipe, station: str, out: str) -> dict:
    """One process's share: the recipe on its own station into its own file; its devices,
    the simulated seconds of its station's clock, wall and CPU seconds."""
    wall, cpu = time.perf_counter(), time.process_time()
    loaded: list[Station] = []

    def station_for(device):
        loaded.append(Station.load(station))
        return loaded[-1]

    outcomes = execute(recipe, plan(recipe, station_for), station_for, out)
    simulated = loaded[-1].clock.now()
    return {
        "devices": len({o.planned.device.id for o in outcomes}),
        "characterized": len(
            {o.planned.device.id for o in outcomes if o.planned.adapted and o.status == "finished"}
        ),
        "simulated_s": simulated,
        "wall_s": time.perf_counter() - wall,
        "cpu_s": time.process_time() - cpu,
    }


def slices(recipe: Recipe, rows: tuple[int, int], jobs: int) -> list[Recipe]:
    """The recipe over ``rows`` cut into ``jobs`` contiguous slices of rows."""
    first, last = rows
    bounds = [first + round(k * (last - first + 1) / jobs) for k in range(jobs + 1)]
    return [
        recipe.model_copy(update={"wafer": recipe.wafer.model_copy(update={"rows": (a, b - 1)})})
        for a, b in itertools.pairwise(bounds)
        if b > a
    ]


def in_processes(
    recipe: Recipe, station: str, folder: Path, rows: tuple[int, int], jobs: int
) -> list[dict]:
    """The recipe over ``rows`` in ``jobs`` processes, each a slice of the rows on its own
    simulated station into its own file in ``folder``; each slice's :func:`run_slice`."""
    parts = slices(recipe, rows, jobs)
    with ProcessPoolExecutor(jobs) as pool:
        return list(
            pool.map(
                run_slice,
                parts,
                [station] * len(parts),
                [str(folder / f"part{k}.h5") for k in range(len(parts))],
            )
        )


def measure(recipe: Recipe, station: str, folder: Path, rows: tuple[int, int], jobs: int) -> dict:
    """The recipe over ``rows``: serially in this process, then in ``jobs`` processes."""
    serial = run_slice(recipe.model_copy(), station, str(folder / "serial.h5"))
    wall = time.perf_counter()
    shares = in_processes(recipe, station, folder, rows, jobs)
    serial["parallel_wall_s"] = time.perf_counter() - wall
    serial["parallel_devices"] = sum(s["devices"] for s in shares)
    serial["parallel_characterized"] = sum(s["characterized"] for s in shares)
    return serial


def per_hour(count: int, seconds: float) -> float:
    return 3600.0 * count / seconds if seconds else 0.0


def devices_per_hour(jobs: int | None = None) -> dict:
    """Devices per hour of the quick screen and of the full characterization (screen
    included), simulated, wall and parallel wall."""
    jobs = jobs or os.cpu_count() or 1
    shipped = load_recipe("wafer-screen")
    screen_only = shipped.model_copy(
        update={"screen": None, "steps": shipped.screen.steps, "wafer": WaferSelection()}
    )
    full = shipped.model_copy(update={"wafer": WaferSelection(columns=(0, FULL_DEVICES - 1))})
    results: dict[str, float] = {"throughput_jobs": jobs}
    with tempfile.TemporaryDirectory() as folder:
        for name, recipe, rows in (
            ("screen", screen_only, (0, SCREEN_ROWS - 1)),
            ("full", full, (0, jobs - 1)),
        ):
            recipe = recipe.model_copy(
                update={"wafer": recipe.wafer.model_copy(update={"rows": rows})}
            )
            folder_k = Path(folder) / name
            folder_k.mkdir()
            m = measure(recipe, shipped.station, folder_k, rows, jobs)
            done = "devices" if name == "screen" else "characterized"
            results[f"{name}_devices"] = m[done]
            results[f"{name}_per_hour_simulated"] = per_hour(m[done], m["simulated_s"])
            results[f"{name}_per_hour_wall"] = per_hour(m[done], m["wall_s"])
            results[f"{name}_per_hour_cpu"] = per_hour(m[done], m["cpu_s"])
            results[f"{name}_per_hour_parallel"] = per_hour(
                m[f"parallel_{done}"], m["parallel_wall_s"]
            )
    return results
