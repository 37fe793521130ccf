"""bmrlab: characterize bio-voltage memristors at a probe station.

The Python API (loaded on first use, so that the command line starts fast)::

    from bmrlab import Station, run_protocol, load_run, list_runs, protocols
"""

__version__ = "0.1.0"

_API = {
    "Station": ("station", "Station"),
    "run_protocol": ("api", "run_protocol"),
    "load_run": ("storage", "load_run"),
    "list_runs": ("storage", "list_runs"),
    "protocols": ("procedures", "PROTOCOLS"),
    "BadInput": ("errors", "BadInput"),
}
__all__ = ["__version__", *_API]


def __getattr__(name):
    if name in _API:
        from importlib import import_module

        module, attribute = _API[name]
        return getattr(import_module(f"{__name__}.{module}"), attribute)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
