"""`bmrlab sim serve` never hangs a client: a busy instrument holds up only its own clients,
a client that leaves mid-read or sends a message with no reply leaves the others served, and
a message is complete at its terminator."""

import socket
import threading

import pytest


@pytest.fixture
def connect(served):
    opened = []

    def connect(role: str) -> socket.socket:
        port = int(served.resource(role).split("::")[2])
        sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        opened.append(sock)
        return sock

    yield connect
    for sock in opened:
        sock.close()


def ask(sock: socket.socket, message: str) -> str:
    sock.sendall(message.encode() + b"\n")
    reply = b""
    while not reply.endswith(b"\n"):
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed by the server")
        reply += chunk
    return reply.decode().strip()


def test_a_busy_instrument_holds_up_only_its_own_clients(connect):
    sweeper = connect("smu2400")
    sweeper.sendall(
        b"*RST\n:SOUR:FUNC VOLT;:SOUR:VOLT:MODE LIST;:SOUR:LIST:VOLT 0,0,0,0\n"
        b":SOUR:DEL 0.5\n:TRIG:COUN 4\n:OUTP ON\n"
    )
    done = threading.Event()

    def sweep():
        ask(sweeper, ":READ?")  # four points, each after a 0.5 s source delay
        done.set()

    worker = threading.Thread(target=sweep)
    worker.start()
    generator, answered_meanwhile = connect("pulse_generator"), 0
    try:
        while not done.is_set():
            ask(generator, "*IDN?")
            answered_meanwhile += not done.is_set()
    finally:
        worker.join(30)
    # a served bench that held every instrument during the sweep answered once at most,
    # before the :READ? arrived
    assert answered_meanwhile >= 5


def test_a_client_leaving_mid_read_leaves_the_instrument_served(connect):
    leaving = connect("smu")
    leaving.sendall(b"*IDN?\n:READ?\n")
    leaving.close()
    assert ask(connect("smu"), "*IDN?").startswith("KEITHLEY INSTRUMENTS,MODEL 2450")


def test_a_message_without_reply_does_not_shift_the_next_answer(connect):
    smu = connect("smu")
    smu.sendall(b":SOUR:VOLT 0\n")  # a command: nothing to read
    assert ask(smu, "*IDN?").startswith("KEITHLEY INSTRUMENTS,MODEL 2450")


def test_a_message_is_complete_at_its_terminator(connect):
    smu = connect("smu")
    smu.sendall(b"*ID")
    assert ask(smu, "N?").startswith("KEITHLEY INSTRUMENTS,MODEL 2450")


def test_several_clients_of_one_instrument_each_get_their_own_answers(connect):
    clients = [connect("pulse_generator") for _ in range(4)]
    replies = {}

    def use(k, sock):
        replies[k] = [ask(sock, "*IDN?") for _ in range(20)]

    workers = [threading.Thread(target=use, args=(k, s)) for k, s in enumerate(clients)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    assert sorted(replies) == [0, 1, 2, 3]
    assert all(r.startswith("Agilent Technologies,33522B") for rs in replies.values() for r in rs)
