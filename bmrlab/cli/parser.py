"""The command line: the top-level parser and its commands, each registered by its module
(the order here is the order of ``bmrlab --help``)."""

import argparse

from . import (
    analyze,
    bench,
    catalog,
    characterize,
    devices,
    gui,
    protocols,
    recipe,
    run,
    runs,
    sim,
    station,
    wafer_report,
)

COMMANDS = (
    run,
    characterize,
    recipe,
    gui,
    bench,
    protocols,
    runs,
    analyze,
    wafer_report,
    catalog,
    sim,
    station,
    devices,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bmrlab",
        description="Characterize bio-voltage memristors at a probe station, on Keithley "
        "SMUs or on the simulated station.",
        epilog="Exit status: 0 done, 1 run failed or aborted (data kept), 2 bad input "
        "(nothing was sent to any instrument).",
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    for module in COMMANDS:
        module.register(commands)
    return parser
