"""Property: whatever protocol parameters a user asks for, on any simulated station, the
device never sees |V| above the station limit and no range-change or relay glitch reaches
it. Out-of-limit requests are refused before a single command is sent."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bmrlab import runner
from bmrlab.errors import BadInput, RunFailed
from bmrlab.instruments.smu import PulseTrain
from bmrlab.paths import CONFIG_DIR
from bmrlab.station import Station

STATIONS = ["sim-2450", "sim-2400", "sim-2636b"]
LIMIT = 0.5  # limits.max_voltage of the sim-*.yaml stations

SLOW = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

volts = st.floats(min_value=0.002, max_value=0.8, allow_nan=False)


def watchdog(station):
    return station.sim.device_of(station.sim.by_name("smu")).watchdog


def assert_device_safe(station):
    dog = watchdog(station)
    assert dog.max_abs_v <= LIMIT + 1e-9
    assert dog.overshoots == []


@pytest.mark.parametrize("name", STATIONS)
@SLOW
@given(
    v_max=volts,
    v_neg=st.one_of(st.just(0.0), volts),
    step=st.sampled_from([2e-3, 5e-3, 10e-3]),
    compliance=st.floats(min_value=1e-9, max_value=2e-3),
    nplc=st.sampled_from([0.01, 0.05, 0.1]),
)
def test_iv_sweeps_never_exceed_the_station_limit(
    name, v_max, v_neg, step, compliance, nplc, tmp_path_factory
):
    with Station.load(CONFIG_DIR / "stations" / f"{name}.yaml") as station:
        values = dict(
            v_max=v_max,
            v_neg=v_neg,
            step=step,
            compliance=compliance,
            nplc=nplc,
            cycles=1,
            rest=0.05,
            dwell=max(2e-3, 5 * nplc / 50),
        )
        try:
            procedure = runner.prepare(station, "iv-sweep", values)
        except BadInput:
            assert v_max > LIMIT or v_neg > LIMIT or compliance > 1e-3 or v_max <= 20e-3
            assert station.sim.transactions == 0  # refused before anything was sent
            return
        result = runner.run(
            station, procedure, tmp_path_factory.mktemp("h5") / "r.h5", sample="s", device="d"
        )
        assert result.status == "finished", result.reason
        assert_device_safe(station)


@pytest.mark.parametrize("name", STATIONS)
@SLOW
@given(
    level=volts,
    width_samples=st.integers(1, 20),
    off_samples=st.integers(1, 20),
    count=st.integers(1, 5),
    generator_level=volts,
    generator_width=st.floats(min_value=20e-6, max_value=50e-3),
    bias=volts,
)
def test_pulses_and_traces_never_exceed_the_station_limit(
    name, level, width_samples, off_samples, count, generator_level, generator_width, bias
):
    with Station.load(CONFIG_DIR / "stations" / f"{name}.yaml") as station:
        station.connect()
        smu = station.smu
        smu.configure(max_abs_v=LIMIT, compliance=1e-6, nplc=0.05)
        interval = 2e-3
        train = PulseTrain(
            level,
            width_samples * interval,
            0.0,
            (width_samples + off_samples) * interval,
            count,
            interval,
        )
        attempts = [
            lambda: smu.pulse_train(train, lambda c: None, station.clock.sleep),
            lambda: station.wait(station.generator.single(generator_level, generator_width)),
            lambda: smu.time_trace(bias, interval, 20, lambda c: None, station.clock.sleep),
            lambda: smu.read(bias),
        ]
        for attempt in attempts:
            try:
                attempt()
            except RunFailed:  # a SafetyViolation: refused before it was sent
                pass
        station.safe_off()
        assert_device_safe(station)
