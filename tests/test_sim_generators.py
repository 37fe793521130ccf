"""The simulated 33500B (a two-channel 33522B) and 33220A hold their guides' behaviour:
*RST defaults, conflict rules with the instrument's errors and adjustments, what the device
sees (load setting, edges, bursts, trigger delay, polarity, channel 2 unwired), and
independent client code (PyMeasure, QCoDeS) against them."""

import math
import warnings

import pytest
import pyvisa

GEN33500, GEN33220 = "USB0::0x0957::0x2807::SIMMY5310001::INSTR", "GPIB0::10::INSTR"


def open_raw(library, resource):
    rm = pyvisa.ResourceManager(library)
    return rm.open_resource(resource, read_termination="\n", write_termination="\n")


def errors(gen) -> list[int]:
    """Drain the error queue; the codes, oldest first."""
    codes = []
    while True:
        code = int(gen.query("SYST:ERR?").split(",")[0])
        if code == 0:
            return codes
        codes.append(code)


def number(gen, query: str) -> float:
    return float(gen.query(query))


def level(bench, t: float) -> float:
    """What the generators' device sees at ``t`` (channel 1 of the 33500B)."""
    return bench.by_name("pulse_generator").drive(t)[0]


@pytest.mark.parametrize("resource, edge", [(GEN33500, 10e-9), (GEN33220, 5e-9)])
def test_rst_gives_the_factory_defaults(bench, resource, edge):
    gen = open_raw(bench[1], resource)
    gen.write("FUNC PULS;:OUTP:LOAD INF;:BURS:STAT ON;:TRIG:SOUR BUS;:TRIG:DEL 1")
    gen.write("*RST")
    assert gen.query("FUNC?") == "SIN"
    assert number(gen, "FREQ?") == 1e3
    assert number(gen, "VOLT?") == pytest.approx(0.1)  # 100 mVpp
    assert number(gen, "VOLT:OFFS?") == 0
    assert gen.query("VOLT:UNIT?") == "VPP"
    assert number(gen, "OUTP:LOAD?") == 50
    assert gen.query("OUTP?") == "0" and gen.query("OUTP:POL?") == "NORM"
    assert gen.query("OUTP:SYNC?") == "1"
    assert gen.query("BURS:STAT?") == "0" and gen.query("BURS:MODE?") == "TRIG"
    assert number(gen, "BURS:NCYC?") == 1 and number(gen, "BURS:INT:PER?") == 10e-3
    assert gen.query("TRIG:SOUR?") == "IMM" and number(gen, "TRIG:DEL?") == 0
    assert gen.query("TRIG:SLOP?") == "POS"
    assert number(gen, "FUNC:PULS:WIDT?") == 100e-6
    assert number(gen, "FUNC:PULS:DCYC?") == pytest.approx(10)
    assert number(gen, "FUNC:PULS:TRAN?") == edge
    assert errors(gen) == []


def test_the_load_setting_changes_the_displayed_levels_not_the_output(bench):
    b, library = bench
    gen = open_raw(library, GEN33500)
    gen.write("FUNC DC;VOLT:OFFS 0.1;:OUTP ON")  # 0.1 V into 50 ohm
    assert level(b, b.clock.now()) == pytest.approx(0.2)  # an open circuit sees twice that
    gen.write("OUTP:LOAD INF")
    assert number(gen, "VOLT:OFFS?") == pytest.approx(0.2)  # 33500 guide p.62
    assert level(b, b.clock.now()) == pytest.approx(0.2)
    gen.write("OUTP:LOAD 1000")
    assert number(gen, "VOLT:OFFS?") == pytest.approx(0.2 * 1000 / 1050)
    assert gen.query("OUTP:LOAD? MAX") == "+1.000000000000000E+04"
    assert errors(gen) == []


def test_a_high_level_below_the_low_level_moves_the_low_level(bench):
    gen = open_raw(bench[1], GEN33500)
    gen.write("FUNC PULS;:VOLT:LOW 0;HIGH 1")
    gen.write("VOLT:HIGH -0.5")
    assert number(gen, "VOLT:HIGH?") == -0.5
    assert number(gen, "VOLT:LOW?") == pytest.approx(-0.501)  # 1 mV below, into 50 ohm
    gen.write("VOLT:LOW 2")
    assert number(gen, "VOLT:HIGH?") == pytest.approx(2.001)
    assert errors(gen) == [-221, -221]


def test_levels_beyond_the_output_range_are_clipped_and_amplitude_meets_offset(bench):
    gen = open_raw(bench[1], GEN33500)
    gen.write("VOLT 30")
    assert number(gen, "VOLT?") == pytest.approx(10)  # 10 Vpp into 50 ohm
    gen.write("VOLT 2;VOLT:OFFS 4.5")  # |offset| + Vpp/2 <= 5 V into 50 ohm
    assert number(gen, "VOLT:OFFS?") == pytest.approx(4.0)
    assert errors(gen) == [-222, -221]


def test_33500_pulse_width_must_leave_wmin_of_the_period(bench):
    gen = open_raw(bench[1], GEN33500)
    gen.write("FUNC PULS;:FUNC:PULS:PER 1e-6;:FUNC:PULS:WIDT 0.99e-6")
    assert number(gen, "FUNC:PULS:WIDT?") == pytest.approx(1e-6 - 16e-9)  # p.69
    assert -221 in errors(gen)
    gen.write("FUNC:PULS:WIDT 5e-9")
    assert number(gen, "FUNC:PULS:WIDT?") == 16e-9
    assert errors(gen) == [-222]


def test_33220a_period_shorter_than_width_and_edges_adjusts_edges_then_width(bench):
    gen = open_raw(bench[1], GEN33220)
    gen.write("FUNC PULS;:PULS:PER 1e-3;:FUNC:PULS:WIDT 500e-9;:FUNC:PULS:TRAN 100e-9")
    assert errors(gen) == []
    gen.write("PULS:PER 550e-9")  # Period > Width + 1.6 x Edge time (33220A guide p.192)
    assert errors(gen) == [-221]
    width, edge = number(gen, "FUNC:PULS:WIDT?"), number(gen, "FUNC:PULS:TRAN?")
    assert edge == 5e-9  # the edge time is minimised first
    assert width + 1.6 * edge <= 550e-9 + 1e-15
    gen.write("FUNC:PULS:WIDT 100e-9;:FUNC:PULS:TRAN 100e-9")  # edge <= 0.625 x width
    assert number(gen, "FUNC:PULS:TRAN?") == pytest.approx(62.5e-9)
    assert errors(gen) == [-222]


def test_hold_dcyc_keeps_the_duty_cycle_when_the_period_changes(bench):
    gen = open_raw(bench[1], GEN33500)
    gen.write("FUNC PULS;:FUNC:PULS:PER 1e-3;WIDT 2e-4;HOLD DCYC;PER 1e-2")
    assert number(gen, "FUNC:PULS:WIDT?") == pytest.approx(2e-3)
    gen.write("FUNC:PULS:HOLD WIDT;PER 1e-3")
    assert number(gen, "FUNC:PULS:DCYC?") == pytest.approx(100 * (1 - 16e-6))
    assert errors(gen) == [-221]  # the 2 ms width is cut to period - Wmin


def test_changing_function_lowers_a_frequency_the_new_one_cannot_reach(bench):
    gen = open_raw(bench[1], GEN33500)
    gen.write("FUNC SIN;FREQ 20e6;:FUNC RAMP")
    assert number(gen, "FREQ?") == 200e3
    assert gen.query("FREQ? MAX") == "+2.000000000000000E+05"
    assert errors(gen) == [-221]


def test_channel_2_has_its_own_state_and_drives_nothing(bench):
    b, library = bench
    gen = open_raw(library, GEN33500)
    gen.write("SOUR2:FUNC DC;VOLT:OFFS 1;:OUTP2:LOAD INF;:OUTP2 ON;:SOUR2:BURS:NCYC 7")
    assert gen.query("SOUR2:FUNC?") == "DC" and gen.query("SOUR1:FUNC?") == "SIN"
    assert gen.query("OUTP2:LOAD?") == "9.9E+37"
    assert number(gen, "SOUR2:VOLT:OFFS?") == 2  # 1 V into 50 ohm is 2 V open circuit
    assert number(gen, "BURS:NCYC?") == 1 and number(gen, "SOUR2:BURS:NCYC?") == 7
    assert gen.query("OUTP2?") == "1" and gen.query("OUTP?") == "0"
    b.clock.sleep(1e-3)
    b.sync()
    assert b.devices["dut"].watchdog.max_abs_v == 0
    assert errors(gen) == []


def test_a_bus_triggered_burst_starts_after_the_trigger_delay_with_its_edges(bench):
    b, library = bench
    gen = open_raw(library, GEN33500)
    gen.write("OUTP:LOAD INF;:FUNC PULS;:VOLT:LOW 0;HIGH 0.1;:FUNC:PULS:PER 1e-3;WIDT 1e-4")
    gen.write("FUNC:PULS:TRAN 1e-6;:BURS:MODE TRIG;NCYC 3;STAT ON;:TRIG:SOUR BUS;DEL 2e-3")
    gen.write("OUTP ON")
    assert level(b, b.clock.now() + 1e-3) == 0  # armed, waiting for the trigger
    gen.write("*TRG")
    t0 = b.clock.now() + 2e-3  # the burst starts after TRIG:DEL
    ramp = 1e-6 / 0.8  # 10 % to 90 % is 80 % of the ramp
    assert level(b, t0 - 1e-6) == 0
    assert 0 < level(b, t0 + ramp / 3) < 0.1  # on the rising edge
    assert level(b, t0 + ramp + 50e-6) == pytest.approx(0.1)
    assert level(b, t0 + 2e-3 + 50e-6) == pytest.approx(0.1)  # third pulse
    assert level(b, t0 + 3e-3 + 50e-6) == 0  # three cycles, then the low level
    before = b.clock.now()
    assert gen.query("*OPC?") == "1"  # waits out the burst
    assert b.clock.now() >= t0 + 2e-3 + 100e-6 and b.clock.now() > before
    assert b.devices["dut"].watchdog.max_abs_v == pytest.approx(0.1)
    assert errors(gen) == []


def test_the_50_percent_points_of_a_pulse_are_its_width_apart(bench):
    b, library = bench
    gen = open_raw(library, GEN33220)
    gen.write("OUTP:LOAD INF;:FUNC PULS;:VOLT:LOW 0;HIGH 1;:PULS:PER 1e-3;:FUNC:PULS:WIDT 1e-6")
    gen.write("FUNC:PULS:TRAN 100e-9;:OUTP ON")
    sim = b.by_name("generator33220a")
    start = b.clock.now()
    times, t = [], start - 1e-9
    while (t := sim.wired.next_change_after(t)) < start + 2e-6:
        times.append(t)
    levels = [sim.wired.level_at(t + 1e-12) for t in times]
    up = next(t for t, v in zip(times, levels, strict=True) if v > 0.5)
    down = next(t for t, v in zip(times, levels, strict=True) if t > up and v < 0.5)
    assert down - up == pytest.approx(1e-6, rel=1e-6)  # staircase steps cross 50 % exactly
    assert len(times) == 10  # 4 steps an edge: 5 breakpoints each


def test_inverted_polarity_mirrors_the_pulse_about_its_offset(bench):
    b, library = bench
    gen = open_raw(library, GEN33500)
    gen.write("OUTP:LOAD INF;:FUNC PULS;:VOLT:LOW 0;HIGH 0.2;:OUTP:POL INV")
    gen.write("BURS:STAT ON;:TRIG:SOUR BUS;:OUTP ON")
    assert level(b, b.clock.now()) == pytest.approx(0.2)  # idles at the high level
    gen.write("*TRG")
    assert level(b, b.clock.now() + 50e-6) == pytest.approx(0)
    assert errors(gen) == []


def test_immediate_bursts_repeat_every_internal_period(bench):
    b, library = bench
    gen = open_raw(library, GEN33500)
    gen.write("OUTP:LOAD INF;:FUNC PULS;:VOLT:LOW 0;HIGH 0.1;:FUNC:PULS:PER 1e-3;WIDT 1e-4")
    gen.write("BURS:NCYC 2;INT:PER 5e-3;:BURS:STAT ON;:OUTP ON")
    t0 = b.clock.now()
    assert [level(b, t0 + k * 1e-3 + 5e-5) for k in range(6)] == pytest.approx(
        [0.1, 0.1, 0, 0, 0, 0.1]
    )
    gen.write("BURS:INT:PER 1e-3")  # shorter than 2 cycles: raised (33500 guide p.177)
    assert number(gen, "BURS:INT:PER?") == pytest.approx(2e-3 + 200e-9)
    assert errors(gen) == [-221]


def test_33220a_raises_a_short_burst_period_with_data_out_of_range(bench):
    gen = open_raw(bench[1], GEN33220)
    gen.write("FUNC PULS;:BURS:NCYC 3;:BURS:INT:PER 1e-3")
    assert number(gen, "BURS:INT:PER?") == pytest.approx(3e-3 + 200e-9)
    assert errors(gen) == [-222]  # 33220A guide p.227


def test_triggers_follow_the_trigger_source(bench):
    b, library = bench
    gen = open_raw(library, GEN33500)
    gen.write("OUTP:LOAD INF;:FUNC PULS;:VOLT:LOW 0;HIGH 0.1;:BURS:STAT ON;:TRIG:SOUR EXT")
    gen.write("OUTP ON;*TRG")  # *TRG needs TRIG:SOUR BUS
    assert errors(gen) == [-211]
    assert level(b, b.clock.now() + 50e-6) == 0  # Trig In is not wired
    gen.write("TRIG")  # TRIGger triggers whatever the source
    assert level(b, b.clock.now() + 50e-6) == pytest.approx(0.1)


def test_a_level_change_under_power_glitches_unless_autoranging_is_off(bench):
    b, library = bench
    gen = open_raw(library, GEN33220)
    gen.write("OUTP:LOAD INF;:FUNC DC;:VOLT:OFFS 0;:OUTP ON")
    gen.write("VOLT:OFFS 0.02")
    assert len(b.devices["dut"].watchdog.overshoots) == 1
    gen.write("VOLT:RANG:AUTO OFF;:VOLT:OFFS 0.03")
    assert len(b.devices["dut"].watchdog.overshoots) == 1


def test_voltage_limits_clip_levels_and_lock_the_load_setting(bench):
    gen = open_raw(bench[1], GEN33500)
    gen.write("VOLT:LIM:HIGH 0.5;LOW -0.5;STAT ON")
    gen.write("VOLT:HIGH 2")
    assert number(gen, "VOLT:HIGH?") == pytest.approx(0.5)
    gen.write("OUTP:LOAD INF")  # 33500 guide p.62: not with limits on
    assert number(gen, "OUTP:LOAD?") == 50
    assert errors(gen) == [-221, -221]


def test_amplitude_units(bench):
    gen = open_raw(bench[1], GEN33500)
    gen.write("VOLT 1;:VOLT:UNIT VRMS")
    assert number(gen, "VOLT?") == pytest.approx(1 / (2 * math.sqrt(2)))
    gen.write("VOLT:UNIT DBM")
    assert number(gen, "VOLT?") == pytest.approx(10 * math.log10((1 / 8) / 50 / 1e-3))
    gen.write("OUTP:LOAD INF")  # dBm needs a load: Vpp with a high impedance (p.62)
    assert gen.query("VOLT:UNIT?") == "VPP"
    assert errors(gen) == []


def test_what_is_not_simulated_or_not_in_a_model_is_a_clear_error(bench):
    gen = open_raw(bench[1], GEN33500)
    gen.write("FUNC ARB;:FREQ:MODE SWE")
    assert errors(gen) == [-241, -241]
    assert gen.query("FUNC?") == "SIN" and gen.query("FREQ:MODE?") == "CW"
    old = open_raw(bench[1], GEN33220)
    old.write("TRIG:SOUR TIM")
    old.write("SOUR2:FUNC DC")
    old.write("VOLT:LIM:STAT ON")
    old.write("FUNC USER")
    assert errors(old) == [-224, -113, -113, -241]


def test_the_compound_commands_bmrlab_sends_follow_the_path_rule(bench):
    """``BURS:MODE TRIG;NCYC 1;STAT ON``: NCYC and STAT are relative to BURS."""
    for resource in (GEN33500, GEN33220):
        gen = open_raw(bench[1], resource)
        gen.write("*RST;OUTP:LOAD INF;:FUNC PULS;:FUNC:PULS:TRAN MIN")
        gen.write("BURS:MODE TRIG;NCYC 1;STAT ON")
        gen.write("TRIG:SOUR BUS;DEL 0")
        gen.write("VOLT:LOW 0;HIGH 0.3")
        assert gen.query("BURS:STAT?") == "1" and gen.query("TRIG:SOUR?") == "BUS"
        assert number(gen, "VOLT:HIGH?") == pytest.approx(0.3)
        assert errors(gen) == []


def test_pymeasure_drivers_set_and_read_back_pulse_bursts_on_both_channels(bench):
    from pymeasure.instruments.agilent import Agilent33220A, Agilent33500

    _, library = bench
    gen = Agilent33500(GEN33500, visa_library=library)
    for channel in (gen.ch_1, gen.ch_2):
        channel.shape = "PULS"
        channel.output_load = "INF"
        channel.pulse_period = 2e-3
        channel.pulse_width = 1e-4
        channel.pulse_transition = 20e-9
        channel.voltage_high, channel.voltage_low = 0.3, 0.0
        channel.burst_state, channel.burst_ncycles = True, 3
        assert channel.pulse_width == pytest.approx(1e-4)
        assert channel.pulse_transition == pytest.approx(20e-9)
        assert channel.voltage_high == pytest.approx(0.3)
        assert channel.burst_ncycles == 3
    gen.trigger_source = "BUS"
    gen.trigger()
    gen.phase_sync()
    assert gen.ask("SYST:ERR?").startswith("0,")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        old = Agilent33220A(GEN33220, visa_library=library)
    old.shape, old.pulse_period, old.pulse_width = "PULSE", 1e-3, 50e-6
    old.burst_state, old.burst_ncycles, old.trigger_source = True, 2, "BUS"
    old.trigger()
    assert old.pulse_width == pytest.approx(50e-6)
    assert old.ask("SYST:ERR?").startswith("+0,") or old.ask("SYST:ERR?").startswith("0,")


def test_qcodes_keysight_33522b_driver_runs_both_channels(bench):
    keysight = pytest.importorskip("qcodes.instrument_drivers.Keysight")
    _, library = bench
    ks = keysight.Keysight33522B("ks_sim", GEN33500, visalib=library)
    try:
        for ch in (ks.ch1, ks.ch2):
            ch.function_type("PULS")
            ch.frequency_mode("CW")
            ch.pulse_width(1e-4)
            ch.phase(90)
            ch.output_polarity("INV")
            ch.trigger_source("BUS")
            ch.trigger_delay(1e-3)
            ch.trigger_timer(0.5)
            ch.trigger_count(2)
            ch.burst_mode("N Cycle")
            ch.burst_ncycles("INF")
            ch.burst_phase(45)
            ch.burst_int_period(0.02)
            ch.burst_state("ON")
            assert ch.burst_ncycles() == math.inf and ch.pulse_width() == pytest.approx(1e-4)
            assert ch.output_polarity() == "INV" and ch.trigger_delay() == pytest.approx(1e-3)
        ks.sync.output("ON")
        ks.sync.source(2)
        assert ks.sync.source() == 2
        ks.force_trigger()
        ks.sync_channel_phases()
        assert ks.error() == (0, "No error")
    finally:
        ks.close()


def test_a_fast_endless_train_reaches_the_device_as_its_mean_with_its_peak_recorded(bench):
    b, library = bench
    gen = open_raw(library, GEN33500)
    gen.write("OUTP:LOAD INF;:FUNC PULS;:VOLT:LOW 0;HIGH 0.4;:FUNC:PULS:PER 1e-6;WIDT 2.5e-7")
    gen.write("OUTP ON")
    assert level(b, b.clock.now() + 0.5) == pytest.approx(0.1)  # 25 % of 0.4 V
    b.clock.sleep(10.0)  # ten million pulses: no event for each of them
    b.sync()
    assert b.devices["dut"].watchdog.max_abs_v == pytest.approx(0.4)
    gen.write("FUNC SIN")  # not simulated: its offset, its peak recorded
    assert level(b, b.clock.now()) == pytest.approx(0.2)


def test_apply_and_values_with_units_as_the_guides_print_them(bench):
    gen = open_raw(bench[1], GEN33220)
    gen.write("OUTP:LOAD 50")
    gen.write("APPL:SQU 5 KHZ, 0.3 VPP, -0.1 V")
    assert gen.query("APPL?") == (
        '"SQU +5.000000000000000E+03,+3.000000000000000E-01,-1.000000000000000E-01"'
    )
    assert gen.query("OUTP?") == "1" and gen.query("TRIG:SOUR?") == "IMM"
    gen.write("APPL:PULS 1 MHZ")
    assert number(gen, "FREQ?") == 1e6 and number(gen, "VOLT?") == pytest.approx(0.1)
    assert errors(gen) == [-221]  # the 100 us width does not fit a 1 us period
    gen.write("FUNC:PULS:WIDT 200 NS;:VOLT 100 MVPP;:TRIG:DEL 2 MS")
    assert number(gen, "FUNC:PULS:WIDT?") == pytest.approx(200e-9)
    assert number(gen, "VOLT?") == pytest.approx(0.1)
    assert number(gen, "TRIG:DEL?") == pytest.approx(2e-3)
    gen.write("FREQ 2 V")
    assert errors(gen) == [-131]


def test_opc_completes_when_the_triggered_burst_ends(bench):
    b, library = bench
    gen = open_raw(library, GEN33500)
    gen.write("FUNC PULS;:FUNC:PULS:PER 1e-3;:BURS:NCYC 100;STAT ON;:TRIG:SOUR BUS;:OUTP ON")
    gen.write("*TRG;*OPC")
    assert int(gen.query("*ESR?")) & 1 == 0  # 100 ms of pulses still running
    b.clock.sleep(0.1)
    assert int(gen.query("*ESR?")) & 1 == 1
    assert errors(gen) == []


def test_qcodes_33200_family_driver_runs_the_33220a(bench):
    """QCoDeS has no 33220A driver; its 33210A driver (the 33200 family's, sending SOURce1:,
    OUTPut1 and TRIGger1) is what a user reaches for."""
    keysight = pytest.importorskip("qcodes.instrument_drivers.Keysight")

    class Keysight33220A(keysight.Keysight33210A):
        def get_idn(self):
            return {**super().get_idn(), "model": "33210A"}

    ks = Keysight33220A("ks_sim_33220a", GEN33220, visalib=bench[1])
    try:
        ch = ks.ch1
        ch.function_type("PULS")
        ch.pulse_width(100e-6)
        ch.amplitude(0.5)
        ch.offset(0.25)
        ch.output_polarity("NORM")
        ch.trigger_source("BUS")
        ch.trigger_slope("POS")
        ch.burst_mode("N Cycle")
        ch.burst_ncycles(3)
        ch.burst_phase(0)
        ch.burst_state("ON")
        ch.output("ON")
        ks.force_trigger()
        ks.sync.output("OFF")
        assert ch.burst_ncycles() == 3 and ch.pulse_width() == pytest.approx(100e-6)
        assert ks.error() == (0, "No error")
    finally:
        ks.close()
