"""The station check's sequence: what is asked and measured, and against what.

Order (docs/station-check.md): each instrument's identity, firmware, options and error queue
(a switch matrix: its connect rule, break before make, too);
the SMU configured as bmrlab configures it, then its line frequency, buffer capacity, source
delay and autozero; with the probes up, the offset and noise of the current at 0 V on each
range the protocols use; on a reference resistor the user names, its resistance; the
generator's load setting, and its level measured through the reference resistor; the error
queues again. Every level goes through the station's guard (the SMU and generator interfaces
do that); the sources end at 0 V and off, also after an error or Ctrl+C.
"""

import numpy as np

from .. import standard
from ..errors import Stopped
from ..instruments import registry
from ..switch import MatrixSwitch
from ..units import format_quantity
from .report import Report, Row, now
from .specs import GENERATOR_READ_MARGIN, MARGIN, REFERENCE_TOLERANCE

READINGS = 30  # per range and level
NPLC = 1.0  # the datasheets specify accuracy at 1 PLC
SETTLE_S = 1.0  # after a range change: the pA ranges (analog filter) settle in hundreds of ms
PULSE_READINGS = 20  # the generator's pulse lasts this many readings
OVERFLOW = 1e37  # a Keithley reading beyond its fixed range is 9.9e37


def _mean(values: np.ndarray) -> float:
    """Mean of the readings; NaN or an overflow reading makes it infinite."""
    if not np.all(np.isfinite(values)) or np.any(np.abs(values) > OVERFLOW):
        return float("inf")
    return float(np.mean(values))


def q(value: float, unit: str, digits: int = 4) -> str:
    """A quantity with an SI prefix, down to fA (an open circuit reads fA on the 2636B)."""
    if 0 < abs(value) < 1e-12:
        return f"{value * 1e15:.{digits}g} f{unit}"
    return format_quantity(value, unit, digits)


def _shown(value: float, unit: str) -> str:
    return "overflow" if not np.isfinite(value) else q(value, unit, 3)


class StationCheck:
    """One check of a connected station; :meth:`run` fills ``report``."""

    def __init__(self, station, reference_ohm: float | None = None):
        self.station = station
        self.reference_ohm = reference_ohm
        self.smu_model = station.config.instruments["smu"].model
        self.spec = station.smu_class.DATASHEET
        self.report = Report(station={}, reference_ohm=reference_ohm, started=now())
        self.reference = None  # once it passed: (readback V, current step, range, volts)

    def _model_class(self, role: str):
        """The class that carries the facts of ``role``'s model (its datasheet, its name)."""
        if role == "switch":
            return registry.SWITCHES[self.station.config.instruments[role].model].driver
        return self.station.smu_class if role == "smu" else self.station.generator_class

    def row(self, instrument, check, measured, allowed, result, source="", **values) -> None:
        self.report.rows.append(Row(instrument, check, measured, allowed, result, values, source))

    def run(self) -> Report:
        """Every check, then the sources to 0 V and off whatever happened."""
        try:
            self._identify()
            self._smu_state()
            self._open_circuit()
            self._reference_resistor()
            self._generator()
            self._error_queues("after the check")
        except (Stopped, KeyboardInterrupt):
            self.row("station", "check", "stopped on request", "run to the end", "fail")
        except Exception as error:  # an instrument fault ends the check; it is a failure
            self.row(
                "station", "check", f"{type(error).__name__}: {error}", "run to the end", "fail"
            )
        finally:
            self.finish()
        return self.report

    def finish(self) -> Report:
        """Every source to 0 V and off; the station snapshot into the report."""
        try:
            self.station.safe_off()
        except Exception as error:
            self.row("station", "sources off at 0 V", f"failed: {error}", "0 V, off", "fail")
        self.report.station = self.station.snapshot()
        self.report.ended = now()
        return self.report

    # --- identity and state ---------------------------------------------------------------
    def _instruments(self):
        yield "smu", self.station.smu
        if self.station.generator is not None:
            yield "pulse_generator", self.station.generator
        if isinstance(self.station.switch, MatrixSwitch):
            yield "switch", self.station.switch

    def _facts(self, role: str, instrument) -> dict | None:
        """What ``instrument`` reports about itself (``instrument_facts()`` of the SMU and
        generator interfaces: identity, model, serial, firmware, options; SMU: line frequency,
        buffer capacity, source delay, autozero; generator: load, trigger source); None (and
        a failed row) if a query is not answered, so that the other checks still run."""
        try:
            facts = instrument.instrument_facts()
        except Exception as error:
            self.row(
                role,
                "instrument facts",
                f"{type(error).__name__}: {error}",
                "every query answered",
                "fail",
            )
            return None
        self.report.facts[role] = facts
        return facts

    def _identify(self) -> None:
        for role, instrument in self._instruments():
            facts = self._facts(role, instrument)
            if facts is None:
                continue
            model = self.station.config.instruments[role].model
            names = self._model_class(role).IDN_MODELS
            found = facts["model"]
            self.row(
                role,
                "identity",
                facts["identity"],
                f"a {' / '.join(names)} (instruments.{role}.model: {model})",
                "pass" if any(n.upper() in found.upper() for n in names) else "fail",
                source="*IDN?",
            )
            self.row(role, "firmware", facts["firmware"] or "-", "-", "info")
            self.row(role, "options", str(facts["options"] or "none"), "-", "info")
            if role == "switch":
                rule = facts["connect_rule"]
                good = rule == "break-before-make"
                self.row(
                    role, "connect rule", rule, "break-before-make", "pass" if good else "fail"
                )
        self._error_queues("before the check")

    def _error_queues(self, when: str) -> None:
        for role, instrument in self._instruments():
            errors = instrument.driver.check_errors()
            shown = "; ".join(f"{int(float(code))} {message}" for code, message in errors)
            self.row(
                role,
                f"error queue {when}",
                shown or "empty",
                "empty",
                "fail" if errors else "pass",
                errors=[list(e) for e in errors],
            )

    def _configure(self, max_abs_v: float, current_range: float, compliance: float) -> None:
        """Configure as a protocol does: from 0 V and off, since the source range is only
        changed with the output off (a range change under power glitches into the part)."""
        smu = self.station.smu
        smu.safe_off()
        smu.configure(
            max_abs_v=max_abs_v, compliance=compliance, nplc=NPLC, current_range=current_range
        )
        self.station.wait(SETTLE_S)

    def _compliance(self, amps: float = 0.0) -> float:
        """The protocols' standard current limit, or twice ``amps`` if larger; within the
        station's max_compliance."""
        return min(self.station.config.limits.max_compliance, max(standard.COMPLIANCE_A, 2 * amps))

    def _smu_state(self) -> None:
        """The state bmrlab leaves the SMU in once configured (as a protocol configures it)."""
        smu = self.station.smu
        self._configure(0.0, self.spec.protocol_ranges[0], self._compliance())
        facts = self._facts("smu", smu)
        if facts is None:
            return
        hz = facts["line_frequency_Hz"]
        self.row(
            "smu",
            "line frequency",
            f"{hz:g} Hz",
            "50 or 60 Hz",
            "pass" if hz in (50, 60) else "fail",
            line_frequency_Hz=hz,
        )
        capacity, wanted = facts["buffer_capacity"], type(smu).max_buffer_points
        self.row(
            "smu",
            "buffer capacity",
            f"{capacity} readings",
            f">= {wanted} (the buffer bmrlab's sweeps are sized for)",
            "pass" if capacity >= wanted else "fail",
            buffer_capacity=capacity,
        )
        delay = facts["source_delay_s"]
        fixed = isinstance(delay, (int, float))
        self.row(
            "smu",
            "source delay",
            q(delay, "s") if fixed else str(delay),
            "fixed (auto delay off): step times as requested",
            "pass" if fixed else "fail",
            source_delay_s=delay,
        )
        self.row("smu", "autozero", str(facts["autozero"]), "-", "info", autozero=facts["autozero"])

    # --- measurements ---------------------------------------------------------------------
    def _trace(self, bias: float, points: int, after_start=None) -> tuple:
        """``points`` readings at ``bias``, one every reading time: (currents, readbacks)."""
        smu, chunks = self.station.smu, []
        smu.time_trace(bias, smu.step_time(), points, chunks.append, self.station.wait, after_start)
        return (np.concatenate([c.i for c in chunks]), np.concatenate([c.v for c in chunks]))

    def _open_circuit(self) -> None:
        """Probes up, 0 V: the mean is the offset, the spread the noise, on each range."""
        for current_range in self.spec.protocol_ranges:
            self._configure(0.0, current_range, self._compliance())
            currents, _ = self._trace(0.0, READINGS)
            offset = _mean(currents)
            noise = float(np.std(currents, ddof=1)) if np.isfinite(offset) else float("inf")
            spec = self.spec.current_accuracy(current_range, 0.0)
            name = q(current_range, "A", 3)
            self.row(
                "smu",
                f"offset at 0 V, {name} range",
                _shown(offset, "A"),
                f"|I| <= {q(spec * (1 + MARGIN), 'A', 3)}",
                "pass" if abs(offset) <= spec * (1 + MARGIN) else "fail",
                source=f"{self.spec.datasheet}: offset term {q(spec, 'A', 3)} + {MARGIN:.0%}",
                range_A=current_range,
                offset_A=offset,
            )
            allowed = spec * (1 + MARGIN) / 3
            self.row(
                "smu",
                f"noise at 0 V, {name} range",
                _shown(noise, "A") + " rms",
                f"<= {q(allowed, 'A', 3)} rms",
                "pass" if noise <= allowed else "fail",
                source=f"{self.spec.datasheet}: 3 sigma within the offset term + {MARGIN:.0%}",
                range_A=current_range,
                noise_A=noise,
                readings=int(currents.size),
            )

    def _reference_plan(self) -> tuple[float, float]:
        """The voltage and current range for the reference: as much signal as the station's
        limits and the specified ranges allow."""
        ohms = self.reference_ohm
        limits = self.station.config.limits
        top = max(self.spec.current)
        volts = min(
            limits.max_voltage,
            max(self.spec.voltage),
            0.9 * top * ohms,
            0.5 * limits.max_compliance * ohms,
        )
        current_range = min(r for r in self.spec.current if r >= 1.05 * volts / ohms)
        return volts, current_range

    def _reference_resistor(self) -> None:
        if self.reference_ohm is None:
            self.row(
                "smu", "reference resistor", "-", "-", "not checked", source="no --reference given"
            )
            return
        ohms = self.reference_ohm
        volts, current_range = self._reference_plan()
        source_range = self.station.guard.source_range(volts, self.station.smu.voltage_ranges)
        relative = (
            self.spec.current_accuracy(current_range, volts / ohms) * ohms / volts
            + self.spec.voltage_accuracy(source_range, volts) / volts
            + REFERENCE_TOLERANCE
        )
        if relative >= 1:
            self.row(
                "smu",
                f"reference {q(ohms, 'Ohm', 3)}",
                "-",
                f"+/- {relative:.0%}",
                "not checked",
                source=f"at {q(volts, 'V', 3)} (the station's limits) the instrument's "
                f"accuracy on the {q(current_range, 'A', 3)} range cannot tell "
                f"{q(ohms, 'Ohm', 3)} from twice as much: use a smaller reference",
            )
            return
        self._configure(volts, current_range, self._compliance(volts / ohms))
        zero, _ = self._trace(0.0, READINGS)
        at_v, readback = self._trace(volts, READINGS)
        self.station.smu.set_bias(0.0)
        step = _mean(at_v) - _mean(zero)
        v_mean = float(np.mean(readback))
        measured = v_mean / step if np.isfinite(step) and step != 0 else float("inf")
        error = abs(measured / ohms - 1) if np.isfinite(measured) else float("inf")
        passed = error <= relative
        self.row(
            "smu",
            f"reference {q(ohms, 'Ohm', 3)} at {q(volts, 'V', 3)}",
            _shown(measured, "Ohm") if measured > 0 else f"{measured:.3g} Ohm",
            f"{q(ohms, 'Ohm', 3)} +/- {relative:.2%}",
            "pass" if passed else "fail",
            source=f"{self.spec.datasheet}: current on the {q(current_range, 'A', 3)} "
            f"range, voltage on the {q(source_range, 'V', 3)} range, "
            f"+ {REFERENCE_TOLERANCE:.0%} resistor tolerance",
            volts=volts,
            current_range_A=current_range,
            resistance_ohm=measured,
            error=error,
            allowed_error=relative,
        )
        if passed:
            self.reference = (v_mean, step, current_range, volts)

    def _generator(self) -> None:
        generator = self.station.generator
        if generator is None:
            return
        facts = self.report.facts.get("pulse_generator")
        wanted = self.station.config.instruments["pulse_generator"].load
        if facts is None:
            self.row(
                "pulse_generator",
                "load setting",
                "-",
                wanted,
                "not checked",
                source="the generator did not report its facts",
            )
        else:
            load = _load_setting(facts["load"])
            self.row(
                "pulse_generator",
                "load setting",
                f"{facts['load']} ({load})",
                f"{wanted} (instruments.pulse_generator.load)",
                "pass" if load == wanted else "fail",
                source="OUTP:LOAD?",
            )
        if self.reference is None:
            why = (
                "no --reference given: a current-measuring SMU sees the generator's level "
                "only as a current through a known resistor"
                if self.reference_ohm is None
                else "the reference resistor failed its check: no known resistance to measure "
                "the level through"
            )
            self.row(
                "pulse_generator",
                "level into a high impedance",
                "-",
                "-",
                "not checked",
                source=why,
            )
            return
        self._generator_level(generator)

    def _generator_level(self, generator) -> None:
        """A pulse through the reference resistor, sampled by an SMU trace at 0 V: its level
        is the current step over the step the SMU's own known voltage made."""
        v_smu, step, current_range, volts = self.reference
        smu = self.station.smu
        self._configure(volts, current_range, self._compliance(step))
        width = PULSE_READINGS * smu.step_time()
        currents, _ = self._trace(
            0.0, 3 * PULSE_READINGS, after_start=lambda: generator.single(volts, width)
        )
        if not np.all(np.isfinite(currents)) or np.any(np.abs(currents) > OVERFLOW):
            level = float("inf")
        else:
            baseline = np.median(currents[currents - np.min(currents) < step / 2])
            inside = np.flatnonzero(currents - baseline > step / 2)[1:-1]  # edges dropped
            level = (
                float(np.median(currents[inside]) - baseline) / step * v_smu
                if inside.size >= 3
                else 0.0
            )
        datasheet = self.station.generator_class.DATASHEET.datasheet
        gain, offset = self.station.generator_class.DATASHEET.amplitude
        allowed = gain * volts + offset + GENERATOR_READ_MARGIN * volts
        self.row(
            "pulse_generator",
            f"level into a high impedance ({q(volts, 'V', 3)} pulse)",
            _shown(level, "V"),
            f"{q(volts, 'V', 3)} +/- {q(allowed, 'V', 3)}",
            "pass" if abs(level - volts) <= allowed else "fail",
            source=f"{datasheet} ({gain:.0%} + {q(offset, 'V')}) "
            f"+ {GENERATOR_READ_MARGIN:.0%} for the SMU's reading of it through "
            f"the reference resistor",
            level_V=level,
            programmed_V=volts,
            width_s=width,
        )


def _load_setting(reply: str) -> str:
    """``OUTP:LOAD?``: 9.9E+37 is INF (33500B and 33220A user's guides), else ohms."""
    try:
        ohms = float(reply)
    except ValueError:
        return reply.strip().upper()[:3]
    return "INF" if ohms >= 9e37 else f"{ohms:g}"
