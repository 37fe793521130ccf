"""``bmrlab run PROTOCOL``: one protocol on one device, stored in HDF5."""

import sys

from ..compression import COMPRESSIONS
from .arguments import device_file_argument, parse_assignments, station_arguments


def register(commands) -> None:
    parser = commands.add_parser(
        "run",
        help="run one protocol and store it in HDF5",
        description="Run one protocol. Parameters take SI units, with or without a prefix "
        "(v_max=0.15, v_max=150mV); `bmrlab protocols` lists them.",
    )
    parser.add_argument("protocol", help="protocol name, e.g. iv-sweep")
    station_arguments(parser)
    device_file_argument(parser)
    parser.add_argument(
        "--set",
        dest="values",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="set a parameter (repeatable)",
    )
    parser.add_argument("--out", metavar="FILE.h5", help="HDF5 file (default: data/<sample>.h5)")
    parser.add_argument(
        "--sample", default="sample", help="sample id (HDF5 group; default: sample)"
    )
    parser.add_argument(
        "--device-id",
        help="device id on the sample (default: the device's preset or file name, else "
        "'device'); with a SENTIO prober, a device of the wafer map (c3r4, c3r4s1d2) the "
        "probes go to first",
    )
    parser.add_argument("--figures", metavar="DIR", help="also write the run's PNG figures to DIR")
    parser.add_argument(
        "--compression",
        choices=COMPRESSIONS,
        help="filter of this run's data columns (default: the station's storage: compression)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.set_defaults(command=cmd_run)


def cmd_run(args) -> int:
    from .. import runner
    from ..station import Station
    from .progress import Progress
    from .report import run_report

    values = parse_assignments(args.values)
    with Station.load(args.station, args.device, device_file=args.device_file) as station:
        procedure = runner.prepare(station, args.protocol, values)
        device = args.device_id or station.device_preset or "device"
        station.start_at(args.device_id, args.sample)
        out = args.out or f"data/{args.sample}.h5"
        with Progress(f"{args.protocol} on {device}") as progress:
            result = runner.run(
                station,
                procedure,
                out,
                sample=args.sample,
                device=device,
                figures_dir=args.figures,
                on_event=progress.on_event,
                compression=args.compression,
            )
    run_report(result, device, args.json)
    if result.disk_full:  # the one line a user must not miss; the next run is refused
        print(f"bmrlab: {result.reason}", file=sys.stderr)
    return result.exit_status
