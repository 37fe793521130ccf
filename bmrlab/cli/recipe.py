"""``bmrlab recipe FILE.yaml``: protocols over devices and parameter values, unattended."""

import sys
from pathlib import Path

from .arguments import device_file_argument


def register(commands) -> None:
    parser = commands.add_parser(
        "recipe",
        help="run a recipe: protocols over devices and parameter values",
        description="Run a recipe file: its steps on each of its devices (listed, an "
        "array, or the devices of the station's wafer map, with an optional quick screen "
        "deciding which get the rest), into one HDF5 file. The whole recipe is checked "
        "first (every problem by its YAML path, exit 2). Ctrl+C stops the current step "
        "safely and skips the rest (exit 1); --resume then runs only what is not finished "
        "in the file, going on at the exact device.",
    )
    parser.add_argument(
        "file",
        metavar="NAME|FILE.yaml",
        help="recipe file, or the name of a shipped example (array-3x3, wafer-screen)",
    )
    parser.add_argument(
        "--station",
        metavar="NAME|FILE",
        help="station file or shipped station name (default: the recipe's, else a simulated 2450)",
    )
    device_file_argument(
        parser, "every device's file (default: the recipe's preset of each device)"
    )
    parser.add_argument("--out", metavar="FILE.h5", help="HDF5 file (default: data/<sample>.h5)")
    parser.add_argument(
        "--resume", action="store_true", help="skip the steps already finished in the output file"
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object: recipe, file, runs with their Table 1 figures and "
        "whole results",
    )
    parser.set_defaults(command=cmd_recipe)


def cmd_recipe(args) -> int:
    import signal
    import threading

    from ..paths import DEFAULT_STATION
    from ..recipe import execute, finished_keys, load_recipe, plan
    from ..screen import stored_verdicts, yield_line
    from ..station import Station
    from .progress import RecipeProgress
    from .report import recipe_report

    recipe = load_recipe(args.file)
    station_path = args.station or recipe.station or DEFAULT_STATION

    def station_for(device):  # the station brings each device under test (recipe.execute)
        return Station.load(station_path, device_file=args.device_file or device.preset)

    runs = plan(recipe, station_for)
    out = args.out or f"data/{recipe.sample}.h5"
    done = finished_keys(out) if args.resume else set()
    stop = threading.Event()

    def on_sigint(signum, frame):
        print(
            "bmrlab: stopping: the current step ends safely (0 V, output off), the rest "
            "is skipped; Ctrl+C again to force",
            file=sys.stderr,
            flush=True,
        )
        stop.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        with RecipeProgress(len(runs)) as progress:
            outcomes = execute(
                recipe,
                runs,
                station_for,
                out,
                done=done,
                stop=stop,
                on_run=lambda k, p: progress.start_run(k, f"{p.device.id} {p.protocol}"),
                on_event=progress.on_event,
            )
    finally:
        signal.signal(signal.SIGINT, previous)
    recipe_report(recipe, out, outcomes, args.json)
    if recipe.screen is not None and not args.json and Path(out).exists():
        print(yield_line(stored_verdicts(out, recipe.sample)))
    if recipe.wafer is not None and not stop.is_set() and Path(out).exists():
        print(wafer_report(recipe, out), file=sys.stderr if args.json else sys.stdout)
    failed = stop.is_set() or any(o.status in ("aborted", "failed") for o in outcomes)
    return 1 if failed else 0


def wafer_report(recipe, out) -> str:
    """The per-device table, yield, distributions and wafer maps beside ``out``
    (:func:`bmrlab.array_report.write_report`), judged by the screen's criteria (else the
    field's defaults); what was written, in words."""
    from ..array_report import write_report
    from ..errors import BadInput

    try:
        written = write_report(
            out, recipe.sample, criteria=recipe.screen.pass_if if recipe.screen else None
        )
    except BadInput as error:  # e.g. no device measured a figure: the runs stay as they are
        return f"wafer report not written: {'; '.join(error.problems)}"
    folder = written[0].parent if written else Path(out).parent
    return f"wafer report: {len(written)} files in {folder}"
