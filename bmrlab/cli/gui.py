"""``bmrlab gui``: the probe-station window (the only command that imports Qt)."""

from .arguments import device_file_argument, parse_assignments, station_arguments


def register(commands) -> None:
    parser = commands.add_parser(
        "gui",
        help="the probe-station window",
        description="Open the probe-station window: every protocol with its parameter form, "
        "a queue of runs, live plots, figures, a run browser and manual control.",
    )
    station_arguments(parser)
    device_file_argument(parser)
    parser.add_argument(
        "--out",
        metavar="FILE.h5",
        default="data/gui.h5",
        help="HDF5 file of the session (default: data/gui.h5)",
    )
    parser.add_argument("--run", metavar="PROTOCOL", help="start this protocol at once")
    parser.add_argument(
        "--set",
        dest="values",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a parameter of --run (repeatable)",
    )
    parser.add_argument("--screenshot", metavar="FILE.png", help="save the window when --run ends")
    parser.add_argument("--quit-when-done", action="store_true", help="close when --run ends")
    parser.set_defaults(command=cmd_gui)


def cmd_gui(args) -> int:
    from ..gui.app import main as gui_main  # Qt only here
    from ..procedures import get_protocol

    values = parse_assignments(args.values)
    if args.run:
        get_protocol(args.run)
    return gui_main(
        args.station,
        args.device,
        args.out,
        args.run,
        values,
        args.screenshot,
        args.quit_when_done,
        device_file=args.device_file,
    )
