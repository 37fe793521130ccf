"""QCoDeS 0.58's drivers, used as a new user would from the driver's documentation."""

import itertools

from qcodes.dataset import LinSweep
from qcodes.instrument import Instrument
from qcodes.instrument_drivers.Keithley import Keithley2400, Keithley2450, Keithley2636B
from qcodes.instrument_drivers.Keysight import Keysight33210A, Keysight33522B

_names = itertools.count(1)


class Keysight33220A(Keysight33210A):
    """QCoDeS has no 33220A driver; its 33210A driver is the 33200 family's, so a user would
    reach for it, except that it looks the model up in a table that lacks the 33220A."""

    def get_idn(self):
        idn = super().get_idn()
        return {**idn, "model": "33210A"} if idn.get("model") == "33220A" else idn


def _connect(run, driver):
    instrument = run.construct(
        lambda: driver(
            f"{driver.__name__}_{next(_names)}", run.resource, visalib=run.visa_library, timeout=1.0
        )
    )
    if instrument is not None:
        run.watch(instrument.visa_handle)
    return instrument


def _close(run, instrument) -> None:
    if isinstance(instrument, Instrument):
        run.method(instrument, "close")


def keithley2450(run) -> None:
    smu = _connect(run, Keithley2450)
    run.param(smu, "IDN")
    run.method(smu, "reset")
    run.param(smu, "line_frequency")
    run.param(smu, "terminals", "front")
    run.param(smu, "source_function", "voltage")
    run.param(smu, "sense_function", "current")
    run.param(smu, "source.range", 2)
    run.param(smu, "source.range")
    run.param(smu, "source.auto_range")
    run.param(smu, "source.limit", 1e-6)
    run.param(smu, "source.limit")
    run.param(smu, "source.voltage", 0.05)
    run.param(smu, "source.voltage")
    run.param(smu, "source.delay", 0.001)
    run.param(smu, "source.auto_delay", False)
    run.param(smu, "source.auto_delay")
    run.param(smu, "source.read_back_enabled", True)
    run.param(smu, "sense.nplc", 0.1)
    run.param(smu, "sense.nplc")
    run.param(smu, "sense.auto_range", False)
    run.param(smu, "sense.range", 1e-6)
    run.param(smu, "sense.range")
    run.param(smu, "sense.auto_zero_enabled", False)
    run.param(smu, "sense.auto_zero_once")
    run.param(smu, "sense.count", 1)
    run.param(smu, "sense.four_wire_measurement", False)
    run.param(smu, "output_enabled", True)
    run.param(smu, "sense.current")
    run.param(smu, "source.limit_tripped")
    run.method(smu.source if smu else None, "sweep_setup", 0, 0.1, 5, delay=0.001)
    run.param(smu, "sense.sweep", slow=True)
    run.param(smu, "source.sweep_axis")
    buffer = run.method(smu, "buffer", "defbuffer1")
    run.param(buffer, "size", prefix="buffer.")
    run.param(buffer, "number_of_readings", prefix="buffer.")
    run.param(
        buffer, "elements", ["measurement", "relative_time", "source_value"], prefix="buffer."
    )
    # QCoDeS's sweep clears the buffer it read (Keithley_2450._measure_sweep): the buffer is
    # read back after readings that stay in it, as a user would
    run.method(buffer, "clear_buffer", prefix="buffer.")
    run.param(smu, "sense.count", 3)
    run.method(buffer, "trigger_start", slow=True, prefix="buffer.")
    run.method(smu, "wait", slow=True)
    run.param(buffer, "number_of_readings", prefix="buffer.")
    run.method(buffer, "get_last_reading", prefix="buffer.")
    run.method(buffer, "get_data", 1, 3, prefix="buffer.")
    run.method(smu, "ask", "*OPC?")
    run.method(smu, "clear_event_register")
    run.method(smu, "clear_event_log")
    run.param(smu, "output_enabled", False)
    _close(run, smu)


def keithley2400(run) -> None:
    smu = _connect(run, Keithley2400)
    run.param(smu, "IDN")
    run.method(smu, "reset")
    run.param(smu, "mode", "VOLT")
    run.param(smu, "mode")
    run.param(smu, "sense")
    run.param(smu, "rangev", 2)
    run.param(smu, "rangev")
    run.param(smu, "compliancei", 1e-6)
    run.param(smu, "compliancei")
    run.param(smu, "rangei", 1e-6)
    run.param(smu, "rangei")
    run.param(smu, "nplci", 0.1)
    run.param(smu, "nplci")
    run.param(smu, "output", 1)
    run.param(smu, "output")
    run.param(smu, "volt", 0.05)
    run.param(smu, "volt")
    run.param(smu, "curr")
    run.param(smu, "resistance")
    run.param(smu, "output", 0)
    run.param(smu, "mode", "CURR")
    run.param(smu, "compliancev", 0.5)
    run.param(smu, "compliancev")
    run.param(smu, "nplcv", 0.1)
    run.param(smu, "curr", 1e-9)
    run.method(smu, "ask", "*OPC?")
    run.method(smu, "ask", ":SYST:ERR?")
    _close(run, smu)


def keithley2636b(run) -> None:
    smu = _connect(run, Keithley2636B)
    run.param(smu, "IDN")
    run.method(smu, "reset")
    run.param(smu, "smua.mode", "voltage")
    run.param(smu, "smua.mode")
    run.param(smu, "smua.sourcerange_v", 2)
    run.param(smu, "smua.sourcerange_v")
    run.param(smu, "smua.limiti", 1e-6)
    run.param(smu, "smua.limiti")
    run.param(smu, "smua.measurerange_i", 1e-6)
    run.param(smu, "smua.measurerange_i")
    run.param(smu, "smua.measure_autorange_i_enabled")
    run.param(smu, "smua.nplc", 0.1)
    run.param(smu, "smua.nplc")
    run.param(smu, "smua.linefreq")
    run.param(smu, "smua.four_wire_measurement", False)
    run.param(smu, "smua.output", "on")
    run.param(smu, "smua.volt", 0.05)
    run.param(smu, "smua.volt")
    run.param(smu, "smua.curr")
    run.param(smu, "smua.res")
    run.call(
        "smua.setup_fastsweep(LinSweep(smua.volt, 0, 0.1, 5, 0.001))",
        lambda: smu.smua.setup_fastsweep(LinSweep(smu.smua.volt, 0, 0.1, 5, 0.001)),
    )
    run.param(smu, "smua.fastsweep", slow=True)
    run.param(smu, "smua.timetrace_npts", 5)
    run.param(smu, "smua.timetrace_dt", 0.01)
    run.param(smu, "smua.timetrace_mode", "current")
    run.param(smu, "smua.timetrace", slow=True)
    run.param(smu, "smua.output", "off")
    run.param(smu, "smua.reset")
    run.param(smu, "smub.output")
    run.param(smu, "smub.limiti")
    run.method(smu, "display_clear")
    run.method(smu, "display_normal")
    _close(run, smu)


def _generator(run, gen) -> None:
    """Pulse and burst settings of channel 1, the features both generators share."""
    run.param(gen, "ch1.function_type", "PULS")
    run.param(gen, "ch1.function_type")
    run.param(gen, "ch1.frequency", 1e3)
    run.param(gen, "ch1.frequency")
    run.param(gen, "ch1.pulse_width", 100e-6)
    run.param(gen, "ch1.pulse_width")
    run.param(gen, "ch1.amplitude_unit", "VPP")
    run.param(gen, "ch1.amplitude", 0.5)
    run.param(gen, "ch1.amplitude")
    run.param(gen, "ch1.offset", 0.25)
    run.param(gen, "ch1.offset")
    run.param(gen, "ch1.output_polarity", "NORM")
    run.param(gen, "ch1.trigger_source", "BUS")
    run.param(gen, "ch1.trigger_source")
    run.param(gen, "ch1.trigger_slope", "POS")
    run.param(gen, "ch1.burst_mode", "N Cycle")
    run.param(gen, "ch1.burst_ncycles", 3)
    run.param(gen, "ch1.burst_ncycles")
    run.param(gen, "ch1.burst_phase", 0)
    run.param(gen, "ch1.burst_int_period", 0.01)
    run.param(gen, "ch1.burst_state", "ON")
    run.param(gen, "ch1.burst_state")
    run.param(gen, "ch1.output", "ON")
    run.param(gen, "ch1.output")
    run.param(gen, "force_trigger")
    run.param(gen, "ch1.output", "OFF")
    run.param(gen, "ch1.burst_state", "OFF")


def keysight33522b(run) -> None:
    gen = _connect(run, Keysight33522B)
    run.param(gen, "IDN")
    run.method(gen, "write", "*RST")
    _generator(run, gen)
    run.param(gen, "ch1.frequency_mode", "CW")
    run.param(gen, "ch1.phase", 90)
    run.param(gen, "ch1.trigger_delay", 1e-6)
    run.param(gen, "ch1.trigger_count", 1)
    run.param(gen, "ch2.function_type", "PULS")
    run.param(gen, "ch2.pulse_width", 1e-5)
    run.param(gen, "ch2.output")
    run.param(gen, "sync.output", "OFF")
    run.param(gen, "sync.source", 1)
    run.param(gen, "sync_channel_phases")
    run.method(gen, "error")
    _close(run, gen)


def agilent33220a(run) -> None:
    gen = _connect(run, Keysight33220A)
    run.param(gen, "IDN")
    run.method(gen, "write", "*RST")
    _generator(run, gen)
    run.param(gen, "sync.output", "OFF")
    run.method(gen, "error")
    _close(run, gen)
