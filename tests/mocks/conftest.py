"""Helpers for the exact-command-sequence tests: an SMU interface over a mocked driver."""

import pytest

from bmrlab.clock import VirtualClock
from bmrlab.config import Limits
from bmrlab.safety import Guard

NO_ERROR_SCPI = ("SYST:ERR?", '0,"No error"')  # what pymeasure's check_errors sends


@pytest.fixture
def clock():
    return VirtualClock()


@pytest.fixture
def make_smu(clock):
    """``make_smu(Smu class, driver, aperture=...)``: the interface as if configured at
    ``aperture`` seconds a reading (None: not configured)."""

    def make(smu_class, driver, aperture=None, limits=None):
        smu = smu_class(driver, Guard(limits or Limits()), clock, "zero")
        if aperture is not None:
            smu._aperture = aperture
            smu.settings = {"nplc": 0.05}
        return smu

    return make


def stop_now(seconds):
    """A station wait whose stop request is already set."""
    from bmrlab.errors import Stopped

    raise Stopped("stopped on request")
