"""``bmrlab protocols`` and ``bmrlab schema``: what each protocol takes (its parameters) and
what it gives (the JSON schema of its typed result)."""

import json


def register(commands) -> None:
    protocols = commands.add_parser("protocols", help="list the protocols and their parameters")
    protocols.add_argument("--json", action="store_true")
    protocols.set_defaults(command=cmd_protocols)

    schema = commands.add_parser(
        "schema",
        help="the JSON schema of the protocols' results (versioned)",
        description="Print the JSON schema of the figures each protocol stores with its runs "
        "(the run's `figures` attr, the `results` of --json), "
        "with units, and the result schema version (the run's `result_schema` "
        "attr).",
    )
    schema.add_argument(
        "protocol", nargs="?", metavar="PROTOCOL", help="only this protocol (default: all)"
    )
    schema.set_defaults(command=cmd_schema)


def cmd_protocols(args) -> int:
    from dataclasses import asdict

    from ..procedures import PROTOCOLS

    listing = {}
    for name, cls in PROTOCOLS.items():
        params = {
            p: {key: value for key, value in asdict(spec).items() if key != "name"}
            for p, spec in cls.parameter_specs().items()
        }
        listing[name] = {
            "title": cls.title,
            "description": cls.description,
            "parameters": params,
            "columns": cls.COLUMNS,
        }
    if args.json:
        print(json.dumps(listing, default=str))
        return 0
    for name, entry in listing.items():
        print(f"{name}: {entry['description']}")
        for p, spec in entry["parameters"].items():
            print(
                f"    {p:<11} default {spec['default']!s:<8} {spec['units']:<3} "
                f"{spec['description']}"
            )
    return 0


def cmd_schema(args) -> int:
    from .. import __version__
    from ..procedures import PROTOCOLS, get_protocol
    from ..results import RESULT_SCHEMA_VERSION

    chosen = [get_protocol(args.protocol)] if args.protocol else PROTOCOLS.values()
    print(
        json.dumps(
            {
                "result_schema": RESULT_SCHEMA_VERSION,
                "bmrlab_version": __version__,
                "protocols": {cls.name: cls.Result.model_json_schema() for cls in chosen},
            },
            indent=2,
        )
    )
    return 0
