"""Every independent client: name -> (simulated model it drives, scenario)."""

from . import pymeasure_clients, qcodes_clients, sequences

CLIENTS = {
    "pymeasure-2450": ("keithley2450", pymeasure_clients.keithley2450),
    "pymeasure-2400": ("keithley2400", pymeasure_clients.keithley2400),
    "pymeasure-2600": ("keithley2636b", pymeasure_clients.keithley2600),
    "pymeasure-33500": ("keysight33500b", pymeasure_clients.agilent33500),
    "pymeasure-33220a": ("agilent33220a", pymeasure_clients.agilent33220a),
    "qcodes-2450": ("keithley2450", qcodes_clients.keithley2450),
    "qcodes-2400": ("keithley2400", qcodes_clients.keithley2400),
    "qcodes-2636b": ("keithley2636b", qcodes_clients.keithley2636b),
    "qcodes-33522b": ("keysight33500b", qcodes_clients.keysight33522b),
    "qcodes-33220a": ("agilent33220a", qcodes_clients.agilent33220a),
    **{
        name: (spec["model"], sequences.scenario(name))
        for name, spec in sequences.SEQUENCES.items()
    },
}
