"""Parse quantities such as ``800mV``, ``1 uA``, ``20ms`` or ``1e-6`` into SI floats.

Every number a person types (CLI ``--set``, station and device YAML, recipes, GUI fields)
goes through :func:`parse_quantity`, so one rule decides what ``m``, ``u`` and ``µ`` mean.
"""

import math
import re
from decimal import Decimal

PREFIXES = {"p": -12, "n": -9, "u": -6, "µ": -6, "μ": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9}

_QUANTITY = re.compile(
    r"^\s*(?P<number>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*"
    r"(?P<prefix>[pnuµμmkMG]?)(?P<unit>[A-Za-zΩ]*)\s*$"
)


def parse_quantity(value, unit: str = "") -> float:
    """Return ``value`` in SI units of ``unit``; accept numbers or strings with a prefix.

    ``unit`` is the expected SI unit (``"V"``, ``"A"``, ``"s"``); a string may carry it with
    any SI prefix, or no unit at all. A different unit, NaN or infinity is refused, since a
    measurement parameter must be a finite number.
    """
    if isinstance(value, bool):
        raise ValueError(f"expected a number{_in(unit)}, got {value!r}")
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        number = _parse_text(value, unit)
    else:
        raise ValueError(f"expected a number{_in(unit)}, got {value!r}")
    if not math.isfinite(number):
        raise ValueError(f"expected a finite number{_in(unit)}, got {value!r}")
    return number


def parse_resistance(text: str, name: str, example: str = "1GOhm") -> float:
    """A resistance a person named (``1GOhm``) in ohms, > 0; BadInput naming ``name``."""
    from .errors import BadInput

    try:
        ohms = parse_quantity(text, "Ohm")
    except ValueError as error:
        raise BadInput(f"{name}: {error} (e.g. {example})") from None
    if ohms <= 0:
        raise BadInput(f"{name}: a resistance must be > 0 Ohm (e.g. {example})")
    return ohms


def _parse_text(text: str, unit: str) -> float:
    match = _QUANTITY.match(text)
    if not match:
        raise ValueError(
            f"expected a number{_in(unit)} such as '{EXAMPLES.get(unit, '20mV')}', got {text!r}"
        )
    prefix, found_unit = match["prefix"], match["unit"]
    if found_unit == "" and prefix:
        # "5m" with no unit: a prefix is only meaningful before a unit.
        raise ValueError(f"expected a unit after '{prefix}' in {text!r}{_example(text, unit)}")
    if found_unit and found_unit != unit:
        if prefix == "" and found_unit[0] in PREFIXES and found_unit[1:] == unit:
            prefix, found_unit = found_unit[0], unit
        else:
            raise ValueError(f"expected a value{_in(unit)}, got {text!r}")
    return float(Decimal(match["number"]).scaleb(PREFIXES[prefix]))  # 100us is 1e-4 exactly


EXAMPLES = {"V": "20mV", "A": "1uA", "s": "10ms"}  # what a valid entry looks like


def _example(text: str, unit: str) -> str:
    return f" (e.g. '{text}{unit}')" if unit else ""


def _in(unit: str) -> str:
    return f" in {unit}" if unit else ""


def format_quantity(value: float, unit: str = "", digits: int = 4) -> str:
    """Format ``value`` with an SI prefix, e.g. ``0.0601 V`` -> ``60.1 mV``."""
    if value is None or not math.isfinite(value):
        return f"{value} {unit}".strip()
    if value == 0 or not unit:
        return f"{value:.{digits}g} {unit}".strip()
    rounded = float(f"{abs(value):.{digits}g}")  # 0.9999995 ms at 3 digits is 1 ms, not 1e+03 us
    exponent = int(math.floor(math.log10(rounded) / 3) * 3)
    exponent = max(-12, min(9, exponent))
    prefix = {-12: "p", -9: "n", -6: "u", -3: "m", 0: "", 3: "k", 6: "M", 9: "G"}[exponent]
    return f"{value / 10**exponent:.{digits}g} {prefix}{unit}"
