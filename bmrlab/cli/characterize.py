"""``bmrlab characterize``: the standard characterization, a device's Table 1 row."""

import json

from ..errors import BadInput
from .arguments import device_file_argument, parse_assignments, station_arguments


def register(commands) -> None:
    parser = commands.add_parser(
        "characterize",
        help="a device's Table 1 row: I-V, delay, retention, endurance, paired pulse",
        description="Run the standard characterization (I-V sweep, pulse delay, retention, "
        "endurance, paired pulse) into DIR/<sample>.h5, write the PNG figures and "
        "DIR/<sample>_summary.json, and print the device's row in the format of "
        "Table 1, with the device file's published figures beside the measured ones.",
    )
    station_arguments(parser)
    device_file_argument(parser)
    parser.add_argument(
        "--out",
        metavar="DIR",
        default="out",
        help="directory for <sample>.h5 and the figures (default: out)",
    )
    parser.add_argument("--sample", default="sample", help="sample id (default: sample)")
    parser.add_argument(
        "--device-id",
        help="device id (default: the device's preset or file name, else 'device'); with a "
        "SENTIO prober, a device of the wafer map (c3r4, c3r4s1d2) the probes go to first",
    )
    parser.add_argument(
        "--set",
        dest="values",
        action="append",
        default=[],
        metavar="PROTOCOL.NAME=VALUE",
        help="set a parameter of one protocol, e.g. endurance.max_cycles=1000 (repeatable)",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object: device, figures (Table 1 columns), published, "
        "conditions, stats, ppf, runs, files, results (each protocol's whole result)",
    )
    parser.set_defaults(command=cmd_characterize)


def cmd_characterize(args) -> int:
    from pathlib import Path

    from ..characterize import ORDER, characterize, comparison, interval_note, table_row
    from ..station import Station
    from .progress import Progress

    overrides: dict = {}
    for name, value in parse_assignments(args.values).items():
        protocol, sep, parameter = name.partition(".")
        if not sep or protocol not in ORDER:
            raise BadInput(
                f"--set {name}={value}: expected PROTOCOL.NAME=VALUE with a "
                f"protocol of {', '.join(ORDER)}"
            )
        overrides.setdefault(protocol, {})[parameter] = value
    with Station.load(args.station, args.device, device_file=args.device_file) as station:
        device = args.device_id or station.device_preset or "device"
        station.start_at(args.device_id, args.sample)
        out_dir = Path(args.out)
        out_dir.mkdir(parents=True, exist_ok=True)
        with Progress(f"characterize {device}") as progress:
            result = characterize(
                station,
                out_dir / f"{args.sample}.h5",
                sample=args.sample,
                device=device,
                figures_dir=out_dir,
                overrides=overrides,
                on_event=progress.on_event,
            )
    summary = result.summary()
    summary["file"] = str(out_dir / f"{args.sample}.h5")
    summary_path = out_dir / f"{args.sample}_summary.json"
    summary_path.write_text(json.dumps(summary, indent=1, default=str) + "\n")
    if args.json:
        print(json.dumps(summary, default=str))
    else:
        print(table_row(result))
        if note := interval_note(result):
            print(note)
        beside = comparison(result)  # '' when the device file publishes no figures
        if beside:
            print(beside)
        for note in result.notes:  # the retention pulse used and why; a type conflict
            print(note)
        for run in summary["runs"]:
            print(
                f"  {run['protocol']:<13} {run['status']}"
                + (f" ({run['reason']})" if run["reason"] else "")
                + f"   {run['run']}"
            )
        print(f"  file          {summary['file']}")
        print(f"  summary       {summary_path}")
        for path in summary["files"]:
            print(f"  figure        {path}")
    return result.exit_status
