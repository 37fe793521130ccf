"""What bmrlab's SCPI source-meter drivers (2450, 2400) share: level writes, list upload,
error check, and the configuration sequence of the SMU interface."""

from ..errors import InstrumentError
from .smu import Smu

LIST_CHUNK = 100  # values per :SOUR:LIST command on both the 2450 and the 2400
OFF_MODES = {"normal": "NORM", "zero": "ZERO", "high-impedance": "HIMP", "guard": "GUAR"}


class ScpiSourceMeter:
    """Mixin for pymeasure drivers of SCPI source meters sourcing voltage."""

    model_name = "source meter"

    def set_level(self, volts: float) -> None:
        self.write(f":SOUR:VOLT {volts:g}")

    def upload_list(self, levels) -> None:
        """Replace the source list by ``levels``, sent in groups of 100."""
        for k in range(0, len(levels), LIST_CHUNK):
            command = ":SOUR:LIST:VOLT" if k == 0 else ":SOUR:LIST:VOLT:APP"
            self.write(f"{command} " + ",".join(f"{v:.6g}" for v in levels[k:k + LIST_CHUNK]))

    def raise_errors(self) -> None:
        """Raise with the instrument's own messages if its error queue is not empty."""
        errors = self.check_errors()
        if errors:
            raise InstrumentError(f"{self.model_name} reported: " + "; ".join(
                f"{code} {message}" for code, message in errors))


class ScpiSmu(Smu):
    """The SMU interface over a :class:`ScpiSourceMeter` driver."""

    reading_overhead_s: float  # per reading, besides the aperture

    def configure(self, *, max_abs_v: float, compliance: float, nplc: float) -> None:
        source_range = self.guard.source_range(max_abs_v, self.voltage_ranges)
        d = self.driver
        d.configure_voltage_source(source_range, self.guard.compliance(compliance),
                                   OFF_MODES[self.off_mode])
        d.configure_current_measurement(nplc)
        d.set_level(self.guard.level(0.0))
        line_frequency = float(d.ask(":SYST:LFR?"))
        d.raise_errors()
        d.write(":OUTP ON")
        self.settings = {"source_range_V": source_range, "compliance_A": compliance,
                         "nplc": nplc, "line_frequency_Hz": line_frequency,
                         "off_mode": self.off_mode,
                         "current_resolution_A": self.current_resolution}

    @classmethod
    def shortest_step(cls, nplc: float) -> float:
        return nplc / 50.0 + cls.reading_overhead_s

    def step_time(self, delay: float) -> float:
        aperture = self.settings["nplc"] / self.settings["line_frequency_Hz"]
        return delay + aperture + self.reading_overhead_s

    def _abort(self) -> None:
        self.driver.write(":ABOR")

    def safe_off(self) -> None:
        self.driver.output_off_safely(self.guard.level(0.0))

    def identify(self) -> str:
        return self.driver.id
