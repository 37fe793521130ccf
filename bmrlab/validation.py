"""Load YAML files into pydantic models and report every problem by its YAML path.

Station files, device files and recipes are all validated this way before any instrument
is touched: a person sees ``limits.max_voltage: ...`` for each problem, never a traceback.
"""

from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, BeforeValidator, ValidationError

from .errors import BadInput
from .units import parse_quantity


def quantity(unit: str):
    """A float field that also accepts strings with SI prefixes, e.g. ``500mV``."""
    return Annotated[float, BeforeValidator(lambda v: parse_quantity(v, unit))]


Volts = quantity("V")
Amps = quantity("A")
Seconds = quantity("s")
Ohms = quantity("Ohm")


def yaml_path(loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def problems_of(error: ValidationError, prefix: str = "") -> list[str]:
    lines = []
    for item in error.errors():
        where = yaml_path(item["loc"])
        given = item.get("input")
        message = item["msg"].removeprefix("Value error, ")
        shown = (
            ""
            if isinstance(given, (dict, list)) or item["type"] == "missing"
            else f" (got {given!r})"
        )
        lines.append(f"{prefix}{where}: {message}{shown}")
    return lines


def read_yaml(path: Path, what: str) -> dict:
    try:
        text = Path(path).read_text()
    except OSError as error:
        raise BadInput(f"{what} {path}: cannot be read ({error.strerror})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise BadInput(
            f"{what} {path}{where}: not valid YAML ({getattr(error, 'problem', error)})"
        ) from None
    if not isinstance(data, dict):
        raise BadInput(f"{what} {path}: expected a mapping of keys, got {type(data).__name__}")
    return data


def validate(model: type[BaseModel], data: dict, source: str):
    """Build ``model`` from ``data`` or raise BadInput listing every problem."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise BadInput(*problems_of(error, prefix=f"{source}: ")) from None


def load_yaml(path, model: type[BaseModel], what: str):
    return validate(model, read_yaml(path, what), str(path))
