"""``bmrlab protocols``: the registered protocols with their parameters."""

import json


def register(commands) -> None:
    parser = commands.add_parser("protocols", help="list the protocols and their parameters")
    parser.add_argument("--json", action="store_true")
    parser.set_defaults(command=cmd_protocols)


def cmd_protocols(args) -> int:
    from ..procedures import PROTOCOLS

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
