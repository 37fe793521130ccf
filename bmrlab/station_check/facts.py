"""What the station check asks each instrument: identity, firmware, options, line frequency,
buffer capacity, source delay and autozero (SMU), load and trigger source (generator).

The drivers answer this themselves (``Smu.instrument_facts()``,
``PulseGenerator.instrument_facts()``, same keys); for a driver that does not yet, the
queries below ask the instrument with commands its manual documents (2450 Reference Manual section 6:
``:SYST:LFR?``, ``:TRAC:POIN?``, ``:SOUR:VOLT:DEL[:AUTO]?``, ``:SENS:CURR:AZER?``; 2400
User's Manual section 18: ``:SYST:LFR?``, ``:TRAC:POIN?``, ``:SOUR:DEL[:AUTO]?``,
``:SYST:AZER?``; 2600B Reference Manual section 9: ``localnode.linefreq``,
``bufferVar.capacity``, ``smuX.source.delay``, ``smuX.measure.autozero``; 33500B and 33220A
user's guides: ``OUTP:LOAD?``, ``TRIG:SOUR?``).
"""

SCPI_SMU_QUERIES = {  # model: (buffer capacity, auto delay, delay, autozero)
    "keithley2450": (':TRAC:POIN? "defbuffer1"', ":SOUR:VOLT:DEL:AUTO?", ":SOUR:VOLT:DEL?",
                     ":SENS:CURR:AZER?"),
    "keithley2400": (":TRAC:POIN?", ":SOUR:DEL:AUTO?", ":SOUR:DEL?", ":SYST:AZER?"),
}


def _identity(identity: str) -> dict:
    """``*IDN?``: manufacturer, model, serial number, firmware revision."""
    parts = [p.strip() for p in identity.split(",")]
    parts += [""] * (4 - len(parts))
    return {"identity": identity.strip(), "model": parts[1], "serial": parts[2],
            "firmware": parts[3], "options": ""}


def smu_facts(smu, model: str) -> dict:
    if hasattr(smu, "instrument_facts"):
        return smu.instrument_facts()
    d = smu.driver
    facts = _identity(smu.identify())
    if model in SCPI_SMU_QUERIES:
        capacity, auto_delay, delay, autozero = SCPI_SMU_QUERIES[model]
        facts["line_frequency_Hz"] = float(d.ask(":SYST:LFR?"))
        facts["buffer_capacity"] = int(float(d.ask(capacity)))
        facts["source_delay_s"] = ("auto" if int(float(d.ask(auto_delay)))
                                   else float(d.ask(delay)))
        facts["autozero"] = bool(int(float(d.ask(autozero))))
    else:  # the 2636B, in TSP
        facts["line_frequency_Hz"] = float(d.ask("print(localnode.linefreq)"))
        facts["buffer_capacity"] = int(float(d.ask("print(smua.nvbuffer1.capacity)")))
        delay = float(d.ask("print(smua.source.delay)"))
        facts["source_delay_s"] = "auto" if delay == -1 else delay  # smuX.DELAY_AUTO = -1
        facts["autozero"] = int(float(d.ask("print(smua.measure.autozero)"))) != 0
    return facts


def generator_facts(generator) -> dict:
    if hasattr(generator, "instrument_facts"):
        return generator.instrument_facts()
    d = generator.driver
    facts = _identity(generator.identify())
    facts["load"] = d.ask("OUTP:LOAD?").strip()
    facts["trigger_source"] = d.ask("TRIG:SOUR?").strip()
    return facts
