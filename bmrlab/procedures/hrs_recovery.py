"""Bringing the device back to its high-resistance state between stimuli, as an
experimenter would: wait (volatile) or reset (nonvolatile), then read to confirm.

The protocols that stimulate a device many times (pulse delay, retention, STP/LTP, neuron,
multilevel) share these steps and the two parameters that set them (``rest``, ``max_rest``).
"""

from .. import standard
from .base import Quantity
from .context import RunContext

CONFIRM_FACTOR = 3.0  # an HRS read within this factor of the first one is relaxed
MAX_RESETS = 3


def rest_parameter(before: str) -> Quantity:
    """``rest``: the first wait at 0 V ``before`` each stimulus, doubled until the HRS is
    back (up to ``max_rest``)."""
    return Quantity(
        "rest",
        units="s",
        minimum=0.0,
        maximum=3600.0,
        default=0.5,
        description=f"at 0 V {before} (doubled until the HRS is back)",
    )


def max_rest_parameter() -> Quantity:
    return Quantity(
        "max_rest",
        units="s",
        minimum=0.0,
        maximum=36000.0,
        default=60.0,
        description="longest wait for the HRS to come back",
    )


def hrs_read(ctx: RunContext) -> float:
    """|I| at the read voltage, as one host-timed read."""
    return float(abs(ctx.smu.read(standard.V_READ).i[0]))


def read_floor(ctx: RunContext, compliance: float) -> float:
    """The smallest current a read tells from nothing when the measure range is fixed at the
    compliance: 0.1 % of it, or ten resolutions of the SMU's lowest range."""
    return max(10 * ctx.smu.current_resolution, 1e-3 * compliance)


def back_to_hrs(
    ctx: RunContext,
    reference: float,
    floor: float,
    rest: float,
    max_rest: float,
    v_reset: float = 0.0,
    reset_width: float = 0.0,
) -> tuple[float, int]:
    """Rest at 0 V (after a reset pulse to -``v_reset`` for a nonvolatile device) until an
    HRS read is within ``CONFIRM_FACTOR`` of ``reference`` (or below ``floor``), doubling the
    rest up to ``max_rest``. Returns (the last read, rests or resets it took)."""
    attempts, waited, wait = 0, 0.0, rest
    while True:
        attempts += 1
        if v_reset > 0:
            interval = reset_width / 10
            ctx.smu.sweep([-v_reset] * 10 + [0.0], interval, 1, lambda r: None, ctx.wait)
        ctx.wait(wait)
        waited += wait
        current = hrs_read(ctx)
        if current <= max(CONFIRM_FACTOR * reference, floor):
            return current, attempts
        if (v_reset > 0 and attempts >= MAX_RESETS) or (v_reset == 0 and waited >= max_rest):
            return current, attempts
        wait = min(2 * wait, max(max_rest - waited, rest))
