"""The ``bmrlab`` command. Heavy imports happen inside the commands, so ``--help`` is quick.

Exit status: 0 done; 1 the run failed or was aborted (data kept, reason stored); 2 bad
input, refused before any instrument was touched, one line per problem, no traceback.
"""

import argparse
import json
import sys

from .errors import BadInput
from .standard import TABLE1
FLAGS = ("on_off_lower_bound", "retention_censored")  # beside the figures they qualify


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.command(args)
    except BadInput as error:
        for line in error.problems:
            print(f"bmrlab: {line}", file=sys.stderr)
        return 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bmrlab",
        description="Characterize bio-voltage memristors at a probe station, on Keithley "
                    "SMUs or on the simulated station.",
        epilog="Exit status: 0 done, 1 run failed or aborted (data kept), 2 bad input "
               "(nothing was sent to any instrument).")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)

    run = commands.add_parser(
        "run", help="run one protocol and store it in HDF5",
        description="Run one protocol. Parameters take SI units, with or without a prefix "
                    "(v_max=0.15, v_max=150mV); `bmrlab protocols` lists them.")
    run.add_argument("protocol", help="protocol name, e.g. iv-sweep")
    _station_arguments(run)
    run.add_argument("--set", dest="values", action="append", default=[], metavar="NAME=VALUE",
                     help="set a parameter (repeatable)")
    run.add_argument("--out", metavar="FILE.h5", help="HDF5 file (default: data/<sample>.h5)")
    run.add_argument("--sample", default="sample", help="sample id (HDF5 group; default: sample)")
    run.add_argument("--device-id", help="device id on the sample (default: the simulated "
                                         "device's preset, else 'device')")
    run.add_argument("--figures", metavar="DIR", help="also write the run's PNG figures to DIR")
    run.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    run.set_defaults(command=cmd_run)

    characterize = commands.add_parser(
        "characterize", help="a device's Table 1 row: I-V, delay, retention, endurance, "
                             "paired pulse",
        description="Run the standard characterization (I-V sweep, pulse delay, retention, "
                    "endurance, paired pulse) into DIR/<sample>.h5, write the PNG figures and "
                    "DIR/<sample>_summary.json, and print the device's row in the format of "
                    "Table 1.")
    _station_arguments(characterize)
    characterize.add_argument("--out", metavar="DIR", default="out",
                              help="directory for <sample>.h5 and the figures (default: out)")
    characterize.add_argument("--sample", default="sample", help="sample id (default: sample)")
    characterize.add_argument("--device-id", help="device id (default: the simulated "
                                                  "device's preset, else 'device')")
    characterize.add_argument("--set", dest="values", action="append", default=[],
                              metavar="PROTOCOL.NAME=VALUE",
                              help="set a parameter of one protocol, e.g. "
                                   "endurance.max_cycles=1000 (repeatable)")
    characterize.add_argument("--json", action="store_true",
                              help="print one JSON object: device, figures (Table 1 "
                                   "columns), stats, ppf, runs, files")
    characterize.set_defaults(command=cmd_characterize)

    recipe = commands.add_parser(
        "recipe", help="run a recipe: protocols over devices and parameter values",
        description="Run a recipe file: its steps on each of its devices, into one HDF5 "
                    "file. The whole recipe is checked first (every problem by its YAML "
                    "path, exit 2). Ctrl+C stops the current step safely and skips the rest "
                    "(exit 1); --resume then runs only what is not finished in the file.")
    recipe.add_argument("file", metavar="NAME|FILE.yaml",
                        help="recipe file, or the name of a shipped example (array-3x3)")
    recipe.add_argument("--station", metavar="NAME|FILE",
                        help="station file or shipped station name (default: the recipe's, "
                             "else a simulated 2450)")
    recipe.add_argument("--out", metavar="FILE.h5",
                        help="HDF5 file (default: data/<sample>.h5)")
    recipe.add_argument("--resume", action="store_true",
                        help="skip the steps already finished in the output file")
    recipe.add_argument("--json", action="store_true",
                        help="print one JSON object: recipe, file, runs with their figures")
    recipe.set_defaults(command=cmd_recipe)

    gui = commands.add_parser(
        "gui", help="the probe-station window",
        description="Open the probe-station window: every protocol with its parameter form, "
                    "a queue of runs, live plots, figures, a run browser and manual control.")
    _station_arguments(gui)
    gui.add_argument("--out", metavar="FILE.h5", default="data/gui.h5",
                     help="HDF5 file of the session (default: data/gui.h5)")
    gui.add_argument("--run", metavar="PROTOCOL", help="start this protocol at once")
    gui.add_argument("--set", dest="values", action="append", default=[],
                     metavar="NAME=VALUE", help="a parameter of --run (repeatable)")
    gui.add_argument("--screenshot", metavar="FILE.png", help="save the window when --run ends")
    gui.add_argument("--quit-when-done", action="store_true", help="close when --run ends")
    gui.set_defaults(command=cmd_gui)

    bench = commands.add_parser(
        "bench", help="benchmarks against a PyMeasure point-by-point baseline",
        description="Measure bus transactions per point, host throughput, characterize "
                    "speed, HDF5 write/reload, live-plot frame time and CLI start-up, each "
                    "against its baseline where one exists (a few minutes).")
    bench.add_argument("--json", action="store_true", help="print one JSON object")
    bench.set_defaults(command=cmd_bench)

    protocols = commands.add_parser("protocols", help="list the protocols and their parameters")
    protocols.add_argument("--json", action="store_true")
    protocols.set_defaults(command=cmd_protocols)

    runs = commands.add_parser("runs", help="list the runs of an HDF5 file, or export one",
                               description="List the runs stored in FILE.h5 with their status "
                                           "and figures; with --csv, export one run's data.")
    runs.add_argument("file", metavar="FILE.h5")
    runs.add_argument("--run", help="run id or group path (default: the last run)")
    runs.add_argument("--csv", metavar="OUT.csv", help="write the run's columns to CSV")
    runs.set_defaults(command=cmd_runs)

    sim = commands.add_parser("sim", help="the simulated station")
    sim_commands = sim.add_subparsers(metavar="ACTION", required=True)
    serve = sim_commands.add_parser(
        "serve", help="serve the simulated instruments as raw SCPI sockets on 127.0.0.1",
        description="Serve every simulated instrument of the station on its own TCP port "
                    "(wall-clock time) until Ctrl+C. Any VISA client reaches it as "
                    "TCPIP0::127.0.0.1::<port>::SOCKET with \\n termination.")
    serve.add_argument("--station", metavar="NAME|FILE",
                       help="station file or shipped station name (default: the default "
                            "simulated bench, one instrument of each model)")
    serve.add_argument("--port", type=int, default=5025,
                       help="port of the first instrument, the next ones follow "
                            "(default 5025; 0: any free ports)")
    serve.set_defaults(command=cmd_sim_serve)

    station = commands.add_parser("station", help="the station itself: check it before use")
    station_commands = station.add_subparsers(metavar="ACTION", required=True)
    check = station_commands.add_parser(
        "check", help="day-one bring-up: identities, error queues, offsets, noise, a reference",
        description="Check every instrument of the station before a device is probed: "
                    "identity, firmware, options, error queue, line frequency, buffer "
                    "capacity, source delay and autozero; with the probes up, the offset and "
                    "noise of the current at 0 V on each range the protocols use; with "
                    "--reference, a resistor of that value in place of the device, and the "
                    "generator's level through it. Prints a pass/fail table and stores a "
                    "JSON report (docs/station-check.md). Exit 0 all passed, 1 a check "
                    "failed, 2 bad input.")
    _station_arguments(check)
    check.add_argument("--reference", metavar="OHMS",
                       help="a resistor of this value is connected in place of the device, "
                            "e.g. 1GOhm (it is sourced up to limits.max_voltage)")
    check.add_argument("--out", metavar="DIR", default="data/station-checks",
                       help="directory of the JSON report (default: data/station-checks)")
    check.add_argument("--json", action="store_true", help="print the report as JSON")
    check.set_defaults(command=cmd_station_check)

    devices = commands.add_parser("devices", help="list the simulated device library")
    devices.add_argument("--json", action="store_true")
    devices.set_defaults(command=cmd_devices)
    return parser


def _station_arguments(parser) -> None:
    parser.add_argument("--station", metavar="NAME|FILE",
                        help="station file or shipped station name, e.g. sim-2636b "
                             "(default: a simulated 2450)")
    parser.add_argument("--device", metavar="PRESET|FILE",
                        help="simulated device: a preset of the device library or a device "
                             "file (simulated stations only)")


def parse_assignments(items: list[str]) -> dict:
    values, problems = {}, []
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            problems.append(f"--set {item!r}: expected NAME=VALUE, e.g. v_max=150mV")
        else:
            values[name.strip()] = value.strip()
    if problems:
        raise BadInput(*problems)
    return values


def cmd_run(args) -> int:
    from . import runner
    from .progress import Progress
    from .station import Station

    values = parse_assignments(args.values)
    with Station.load(args.station, args.device) as station:
        procedure = runner.prepare(station, args.protocol, values)
        device = args.device_id or station.device_preset or "device"
        out = args.out or f"data/{args.sample}.h5"
        with Progress(f"{args.protocol} on {device}") as progress:
            result = runner.run(station, procedure, out, sample=args.sample, device=device,
                                figures_dir=args.figures, on_event=progress.on_event)
    report(result, device, args.json)
    if result.disk_full:  # the one line a user must not miss; the next run is refused
        print(f"bmrlab: {result.reason}", file=sys.stderr)
    return result.exit_status


def cmd_characterize(args) -> int:
    from pathlib import Path

    from .characterize import ORDER, characterize, table_row
    from .progress import Progress
    from .station import Station

    overrides: dict = {}
    for name, value in parse_assignments(args.values).items():
        protocol, sep, parameter = name.partition(".")
        if not sep or protocol not in ORDER:
            raise BadInput(f"--set {name}={value}: expected PROTOCOL.NAME=VALUE with a "
                           f"protocol of {', '.join(ORDER)}")
        overrides.setdefault(protocol, {})[parameter] = value
    with Station.load(args.station, args.device) as station:
        device = args.device_id or station.device_preset or "device"
        out_dir = Path(args.out)
        out_dir.mkdir(parents=True, exist_ok=True)
        with Progress(f"characterize {device}") as progress:
            result = characterize(station, out_dir / f"{args.sample}.h5", sample=args.sample,
                                  device=device, figures_dir=out_dir, overrides=overrides,
                                  on_event=progress.on_event)
    summary = result.summary()
    summary["file"] = str(out_dir / f"{args.sample}.h5")
    summary_path = out_dir / f"{args.sample}_summary.json"
    summary_path.write_text(json.dumps(summary, indent=1, default=str) + "\n")
    if args.json:
        print(json.dumps(summary, default=str))
    else:
        print(table_row(result))
        for run in summary["runs"]:
            print(f"  {run['protocol']:<13} {run['status']}"
                  + (f" ({run['reason']})" if run["reason"] else "") + f"   {run['run']}")
        print(f"  file          {summary['file']}")
        print(f"  summary       {summary_path}")
        for path in summary["files"]:
            print(f"  figure        {path}")
    return result.exit_status


def cmd_recipe(args) -> int:
    import signal
    import threading

    from .config import load_station_config
    from .paths import DEFAULT_STATION
    from .progress import RecipeProgress
    from .recipe import execute, finished_keys, load_recipe, plan
    from .station import Station

    recipe = load_recipe(args.file)
    station_path = args.station or recipe.station or DEFAULT_STATION
    simulated = load_station_config(station_path).simulated
    if recipe.prompt == "always" or (recipe.prompt == "hardware" and not simulated):
        if not sys.stdin.isatty():
            raise BadInput(f"prompt: {recipe.prompt} asks you to move the probes before each "
                           "device, but stdin is not a terminal (use prompt: never)")
        prompt = _probe_prompt(recipe.sample)
    else:
        prompt = None

    def station_for(device):
        return Station.load(station_path, device.preset)
    runs = plan(recipe, station_for)
    out = args.out or f"data/{recipe.sample}.h5"
    done = finished_keys(out) if args.resume else set()
    stop = threading.Event()

    def on_sigint(signum, frame):
        print("bmrlab: stopping: the current step ends safely (0 V, output off), the rest "
              "is skipped; Ctrl+C again to force", file=sys.stderr, flush=True)
        stop.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)
    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        with RecipeProgress(len(runs)) as progress:
            outcomes = execute(
                recipe, runs, station_for, out, done=done, stop=stop, prompt=prompt,
                on_run=lambda k, p: progress.start_run(k, f"{p.device.id} {p.protocol}"),
                on_event=progress.on_event)
    finally:
        signal.signal(signal.SIGINT, previous)
    _recipe_report(recipe, out, outcomes, args.json)
    failed = stop.is_set() or any(o.status in ("aborted", "failed") for o in outcomes)
    return 1 if failed else 0


def _probe_prompt(sample: str):
    def prompt(device):
        input(f"Move the probes to device {device.id} of {sample}, then press Enter: ")
    return prompt


def _recipe_report(recipe, out, outcomes, as_json: bool) -> None:
    if as_json:
        print(json.dumps({"recipe": recipe.name, "file": str(out), "runs": [
            {"device": o.planned.device.id, "protocol": o.planned.protocol,
             "step": o.planned.key, "status": o.status, "reason": o.reason, "run": o.run,
             "figures": {k: o.figures[k] for k in TABLE1 if k in o.figures}}
            for o in outcomes]}, default=str))
        return
    print(f"{recipe.name}: {len(outcomes)} runs into {out}")
    print(f"  {'device':<8} {'protocol':<13} {'status':<9} figures")
    for o in outcomes:
        shown = ", ".join(f"{k} {_fmt(o.figures[k])}" for k in TABLE1
                          if o.figures.get(k) is not None)
        note = o.reason if o.status not in ("finished", "resumed") else shown
        print(f"  {o.planned.device.id:<8} {o.planned.protocol:<13} {o.status:<9} {note}")


def cmd_gui(args) -> int:
    from .gui.app import main as gui_main  # Qt only here
    from .procedures import get_protocol

    values = parse_assignments(args.values)
    if args.run:
        get_protocol(args.run)
    return gui_main(args.station, args.device, args.out, args.run, values, args.screenshot,
                    args.quit_when_done)


def cmd_bench(args) -> int:
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # the plot benchmark draws off screen
    from .benchmarks import TARGETS, run_all, verdicts

    results = run_all(lambda name: print(f"bench: {name} ...", file=sys.stderr, flush=True))
    met = verdicts(results)
    if args.json:
        print(json.dumps({**results, "targets_met": met}))
        return 0
    print(f"{'benchmark':<24} {'bmrlab':>12} {'baseline':>12}  target")
    for key, value in results.items():
        if key == "machine":
            continue
        if isinstance(value, dict):
            ours, base = value.get("bmrlab", value.get("median")), value.get("baseline")
        else:
            ours, base = value, None
        target = TARGETS.get(key)
        verdict = "" if target is None else (
            f"{target[0]} {target[1]:g}  " + ("met" if met[key] else "MISSED"))
        print(f"{key:<24} {_fmt_bench(ours):>12} {_fmt_bench(base):>12}  {verdict}")
    print(f"machine: {results['machine']}")
    return 0


def _fmt_bench(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value)
    return f"{value:.3g}"


def report(result, device: str, as_json: bool) -> None:
    figures = {k: result.figures[k] for k in TABLE1 if k in result.figures}
    # what a protocol finds beyond Table 1: fits, PPF indices, spike counts ...
    results = {k: v for k, v in result.figures.items() if k not in {*TABLE1, *FLAGS, "stats"}}
    if as_json:
        print(json.dumps({"device": device, "protocol": result.protocol,
                          "status": result.status, "reason": result.reason,
                          "file": str(result.path), "run": result.run, "figures": figures,
                          **{k: result.figures[k] for k in FLAGS if k in result.figures},
                          "stats": result.figures.get("stats", {}), "results": results,
                          "files": [str(p) for p in result.figure_files]}, default=str))
        return
    print(f"{result.protocol} on {device}: {result.status}"
          + (f" ({result.reason})" if result.reason else ""))
    print(f"  run      {result.run}")
    print(f"  file     {result.path}")
    stats = result.figures.get("stats", {})
    for key, value in figures.items():
        spread = stats.get(key, {})
        line = f"  {key:<13} {_fmt(value)}"
        if spread.get("n"):
            line += f"   (5-95 %: {_fmt(spread['p5'])} .. {_fmt(spread['p95'])}, n = {spread['n']})"
        elif value is None and spread.get("reason"):
            line = f"  {key:<13} {spread['reason']}"
        if key == "on_off_ratio" and result.figures.get("on_off_lower_bound"):
            line += "\n                lower bound: the HRS read is at the instrument's floor"
        if key == "retention_ms" and result.figures.get("retention_censored"):
            line += "\n                censored: the state outlasted the read-out window"
        print(line)
    fit = results.pop("delay_fit", None)
    if fit:
        print(f"  delay fit     V0 {fit['V0_mV']:.1f} mV, tau0 {fit['tau0_s'] * 1e3:.3g} ms"
              + ("" if fit["form"] == "sinh" else
                 f", tau_x {fit['tau_x_s'] * 1e3:.3g} ms, DC threshold {fit['V_th_mV']:.0f} mV")
              + f" ({fit['points']} amplitudes)")
    for key, value in results.items():
        print(f"  {key:<13} {json.dumps(value, default=str)}")
    for path in result.figure_files:
        print(f"  figure   {path}")


def _fmt(value) -> str:
    if value is None:
        return "not found"
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) >= 1e4 or abs(value) < 1e-2 else f"{value:.1f}"
    return str(value)


def cmd_runs(args) -> int:
    from .storage import export_csv, list_runs, load_run

    if args.csv:
        print(export_csv(args.file, args.run, args.csv))
        return 0
    table = list_runs(args.file)
    for row in table.itertuples():
        run = load_run(args.file, row.run)
        figures = {k: run.figures[k] for k in TABLE1 if k in run.figures}
        shown = ", ".join(f"{k} {_fmt(v)}" for k, v in figures.items())
        print(f"{row.run}  {row.status}  {row.rows} points  {shown}")
    return 0


def cmd_sim_serve(args) -> int:
    import threading

    from .config import load_station_config
    from .sim.builder import DEFAULT_STATION, build_bench
    from .sim.server import start

    config = load_station_config(args.station) if args.station else DEFAULT_STATION
    if not config.simulated:
        raise BadInput(f"--station {args.station}: has no simulated instruments ('@bmrsim')")
    if not 0 <= args.port <= 65535 - len(config.instruments):
        raise BadInput(f"--port {args.port}: must be between 0 and 65535")
    bench = build_bench(config.model_copy(update={"clock": "realtime"}))
    try:
        served = start(bench, args.port)
    except OSError as error:
        raise BadInput(f"--port {args.port}: cannot listen there ({error.strerror})") from None
    for resource, instrument, _ in served:
        print(f"{resource}  {instrument.idn.split(',')[1]} ({instrument.name})", flush=True)
    print("serving; Ctrl+C stops", file=sys.stderr, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    for _, _, server in served:
        server.shutdown()
    return 0


def cmd_station_check(args) -> int:
    from . import station_check
    from .station import Station

    reference = station_check.parse_reference(args.reference)
    out_dir = station_check.check_out_dir(args.out)
    with Station.load(args.station, args.device) as station:
        report = station_check.run(station, reference)
    path = station_check.write(report, out_dir)
    if args.json:
        print(json.dumps({**report.as_dict(), "file": str(path)}, default=str))
    else:
        print(report.table())
        print(f"report: {path}")
    return 0 if report.passed else 1


def cmd_protocols(args) -> int:
    from .procedures import PROTOCOLS

    listing = {}
    for name, cls in PROTOCOLS.items():
        params = {p: {"default": spec.default, "units": getattr(spec, "units", None) or "",
                      "description": spec.description or ""}
                  for p, spec in cls()._parameters.items()}
        listing[name] = {"title": cls.title, "description": cls.description,
                         "parameters": params, "columns": cls.COLUMNS}
    if args.json:
        print(json.dumps(listing))
        return 0
    for name, entry in listing.items():
        print(f"{name}: {entry['description']}")
        for p, spec in entry["parameters"].items():
            print(f"    {p:<11} default {spec['default']!s:<8} {spec['units']:<3} "
                  f"{spec['description']}")
    return 0


def cmd_devices(args) -> int:
    from .sim.library import load_device, preset_names

    rows = {}
    for key in preset_names():
        spec = load_device(key).spec
        rows[key] = {"name": spec.name, "reference": spec.reference, "volatile": spec.volatile,
                     "figures": spec.figures.model_dump(exclude_none=True)}
    if args.json:
        print(json.dumps(rows))
        return 0
    for key, row in rows.items():
        kind = "volatile" if row["volatile"] else "nonvolatile"
        figures = ", ".join(f"{k} {v:g}" for k, v in row["figures"].items())
        print(f"{key:<16} {row['name']} ({kind})\n{'':<16} {figures}\n{'':<16} {row['reference']}")
    print("reference devices, for `bmrlab station check` (docs/station-check.md):\n"
          f"{'open':<16} probes up: an open circuit (1e-16 S stray)\n"
          f"{'resistor:<R>':<16} an exact resistor, e.g. resistor:1GOhm")
    return 0


if __name__ == "__main__":
    sys.exit(main())
