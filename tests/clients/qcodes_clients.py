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
    instrument = run.call("construct", driver, f"{driver.__name__}_{next(_names)}", run.resource,
                          visalib=run.visa_library, timeout=1.0)
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
    run.param(buffer, "size")
    run.param(buffer, "number_of_readings")
    run.param(buffer, "elements", ["measurement", "relative_time", "source_value"])
    run.method(buffer, "get_last_reading")
    run.method(buffer, "get_data", 1, 5)
    run.method(buffer, "clear_buffer")
    run.param(smu, "sense.count", 3)
    run.method(buffer, "trigger_start", slow=True)
    run.method(smu, "wait", slow=True)
    run.param(buffer, "number_of_readings")
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
    _close(run, smu)


def keithley2636b(run) -> None:
    smu = _connect(run, Keithley2636B)
    run.param(smu, "IDN")
    run.method(smu, "reset")
    smua = getattr(smu, "smua", None)
    run.param(smua, "mode", "voltage")
    run.param(smua, "mode")
    run.param(smua, "sourcerange_v", 2)
    run.param(smua, "sourcerange_v")
    run.param(smua, "limiti", 1e-6)
    run.param(smua, "limiti")
    run.param(smua, "measurerange_i", 1e-6)
    run.param(smua, "measurerange_i")
    run.param(smua, "measure_autorange_i_enabled")
    run.param(smua, "nplc", 0.1)
    run.param(smua, "nplc")
    run.param(smua, "linefreq")
    run.param(smua, "four_wire_measurement", False)
    run.param(smua, "output", "on")
    run.param(smua, "volt", 0.05)
    run.param(smua, "volt")
    run.param(smua, "curr")
    run.param(smua, "res")
    run.call("setup_fastsweep(LinSweep(smua.volt, 0, 0.1, 5, 0.001))",
             lambda: smua.setup_fastsweep(LinSweep(smua.volt, 0, 0.1, 5, 0.001)))
    run.param(smua, "fastsweep", slow=True)
    run.param(smua, "timetrace_npts", 5)
    run.param(smua, "timetrace_dt", 0.01)
    run.param(smua, "timetrace_mode", "current")
    run.param(smua, "timetrace", slow=True)
    run.param(smua, "output", "off")
    run.method(smua, "reset")
    smub = getattr(smu, "smub", None)
    run.param(smub, "output")
    run.param(smub, "limiti")
    run.method(smu, "display_clear")
    run.method(smu, "display_normal")
    _close(run, smu)


def _generator(run, ch, gen) -> None:
    """Pulse and burst settings of one channel, the features both generators share."""
    run.param(ch, "function_type", "PULS")
    run.param(ch, "function_type")
    run.param(ch, "frequency", 1e3)
    run.param(ch, "frequency")
    run.param(ch, "pulse_width", 100e-6)
    run.param(ch, "pulse_width")
    run.param(ch, "amplitude_unit", "VPP")
    run.param(ch, "amplitude", 0.5)
    run.param(ch, "amplitude")
    run.param(ch, "offset", 0.25)
    run.param(ch, "offset")
    run.param(ch, "output_polarity", "NORM")
    run.param(ch, "trigger_source", "BUS")
    run.param(ch, "trigger_source")
    run.param(ch, "trigger_slope", "POS")
    run.param(ch, "burst_mode", "N Cycle")
    run.param(ch, "burst_ncycles", 3)
    run.param(ch, "burst_ncycles")
    run.param(ch, "burst_phase", 0)
    run.param(ch, "burst_int_period", 0.01)
    run.param(ch, "burst_state", "ON")
    run.param(ch, "burst_state")
    run.param(ch, "output", "ON")
    run.param(ch, "output")
    run.param(gen, "force_trigger")
    run.param(ch, "output", "OFF")
    run.param(ch, "burst_state", "OFF")


def keysight33522b(run) -> None:
    gen = _connect(run, Keysight33522B)
    run.param(gen, "IDN")
    run.method(gen, "write", "*RST")
    ch1 = getattr(gen, "ch1", None)
    _generator(run, ch1, gen)
    run.param(ch1, "frequency_mode", "CW")
    run.param(ch1, "phase", 90)
    run.param(ch1, "trigger_delay", 1e-6)
    run.param(ch1, "trigger_count", 1)
    ch2 = getattr(gen, "ch2", None)
    run.param(ch2, "function_type", "PULS")
    run.param(ch2, "pulse_width", 1e-5)
    run.param(ch2, "output")
    run.param(gen, "sync.output", "OFF")
    run.param(gen, "sync.source", 1)
    run.param(gen, "sync_channel_phases")
    run.method(gen, "error")
    _close(run, gen)


def agilent33220a(run) -> None:
    gen = _connect(run, Keysight33220A)
    run.param(gen, "IDN")
    run.method(gen, "write", "*RST")
    ch1 = getattr(gen, "ch1", None)
    _generator(run, ch1, gen)
    run.param(gen, "sync.output", "OFF")
    run.method(gen, "error")
    _close(run, gen)
