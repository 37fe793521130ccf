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
        "TCPIP0::127.0.0.1::<port>::SOCKET with \\n termination. A station with a simulated "
        "wafer (simulation.wafer) also serves the simulated MPI SENTIO prober stepping over "
        "it, reached as <host>:<port> by SENTIO's remote commands; its switch matrix "
        "(a simulated Keithley 707B) is one of the instruments and connects the SMU to "
        "the device of the landing whose crosspoint is closed.",
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
    serve.add_argument(
        "--prober-port",
        type=int,
        default=35555,
        help="port of the simulated MPI SENTIO prober, for a station with a simulated wafer "
        "(default 35555, SENTIO's own; 0: any free port)",
    )
    serve.set_defaults(command=cmd_sim_serve)


def cmd_sim_serve(args) -> int:
    import threading

    from ..config import load_station_config
    from ..sim.builder import DEFAULT_STATION, build_bench
    from ..sim.sentio import serve
    from ..sim.server import start
    from ..sim.wafer import load_wafer, mount

    config = load_station_config(args.station) if args.station else DEFAULT_STATION
    if not config.simulated:
        raise BadInput(f"--station {args.station}: has no simulated instruments ('@bmrsim')")
    if not 0 <= args.port <= 65535 - len(config.instruments):
        raise BadInput(f"--port {args.port}: must be between 0 and 65535")
    if not 0 <= args.prober_port <= 65535:
        raise BadInput(f"--prober-port {args.prober_port}: must be between 0 and 65535")
    wafer = load_wafer(config.simulation.wafer) if config.simulation.wafer else None
    bench = build_bench(
        config.model_copy(update={"clock": "realtime"}), wafer.device if wafer else None
    )
    try:
        served = start(bench, args.port)
    except OSError as error:
        raise BadInput(f"--port {args.port}: cannot listen there ({error.strerror})") from None
    for resource, instrument, _ in served:
        print(f"{resource}  {instrument.idn.split(',')[1]} ({instrument.name})", flush=True)
    if wafer is not None:  # the simulated SENTIO prober, stepping over the wafer
        try:
            server = serve(mount(wafer, bench), port=args.prober_port)
        except OSError as error:
            raise BadInput(
                f"--prober-port {args.prober_port}: cannot listen there ({error.strerror})"
            ) from None
        host, port = server.server_address
        print(f"{host}:{port}  MPI SENTIO (prober, wafer {config.simulation.wafer})", flush=True)
        served.append((f"{host}:{port}", None, server))
    print("serving; Ctrl+C stops", file=sys.stderr, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    for _, _, server in served:
        server.shutdown()
    return 0
