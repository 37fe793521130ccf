"""``bmrlab devices``: the device library (each device's test conditions and published
figures, read from its file without building the simulator) and the reference devices."""

import json


def register(commands) -> None:
    parser = commands.add_parser(
        "devices",
        help="list the device library: conditions and published figures",
        description="List the device files of the library (usable as --device-file on any "
        "station and as --device on a simulated one): each device's test conditions and "
        "published figures; then the reference devices of the simulator.",
    )
    parser.add_argument("--json", action="store_true")
    parser.set_defaults(command=cmd_devices)


def cmd_devices(args) -> int:
    from ..device import load_device_file, preset_names

    rows = {}
    for key in preset_names():
        device = load_device_file(key)
        rows[key] = {
            "name": device.name,
            "reference": device.reference,
            "volatile": device.volatile,
            "conditions": device.conditions.model_dump(),
            "published": device.published_figures(),
        }
    if args.json:
        print(json.dumps(rows))
        return 0
    for key, row in rows.items():
        kind = "volatile" if row["volatile"] else "nonvolatile"
        print(f"{key:<16} {row['name']} ({kind})")
        for section in ("published", "conditions"):
            values = ", ".join(f"{k} {v:g}" for k, v in row[section].items())
            print(f"{'':<16} {section}: {values}")
        print(f"{'':<16} {row['reference']}")
    print(
        "reference devices, for `bmrlab station check` (docs/station-check.md):\n"
        f"{'open':<16} probes up: an open circuit (1e-16 S stray)\n"
        f"{'resistor:<R>':<16} an exact resistor, e.g. resistor:1GOhm"
    )
    return 0
