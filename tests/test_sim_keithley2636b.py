"""The simulated 2636B against the Series 2600B Reference Manual (2600BS-901-01; help-page ids
"WH-2600B nnnnn" of the vendor's per-command help), against independent clients (pymeasure's
Keithley2600, QCoDeS's Keithley2636B) and against command sequences of Keithley's example
scripts for 2600B SMUs (tektronix/keithley, Instrument_Examples/Series_2600), re-written."""

import itertools
import math
import struct
import warnings

import pytest
import pyvisa
from pymeasure.instruments.keithley import Keithley2600

K2636B = "USB0::0x05E6::0x2636::SIM4410001::INSTR"


@pytest.fixture
def sim(bench):
    bench, library = bench
    resource = pyvisa.ResourceManager(library).open_resource(
        K2636B, read_termination="\n", write_termination="\n"
    )
    return resource, bench, library


def errors(k) -> list[int]:
    """Drain the error queue: the codes, oldest first (WH-2600B 17242)."""
    codes = []
    while float(k.query("print(errorqueue.count)")) > 0:
        codes.append(int(float(k.query("print(errorqueue.next())").split("\t")[0])))
    return codes


def numbers(reply: str) -> list[float]:
    return [float(x) for x in reply.replace("\t", ",").split(",")]


# --- independent clients ---------------------------------------------------------------------


def test_stock_keithley2600_channel_a_sees_the_device_switch(sim):
    k, bench, library = sim
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        smu = Keithley2600(K2636B, visa_library=library)
    a = smu.ChA
    a.source_mode = "voltage"
    a.source_voltage_range = 0.2
    a.compliance_current = 1e-6
    a.nplc = 1
    # the 2636B's measure delay is DELAY_AUTO (WH-2600B 15111): hundreds of ms on the pA
    # ranges, and autozero AUTO adds two conversions at a new aperture (15108): long enough
    # for the device to switch before the first reading
    k.write("smua.measure.delay = smua.DELAY_OFF smua.measure.autozero = smua.AUTOZERO_OFF")
    a.source_voltage = 0.1
    a.source_output = "ON"
    currents = [a.current for _ in range(6)]
    assert abs(currents[0]) < 1e-9 and currents[-1] == pytest.approx(1e-6, rel=0.1)
    assert a.source_voltage == pytest.approx(0.1)
    assert smu.next_error[0] == 0
    assert bench.devices["dut2636b"].sets >= 1


def test_stock_keithley2600_sources_current_on_channel_b(sim):
    _, _, library = sim
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        smu = Keithley2600(K2636B, visa_library=library)
    b = smu.ChB
    b.apply_current(current_range=1e-3, compliance_voltage=2)
    b.source_current = 1e-3  # pymeasure writes it with %f: smaller levels become 0
    b.source_output = "ON"
    # smub is wired to nothing: a current source into open terminals sits at its limit
    assert b.voltage == pytest.approx(2)
    assert b.source_current == pytest.approx(1e-3)
    b.shutdown()
    assert smu.next_error[0] == 0


def test_qcodes_keithley2636b_measures_sweeps_and_traces(sim):
    pytest.importorskip("qcodes")
    from qcodes.dataset import LinSweep
    from qcodes.instrument_drivers.Keithley import Keithley2636B

    _, _, library = sim
    smu = Keithley2636B("k2636b_sim", K2636B, visalib=library)
    try:
        assert smu.get_idn()["model"] == "2636B"
        smu.reset()
        a = smu.smua
        a.nplc(0.05)
        a.limiti(1e-6)
        a.sourcerange_v(0.2)
        a.output(1)
        a.volt(0.05)
        assert a.volt() == pytest.approx(0.05)
        a.curr()
        assert a.curr.measurement_status is not None
        a.timetrace_npts(20)
        a.timetrace_dt(0.01)
        assert len(a.timetrace()) == 20
        a.setup_fastsweep(LinSweep(a.volt, 0, 0.1, 11, 0.001))
        assert a.fastsweep().shape == (11,)
        smu.display_settext("bmrlab")
        smu.display_normal()
        assert float(smu.ask("errorqueue.count")) == 0
    finally:
        smu.close()


# --- defaults and refused values --------------------------------------------------------------


@pytest.mark.parametrize(
    "attribute, value",
    [
        ("smua.source.func", 1),  # OUTPUT_DCVOLTS, WH-2600B 15144
        ("smua.source.limiti", 100e-3),  # 17115
        ("smua.source.limitv", 20),  # 17115
        ("smua.source.rangev", 200e-3),  # 15153
        ("smua.source.rangei", 1e-9),  # 15153 (2634B/2635B/2636B)
        ("smua.source.autorangev", 1),  # 15139
        ("smua.source.delay", 0),  # DELAY_OFF, 15142
        ("smua.source.offmode", 0),  # OUTPUT_NORMAL, 15150
        ("smua.source.output", 0),  # 15151
        ("smua.measure.nplc", 1),  # 15119
        ("smua.measure.autorangei", 1),  # 15107
        ("smua.measure.autozero", 2),  # AUTOZERO_AUTO, 15108
        ("smua.measure.delay", -1),  # DELAY_AUTO on the 2636B, 15111
        ("smua.measure.delayfactor", 1),  # 15112
        ("smua.measure.analogfilter", 1),  # 15106
        ("smua.measure.filter.enable", 0),  # 15114
        ("smua.measure.filter.count", 1),  # 15113
        ("smua.measure.count", 1),  # 77107
        ("smua.measure.interval", 0),  # 15117
        ("smua.trigger.source.limiti", 0),  # LIMIT_AUTO, 15179
        ("smua.trigger.endsweep.action", 0),  # SOURCE_IDLE, 15166
        ("smua.trigger.endpulse.action", 1),  # SOURCE_HOLD, 15162
        ("smua.sense", 0),  # SENSE_LOCAL, 15138
        ("format.asciiprecision", 6),  # 14797
        ("format.data", 1),  # ASCII, 14803
        ("format.byteorder", 1),  # LITTLEENDIAN, 14801
        ("smua.nvbuffer1.collecttimestamps", 0),  # 15133
        ("smua.nvbuffer1.appendmode", 0),  # 15127
        ("smua.nvbuffer1.timestampresolution", 1e-6),  # 15135
    ],
)
def test_reset_restores_the_documented_defaults(sim, attribute, value):
    k, _, _ = sim
    k.write(
        "smua.source.limiti = 1e-6 smua.source.rangev = 2 smua.measure.nplc = 0.1 "
        "smua.measure.autozero = 0 smua.measure.delay = 0 smua.measure.analogfilter = 0 "
        "smua.trigger.source.limiti = 1e-3 smua.trigger.endsweep.action = 1 "
        "format.asciiprecision = 12 format.data = format.REAL64 smua.sense = 1"
    )
    k.write("reset()")
    assert float(k.query(f"print({attribute})")) == pytest.approx(value)


@pytest.mark.parametrize(
    "setting, code",
    [
        ("smua.measure.autozero = 7", 1101),
        ("smua.source.rangev = 6e7", 1101),
        ("smua.measure.nplc = 30", 1101),
        ("smua.measure.nplc = 0.0005", 1102),
        ("smua.source.limiti = 0", 1102),  # WH-2600B 17115 names this one
        ("smua.source.levelv = 250", 1101),
        ("smua.measure.interval = 2", 1101),
        ("smua.nvbuffer1.timestampresolution = 1e-7", 5047),
    ],
)
def test_out_of_range_values_are_refused_with_the_documented_code(sim, setting, code):
    k, _, _ = sim
    before = k.query(
        "print(smua.measure.autozero, smua.source.rangev, smua.measure.nplc, "
        "smua.source.limiti, smua.source.levelv)"
    )
    k.write(setting)
    assert errors(k) == [code]
    assert (
        k.query(
            "print(smua.measure.autozero, smua.source.rangev, smua.measure.nplc, "
            "smua.source.limiti, smua.source.levelv)"
        )
        == before
    )


def test_a_level_beyond_a_fixed_source_range_is_refused(sim):
    k, _, _ = sim
    k.write("smua.source.rangev = 0.2 smua.source.levelv = 0.202")  # 101 % is within
    k.write("smua.source.levelv = 0.5")
    assert errors(k) == [5005]
    assert float(k.query("print(smua.source.levelv)")) == pytest.approx(0.202)


def test_autozero_once_runs_once_then_switches_autozero_off(sim):
    k, _, _ = sim
    k.write("smua.measure.autozero = smua.AUTOZERO_ONCE")  # WH-2600B 15108
    assert float(k.query("print(smua.measure.autozero)")) == 0


# --- sweeps and limits ---------------------------------------------------------------------------


def test_the_trigger_model_sweeps_a_list_paced_by_a_timer_into_a_buffer(sim):
    k, _, _ = sim
    k.write(
        "smua.source.rangev = 0.2 smua.source.limiti = 1e-6 smua.measure.nplc = 0.01 "
        "smua.measure.delay = 0 smua.measure.autozero = 0 smua.source.output = 1"
    )
    k.write(
        "smua.nvbuffer1.clear() smua.nvbuffer1.collecttimestamps = 1 "
        "smua.nvbuffer1.collectsourcevalues = 1"
    )
    k.write(
        "smua.trigger.source.listv({0, 0.05, 0.1, 0.12}) smua.trigger.source.action = smua.ENABLE"
    )
    k.write(
        "smua.trigger.count = 40 smua.trigger.measure.i(smua.nvbuffer1) "
        "smua.trigger.measure.action = smua.ENABLE"
    )
    k.write(
        "trigger.timer[1].delay = 0.002 smua.trigger.source.stimulus = trigger.timer[1].EVENT_ID"
    )
    k.write("smua.trigger.initiate()")
    assert float(k.query("print(smua.nvbuffer1.n)")) < 40  # it runs on the instrument
    k.write("waitcomplete()")
    assert float(k.query("print(smua.nvbuffer1.n)")) == 40
    rows = numbers(
        k.query("printbuffer(1, 4, smua.nvbuffer1.timestamps, smua.nvbuffer1.sourcevalues)")
    )
    assert rows == pytest.approx([0, 0, 0.002, 0.05, 0.004, 0.1, 0.006, 0.12])


def test_the_sweep_limit_replaces_the_normal_limit_only_while_sweeping(sim):
    """WH-2600B 15179: a trigger source limit other than LIMIT_AUTO is switched in for the
    sweep, whatever the normal limit says; after the sweep the normal limit is back."""
    k, bench, _ = sim
    smu = bench.by_name("smu2636b")
    k.write(
        "smua.source.limiti = 1e-3 smua.measure.delay = 0 smua.measure.nplc = 0.01 "
        "smua.source.output = 1"
    )
    k.write(
        "smua.trigger.source.limiti = 1e-7 smua.trigger.source.listv({0.05}) "
        "smua.trigger.source.action = 1 smua.trigger.count = 5 "
        "smua.trigger.measure.action = 1 smua.trigger.measure.i(smua.nvbuffer1)"
    )
    k.write("smua.trigger.initiate()")
    assert smu.drive(bench.clock.now())[1] == pytest.approx(1e-7)
    k.write("waitcomplete()")
    assert smu.drive(bench.clock.now())[1] == pytest.approx(1e-3)
    assert float(k.query("print(smua.source.limiti)")) == pytest.approx(1e-3)


def test_end_sweep_source_idle_returns_to_the_programmed_level(sim):
    """After a sweep with SOURCE_IDLE the output returns to the bias level (WH-2600B 15166;
    tektronix/keithley Series_2600/Sweeps/KE26XXB_DC_Sweeps.tsp, DCSweepVLinear): a linear
    sweep with current and voltage into two buffers, as that example configures it."""
    k, _, _ = sim
    k.write(
        "reset() smua.reset() smua.source.func = smua.OUTPUT_DCVOLTS "
        "smua.source.limiti = 1e-6 smua.measure.nplc = 0.01 "
        "smua.measure.delay = smua.DELAY_AUTO"
    )
    k.write(
        "smua.nvbuffer1.clear() smua.nvbuffer1.collecttimestamps = 1 "
        "smua.nvbuffer2.clear() smua.nvbuffer2.collecttimestamps = 1"
    )
    k.write(
        "smua.trigger.source.linearv(0, 0.1, 11) smua.trigger.source.limiti = 1e-6 "
        "smua.trigger.measure.action = smua.ENABLE "
        "smua.trigger.measure.iv(smua.nvbuffer1, smua.nvbuffer2) "
        "smua.trigger.endpulse.action = smua.SOURCE_HOLD "
        "smua.trigger.endsweep.action = smua.SOURCE_IDLE "
        "smua.trigger.count = 11 smua.trigger.source.action = smua.ENABLE"
    )
    k.write("smua.source.output = smua.OUTPUT_ON smua.trigger.initiate() waitcomplete()")
    volts = numbers(k.query("printbuffer(1, smua.nvbuffer2.n, smua.nvbuffer2)"))
    assert len(volts) == 11 and volts[-1] == pytest.approx(0.1, abs=0.01)
    assert float(k.query("print(smua.measure.v())")) == pytest.approx(0)
    assert errors(k) == []


def test_a_source_range_change_under_power_glitches_up_to_400_mV(sim):
    k, bench, _ = sim
    k.write("smua.source.rangev = 0.2 smua.source.levelv = 0 smua.source.output = 1")
    k.write("smua.source.rangev = 2")
    ((_, volts, _, source),) = bench.devices["dut2636b"].watchdog.overshoots
    assert volts == pytest.approx(0.4) and source == "smu2636b"
    assert k.query("*OPC?") == "1"


# --- measurement timing and filters --------------------------------------------------------------


def test_measure_autodelay_is_the_range_settling_time(sim):
    """DELAY_AUTO waits the range's settling time (WH-2600B 11687): 90 ms on 10 nA, 450 ms
    on 100 pA with the analog filter on, 360 ms with it off; delayfactor scales it."""
    k, bench, _ = sim
    clock = bench.clock

    def elapsed(setup: str) -> float:
        k.write(setup)
        t0 = clock.now()
        k.write("smua.measure.i()")
        return clock.now() - t0

    k.write("smua.measure.nplc = 0.001 smua.measure.autozero = 0 smua.source.output = 1")
    base = elapsed("smua.measure.delay = 0 smua.measure.rangei = 10e-9")
    assert elapsed("smua.measure.delay = smua.DELAY_AUTO") - base == pytest.approx(0.090)
    assert elapsed("smua.measure.rangei = 100e-12") - base == pytest.approx(0.450)
    assert elapsed("smua.measure.analogfilter = 0") - base == pytest.approx(0.360)
    assert elapsed("smua.measure.delayfactor = 0.5") - base == pytest.approx(0.180)


def test_the_analog_filter_slows_a_pA_step_on_the_lowest_ranges(sim):
    """The ~1 Hz analog filter (WH-2600B 15106) on the 100 pA range: 50 ms after a step the
    reading has moved a quarter of the way (1 - exp(-0.05 * 2 pi)); without it, all of it."""
    k, _, _ = sim
    k.write(
        "smua.measure.delay = 0 smua.measure.nplc = 0.001 smua.measure.autozero = 0 "
        "smua.measure.rangei = 100e-12 smua.source.rangev = 0.2 smua.source.output = 1"
    )

    def step_response(filter_on: int) -> float:
        k.write(f"smua.measure.analogfilter = {filter_on} smua.source.levelv = 0")
        k.write("smua.measure.i() delay(2)")
        k.write("smua.source.levelv = -0.01 smua.measure.i()")  # settled at the new level
        final = float(k.query("delay(2) print(smua.measure.i())"))
        k.write("smua.source.levelv = 0 delay(2) smua.measure.i() smua.source.levelv = -0.01")
        return float(k.query("delay(0.05) print(smua.measure.i())")) / final

    assert step_response(1) == pytest.approx(1 - math.exp(-0.05 * 2 * math.pi), abs=0.1)
    assert step_response(0) == pytest.approx(1, abs=0.1)


def test_a_reading_above_a_fixed_range_is_9_91e37(sim):
    k, _, _ = sim
    k.write(
        "smua.measure.delay = 0 smua.measure.rangei = 100e-12 smua.source.limiti = 1e-6 "
        "smua.source.levelv = 0.1 smua.source.output = 1 delay(1)"
    )
    assert float(k.query("print(smua.measure.i())")) == 9.91e37  # WH-2600B 21260


# --- buffers, timestamps, output formats ---------------------------------------------------------


def test_measure_count_and_interval_fill_a_buffer(sim):
    """``measure.count`` readings ``interval`` apart into a buffer, cleared first unless
    appending (WH-2600B 77107, 15117, 15122); ``bufferVar[N]`` is reading N."""
    k, _, _ = sim
    k.write(
        "smua.measure.delay = 0 smua.measure.nplc = 0.01 smua.measure.autozero = 0 "
        "smua.nvbuffer1.collecttimestamps = 1"
    )
    k.write("smua.measure.count = 5 smua.measure.interval = 0.1 smua.measure.i(smua.nvbuffer1)")
    assert float(k.query("print(smua.nvbuffer1.n)")) == 5
    stamps = numbers(k.query("printbuffer(1, 5, smua.nvbuffer1.timestamps)"))
    assert stamps == pytest.approx([0, 0.1, 0.2, 0.3, 0.4])
    assert k.query("print(smua.nvbuffer1[5])") == k.query("print(smua.nvbuffer1.readings[5])")
    assert k.query("print(smua.nvbuffer1[6])") == "nil"
    k.write("smua.measure.i(smua.nvbuffer1)")
    assert float(k.query("print(smua.nvbuffer1.n)")) == 5  # replaced, not appended


def test_collection_settings_change_only_while_the_buffer_is_empty(sim):
    """WH-2600B 15127, 15132, 15133, 15135: error 5032 otherwise; capacity falls as items
    are collected (15129); timestamps are nil unless collected (19922)."""
    k, _, _ = sim
    basic = float(k.query("print(smua.nvbuffer1.capacity)"))
    assert k.query("print(smua.nvbuffer1.timestamps)") == "nil"
    k.write("smua.nvbuffer1.collecttimestamps = 1 smua.nvbuffer1.collectsourcevalues = 1")
    assert float(k.query("print(smua.nvbuffer1.capacity)")) < basic
    k.write("smua.measure.delay = 0 smua.measure.i(smua.nvbuffer1)")
    k.write("smua.nvbuffer1.appendmode = 1")
    assert errors(k) == [5032]
    k.write("smua.nvbuffer1.clear() smua.nvbuffer1.appendmode = 1")
    assert errors(k) == []


def test_fill_window_overwrites_from_the_start(sim):
    k, _, _ = sim
    k.write(
        "buf = smua.makebuffer(3) buf.fillmode = smua.FILL_WINDOW buf.appendmode = 1 "
        "smua.measure.delay = 0 smua.source.output = 1"
    )
    k.write("for v = 1, 5 do smua.source.levelv = v * 0.01 smua.measure.v(buf) end")
    assert numbers(k.query("printbuffer(1, 3, buf)")) == pytest.approx([0.04, 0.05, 0.03])


def test_timestamps_have_1_us_resolution_and_wrap_after_71_minutes(sim):
    """WH-2600B 15135: 1 us resolution, unique for up to 71 minutes (2^32 us); printed
    with the default 6 digits a timestamp after 10 s loses its 0.1 ms digits (14797)."""
    k, _, _ = sim
    k.write(
        "smua.measure.delay = 0 smua.measure.nplc = 0.001 smua.measure.autozero = 0 "
        "smua.nvbuffer1.collecttimestamps = 1 smua.nvbuffer1.appendmode = 1"
    )
    k.write("smua.measure.i(smua.nvbuffer1) delay(12.3456789) smua.measure.i(smua.nvbuffer1)")
    k.write("delay(4300) smua.measure.i(smua.nvbuffer1)")
    six = numbers(k.query("printbuffer(2, 2, smua.nvbuffer1.timestamps)"))[0]
    full = float(k.query("format.asciiprecision = 16 print(smua.nvbuffer1.timestamps[2])"))
    wrapped = float(k.query("print(smua.nvbuffer1.timestamps[3])"))
    assert six == pytest.approx(12.3457, abs=1e-9)
    assert full == pytest.approx(round(full, 6), abs=1e-12) and full != six
    assert full == pytest.approx(12.3457, abs=1e-3)
    assert wrapped == pytest.approx(full + 4300 - 2**32 * 1e-6, abs=2e-3)


def test_binary_printbuffer_is_a_0_block_in_the_chosen_byte_order(sim):
    """format.REAL32 / REAL64: "#0", the IEEE 754 values, a newline (WH-2600B 14803,
    14801), as QCoDeS's fast sweep reads it."""
    k, _, _ = sim
    k.write("smua.measure.delay = 0 smua.source.output = 1 smua.nvbuffer1.appendmode = 1")
    k.write("for v = 1, 3 do smua.source.levelv = v * 0.05 smua.measure.v(smua.nvbuffer1) end")
    k.write(
        "format.data = format.REAL32 format.byteorder = format.LITTLEENDIAN "
        "printbuffer(1, 3, smua.nvbuffer1.readings)"
    )
    raw = k.read_raw()
    assert raw[:2] == b"#0" and raw[-1:] == b"\n" and len(raw) == 4 * 3 + 3
    assert struct.unpack("<3f", raw[2:-1]) == pytest.approx([0.05, 0.1, 0.15], rel=1e-6)
    k.write(
        "format.data = format.REAL64 format.byteorder = format.BIGENDIAN "
        "printbuffer(1, 3, smua.nvbuffer1)"
    )
    raw = k.read_raw()
    assert struct.unpack(">3d", raw[2:-1]) == pytest.approx([0.05, 0.1, 0.15])
    k.write("format.data = format.ASCII")
    assert k.query("print(1/3)") == "3.33333e-01"  # print is ASCII whatever format.data


# --- the TSP node --------------------------------------------------------------------------------


def test_scripts_load_in_one_message_or_line_by_line_and_run_by_name(sim):
    k, _, _ = sim
    for line in (
        "loadscript sums",
        "local x = 0",
        "for n = 1, 4 do x = x + n end",
        "print(x)",
        "endscript",
    ):
        k.write(line)
    assert float(k.query("sums()")) == 10
    k.write("loadscript twice\nprint('a')\nprint('b')\nendscript")
    assert k.query("twice.run()").split("\n") == ["a", "b"]  # each print is a line
    assert k.query("loadandrunscript\nprint('now')\nendscript") == "now"  # anonymous
    assert k.query("script.run()") == "now"
    assert k.query("run()") == "now"
    k.write("made = script.new(\"print('new')\", 'made')")
    assert k.query("made()") == "new"


def test_the_bit_library_gives_the_manuals_examples(sim):
    """WH-2600B 14632, 14636, 14637, 14638, 14639, 14641, 14642: the pages' own examples."""
    k, _, _ = sim
    assert numbers(
        k.query(
            "print(bit.bitand(10, 9), bit.clear(15, 2), bit.get(10, 4), "
            "bit.getfield(13, 2, 3), bit.set(8, 3), bit.toggle(10, 3))"
        )
    ) == [8, 13, 8, 6, 12, 14]
    assert k.query("print(bit.test(10, 4))") == "true"
    k.write("bit.set(1, 33)")
    assert errors(k) == [1101]


def test_exit_stops_a_script_without_an_error(sim):
    k, _, _ = sim
    assert k.query("print('before') exit() print('after')") == "before"  # WH-2600B 14769
    assert errors(k) == []


def test_reset_inside_a_script_keeps_the_script_and_its_variables(sim):
    k, _, _ = sim
    k.write(
        "loadscript setup\nkept = 5\nsmua.source.limiti = 1e-6\nreset()\n"
        "print(kept, smua.source.limiti)\nendscript"
    )
    assert numbers(k.query("setup()")) == pytest.approx([5, 0.1])


def test_lua_errors_and_refusals_go_to_the_error_queue(sim):
    k, _, _ = sim
    k.write("print(")
    k.write("smua.source.nosuch = 1")
    k.write("error('from a script')")
    k.write("*XYZ")
    assert errors(k) == [-285, -286, -286, -285]
    assert float(k.query("print(errorqueue.count)")) == 0
    assert k.query("print(errorqueue.next())").split("\t")[:2] == ["0.00000e+00", "Queue Is Empty"]


def test_a_python_fault_inside_the_simulator_is_an_error_not_a_crash(sim):
    k, bench, _ = sim
    smu = bench.by_name("smu2636b")
    smu.node.format.asciiprecision = "garbage"  # a broken internal state
    k.write("print(1)")
    smu.node.format.asciiprecision = 6
    assert errors(k) == [-286]
    assert k.query("*IDN?").startswith("Keithley Instruments, Model 2636B")


def test_common_commands_and_the_status_byte(sim):
    """Common commands as their documented script equivalents (WH-2600B 2271, 2273); the
    status byte's error-available bit B2 (29255)."""
    k, _, _ = sim
    assert k.query("*IDN?") == "Keithley Instruments, Model 2636B, SIM4410001, 4.0.5"
    assert k.query("*TST?") == "0"
    k.write("smua.measure.nplc = 99")
    assert int(float(k.query("*STB?"))) & 4
    assert int(float(k.query("print(status.condition)"))) & 4
    k.write("*CLS")
    assert int(float(k.query("*STB?"))) == 0
    k.write("status.reset()")
    assert errors(k) == []


def test_smub_is_a_second_channel_with_its_own_state(sim):
    k, bench, _ = sim
    k.write("smub.source.limiti = 1e-6 smub.source.levelv = 1 smub.source.output = 1")
    assert float(k.query("print(smua.source.limiti)")) == pytest.approx(0.1)
    assert float(k.query("print(smua.source.output)")) == 0
    assert abs(float(k.query("smub.measure.delay = 0 print(smub.measure.i())"))) < 1e-9
    assert bench.devices["dut2636b"].watchdog.max_abs_v == 0  # smub reaches no device
    k.write(
        "smub.source.func = smub.OUTPUT_DCAMPS smub.source.leveli = 1e-6 smub.source.limitv = 3"
    )
    assert float(k.query("print(smub.measure.v())")) == pytest.approx(3)
    assert float(k.query("print(status.measurement.instrument.smub.condition)")) == 1
    assert k.query("print(smub.source.compliance)") == "true"


@pytest.mark.parametrize(
    "call, levels",
    [
        ("SweepVLinMeasureI(smub, -1, 1, 1e-3, 5)", [-1, -0.5, 0, 0.5, 1]),  # WH-2600B 12181
        (
            "SweepVLogMeasureI(smub, 1, 10, 0.001, 5)",  # 12192, its example table
            [1.0, 1.7783, 3.1623, 5.6234, 10.0],
        ),
        ("SweepVListMeasureI(smub, {-0.1, 0.1, -1, 1}, 1e-3, 4)", [-0.1, 0.1, -1, 1]),  # 19138
        ("SweepILinMeasureV(smub, -1e-3, 1e-3, 0, 3)", [-1e-3, 0, 1e-3]),  # 12177
        (
            "SweepILogMeasureV(smub, 0.01, 0.1, 0.001, 5)",  # 12184, its example table
            [0.01, 0.017783, 0.031623, 0.056234, 0.1],
        ),
    ],
)
def test_kisweep_factory_functions(sim, call, levels):
    """Readings, source values and timestamps land in nvbuffer1, one per point."""
    k, _, _ = sim
    k.write("smub.measure.delay = 0 smub.source.limitv = 1")
    k.write(call)
    assert errors(k) == []
    n = int(float(k.query("print(smub.nvbuffer1.n)")))
    sources = numbers(k.query(f"printbuffer(1, {n}, smub.nvbuffer1.sourcevalues)"))
    stamps = numbers(k.query(f"printbuffer(1, {n}, smub.nvbuffer1.timestamps)"))
    assert sources == pytest.approx(levels, rel=1e-4)
    assert stamps[0] == 0 and all(b > a for a, b in itertools.pairwise(stamps))
    assert float(k.query("print(smub.source.output)")) == 0


def test_timers_delay_and_the_line_frequency(sim):
    """WH-2600B 15282/15281 timer, 13949 delay, 15012 linefreq (used for the aperture)."""
    k, bench, _ = sim
    assert float(k.query("timer.reset() delay(0.25) print(timer.measure.t())")) == pytest.approx(
        0.25, abs=1e-5
    )
    assert float(k.query("print(localnode.linefreq)")) == 60
    k.write(
        "localnode.linefreq = 50 smua.measure.nplc = 5 smua.measure.delay = 0 "
        "smua.measure.autozero = 0"
    )
    t0 = bench.clock.now()
    k.write("smua.measure.i()")
    assert bench.clock.now() - t0 == pytest.approx(0.1, abs=2e-3)


def test_lua_meets_the_same_objects_however_often_it_asks(sim):
    """Python objects handed to Lua hundreds of times (bound methods, buffers): Lua must
    still find ``smua.nvbuffer1`` afterwards (the garbage-collection discipline of
    tsp_runtime; without it this broke after about 220 messages)."""
    k, bench, _ = sim
    smu = bench.by_name("smu2636b")
    for _ in range(400):
        reply = smu.handle(
            "print(smua.nvbuffer1.clear, smua.measure.i, smua.measure.v, "
            "smua.nvbuffer1.clearcache) print(smua.nvbuffer1.n)"
        )
        assert reply.split("\n")[-1] == "0.00000e+00"
    assert errors(k) == []


def test_overlapped_measurements_run_while_the_script_goes_on(sim):
    """``measure.overlappedi(buffer)`` returns at once; ``measure.count`` readings
    ``interval`` apart land in the buffer; ``waitcomplete()`` waits for them (WH-2600B 15120,
    77107, 15117, 13986)."""
    k, _, _ = sim
    k.write(
        "smua.measure.delay = 0 smua.measure.autozero = 0 "
        "smua.nvbuffer1.collecttimestamps = 1 smua.measure.count = 5 "
        "smua.measure.interval = 0.1"
    )
    assert float(k.query("smua.measure.overlappedi(smua.nvbuffer1) print(smua.nvbuffer1.n)")) == 0
    k.write("waitcomplete()")
    assert numbers(k.query("printbuffer(1, 5, smua.nvbuffer1.timestamps)")) == pytest.approx(
        [0, 0.1, 0.2, 0.3, 0.4]
    )
    k.write("smua.measure.overlappedv(nil)")
    assert errors(k) == [5033]
