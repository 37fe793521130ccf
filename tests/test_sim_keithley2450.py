"""The simulated 2450 through real pyvisa: SCPI, error queue, buffers, physics, watchdog."""

import numpy as np
import pytest
import pyvisa
from pymeasure.instruments.keithley import Keithley2450 as StockKeithley2450

from bmrlab.station import Station


@pytest.fixture
def sim():
    """A raw pyvisa session on the default station's simulated 2450."""
    with Station.load() as station:
        rm = pyvisa.ResourceManager(station.visa_library("smu"))
        resource = rm.open_resource(
            station.config.instruments["smu"].resource,
            read_termination="\n",
            write_termination="\n",
        )
        yield resource, station.sim
        resource.close()


def test_identifies_itself_and_queues_unknown_commands_as_errors(sim):
    k, _ = sim
    assert k.query("*IDN?").startswith("KEITHLEY INSTRUMENTS,MODEL 2450")
    k.write(":SOUR:VOLT:FOO 1")
    assert k.query(":SYST:ERR?") == '-113,"Undefined header"'
    assert k.query(":SYST:ERR?") == '0,"No error"'


def test_a_query_without_a_response_times_out_and_is_logged(sim):
    k, _ = sim
    k.write(":SOUR:VOLT 0")
    with pytest.raises(pyvisa.VisaIOError):
        k.read()
    assert k.query(":SYST:ERR?").startswith("-420")


def test_pymeasure_stock_driver_sees_the_device_switch_within_tens_of_ms():
    """Timing-critical reads as the manual advises: autozero and source delay off
    (WH-2450 29048, 29079), references refreshed once."""
    with Station.load() as station:
        k = StockKeithley2450(
            station.config.instruments["smu"].resource, visa_library=station.visa_library("smu")
        )
        k.write(':SOUR:FUNC VOLT;:SOUR:VOLT:RANG 0.2;:SENS:FUNC "CURR";:SENS:AZER:ONCE')
        k.write(":SENS:CURR:AZER OFF;:SOUR:VOLT:DEL 0;:SOUR:VOLT:READ:BACK OFF")
        k.compliance_current = 1e-6
        k.current_nplc = 1
        k.source_voltage = 0.1
        t_on = station.clock.now()
        k.enable_source()
        currents, times = [], []
        for _ in range(10):
            currents.append(k.current)
            times.append(station.clock.now() - t_on)
        k.disable_source()
        k.adapter.close()
    assert currents[0] < 1e-9  # pA: high-resistance state
    assert currents[-1] == pytest.approx(1e-6, rel=0.1)  # compliance-limited LRS
    switched = times[int(np.argmax(np.array(currents) > 1e-7))]
    assert 5e-3 < switched < 60e-3


def test_list_sweep_fills_the_buffer_with_limit_flags(sim):
    k, _bench = sim
    k.write(":SOUR:VOLT:RANG 0.2;:SOUR:VOLT:ILIM 1e-6;:SENS:AZER:ONCE;:OUTP ON")
    levels = ",".join(f"{v:.3f}" for v in np.linspace(0, 0.15, 76))
    k.write(f":SOUR:LIST:VOLT {levels}")
    count = int(k.query(":SOUR:LIST:VOLT:POIN?"))
    assert count == 76
    k.write(':SOUR:SWE:VOLT:LIST 1, 0.005, 1, OFF, "defbuffer1";:INIT;*WAI')
    assert int(k.query(':TRAC:ACT? "defbuffer1"')) == count
    values = np.array(
        k.query(f':TRAC:DATA? 1, {count}, "defbuffer1", REL, SOUR, READ, SOURSTAT').split(","),
        float,
    ).reshape(-1, 4)
    assert np.all(np.diff(values[:, 0]) > 0)
    assert values[0, 2] < 1e-9 and values[-1, 2] > 5e-7
    status = values[:, 3].astype(int)  # output on (128), readback on (8), limit (32)
    assert np.all(status & 136 == 136) and (status[-1] & 32) and not (status[0] & 32)


def test_range_change_with_output_on_is_recorded_as_an_overshoot(sim):
    k, bench = sim
    k.write(":SOUR:VOLT:RANG 0.2;:SOUR:VOLT 0.01;:OUTP ON")
    assert bench.devices["dut"].watchdog.overshoots == []
    k.write(":SOUR:VOLT:RANG 2")
    ((_t, volts, seconds, _source),) = bench.devices["dut"].watchdog.overshoots
    assert volts == pytest.approx(0.01 + 0.25) and seconds > 0  # level plus the glitch
    assert bench.devices["dut"].watchdog.max_abs_v > 0.25


def test_a_level_beyond_a_fixed_range_is_refused(sim):
    k, _bench = sim
    k.write(":SOUR:VOLT:RANG 0.02;:SOUR:VOLT 0.1")
    assert k.query(":SYST:ERR?").startswith("-222")
    assert float(k.query(":SOUR:VOLT?")) == 0.0


def test_a_linear_dual_sweep_goes_up_and_back(sim):
    k, _ = sim
    k.write(":SOUR:VOLT:RANG 0.2;:SOUR:VOLT:ILIM 1e-6;:OUTP ON")
    k.write(':SOUR:SWE:VOLT:LIN 0, 0.1, 11, 0.001, 2, FIXED, OFF, ON, "defbuffer1";:INIT;*WAI')
    assert k.query(':TRAC:ACT? "defbuffer1"') == "42"
    sources = [float(x) for x in k.query(':TRAC:DATA? 1, 21, "defbuffer1", SOUR').split(",")]
    assert sources[10] == pytest.approx(0.1) and sources[20] == pytest.approx(0.0)


def test_trigger_model_blocks_pulse_the_device_and_measure_in_each_pulse(sim):
    """A pulse train as a 2450 runs it: config list [pulse, base], a reading in each pulse."""
    k, bench = sim
    k.write(":SOUR:VOLT:RANG 0.2;:SOUR:VOLT:ILIM 1e-6;:SENS:CURR:NPLC 0.01;:SENS:AZER:ONCE")
    k.write(":SOUR:VOLT:DEL:AUTO OFF;:SENS:CURR:AZER OFF")  # stored with each list entry
    k.write(':SOUR:CONF:LIST:CRE "PULSE";:SOUR:VOLT 0.1;:SOUR:CONF:LIST:STOR "PULSE"')
    k.write(':SOUR:VOLT 0;:SOUR:CONF:LIST:STOR "PULSE"')
    k.write(':TRIG:LOAD "Empty";:TRIG:BLOC:BUFF:CLE 1, "defbuffer1"')
    k.write(':TRIG:BLOC:CONF:REC 2, "PULSE", 1;:TRIG:BLOC:DEL:CONS 3, 0.0008')
    k.write(':TRIG:BLOC:MEAS 4, "defbuffer1";:TRIG:BLOC:CONF:RECall 5, "PULSE", 2')
    k.write(":TRIG:BLOC:DEL:CONS 6, 0.001;:TRIG:BLOC:BRAN:COUN 7, 30, 2")
    k.write(":OUTP ON;:INIT;*WAI")
    assert k.query(":SYST:ERR?") == '0,"No error"'
    assert k.query(':TRAC:ACT? "defbuffer1"') == "30"
    values = k.query(':TRAC:DATA? 1, 30, "defbuffer1", REL, SOUR, READ').split(",")
    t, v, i = (np.array(values[n::3], float) for n in range(3))
    assert np.allclose(v, 0.1)
    assert np.diff(t) == pytest.approx(np.full(29, np.diff(t)[0]))  # a steady train
    assert i[0] < 1e-9 and i[-1] > 5e-7  # the pulses integrate to a set
    assert bench.devices["dut"].watchdog.max_abs_v == pytest.approx(0.1)


def test_a_trigger_model_with_a_missing_list_is_refused_at_init(sim):
    k, _ = sim
    k.write(':TRIG:LOAD "Empty";:TRIG:BLOC:CONF:NEXT 1, "NOSUCH";:INIT')
    assert k.query(":SYST:ERR?").startswith("-221")


# --- documented defaults and timing (help pages cited as WH-2450 <page id>) -------------------

APERTURE_001 = 0.01 / 60  # 0.01 NPLC at 60 Hz
OVERHEAD = 0.2e-3  # the simulator's processing time of one reading
READBACK = 1.675e-3  # readback time, calibrated on the WH-2450 30505 example


def sweep_steps(k, levels, delay=0.0):
    """Run a list sweep and return the time between its readings."""
    k.write(":SOUR:LIST:VOLT " + ",".join(f"{v:g}" for v in levels))
    k.write(f':TRAC:CLE;:SOUR:SWE:VOLT:LIST 1, {delay:g}, 1, OFF, "defbuffer1";:INIT;*WAI')
    n = len(levels)
    t = np.array(k.query(f':TRAC:DATA? 1, {n}, "defbuffer1", REL').split(","), float)
    return np.diff(t)


def test_reset_defaults_are_the_documented_ones(sim):
    k, _ = sim
    k.write("*RST")
    assert k.query(":SENS:CURR:AZER?") == "1"  # WH-2450 29048
    assert k.query(":SOUR:VOLT:DEL:AUTO?") == "1"  # WH-2450 33143
    assert k.query(":SOUR:VOLT:READ:BACK?") == "1"  # WH-2450 30579
    assert k.query(":SENS:CURR:RANG:AUTO?") == "1"  # WH-2450 29393
    assert k.query(":SOUR:VOLT:ILIM?") == "0.000105"
    assert k.query(':TRAC:POIN? "defbuffer1"') == "100000"  # WH-2450 45724
    assert k.query(":SENS:COUN?") == "1"
    assert k.query("*LANG?") == "SCPI"
    assert k.query(":TRIG:STAT?") == "EMPTY;EMPTY;0"


def test_autodelay_settles_every_level_change_by_the_range_table(sim):
    """Source autodelay on (the *RST default): 3 ms on the 1 uA range, 50 ms on 10 nA,
    added to every level change (WH-2450 ID_SRC_DELAY_BUT, 29079)."""
    k, _ = sim
    k.write(":SOUR:VOLT:RANG 0.2;:SENS:CURR:NPLC 0.01;:SENS:CURR:AZER OFF")
    k.write(":SOUR:VOLT:READ:BACK OFF;:SENS:CURR:RANG 1e-6;:OUTP ON")
    reading = APERTURE_001 + OVERHEAD
    assert sweep_steps(k, [0.01, 0.02, 0.03]) == pytest.approx([3e-3 + reading] * 2)
    k.write(":SENS:CURR:RANG 1e-8")
    assert sweep_steps(k, [0.001, 0.002, 0.003]) == pytest.approx([50e-3 + reading] * 2)


def test_a_sweep_delay_adds_to_the_source_delay_and_autodelay_off_removes_it(sim):
    """WH-2450 30563: "if you set 10 ms for the source delay and 25 ms for the sweep delay,
    the actual delay is 35 ms"; setting a delay switches autodelay off (WH-2450 29079)."""
    k, _ = sim
    k.write(":SOUR:VOLT:RANG 0.2;:SENS:CURR:NPLC 0.01;:SENS:CURR:AZER OFF")
    k.write(":SOUR:VOLT:READ:BACK OFF;:SENS:CURR:RANG 1e-6;:OUTP ON")
    reading = APERTURE_001 + OVERHEAD
    k.write(":SOUR:VOLT:DEL 0.01")
    assert k.query(":SOUR:VOLT:DEL:AUTO?") == "0"
    assert sweep_steps(k, [0.01, 0.02, 0.03], delay=0.025) == pytest.approx([0.035 + reading] * 2)
    k.write(":SOUR:VOLT:DEL:AUTO OFF;:SOUR:VOLT:DEL 0")
    assert sweep_steps(k, [0.01, 0.02, 0.03], delay=0.001) == pytest.approx([0.001 + reading] * 2)


def test_autozero_costs_two_apertures_and_readback_its_time_per_reading(sim):
    """Autozero on: two reference readings with each reading (WH-2450 29727)."""
    k, _ = sim
    k.write(":SOUR:VOLT:RANG 0.2;:SENS:CURR:NPLC 0.01;:SENS:CURR:RANG 1e-6;:OUTP ON")
    k.write(":SOUR:VOLT:DEL:AUTO OFF;:SOUR:VOLT:DEL 0;:SOUR:VOLT:READ:BACK OFF")
    assert sweep_steps(k, [0.01] * 3) == pytest.approx([3 * APERTURE_001 + OVERHEAD] * 2)
    k.write(":SOUR:VOLT:READ:BACK ON;:SENS:CURR:AZER OFF")
    assert sweep_steps(k, [0.01] * 3) == pytest.approx([APERTURE_001 + OVERHEAD + READBACK] * 2)


def test_a_count_of_reads_is_spaced_as_in_the_manual_example(sim):
    """WH-2450 30505: *RST, 1 NPLC, a 0.1 s source delay, count 200: readings 0.151875 s
    apart (the example's output, 60 Hz)."""
    k, _ = sim
    k.write("*RST;:SOUR:VOLT:ILIM 0.1;:SOUR:VOLT 0.001;:SOUR:VOLT:DEL 0.1")
    k.write(':SENS:COUN 5;:OUTP ON;:TRAC:CLE "defbuffer1"')
    k.query(':READ? "defbuffer1"')
    t = np.array(k.query(':TRAC:DATA? 1, 5, "defbuffer1", REL').split(","), float)
    assert np.diff(t) == pytest.approx([0.151875] * 4, rel=1e-6)


def test_range_query_under_autorange_says_the_range_in_use(sim):
    k, _ = sim
    k.write(":SOUR:VOLT:RANG 0.2;:SOUR:VOLT 0.01;:OUTP ON")
    k.query(":READ?")
    assert k.query(":SENS:CURR:RANG:AUTO?") == "1"
    assert float(k.query(":SENS:CURR:RANG?")) == 1e-8  # a pA device current (WH-2450 29407)


def test_a_reading_above_a_fixed_range_is_the_overflow_value(sim):
    """WH-2450 29407: "the remote interface returns 9.9e+37"."""
    k, _ = sim
    k.write(":SOUR:VOLT:RANG 0.2;:SOUR:VOLT:ILIM 1e-6;:SENS:CURR:RANG 1e-8;:SOUR:VOLT 0.01")
    k.write(":OUTP ON")
    assert float(k.query(":READ?")) < 1e-8  # the high-resistance state
    k.write(":SOUR:VOLT 0.15")
    values = [float(k.query(":READ?")) for _ in range(40)]  # the device sets to 1 uA
    assert values[-1] == 9.9e37
    assert k.query(':FETC? "defbuffer1", STAT') == "9"  # questionable, front terminals


def test_commands_sent_while_the_trigger_model_runs_are_refused(sim):
    """WH-2450 29803: "most sent commands are not executed" while it runs; reading queries
    and :ABORt work; :TRIG:STAT? gives the state and the last block."""
    k, _ = sim
    k.write(":SOUR:VOLT:RANG 0.2;:OUTP ON")
    k.write(':SOUR:SWE:VOLT:LIN 0, 0.1, 5, 0.5, 1, FIXED, OFF, OFF, "defbuffer1";:INIT')
    state, _, block = k.query(":TRIG:STAT?").split(";")
    assert state == "RUNNING" and int(block) > 0
    k.write(":SOUR:VOLT 0.05")
    assert k.query(":SYST:ERR?").startswith("-200")
    k.write(":INIT")
    assert k.query(":SYST:ERR?").startswith("-213")
    assert int(k.query(':TRAC:ACT? "defbuffer1"')) < 5
    k.write("*WAI")
    assert k.query(":TRIG:STAT?").split(";")[0] == "IDLE"
    assert k.query(':TRAC:ACT? "defbuffer1"') == "5"


def test_the_source_holds_the_last_level_after_a_sweep(sim):
    """WH-2450 30563: the sweep ends at the stop level with a reading; nothing moves it."""
    k, bench = sim
    k.write(":SOUR:VOLT:RANG 0.2;:SOUR:VOLT:ILIM 1e-6")
    k.write(':SOUR:SWE:VOLT:LIN 0, 0.1, 3, 0, 1, BEST, OFF, OFF, "defbuffer1";:INIT;*WAI')
    assert float(k.query(":SOUR:VOLT?")) == pytest.approx(0.1)
    assert k.query(":OUTP?") == "1" and bench.by_name("smu").level == pytest.approx(0.1)
    k.write(':SOUR:SWE:VOLT:LIN 0, 0.1, 3, 0, 1, BEST, OFF, ON, "defbuffer1";:INIT;*WAI')
    assert float(k.query(":SOUR:VOLT?")) == pytest.approx(0.0)  # dual: back at the start


def test_an_endless_sweep_with_autodelay_runs_until_aborted(sim):
    """RM p.6-81: delay -1 is autodelay, count 0 an infinite loop; *OPC? never answers."""
    k, bench = sim
    k.write(":SOUR:VOLT:RANG 0.2;:SOUR:VOLT:DEL 0")
    k.write(':SOUR:SWE:VOLT:LIN 0, 0.01, 3, -1, 0, FIXED, OFF, OFF, "defbuffer1";:INIT')
    assert k.query(":SOUR:VOLT:DEL:AUTO?") == "1"
    k.write("*OPC?")
    with pytest.raises(pyvisa.VisaIOError):
        k.read()
    bench.clock.sleep(2.0)
    n = int(k.query(':TRAC:ACT? "defbuffer1"'))
    assert n > 6 and k.query(":TRIG:STAT?").startswith("RUNNING")
    k.write(":ABOR")
    assert k.query(":TRIG:STAT?").startswith("ABORTED")
    assert k.query("*OPC?") == "1"


def test_a_failing_limit_aborts_a_sweep_when_asked(sim):
    k, _ = sim
    k.write(":SOUR:VOLT:RANG 2;:SOUR:VOLT:ILIM 1e-6;:SENS:CURR:AZER OFF")
    k.write(':SOUR:SWE:VOLT:LIN 0, 1, 101, 0.01, 1, BEST, ON, OFF, "defbuffer1";:INIT;*WAI')
    n = int(k.query(':TRAC:ACT? "defbuffer1"'))
    assert 1 < n < 101
    assert int(k.query(f':TRAC:DATA? {n}, {n}, "defbuffer1", SOURSTAT')) & 32


def test_buffers_make_fill_trigger_fetch_and_statistics(sim):
    k, _ = sim
    k.write(':TRAC:MAKE "mine", 10;:SENS:COUN 4;:SOUR:VOLT 0.01;:OUTP ON')
    k.write(':TRAC:TRIG "mine";:TRAC:TRIG "mine";:TRAC:TRIG "mine"')
    assert k.query(':TRAC:ACT? "mine"') == "10"  # a user buffer fills once (WH-2450 25629)
    assert k.query(':TRAC:FILL:MODE? "mine"') == "ONCE"
    assert float(k.query(':FETC? "mine"')) < 1e-9
    assert float(k.query(':TRAC:STAT:AVER? "mine"')) < 1e-9
    unit, status, stamp = k.query(':FETC? "mine", UNIT, SOURSTAT, TST').split(",")
    assert unit == "Amp DC" and int(status) & 128 and "/" in stamp
    k.write(':TRAC:POIN 20, "mine"')
    assert k.query(':TRAC:ACT? "mine"') == "0"  # resizing deletes the readings
    k.write(':TRAC:DEL "mine"')
    k.write(':TRAC:DEL "defbuffer1"')
    assert k.query(":SYST:ERR?").startswith("-221")
    k.write(':TRAC:POIN 4, "defbuffer2"')
    assert k.query(":SYST:ERR?").startswith("-222")


def test_binary_transfer_of_buffer_data(sim):
    k, _ = sim
    k.write(":SOUR:VOLT 0.01;:OUTP ON;:SENS:COUN 3;:TRAC:TRIG")
    ascii_values = np.array(k.query(':TRAC:DATA? 1, 3, "defbuffer1", READ, REL').split(","), float)
    k.write(":FORM:DATA REAL")
    values = k.query_binary_values(':TRAC:DATA? 1, 3, "defbuffer1", READ, REL', datatype="d")
    assert np.array(values) == pytest.approx(ascii_values, rel=1e-6)
    k.write(":FORM:DATA SRE;:FORM:BORD NORM")
    values = k.query_binary_values(
        ':TRAC:DATA? 1, 3, "defbuffer1", READ', datatype="f", is_big_endian=True
    )
    assert np.array(values) == pytest.approx(ascii_values[::2], rel=1e-6)
    k.write(":FORM:DATA ASC")


def test_status_model_maps_trigger_model_events_to_operation_bits(sim):
    """WH-2450 31648: event 2731 (trigger model initiated) sets, 2732 (idle) clears a bit."""
    k, _ = sim
    k.write("*CLS;:STAT:OPER:MAP 0, 2731, 2732;:STAT:OPER:ENAB 1;*SRE 128")
    k.write(':SOUR:SWE:VOLT:LIN 0, 0.01, 3, 0.2, 1, BEST, OFF, OFF, "defbuffer1";:INIT')
    assert k.query(":STAT:OPER:COND?") == "1"
    assert int(k.query("*STB?")) & (128 | 64)  # OSB and MSS
    k.write("*WAI")
    assert k.query(":STAT:OPER:COND?") == "0" and k.query(":STAT:OPER?") == "1"
    assert k.query(":STAT:OPER:MAP? 0") == "2731,2732"


def test_lang_says_scpi_and_refuses_a_language_that_is_not_simulated(sim):
    k, _ = sim
    assert k.query("*LANG?") == "SCPI"
    k.write("*LANG TSP")
    assert k.query(":SYST:ERR?").startswith("-221")
    assert k.query("*LANG?") == "SCPI"


def test_simple_loop_and_config_list_templates(sim):
    """WH-2450 46034 (SimpleLoop), 35126 (ConfigList): the help pages' own examples."""
    k, _ = sim
    k.write(':SOUR:VOLT 0.01;:OUTP ON;:TRIG:LOAD "SimpleLoop", 7, 0.001;:INIT;*WAI')
    assert k.query(':TRAC:ACT? "defbuffer1"') == "7"
    k.write(':SOUR:CONF:LIST:CRE "SOURCE_LIST";:SENS:CONF:LIST:CRE "MEASURE_LIST"')
    for level, rng in ((0.01, 1e-3), (0.02, 1e-2), (0.03, 1e-1)):
        k.write(f':SOUR:VOLT {level};:SOUR:CONF:LIST:STOR "SOURCE_LIST"')
        k.write(f':SENS:CURR:RANG {rng};:SENS:CONF:LIST:STOR "MEASURE_LIST"')
    k.write(':TRAC:CLE;:TRIG:LOAD "ConfigList", "MEASURE_LIST", "SOURCE_LIST";:INIT;*WAI')
    sources = k.query(':TRAC:DATA? 1, 3, "defbuffer1", SOUR').split(",")
    assert [float(v) for v in sources] == pytest.approx([0.01, 0.02, 0.03])
    assert float(k.query(":SENS:CURR:RANG?")) == 0.1


def test_loop_until_event_runs_until_a_bus_trigger(sim):
    """WH-2450 46040: readings until the event (*TRG is COMMand), then the post-trigger
    share of the buffer (position 75 of a 100-reading buffer: 25 readings)."""
    k, bench = sim
    k.write(':TRAC:POIN 100, "defbuffer1";:SOUR:VOLT 0.01;:OUTP ON;:SENS:CURR:AZER OFF')
    k.write(':TRIG:LOAD "LoopUntilEvent", COMM, 75, ENT, 0.01, "defbuffer1";:INIT')
    bench.clock.sleep(5.0)  # more than 75 pre-trigger readings
    assert k.query(":TRIG:STAT?").startswith("RUNNING")
    k.write("*TRG")
    bench.clock.sleep(5.0)
    assert k.query(":TRIG:STAT?").startswith("IDLE")
    assert k.query(':TRAC:ACT? "defbuffer1"') == "100"  # the buffer wraps: it is full


def test_duration_loop_from_keithleys_leakage_example(sim):
    """The command sequence of Keithley's 2450 "Leakage Current and Insulation Resistance"
    SCPI example (tektronix/keithley, Instrument_Examples/Series_2400_Graphical/2450-SMU),
    with a shorter duration: readings are fetched one by one while the model runs."""
    k, bench = sim
    for command in (
        "*RST",
        ":SOUR:FUNC VOLT",
        ":SOUR:VOLT 0.02",
        ":SOUR:VOLT:ILIMIT 0.01",
        ':SENSE:FUNC "CURR"',
        ":CURR:RANG:AUTO ON",
        ":SENSE:CURR:NPLC 1",
        ':TRIG:LOAD "DurationLoop", 2, 0.2',
        ":OUTP ON",
        ":INIT",
    ):
        k.write(command)
    assert k.query(":SYST:ERR?") == '0,"No error"'
    bench.clock.sleep(0.5)
    rel, current = k.query(':TRAC:DATA? 1, 1, "defbuffer1", REL, READ').split(",")
    assert float(rel) == 0 and float(current) < 1e-8
    k.write("*WAI")
    n = int(k.query(':TRAC:ACT? "defbuffer1"'))
    assert 2 / 0.3 < n < 2 / 0.2 + 2
    k.write(":SOUR:VOLT 0")
    k.write(":OUTP OFF")
    assert k.query(":SYST:ERR?") == '0,"No error"'


def test_simple_loop_resistance_from_keithleys_low_resistance_example(sim):
    """The sequence of Keithley's 2450 "Measuring Low Resistance Devices" SCPI example."""
    k, _ = sim
    for command in (
        "*RST",
        'TRIG:LOAD "SimpleLoop", 100',
        'SENS:FUNC "RES"',
        "SENS:RES:RANG:AUTO ON",
        "SENS:RES:OCOM ON",
        "SENS:RES:RSEN ON",
        "DISP:SCR SWIPE_GRAPh",
        "OUTP ON",
        "INIT",
        "*WAI",
    ):
        k.write(command)
    first = k.query('TRAC:DATA? 1, 50, "defbuffer1", READ, REL').split(",")
    second = k.query('TRAC:DATA? 51, 100, "defbuffer1", READ, REL').split(",")
    assert len(first) == len(second) == 100
    k.write("OUTP OFF")
    assert k.query(":SYST:ERR?") == '0,"No error"'


def test_qcodes_driver_sweeps_and_reads_buffers():
    """QCoDeS's stock Keithley2450: construction (*LANG? check), source/sense settings, a
    linear sweep (:SOUR:SWE:VOLT:LIN then :INIT, *WAI) and buffer elements."""
    qcodes_keithley = pytest.importorskip("qcodes.instrument_drivers.Keithley")
    with Station.load() as station:
        k = qcodes_keithley.Keithley2450(
            "k2450_sim",
            station.config.instruments["smu"].resource,
            visalib=station.visa_library("smu"),
        )
        try:
            k.reset()
            k.source_function("voltage")
            k.sense_function("current")
            k.source.limit(1e-6)
            k.source.voltage(0.01)
            k.output_enabled(True)
            assert k.sense.current() < 1e-9
            k.source.sweep_setup(0, 0.1, 11)
            currents = k.sense.sweep()
            assert len(currents) == 11
            buffer = k.buffer("defbuffer1")  # the sweep cleared it after reading
            k.sense.current()
            buffer.elements(["measurement", "relative_time", "source_value", "measurement_unit"])
            assert buffer.get_last_reading().split(",")[3] == "Amp DC"
            assert k.ask(":SYST:ERR?") == '0,"No error"'
        finally:
            k.close()


def test_a_current_source_drives_the_device_up_to_the_voltage_limit(sim):
    """:SOUR:FUNC CURR: V = I/G at the device, held at :SOUR:CURR:VLIM (default 21 V,
    WH-2450 30561), which trips; the voltage function keeps its own level."""
    k, bench = sim
    assert k.query(":SOUR:CURR:VLIM?") == "21"
    k.write(":SOUR:VOLT 0.01;:SOUR:FUNC CURR;:SOUR:CURR:VLIM 0.05;:SOUR:CURR 1e-9")
    k.write(':SENS:FUNC "VOLT";:OUTP ON')
    volts, source, status = k.query(':READ? "defbuffer1", READ, SOUR, SOURSTAT').split(",")
    assert float(volts) == pytest.approx(0.05) and float(source) == 1e-9
    assert int(status) & 32 and k.query(":SOUR:CURR:VLIM:TRIP?") == "1"
    assert bench.devices["dut"].watchdog.max_abs_v == pytest.approx(0.05)
    assert k.query(':FETC? "defbuffer1", SOURUNIT, UNIT') == "Amp DC,Volt DC"
    k.write(":OUTP OFF;:SOUR:FUNC VOLT")
    assert k.query(":SOUR:VOLT?") == "0.01"
    k.write(":SOUR:SWE:CURR:LIN 0, 1e-9, 3")
    assert k.query(":SYST:ERR?").startswith("-221")  # not the source function in use


def test_pymeasure_stock_driver_features(sim):
    """PyMeasure's Keithley2450 as a user drives it: source, measure, filters, delays."""
    _k, _ = sim
    with Station.load() as station:
        smu = StockKeithley2450(
            station.config.instruments["smu"].resource, visa_library=station.visa_library("smu")
        )
        smu.use_front_terminals()
        smu.apply_voltage(voltage_range=2, compliance_current=1e-4)
        smu.measure_current(nplc=1, current=1e-6, auto_range=False)
        smu.source_voltage = 0.01
        smu.enable_source()
        assert abs(smu.current) < 1e-9
        smu.current_filter_state = "ON"
        smu.current_filter_count = 5
        assert smu.current_filter_count == 5
        smu.measure_resistance(nplc=1, auto_range=True)
        assert smu.resistance > 1e9
        smu.apply_current(current_range=1e-6, compliance_voltage=0.05)
        smu.source_current = 1e-12
        smu.measure_voltage(nplc=1, voltage=2, auto_range=True)
        assert 0 < smu.voltage <= 0.05
        smu.shutdown()
        assert smu.ask(":SYST:ERR?").strip() == '0,"No error"'
        smu.adapter.close()
