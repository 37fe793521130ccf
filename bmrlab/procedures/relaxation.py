"""Bringing the device back to its high-resistance state between stimuli, as an
experimenter would: wait (volatile) or reset (nonvolatile), then read to confirm."""

from .. import standard

CONFIRM_FACTOR = 3.0  # an HRS read within this factor of the first one is relaxed
MAX_RESETS = 3


def hrs_read(procedure) -> float:
    """|I| at the read voltage, as one host-timed read."""
    return float(abs(procedure.station.smu.read(standard.V_READ).i[0]))


def read_floor(procedure) -> float:
    """The smallest current a read tells from nothing when the measure range is fixed at the
    compliance: 0.1 % of it, or ten resolutions of the SMU's lowest range."""
    return max(10 * procedure.station.smu.current_resolution, 1e-3 * procedure.compliance)


def back_to_hrs(procedure, reference: float, floor: float, rest: float, max_rest: float,
                v_reset: float = 0.0, reset_width: float = 0.0) -> tuple[float, int]:
    """Rest at 0 V (after a reset pulse to -``v_reset`` for a nonvolatile device) until an
    HRS read is within ``CONFIRM_FACTOR`` of ``reference`` (or below ``floor``), doubling the
    rest up to ``max_rest``. Returns (the last read, rests or resets it took)."""
    smu = procedure.station.smu
    attempts, waited, wait = 0, 0.0, rest
    while True:
        attempts += 1
        if v_reset > 0:
            interval = reset_width / 10
            smu.sweep([-v_reset] * 10 + [0.0], interval, 1, lambda r: None, procedure.wait)
        procedure.wait(wait)
        waited += wait
        current = hrs_read(procedure)
        if current <= max(CONFIRM_FACTOR * reference, floor):
            return current, attempts
        if (v_reset > 0 and attempts >= MAX_RESETS) or (v_reset == 0 and waited >= max_rest):
            return current, attempts
        wait = min(2 * wait, max(max_rest - waited, rest))
