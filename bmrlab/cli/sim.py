"""``bmrlab sim serve``: the simulated instruments as raw SCPI sockets on 127.0.0.1."""

import sys

from ..errors import BadInput


def register(commands) -> None:
    sim = commands.add_parser("sim", help="the simulated station")
    actions = sim.add_subparsers(metavar="ACTION", required=True)
    serve = actions.add_parser(
        "serve",
        help="serve the simulated instruments as raw SCPI sockets on 127.0.0.1",
        description="Serve every simulated instrument of the station on its own TCP port "
        "(wall-clock time) until Ctrl+C. Any VISA client reaches it as "
        "TCPIP0::127.0.0.1::<port>::SOCKET with \\n termination.",
    )
    serve.add_argument(
        "--station",
        metavar="NAME|FILE",
        help="station file or shipped station name (default: the default "
        "simulated bench, one instrument of each model)",
    )
    serve.add_argument(
        "--port",
        type=int,
        default=5025,
        help="port of the first instrument, the next ones follow (default 5025; 0: any free ports)",
    )
    serve.set_defaults(command=cmd_sim_serve)


def cmd_sim_serve(args) -> int:
    import threading

    from ..config import load_station_config
    from ..sim.builder import DEFAULT_STATION, build_bench
    from ..sim.server import start

    config = load_station_config(args.station) if args.station else DEFAULT_STATION
    if not config.simulated:
        raise BadInput(f"--station {args.station}: has no simulated instruments ('@bmrsim')")
    if not 0 <= args.port <= 65535 - len(config.instruments):
        raise BadInput(f"--port {args.port}: must be between 0 and 65535")
    bench = build_bench(config.model_copy(update={"clock": "realtime"}))
    try:
        served = start(bench, args.port)
    except OSError as error:
        raise BadInput(f"--port {args.port}: cannot listen there ({error.strerror})") from None
    for resource, instrument, _ in served:
        print(f"{resource}  {instrument.idn.split(',')[1]} ({instrument.name})", flush=True)
    print("serving; Ctrl+C stops", file=sys.stderr, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    for _, _, server in served:
        server.shutdown()
    return 0
