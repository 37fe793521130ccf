"""The shared SCPI engine: IEEE 488.2 / SCPI-99 parsing rules, common commands, status model.

A bare instrument with a few commands stands in for the simulated models, so each rule is
tested on its own (IEEE 488.2-1992 sections 7, 10, 11; SCPI-99 sections 4, 6.2)."""

import pytest

from bmrlab.sim.scpi import (
    ESR_CME,
    ESR_DDE,
    ESR_EXE,
    ESR_OPC,
    ESR_PON,
    ESR_QYE,
    STB_EAV,
    STB_ESB,
    STB_MAV,
    STB_MSS,
    ScpiInstrument,
    parse_number,
)


class Probe(ScpiInstrument):
    """Two subsystems with a few leaves; a handler that crashes; a pending operation."""

    def __init__(self):
        super().__init__()
        self.values = {}
        self.running = False
        self.triggers = 0
        for pattern in (
            ":SOURce:VOLTage:LEVel",
            ":SOURce:VOLTage:RANGe",
            ":SOURce:CURRent",
            "[:SENSe]:CURRent:NPLCycles",
            "[:SENSe]:CURRent:RANGe",
            ":BURSt:MODE",
            ":BURSt:NCYCles",
        ):
            self.register(pattern, self._store(pattern))
        self.register(":MEASure?", lambda a, q, m: "1.5")
        self.register(":CRASh", lambda a, q, m: 1 / 0)

    def _store(self, pattern):
        def handler(args, query, match):
            if query:
                return self.values.get(pattern, "0")
            self.values[pattern] = args[0]
            parse_number(args[0])

        return handler

    def busy(self):
        return self.running

    def trigger(self):
        self.triggers += 1


@pytest.fixture
def probe():
    instrument = Probe()
    instrument.handle("*CLS")
    return instrument


def errors(instrument):
    out = []
    while (reply := instrument.handle(":SYST:ERR?")) != '0,"No error"':
        out.append(int(reply.split(",")[0]))
    return out


def test_a_header_after_a_semicolon_continues_the_previous_path(probe):
    probe.handle(":SOUR:VOLT:LEV 1;RANG 2")  # :SOUR:VOLT:RANG
    assert probe.values[":SOURce:VOLTage:RANGe"] == "2"
    probe.handle(":BURS:MODE 2;NCYC 5")  # :BURS:NCYC
    assert probe.values[":BURSt:NCYCles"] == "5"
    assert errors(probe) == []


def test_a_relative_header_does_not_fall_back_to_the_root(probe):
    """``BURS:MODE TRIG;BURS:NCYC 1`` is BURS:BURS:NCYC (IEEE 488.2 7.6.1, SCPI-99 6.2.4)."""
    probe.handle("BURS:MODE 2;BURS:NCYC 1")
    assert errors(probe) == [-113]
    assert ":BURSt:NCYCles" not in probe.values


def test_a_leading_colon_starts_again_from_the_root(probe):
    probe.handle(":SOUR:VOLT:LEV 1;:SENS:CURR:NPLC 2;RANG 1e-6")
    assert probe.values["[:SENSe]:CURRent:NPLCycles"] == "2"
    assert probe.values["[:SENSe]:CURRent:RANGe"] == "1e-6"
    assert errors(probe) == []


def test_each_message_starts_from_the_root(probe):
    probe.handle(":SOUR:VOLT:LEV 1")
    probe.handle("RANG 3")  # not :SOUR:VOLT:RANG: a new message starts at the root
    assert errors(probe) == [-113]


def test_common_commands_stand_anywhere_and_keep_the_path(probe):
    reply = probe.handle(":SOUR:VOLT:LEV 1;*IDN?;RANG 4")
    assert reply == probe.idn
    assert probe.values[":SOURce:VOLTage:RANGe"] == "4"


def test_a_command_error_drops_the_rest_of_the_message(probe):
    probe.handle(":SOUR:VOLT:LEV 1;FOO 2;:SOUR:CURR 3")
    assert errors(probe) == [-113]
    assert ":SOURce:CURRent" not in probe.values


def test_an_execution_error_does_not_drop_the_rest(probe):
    probe.handle(":SOUR:VOLT:LEV abc;:SOUR:CURR 3")  # -104 is a command error: dropped
    assert errors(probe) == [-104]
    assert ":SOURce:CURRent" not in probe.values


def test_an_unknown_query_gives_minus_113_and_no_reply(probe):
    assert probe.handle(":SOUR:FOO?") is None
    assert probe.handle(":MEAS?;:NOPE?") == "1.5"  # replies made before it stay
    assert errors(probe) == [-113, -113]


def test_a_query_only_header_without_a_question_mark_is_undefined(probe):
    probe.handle("*IDN")
    probe.handle(":MEAS")
    assert errors(probe) == [-113, -113]


def test_malformed_headers_are_syntax_errors(probe):
    probe.handle(":SOUR::VOLT 1")
    probe.handle(":SOUR:VOLT:LEV# 1")
    assert errors(probe) == [-102, -102]


def test_a_colon_before_a_common_command_is_an_undefined_header(probe):
    """``:*CLS`` (pymeasure's Keithley2450.reset ends with it) is no common command."""
    probe.handle("*RST;:*CLS")
    assert errors(probe) == [-113]


def test_a_missing_parameter_is_minus_109(probe):
    probe.handle(":SOUR:CURR")
    assert errors(probe) == [-109]


def test_a_crash_inside_a_handler_becomes_an_error_entry(probe):
    assert probe.handle(":CRAS;:SOUR:CURR 2") is None
    assert errors(probe) == [-300]
    assert probe.values[":SOURce:CURRent"] == "2"  # a device error does not drop the rest
    assert probe.handle("*IDN?") == probe.idn  # and the instrument lives on


def test_numbers_take_min_max_def_and_refuse_text(probe):
    assert parse_number("MIN", 1, 5) == 1 and parse_number("max", 1, 5) == 5
    probe.handle(":SOUR:VOLT:LEV nan")
    assert errors(probe) == [-104]


def test_power_on_sets_pon_and_esr_reading_clears_it():
    instrument = Probe()
    assert int(instrument.handle("*ESR?")) == ESR_PON
    assert instrument.handle("*ESR?") == "0"


@pytest.mark.parametrize("message, bit", [(":FOO", ESR_CME), (":CRAS", ESR_DDE)])
def test_errors_set_their_class_bit_in_the_event_status_register(probe, message, bit):
    probe.handle(message)
    assert int(probe.handle("*ESR?")) == bit


def test_execution_and_query_errors_set_their_bits(probe):
    probe.push_error(-222, "Data out of range")
    probe.push_error(-420, "Query UNTERMINATED")
    assert int(probe.handle("*ESR?")) == ESR_EXE | ESR_QYE


def test_status_byte_has_eav_esb_and_mss_from_the_enable_registers(probe):
    assert probe.handle("*STB?") == "0"
    probe.handle("*ESE 32;*SRE 36")  # CME enabled; SRE: EAV and ESB
    probe.handle(":FOO")
    stb = int(probe.handle("*STB?"))
    assert stb & STB_EAV and stb & STB_ESB and stb & STB_MSS
    assert probe.handle("*ESE?;*SRE?") == "32;36"


def test_mav_is_set_while_a_reply_waits_in_the_message(probe):
    _, stb = probe.handle("*IDN?;*STB?").rsplit(";", 1)
    assert int(stb) & STB_MAV


def test_cls_clears_the_events_and_the_error_queue_but_not_the_enables(probe):
    probe.handle("*ESE 4;:FOO")
    probe.handle("*CLS")
    assert probe.handle("*ESR?") == "0" and errors(probe) == []
    assert probe.handle("*ESE?") == "4"


def test_opc_sets_its_bit_when_the_pending_operation_ends(probe):
    probe.running = True
    probe.handle("*OPC")
    assert int(probe.handle("*ESR?")) & ESR_OPC == 0
    probe.running = False
    assert int(probe.handle("*ESR?")) & ESR_OPC
    assert probe.handle("*OPC?") == "1"


def test_the_remaining_common_commands(probe):
    assert probe.handle("*TST?") == "0"
    probe.handle("*TRG;*WAI")
    assert probe.triggers == 1
    assert probe.handle(":SYST:VERS?") == "1999.0"
    assert errors(probe) == []


def test_scpi_status_registers_latch_and_enable(probe):
    probe.operation.set(2)
    probe.handle(":STAT:OPER:ENAB 2")
    assert probe.handle(":STAT:OPER:COND?") == "2"
    assert int(probe.handle("*STB?")) & 128  # OSB
    assert probe.handle(":STAT:OPER?") == "2"
    assert probe.handle(":STAT:OPER?") == "0"  # reading clears the event register
    probe.handle(":STAT:PRES")
    assert probe.handle(":STAT:OPER:ENAB?") == "0"


def test_a_full_error_queue_ends_in_queue_overflow(probe):
    for _ in range(150):
        probe.handle(":FOO")
    codes = errors(probe)
    assert len(codes) == 100 and codes[-1] == -350


def test_several_program_messages_on_lines_each_start_at_the_root(probe):
    probe.handle(":SOUR:VOLT:LEV 1\nRANG 2")
    assert errors(probe) == [-113]
