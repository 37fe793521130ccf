"""``bmrlab station check``: the day-one bring-up of a bench before a device is probed."""

import json

from .arguments import station_arguments


def register(commands) -> None:
    station = commands.add_parser("station", help="the station itself: check it before use")
    actions = station.add_subparsers(metavar="ACTION", required=True)
    check = actions.add_parser(
        "check",
        help="day-one bring-up: identities, error queues, offsets, noise, a reference",
        description="Check every instrument of the station before a device is probed: "
        "identity, firmware, options, error queue, line frequency, buffer "
        "capacity, source delay and autozero; with the probes up, the offset and "
        "noise of the current at 0 V on each range the protocols use; with "
        "--reference, a resistor of that value in place of the device, and the "
        "generator's level through it. Prints a pass/fail table and stores a "
        "JSON report (docs/station-check.md). Exit 0 all passed, 1 a check "
        "failed, 2 bad input.",
    )
    station_arguments(check)
    check.add_argument(
        "--reference",
        metavar="OHMS",
        help="a resistor of this value is connected in place of the device, "
        "e.g. 1GOhm (it is sourced up to limits.max_voltage)",
    )
    check.add_argument(
        "--out",
        metavar="DIR",
        default="data/station-checks",
        help="directory of the JSON report (default: data/station-checks)",
    )
    check.add_argument("--json", action="store_true", help="print the report as JSON")
    check.set_defaults(command=cmd_station_check)


def cmd_station_check(args) -> int:
    from .. import station_check
    from ..station import Station

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
