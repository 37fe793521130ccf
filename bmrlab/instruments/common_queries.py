"""What every bmrlab driver asks its instrument the same way: the ``*IDN?`` reply as facts,
and the error queue raised as an InstrumentError."""

from ..errors import InstrumentError


def identity_facts(identity: str) -> dict:
    """The fields of an IEEE 488.2 ``*IDN?`` reply: maker, model, serial, firmware."""
    fields = [field.strip() for field in identity.split(",")] + ["", "", "", ""]
    return {
        "identity": identity.strip(),
        "model": fields[1],
        "serial": fields[2],
        "firmware": fields[3],
    }


def raise_instrument_errors(instrument) -> None:
    """Raise with the instrument's own messages if its error queue is not empty (pymeasure's
    ``check_errors`` reads it in the model's language)."""
    errors = instrument.check_errors()
    if errors:
        raise InstrumentError(
            f"{instrument.model_name} reported: "
            + "; ".join(f"{code} {message}" for code, message in errors)
        )
