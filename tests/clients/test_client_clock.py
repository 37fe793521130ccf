"""Issue 13 finding 17: unchanged client code that waits with its own ``time.sleep`` sees a
volatile device switch and relax as on a bench, in-process and through ``sim serve``; a
bmrlab station keeps pure virtual time."""

import time

import pytest
import pyvisa

from bmrlab.sim.backend import forget_bench, register_bench
from bmrlab.sim.builder import DEFAULT_STATION, build_bench

K2450 = DEFAULT_STATION.instruments["smu"].resource  # wired to the volatile default 'dut'


def pulse_rest_read(smu) -> dict:
    """A user's script: switch the device on with a 200 mV pulse held by ``time.sleep``, read
    at 10 mV at once and again after resting at 0 V for 100 ms."""
    smu.write("*RST")
    smu.write(
        ':SOUR:FUNC VOLT;:SOUR:VOLT:RANG 2;:SOUR:VOLT:ILIM 1e-6;:SENS:FUNC "CURR";'
        ":SENS:CURR:NPLC 0.01"
    )
    smu.write(":SOUR:VOLT 0.01;:OUTP ON")
    read = {"before": float(smu.query(":READ?"))}
    smu.write(":SOUR:VOLT 0.2")
    time.sleep(0.05)
    smu.write(":SOUR:VOLT 0.01")
    read["after pulse"] = float(smu.query(":READ?"))
    smu.write(":SOUR:VOLT 0")
    time.sleep(0.1)
    smu.write(":SOUR:VOLT 0.01")
    read["after rest"] = float(smu.query(":READ?"))
    smu.write(":OUTP OFF")
    return read


def assert_switched_then_relaxed(read: dict) -> None:
    assert read["after pulse"] > 100 * read["before"]  # the pulse switched it on
    assert read["after rest"] < read["after pulse"] / 100  # the rest let it relax


def open_2450(visa_library: str, resource: str = K2450):
    rm = pyvisa.ResourceManager(visa_library)
    return rm.open_resource(resource, read_termination="\n", write_termination="\n", timeout=10_000)


def test_a_plain_in_process_client_sees_its_sleep_pass_on_the_device():
    smu = open_2450("@bmrsim")  # the default bench, as a user's script opens it
    try:
        assert_switched_then_relaxed(pulse_rest_read(smu))
    finally:
        smu.close()


def test_a_served_client_sees_its_sleep_pass_on_the_device(served):
    smu = open_2450("@py", served.resource("smu"))
    try:
        assert_switched_then_relaxed(pulse_rest_read(smu))
    finally:
        smu.close()


@pytest.mark.parametrize("paced", [True, False])
def test_a_registered_bench_keeps_virtual_time_unless_it_asks_for_pacing(paced):
    """bmrlab's Station registers its bench and owns the clock: a client's sleep must not
    move it, so a 10^4 s retention still runs in seconds."""
    bench = build_bench(DEFAULT_STATION)
    key = register_bench(bench, client_paced=paced)
    smu = open_2450(f"{key}@bmrsim")
    try:
        smu.query("*IDN?")
        before = bench.clock.now()
        time.sleep(0.1)
        smu.query("*IDN?")
        elapsed = bench.clock.now() - before
    finally:
        smu.close()
        forget_bench(key)
    assert (elapsed >= 0.1) if paced else (elapsed < 0.01)
