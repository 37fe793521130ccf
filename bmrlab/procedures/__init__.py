"""The protocol registry: every protocol module of this package, found by itself, so adding
a protocol is adding its module (and its test). The CLI, GUI and recipes offer what is here:
the Table 1 protocols first (``rank``), then the others by name."""

import importlib
import pkgutil

from pydantic import ValidationError

from ..errors import BadInput
from ..results import ProtocolResult
from .base import BmrProcedure


def _discover() -> dict[str, type[BmrProcedure]]:
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    found: list[type[BmrProcedure]] = []
    pending = list(BmrProcedure.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if "name" in vars(cls):
            found.append(cls)
    return {cls.name: cls for cls in sorted(found, key=lambda c: (c.rank, c.name))}


PROTOCOLS: dict[str, type[BmrProcedure]] = _discover()


def get_protocol(name: str) -> type[BmrProcedure]:
    try:
        return PROTOCOLS[name]
    except KeyError:
        raise BadInput(
            f"protocol {name!r} is not known (protocols: {', '.join(PROTOCOLS)})"
        ) from None


def stored_result(protocol: str, figures: dict) -> ProtocolResult | None:
    """The typed result stored with a run; None if it has none, or if it was stored under
    another result schema (``bmrlab analyze`` recomputes it)."""
    cls = PROTOCOLS.get(protocol)
    if cls is None or not figures:
        return None
    try:
        return cls.Result.model_validate(figures)
    except ValidationError:
        return None
