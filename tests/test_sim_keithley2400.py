"""The simulated Keithley 2400 through real pyvisa, held to its User's Manual (2400S-900-01,
"UM p.x-y" as in bmrlab/sim/keithley2400.py): defaults, trigger model and its timing,
commands queued while a run is busy, the buffer, status words and registers; the manual's
printed sequences, Keithley's example and the PyMeasure and QCoDeS drivers against it."""

import struct

import numpy as np
import pytest
import pyvisa

K2400 = "GPIB0::24::INSTR"


@pytest.fixture
def k(bench):
    """A raw session on the 2400, reset; its device starts in the high-resistance state."""
    _, library = bench
    rm = pyvisa.ResourceManager(library)
    session = rm.open_resource(K2400, read_termination="\n", write_termination="\n", timeout=200)
    session.write("*RST;*CLS")
    yield session
    session.close()


def floats(reply: str) -> np.ndarray:
    return np.array(reply.split(","), dtype=float)


def errors(k) -> list[str]:
    found = []
    while (error := k.query(":SYST:ERR?")) != '0,"No error"':
        found.append(error)
    return found


def test_reset_defaults_of_the_command_tables(k):
    """*RST: UM tables 18-3 (FORMat), 18-4 (OUTPut), 18-6 (SENSe), 18-7 (SOURce), 18-11
    (TRIGger); auto delay ON (the bench defaults' 1 ms delay action, p.11-7, with :SOUR:DEL
    at 0); arm timer 0.1 s (p.14-8)."""
    expected = {
        ":SOUR:FUNC?": "VOLT",
        ":SOUR:VOLT:MODE?": "FIX",
        ":SOUR:VOLT?": "0",
        ":SOUR:VOLT:RANG:AUTO?": "1",
        ":SENS:CURR:PROT?": "0.000105",
        ":SENS:CURR:RANG?": "0.000105",
        ":SENS:CURR:RANG:AUTO?": "1",
        ":SENS:CURR:NPLC?": "1",
        ":SENS:FUNC:CONC?": "1",
        ":SENS:FUNC?": '"CURR:DC"',
        ":SOUR:DEL?": "0",
        ":SOUR:DEL:AUTO?": "1",
        ":SOUR:CLE:AUTO?": "0",
        ":ARM:COUN?": "1",
        ":ARM:SOUR?": "IMM",
        ":ARM:TIM?": "0.1",
        ":TRIG:COUN?": "1",
        ":TRIG:SOUR?": "IMM",
        ":TRIG:DEL?": "0",
        ":FORM:ELEM?": "VOLT,CURR,RES,TIME,STAT",
        ":FORM:DATA?": "ASC",
        ":FORM:BORD?": "NORM",
        ":OUTP?": "0",
        ":OUTP:SMOD?": "NORM",
        ":SOUR:SWE:POIN?": "2500",
        ":SOUR:SWE:SPAC?": "LIN",
        ":SOUR:SWE:RANG?": "BEST",
    }
    assert {q: k.query(q) for q in expected} == expected
    assert errors(k) == []


def test_trace_settings_survive_reset_and_preset(k):
    """UM table 18-10: ":SYSTem:PRESet and *RST have no effect on the commands in this
    subsystem"; only the byte order differs between the two (table 18-3 note)."""
    k.write(":TRAC:TST:FORM DELT;:TRAC:POIN 7;:TRAC:FEED:CONT NEXT")
    k.write("*RST")
    assert [k.query(q) for q in (":TRAC:TST:FORM?", ":TRAC:POIN?", ":TRAC:FEED:CONT?")] == [
        "DELT",
        "7",
        "NEXT",
    ]
    k.write(":SYST:PRES")
    assert k.query(":TRAC:TST:FORM?") == "DELT" and k.query(":FORM:BORD?") == "SWAP"


def test_counts_limits_and_nplc_range(k):
    """Arm count x trigger count <= 2500, INF only for the arm layer (UM p.18-118); NPLC
    0.01-10 (UM table 18-6); buffer 1-2500 (p.18-115)."""
    k.write(":ARM:COUN 2;:TRIG:COUN 1251")
    assert errors(k) == ['-221,"Settings conflict; arm count x trigger count > 2500"']
    k.write(":ARM:COUN 2;:TRIG:COUN 1250;:ARM:COUN 1;:TRIG:COUN 2500;:ARM:COUN INF")
    k.write(":TRIG:COUN INF")
    k.write(":SENS:CURR:NPLC 0.001")
    k.write(":TRAC:POIN 2501")
    assert len(errors(k)) == 3  # each refused
    assert [k.query(q) for q in (":TRIG:COUN?", ":SENS:CURR:NPLC?", ":TRAC:POIN?")] == [
        "2500",
        "1",
        "100",
    ]
    k.write(":SENS:CURR:NPLC 0.01;:SENS:VOLT:NPLC 10")
    assert k.query(":SENS:RES:NPLC?") == "10"  # one speed for all functions
    assert errors(k) == []


def test_keithley_voltage_list_sweep_sequence(bench, k):
    """The command sequence of Keithley's "Series 2400 Voltage List Sweep" example
    (tektronix/keithley, Instrument_Examples/Series_2400/01_Series_2400_Voltage_List_Sweep_
    Example_01.py): a five-level list, 100 ms source delay, READ? returns all five readings
    (READ? takes the unit out of idle, UM p.11-11, and returns every reading)."""
    b, _ = bench
    for command in (
        "SOUR:FUNC VOLT",
        "SOUR:VOLT:MODE LIST",
        "SOUR:LIST:VOLT 7, 1, 3, 8, 2",
        "SOUR:DEL 0.1",
        "SENS:FUNC 'CURR:DC'",
        "TRIG:COUN 5",
        "OUTP ON",
    ):
        k.write(command)
    t0 = b.clock.now()
    values = floats(k.query("READ?")).reshape(5, 5)
    k.write("OUTP OFF")
    assert values[:, 0].tolist() == [7, 1, 3, 8, 2]  # the programmed levels (V not measured)
    assert np.all(values[:, 2] == 9.91e37)  # resistance not measured
    assert b.clock.now() - t0 > 5 * 0.1
    assert errors(k) == []


def test_init_then_trace_data_waits_for_the_whole_run(bench, k):
    """Commands sent during a run are queued until it is idle (UM p.11-11), so the buffer
    read right after :INIT holds every reading (the data store sequence of the 2400 Quick
    Results Guide, table 14)."""
    b, _ = bench
    k.write(":SOUR:VOLT 0.01;:TRIG:COUN 10;:SOUR:DEL 0.05;:TRAC:CLE;:TRAC:POIN 10")
    k.write(":TRAC:FEED SENS;:TRAC:FEED:CONT NEXT;:OUTP ON;:INIT")
    t0 = b.clock.now()
    data = floats(k.query(":TRAC:DATA?")).reshape(10, 5)
    assert b.clock.now() - t0 > 0.1  # the query waited for the run
    assert k.query(":TRAC:POIN:ACT?") == "10" and k.query(":TRAC:FEED:CONT?") == "NEV"
    assert data[0, 3] == 0 and np.all(np.diff(data[:, 3]) > 0)  # ABSolute: from the first


def test_sdm_timing_of_appendix_a(k):
    """UM p.A-3..A-8: a changing source costs trigger latency 225 us + source configuration
    50 us + source delay + A/D (NPLC/f + 185 us) + firmware 300 us (autozero off, one
    function); at a constant level the source delay is omitted. Auto delay is 3 ms on the
    1 uA range the high-resistance state autoranges to (Quick Results Guide: 1-3 ms)."""
    k.write(":SYST:AZER OFF;:SOUR:DEL:AUTO OFF;:SOUR:DEL 0.01;:SENS:CURR:NPLC 1")
    k.write(":SOUR:VOLT:MODE LIST;:SOUR:LIST:VOLT 0.01,0.02,0.01,0.02;:TRIG:COUN 4")
    k.write(":TRAC:CLE;:TRAC:POIN 4;:TRAC:FEED:CONT NEXT;:OUTP ON;:INIT")
    t = floats(k.query(":TRAC:DATA?"))[3::5]
    conversion = 1 / 60 + 185e-6
    assert np.diff(t) == pytest.approx(225e-6 + 50e-6 + 0.01 + conversion + 300e-6)
    k.write(":SOUR:VOLT:MODE FIX;:SOUR:VOLT 0.01;:TRAC:CLE;:TRAC:FEED:CONT NEXT;:INIT")
    t = floats(k.query(":TRAC:DATA?"))[3::5]
    assert np.diff(t) == pytest.approx(100e-6 + conversion + 300e-6)
    k.write(":SOUR:DEL:AUTO ON;:SOUR:VOLT:MODE LIST;:SYST:AZER ON")  # starts at the bias
    k.write(":TRAC:CLE;:TRAC:FEED:CONT NEXT;:INIT")
    t = floats(k.query(":TRAC:DATA?"))[3::5]  # autozero: ref and zero conversions, 1.6 ms
    assert np.diff(t)[1:] == pytest.approx(225e-6 + 50e-6 + 3e-3 + 3 * conversion + 1.6e-3)


def test_a_run_waiting_for_a_bus_trigger_holds_queries_until_triggered(k):
    """ARM:SOUR BUS: the run waits for *TRG (UM p.18-119); meanwhile a query is queued and
    does not answer (UM p.11-11), and INIT again is refused."""
    k.write(":ARM:SOUR BUS;:TRIG:COUN 3;:TRAC:CLE;:TRAC:POIN 3;:TRAC:FEED:CONT NEXT")
    k.write(":OUTP ON;:INIT")
    with pytest.raises(pyvisa.VisaIOError):
        k.query(":TRAC:POIN:ACT?")
    k.write("*TRG")
    assert k.query(":TRAC:POIN:ACT?") == "3"
    k.write("*TRG")  # nothing waits for it any more
    assert errors(k)[-1] == '-211,"Trigger ignored"'


def test_infinite_arm_count_runs_until_abort(bench, k):
    """ARM:COUN INF: only ABORt stops it; READ? is refused with it (UM p.18-118 note)."""
    b, _ = bench
    k.write(":ARM:COUN INF;:TRAC:CLE;:TRAC:POIN 20;:TRAC:FEED:CONT NEXT;:OUTP ON;:INIT")
    b.clock.sleep(2.0)
    b.sync()
    with pytest.raises(pyvisa.VisaIOError):
        k.query(":TRAC:POIN:ACT?")
    k.write(":ABOR")
    assert k.query(":TRAC:POIN:ACT?") == "20"  # NEXT filled the buffer and stopped
    k.write(":READ?")
    assert errors(k)[-1].startswith("-221")


def test_feed_cannot_change_while_storage_is_active(k):
    """UM p.18-115 and table B-1: +800 "Illegal with storage active", also after :ABORt,
    which does not reset the buffer control."""
    k.write(":TRIG:COUN 5;:TRAC:CLE;:TRAC:POIN 100;:TRAC:FEED:CONT NEXT;:OUTP ON;:INIT")
    k.write(":ABOR;:TRAC:FEED SENS")
    assert errors(k) == ['800,"Illegal with storage active"']
    k.write(":TRAC:FEED:CONT NEV;:TRAC:FEED SENS;:TRAC:FEED NONE")
    assert k.query(":TRAC:FEED?") == "NONE" and errors(k) == []


def test_delta_timestamps_and_buffer_statistics(k):
    """:TRAC:TST:FORM DELT (UM p.18-116) and :CALC3 statistics over V, I, R (UM section 9)."""
    k.write(":SENS:FUNC:ALL;:SOUR:VOLT:MODE LIST;:SOUR:LIST:VOLT 0.01,0.02,0.03,0.04")
    k.write(":TRIG:COUN 4;:TRAC:CLE;:TRAC:POIN 4;:TRAC:FEED:CONT NEXT;:OUTP ON;:INIT")
    absolute = floats(k.query(":TRAC:DATA?")).reshape(4, 5)
    k.write(":TRAC:TST:FORM DELT")
    delta = floats(k.query(":TRAC:DATA?")).reshape(4, 5)
    assert delta[1:, 3] == pytest.approx(np.diff(absolute[:, 3]))
    expected = {
        "MEAN": np.mean,
        "MAX": np.max,
        "MIN": np.min,
        "PKPK": np.ptp,
        "SDEV": lambda x, axis: np.std(x, axis=axis, ddof=1),
    }
    for name, statistic in expected.items():
        k.write(f":CALC3:FORM {name}")
        assert floats(k.query(":CALC3:DATA?")) == pytest.approx(
            statistic(absolute[:, :3], axis=0), rel=1e-6
        )


def test_real_and_range_compliance_status_bits(k):
    """UM p.6-2: the output clamps at the compliance (real, status bit 3) or at the top of a
    fixed measure range below it (range, bit 16; p.18-50/51)."""
    k.write(":SOUR:VOLT 1.0;:SENS:CURR:PROT 1e-6;:OUTP ON")  # well beyond the set threshold
    _, amps, _, _, status = floats(k.query(":READ?"))
    assert int(status) & 8 and not int(status) & (1 << 16)
    assert amps == pytest.approx(1e-6, rel=0.05) and k.query(":SENS:CURR:PROT:TRIP?") == "1"
    k.write(":SENS:CURR:PROT 1e-4;:SENS:CURR:RANG 1e-6")
    _, amps, _, _, status = floats(k.query(":READ?"))
    assert int(status) & (1 << 16) and not int(status) & 8
    assert amps == pytest.approx(1.05e-6, rel=0.05)  # clamped at the range, not 9.9e37


def test_measure_queries_and_functions(k):
    """MEAS:<f>? = CONF:<f> + READ?, output switched on (UM p.11-11); ohms = V/I in manual
    ohms mode; FUNC:ALL measures V, I and R concurrently."""
    k.write(":SOUR:VOLT 0.05;:SENS:RES:MODE MAN")
    volts, amps, ohms, _, _ = floats(k.query(":MEAS:RES?"))
    assert k.query(":OUTP?") == "1"
    assert ohms == pytest.approx(volts / amps, rel=1e-3)  # V shown is the programmed level
    assert k.query(":SENS:FUNC?") == '"CURR:DC","RES"'
    k.write(":SENS:FUNC:OFF:ALL;:SENS:FUNC:CONC OFF;:SENS:FUNC 'VOLT'")
    volts, amps, ohms, _, status = floats(k.query(":MEAS:VOLT?"))
    assert amps == 9.91e37 and ohms == 9.91e37 and int(status) & (1 << 11)


def test_staircase_sweep_returns_to_the_bias_level(bench, k):
    """SOUR:VOLT:MODE SWE with STAR/STOP/STEP (STEP sets the points); the sweep
    starts from the bias level (UM p.10-2) and the source returns to it."""
    b, _ = bench
    k.write(":SOUR:VOLT 0;:SOUR:VOLT:MODE SWE;:SOUR:VOLT:STAR 0;:SOUR:VOLT:STOP 0.05")
    k.write(":SOUR:VOLT:STEP 0.01")
    assert k.query(":SOUR:SWE:POIN?") == "6"
    k.write(":TRIG:COUN 6;:SOUR:SWE:DIR DOWN;:OUTP ON")
    assert floats(k.query(":READ?"))[0::5] == pytest.approx([0.05, 0.04, 0.03, 0.02, 0.01, 0])
    assert b.by_name("smu2400").level == 0.0


def test_buffer_full_service_request_as_pymeasure_polls_it(k):
    """*STB? bit 0 (measurement summary) and bit 6 (MSS) once BFL is enabled (UM figure
    15-1, 15-6); :STAT:PRES clears the enable registers (UM p.18-102)."""
    k.write(":STAT:PRES;*CLS;*SRE 1;:STAT:MEAS:ENAB 512;:TRAC:CLE;:TRAC:POIN 4")
    k.write(":TRIG:COUN 4;:TRAC:FEED:CONT NEXT;:OUTP ON;:INIT")
    assert int(k.query("*STB?")) & 65 == 65
    assert int(k.query(":STAT:MEAS?")) & 512 and int(k.query(":STAT:MEAS?")) == 0
    k.write(":STAT:PRES")
    assert k.query(":STAT:MEAS:ENAB?") == "0"


def test_autozero_once_leaves_autozero_off(k):
    k.write(":SYST:AZER ONCE")
    assert k.query(":SYST:AZER?") == "0"


def test_binary_readings_are_an_indefinite_ieee_block(bench, k):
    """FORM:DATA REAL,32 / SREal: "#0" then single-precision floats, NORMal byte order big
    endian, SWAPped little (UM p.18-47..18-54)."""
    b, _ = bench
    k.write(":FORM:ELEM CURR,TIME;:TRIG:COUN 2;:OUTP ON;:INIT")
    ascii = floats(k.query(":FETC?"))
    for kind, order, fmt in (("REAL,32", "NORM", ">4f"), ("SRE", "SWAP", "<4f")):
        k.write(f":FORM:DATA {kind};:FORM:BORD {order}")
        reply = b.handle(K2400, ":FETC?")  # the bytes the bus carries (a float32 may hold
        # 0x0A, so a terminated pyvisa read could stop inside the block)
        assert reply[:2] == b"#0"
        assert struct.unpack(fmt, reply[2:]) == pytest.approx(ascii, rel=1e-6)


def test_pymeasure_keithley2400_buffer_trigger_and_status(bench):
    """pymeasure 0.16's stock driver: source, compliance, buffer (config_buffer, start,
    wait_for_buffer, buffer_data, CALC3 means), bus trigger, measure_all."""
    from pymeasure.instruments.keithley import Keithley2400

    _, library = bench
    k = Keithley2400(K2400, visa_library=library)
    k.reset()
    k.source_mode = "voltage"
    k.source_voltage_range = 2
    k.compliance_current = 1e-4
    k.source_voltage = 0.01
    k.auto_zero_enabled = False
    k.source_delay_auto_enabled = False
    k.enable_source()
    k.config_buffer(points=8, delay=0.001)
    k.start_buffer()
    k.wait_for_buffer(timeout=5, interval=0.01)
    data = k.buffer_data.reshape(8, 5)
    assert np.all(data[:, 0] == 0.01) and k.mean_current == pytest.approx(data[:, 1].mean())
    k.arm_count, k.trigger_count = 2, 3
    k.trigger_on_bus()
    assert k.arm_source == "bus"
    k.trigger_immediately()
    everything = k.measure_all()
    assert everything["voltage"] == pytest.approx(0.01, abs=1e-4)  # now measured
    assert np.isfinite(everything["resistance"])
    assert k.current == pytest.approx(data[:, 1].mean(), abs=1e-8)
    k.shutdown()
    assert k.check_errors() == [] and k.source_enabled is False


def test_qcodes_keithley2400_sources_voltage_and_current(bench):
    """QCoDeS's stock driver: its init writes TRIG:COUN 1 and FORM:ELEM VOLT,CURR; modes,
    ranges, compliances, NPLC, output and READ? parsing."""
    qcodes = pytest.importorskip("qcodes.instrument_drivers.Keithley")
    _, library = bench
    k = qcodes.Keithley2400("k2400_sim", K2400, visalib=library)
    try:
        k.mode("VOLT")
        k.rangev(2)
        k.compliancei(1e-4)
        k.nplci(0.1)
        k.volt(0.01)
        k.output(True)
        assert k.volt() == pytest.approx(0.01) and abs(k.curr()) < 1e-6
        k.output(False)
        k.mode("CURR")
        k.rangei(1e-6)
        k.compliancev(0.02)
        k.curr(1e-6)  # more than the high-resistance state carries at 20 mV (the driver
        # formats levels with 8 decimals, so 1 nA would be sent as 0)
        k.output(True)
        assert k.volt() == pytest.approx(0.02, rel=1e-3)  # clamped at the compliance
        assert k.rangev() == pytest.approx(0.21)  # the voltage range autoranging chose
        k.output(False)
        assert k.ask(":SYST:ERR?") == '0,"No error"'
    finally:
        k.close()


def test_reset_during_a_waiting_run_cancels_it_and_the_queued_commands(k):
    """*RST executes during a run and "cancels all pending commands" (UM p.16-3/16-4)."""
    k.write(":ARM:SOUR BUS;:OUTP ON;:INIT")
    k.write(":SOUR:VOLT 0.05")  # queued behind the run
    k.write("*RST")
    assert k.query(":SOUR:VOLT?") == "0" and k.query(":ARM:SOUR?") == "IMM"
    assert k.query(":STAT:OPER:COND?") == str(1 << 10)  # idle
    assert k.query("*OPT?") == "0"


def test_list_start_point_and_abort_on_compliance(k):
    """:SOUR:LIST:VOLT:STAR picks the first list point; :SOUR:SWE:CAB LATE stops the sweep
    after the first reading in compliance (UM table 18-7)."""
    k.write(":SOUR:VOLT:MODE LIST;:SOUR:LIST:VOLT 0.01,0.02,0.03;:SOUR:LIST:VOLT:STAR 2")
    k.write(":TRIG:COUN 3;:FORM:ELEM VOLT;:OUTP ON")
    assert floats(k.query(":READ?")) == pytest.approx([0.02, 0.03, 0.01])
    k.write(":SOUR:LIST:VOLT 0.01,1.0,0.01;:SOUR:LIST:VOLT:STAR 1;:SENS:CURR:PROT 1e-6")
    k.write(":SOUR:SWE:CAB LATE")
    assert floats(k.query(":READ?")) == pytest.approx([0.01, 1.0])  # 1 V: in compliance


def test_a_command_sent_during_a_run_waits_in_the_queue_without_blocking(bench, k):
    """A command is queued until the run ends (UM p.16-3); only a query makes the client
    wait for it. So a level written during a sweep is applied after it, not in it."""
    b, _ = bench
    k.write(":SOUR:VOLT:MODE LIST;:SOUR:LIST:VOLT 0.01,0.02;:TRIG:COUN 10;:SOUR:DEL 0.05")
    k.write(":TRAC:CLE;:TRAC:POIN 10;:TRAC:FEED:CONT NEXT;:OUTP ON;:INIT")
    t0 = b.clock.now()
    k.write(":SOUR:VOLT:MODE FIX;:SOUR:VOLT 0.03")
    assert b.clock.now() - t0 < 0.01  # the write did not wait for the sweep
    assert floats(k.query(":TRAC:DATA?"))[0::5].tolist() == [0.01, 0.02] * 5
    assert k.query(":SOUR:VOLT?") == "0.03" and b.by_name("smu2400").level == 0.03


def test_read_with_a_bus_armed_run_is_a_trigger_deadlock(k):
    """READ? cannot finish while the run waits for *TRG: -214 (SCPI-99 "Trigger deadlock");
    the run still waits, and *TRG completes it into the buffer."""
    k.write(":ARM:SOUR BUS;:TRAC:CLE;:TRAC:POIN 1;:TRAC:FEED:CONT NEXT;:OUTP ON")
    with pytest.raises(pyvisa.VisaIOError):
        k.query(":READ?")
    k.write("*TRG")
    assert k.query(":TRAC:POIN:ACT?") == "1"
    assert errors(k)[0] == '-214,"Trigger deadlock"'


@pytest.mark.parametrize(
    "sequence",
    [
        # UM table 10-6, "Custom sweep programming example"
        (
            "*RST",
            ":SENS:FUNC:CONC OFF",
            ":SOUR:FUNC VOLT",
            ":SENS:FUNC 'CURR:DC'",
            ":SENS:CURR:PROT 0.1",
            ":SOUR:VOLT:MODE LIST",
            ":SOUR:LIST:VOLT 7,1,3,8,2",
            ":TRIG:COUN 5",
            ":SOUR:DEL 0.1",
            ":OUTP ON",
            ":READ?",
        ),
        # 2400 Quick Results Guide, table 14, "Command sequence for data store example"
        (
            "*RST",
            ":SOUR:VOLT 10",
            ":TRAC:POIN 10",
            ":TRIG:COUN 10",
            ":TRAC:FEED SENS",
            ":TRAC:FEED:CONT NEXT",
            ":OUTP ON",
            ":INIT",
            ":TRAC:DATA?",
        ),
    ],
)
def test_printed_command_sequences(k, sequence):
    """The manual's printed sequences run as printed and return every reading."""
    *commands, query = sequence
    for command in commands:
        k.write(command)
    readings = floats(k.query(query)).reshape(-1, 5)
    assert len(readings) == int(next(c for c in commands if "TRIG:COUN" in c).split()[-1])
    assert errors(k) == []


def test_overvoltage_protection_limits_the_output(bench, k):
    """:SOUR:VOLT:PROT selects 20..160 V or NONE, the lower limit for a value between two;
    the output does not exceed it and status bit 4 says so (UM p.18-81, p.18-50)."""
    b, _ = bench
    k.write(":SOUR:VOLT:PROT 25")
    assert k.query(":SOUR:VOLT:PROT?") == "20"
    k.write(":SENS:CURR:PROT 1e-6;:SOUR:VOLT 21;:OUTP ON")
    status = int(floats(k.query(":READ?"))[4])
    assert status & (1 << 4) and b.by_name("smu2400").drive(b.clock.now())[0] == 20
    k.write(":OUTP OFF;:SOUR:VOLT:PROT NONE")
    assert k.query(":SOUR:VOLT:PROT?") == "210"


def test_compliance_range_synchronization(k):
    """:SENS:CURR:PROT:RSYN ON: a fixed measure range follows the compliance's range
    (UM p.3-8); off, the range stays and the compliance only lowers a range above it."""
    k.write(":SENS:CURR:RANG 1e-3;:SENS:CURR:PROT:RSYN ON;:SENS:CURR:PROT 5e-6")
    assert k.query(":SENS:CURR:RANG?") == "1.05e-05"
    k.write(":SENS:CURR:PROT:RSYN OFF;:SENS:CURR:RANG 1e-6;:SENS:CURR:PROT 1e-4")
    assert k.query(":SENS:CURR:RANG?") == "1.05e-06"


def test_a_new_store_overwrites_an_uncleared_buffer(k):
    """Without :TRAC:CLE "a subsequent store will overwrite the old readings" (UM p.18-114):
    the buffer never holds more than :TRAC:POIN readings."""
    k.write(":TRIG:COUN 3;:TRAC:CLE;:TRAC:POIN 3;:TRAC:FEED:CONT NEXT;:OUTP ON;:INIT")
    first = floats(k.query(":TRAC:DATA?"))
    k.write(":TRAC:FEED:CONT NEXT;:INIT")
    second = floats(k.query(":TRAC:DATA?"))
    assert k.query(":TRAC:POIN:ACT?") == "3" and len(second) == len(first)
    assert not np.array_equal(first[1::5], second[1::5])  # new readings
