"""Arguments that several commands share, and the NAME=VALUE parsing of ``--set``."""

from ..errors import BadInput


def station_arguments(parser) -> None:
    parser.add_argument(
        "--station",
        metavar="NAME|FILE",
        help="station file or shipped station name, e.g. sim-2636b (default: a simulated 2450)",
    )
    parser.add_argument(
        "--device",
        metavar="PRESET|FILE",
        help="simulated device: a preset of the device library or a device "
        "file (simulated stations only)",
    )


def device_file_argument(
    parser, which: str = "the device under test's file (a library preset or a .yaml)"
) -> None:
    parser.add_argument(
        "--device-file",
        metavar="FILE",
        help=f"{which}: its test conditions and the published figures to compare against, "
        "on any station; on a simulated one also the simulated device",
    )


def parse_assignments(items: list[str]) -> dict:
    """``["v_max=150mV", ...]`` -> ``{"v_max": "150mV"}``; every malformed item is one line
    of the refusal."""
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
