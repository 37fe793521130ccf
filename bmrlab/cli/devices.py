"""``bmrlab devices``: the simulated device library and the reference devices."""

import json


def register(commands) -> None:
    parser = commands.add_parser("devices", help="list the simulated device library")
    parser.add_argument("--json", action="store_true")
    parser.set_defaults(command=cmd_devices)


def cmd_devices(args) -> int:
    from ..sim.library import load_device, preset_names

    rows = {}
    for key in preset_names():
        spec = load_device(key).spec
        rows[key] = {
            "name": spec.name,
            "reference": spec.reference,
            "volatile": spec.volatile,
            "figures": spec.figures.model_dump(exclude_none=True),
        }
    if args.json:
        print(json.dumps(rows))
        return 0
    for key, row in rows.items():
        kind = "volatile" if row["volatile"] else "nonvolatile"
        figures = ", ".join(f"{k} {v:g}" for k, v in row["figures"].items())
        print(f"{key:<16} {row['name']} ({kind})\n{'':<16} {figures}\n{'':<16} {row['reference']}")
    print(
        "reference devices, for `bmrlab station check` (docs/station-check.md):\n"
        f"{'open':<16} probes up: an open circuit (1e-16 S stray)\n"
        f"{'resistor:<R>':<16} an exact resistor, e.g. resistor:1GOhm"
    )
    return 0
