"""What bmrlab's SCPI source-meter drivers (2450, 2400) share: level writes, list upload,
the error check, and the few commands both spell alike."""

from ..errors import InstrumentError

LIST_CHUNK = 100  # values per :SOUR:LIST command on both the 2450 and the 2400


def identity_facts(identity: str) -> dict:
    """The fields of an IEEE 488.2 ``*IDN?`` reply: maker, model, serial, firmware."""
    fields = [field.strip() for field in identity.split(",")] + ["", "", "", ""]
    return {"identity": identity.strip(), "model": fields[1], "serial": fields[2],
            "firmware": fields[3]}


def raise_instrument_errors(instrument) -> None:
    """Raise with the instrument's own messages if its error queue is not empty."""
    errors = instrument.check_errors()
    if errors:
        raise InstrumentError(f"{instrument.model_name} reported: " + "; ".join(
            f"{code} {message}" for code, message in errors))


class ScpiSourceMeter:
    """Mixin for pymeasure drivers of SCPI source meters sourcing voltage."""

    model_name = "source meter"
    OFF_MODES = {"normal": "NORM", "zero": "ZERO", "high-impedance": "HIMP", "guard": "GUAR"}
    raise_errors = raise_instrument_errors

    def set_level(self, volts: float) -> None:
        self.write(f":SOUR:VOLT {volts:g}")

    def upload_list(self, levels) -> None:
        """Replace the source list by ``levels``, sent in groups of 100."""
        for k in range(0, len(levels), LIST_CHUNK):
            command = ":SOUR:LIST:VOLT" if k == 0 else ":SOUR:LIST:VOLT:APP"
            self.write(f"{command} " + ",".join(f"{v:.6g}" for v in levels[k:k + LIST_CHUNK]))

    def line_frequency(self) -> float:
        return float(self.ask(":SYST:LFR?"))

    def output_on(self) -> None:
        self.write(":OUTP ON")

    def start(self) -> None:
        self.write(":INIT")
