"""The MPI SENTIO prober: MPI's own client package and bmrlab's driver step the simulated
SENTIO prober over a simulated wafer; the simulator is strict; station files refuse a SENTIO
prober that cannot be reached."""

import subprocess
import sys

import pytest
import yaml

from bmrlab.config import StationConfig
from bmrlab.die_address import DieAddress
from bmrlab.errors import BadInput
from bmrlab.instruments.sentio import SentioError, SentioRemote, TcpLink, tcp_remote
from bmrlab.paths import CONFIG_DIR
from bmrlab.prober import RouteEnded, SentioProber
from bmrlab.sim.sentio import Session, SimSentioLink, serve
from bmrlab.station import Station
from bmrlab.validation import validate

# the simulator's stage (StageMotion defaults) on the demo wafer's 5 mm die pitch:
STEP_S = 5_000 / 50_000 + 50_000 / 1_000_000  # one die: 100 ms at 50 mm/s + 50 ms ramps
ROW_RETURN_S = 45_000 / 50_000 + 50_000 / 1_000_000  # 9 dies back (x) while 1 down (y)
Z_S = 300 / 5_000  # 300 µm separation gap at 5 mm/s
SETTLE_S = 0.05


@pytest.fixture
def station():
    with Station.load("sim-wafer") as station:
        yield station


@pytest.fixture
def served(station):
    server = serve(station.sentio_sim)
    host, port = server.server_address
    yield station, f"{host}:{port}"
    server.shutdown()
    server.server_close()


def test_mpi_package_steps_the_simulated_prober_over_a_10x10_map(served):
    pytest.importorskip("sentio_prober_control")
    from sentio_prober_control.Communication.CommunicatorTcpIp import CommunicatorTcpIp
    from sentio_prober_control.Sentio.Enumerations import (
        ChuckSite,
        DieNumber,
        Module,
        RoutingPriority,
        RoutingStartPoint,
        TestSelection,
        XyReference,
        ZReference,
    )
    from sentio_prober_control.Sentio.ProberBase import ProberException
    from sentio_prober_control.Sentio.ProberSentio import SentioProber as MpiProber

    station, address = served
    prober = MpiProber(CommunicatorTcpIp.create(address))  # sends *RCS 1, asks the version
    prober.select_module(Module.Wafermap)
    prober.map.create_rect(10, 10)
    prober.map.path.select_dies(TestSelection.All)
    prober.map.path.set_routing(RoutingStartPoint.UpperLeft, RoutingPriority.RowUniDir)
    assert prober.map.get_num_dies(DieNumber.Selected) == 100

    t0 = station.clock.now()
    visited = [prober.map.step_first_die()]
    while not prober.map.end_of_route():
        visited.append(prober.map.step_next_die())
    assert visited == [(c, r, 0) for r in range(10) for c in range(10)]
    # BackToContact from contact: each step lifts, moves, lands and settles
    moves = 90 * STEP_S + 9 * ROW_RETURN_S
    assert station.clock.now() - t0 == pytest.approx(100 * (2 * Z_S + SETTLE_S) + moves)
    with pytest.raises(ProberException) as refused:  # stepping past the end
        prober.map.step_next_die()
    assert refused.value.error() == 11 and prober.map.end_of_route()

    assert prober.map.die.get_current_index() == (99, 9, 9)
    assert prober.map.get_die_seq() == 99
    assert prober.map.die.get_current_subsite() == 0
    assert prober.chuck.get_xy(XyReference.Home) == (45_000.0, -45_000.0, XyReference.Home)
    assert prober.get_chuck_xy(ChuckSite.Wafer, XyReference.Home) == (45_000.0, -45_000.0)

    assert prober.get_chuck_z(ZReference.Contact) == 0.0
    t0 = station.clock.now()
    assert prober.move_chuck_contact() == 12_000.0  # already there: no move
    assert station.clock.now() == t0
    assert station.sim.devices["dut"].p == station.sentio_sim.wafer.params_of(DieAddress(9, 9))
    assert prober.move_chuck_separation() == 12_000.0 - 300
    assert prober.chuck.get_z(ZReference.Separation) == (0.0, ZReference.Separation)
    assert station.sim.devices["dut"].conductance() < 1e-15  # the probes are up: open
    t0 = station.clock.now()
    assert prober.chuck.move_z(ZReference.Contact, 0) == (0.0, ZReference.Contact)
    assert station.clock.now() - t0 == pytest.approx(Z_S + SETTLE_S)

    assert prober.map.step_die(3, 4) == (3, 4, 0)
    assert prober.map.get_die_seq() == 43


def test_bmrlab_driver_over_tcp_steps_the_route_and_makes_contact(served):
    station, address = served
    prober = SentioProber(tcp_remote(address, timeout_s=5))
    try:
        assert prober.next_device() == "c0r0"
        assert prober.next_device() == "c1r0"
        assert prober.identity().startswith("SENTIO Version: 26.2")
        assert prober.remote.die_index() == (1, 1, 0)
        assert prober.remote.position() == (5_000.0, 0.0)
        assert station.sentio_sim.at_contact
        prober.separate()
        assert not station.sentio_sim.at_contact
        assert prober.next_device("c9r9") == "c9r9"
        with pytest.raises(RouteEnded):
            prober.next_device()
    finally:
        prober.close()


def test_in_process_prober_puts_each_die_s_device_under_the_smu(station):
    prober, wafer = station.prober, station.sentio_sim.wafer
    assert station.sentio_sim.at_contact  # at start: on the home die's device
    assert station.sim.devices["dut"].p == wafer.params_of(DieAddress(0, 0))
    t0 = station.clock.now()
    assert prober.next_device() == "c0r0"  # the first die is the home die: up and down
    assert station.clock.now() - t0 == pytest.approx(2 * Z_S + SETTLE_S)
    t0 = station.clock.now()
    assert prober.next_device() == "c1r0"  # lift, one die over, down, settle
    assert station.clock.now() - t0 == pytest.approx(Z_S + STEP_S + Z_S + SETTLE_S)
    device = station.sim.devices["dut"]
    assert device.p == wafer.params_of(DieAddress(1, 0))
    assert prober.next_device("c3r4") == "c3r4" and prober.current == "c3r4"
    assert station.sim.devices["dut"].p == wafer.params_of(DieAddress(3, 4))
    assert station.sentio_sim.moves > 0
    with pytest.raises(BadInput, match="device A1: the SENTIO prober steps to dies named c"):
        prober.next_device("A1")
    with pytest.raises(SentioError, match="error 8"):  # outside the map
        prober.next_device("c10r0")


def test_the_simulator_is_strict_where_the_documentation_is_silent(station):
    sim = station.sentio_sim
    session = Session()
    assert sim.handle("map:get_num_cols", session).startswith("4,0,")  # before *RCS 1
    assert sim.handle("*RCS 1", session) is None  # a setting: no reply
    assert sim.handle("map:get_num_cols", session) == "0,0,10"
    assert sim.handle("map:create_rect 10, 10", session) == "0,0,OK"
    assert sim.handle("map:step_next_die", session).startswith("12,0,")  # nothing selected
    assert sim.handle("map:no_such_command", session).startswith("3,0,")
    assert sim.handle("map:step_die 3", session).startswith("7,0,")  # parameter count
    assert sim.handle("map:step_die 3, 99", session).startswith("8,0,")  # off the map
    assert sim.handle("map:step_die 3, x", session).startswith("6,0,")
    assert sim.handle("chuck:move_z Contact,-20", session).startswith("13,0,")
    assert sim.handle("select_module Loader", session).startswith("13,0,")
    assert sim.handle("set_stepping_contact_mode LockContact", session) == "0,0,OK"
    assert sim.handle("map:step_die 3, 5", session).startswith("12,0,")  # locked at contact
    assert sim.handle("move_chuck_separation", session) == "0,0,11700.0"
    assert sim.handle("map:step_die 3, 4", session) == "0,0,3,4,0"
    assert sim.handle("move_chuck_contact", session) == "0,0,12000.0"


def test_end_of_route_is_flagged_on_the_last_die_and_refused_past_it(station):
    remote = SentioRemote(SimSentioLink(station.sentio_sim))
    remote.command("map:path:select_dies n")
    remote.command("map:die:select 2, 3")
    remote.command("map:die:select 7, 1")
    assert remote.step_first_die() == (7, 1, 0) and not remote.end_of_route  # row 1 first
    assert remote.step_next_die() == (2, 3, 0) and remote.end_of_route
    with pytest.raises(SentioError, match="error 11"):
        remote.step_next_die()
    assert remote.end_of_route


def test_routing_meanders_from_the_chosen_corner(station):
    remote = SentioRemote(SimSentioLink(station.sentio_sim))
    remote.command("map:create_rect 3, 2")
    remote.command("map:path:select_dies a")
    remote.command("map:set_routing lr, wr")
    dies = [remote.step_first_die()]
    while not remote.end_of_route:
        dies.append(remote.step_next_die())
    assert [d[:2] for d in dies] == [(2, 1), (1, 1), (0, 1), (0, 0), (1, 0), (2, 0)]


def test_a_prober_that_cannot_be_reached_is_refused_in_the_station_file():
    hardware = yaml.safe_load((CONFIG_DIR / "stations" / "k2450-33500b.yaml").read_text())
    with pytest.raises(BadInput, match="prober: sentio needs its resource"):
        validate(StationConfig, {**hardware, "prober": "sentio"}, "s.yaml")
    with pytest.raises(BadInput, match=r"prober\.resource: lab-prober:99999: expected host:port"):
        validate(
            StationConfig,
            {**hardware, "prober": {"kind": "sentio", "resource": "lab-prober:99999"}},
            "s.yaml",
        )
    config = validate(
        StationConfig,
        {**hardware, "prober": {"kind": "sentio", "resource": "192.168.0.20:35555"}},
        "s.yaml",
    )
    assert config.prober_kind == "sentio"
    simulated = yaml.safe_load((CONFIG_DIR / "stations" / "sim-wafer.yaml").read_text())
    with pytest.raises(BadInput, match="reached by the simulated SENTIO prober"):
        validate(StationConfig, {**simulated, "prober": "manual"}, "s.yaml")


def test_a_sentio_prober_nobody_answers_fails_at_the_first_move_not_at_load():
    config = yaml.safe_load((CONFIG_DIR / "stations" / "sim-2450.yaml").read_text())
    config["prober"] = {"kind": "sentio", "resource": "127.0.0.1:9", "timeout_ms": 500}
    station = Station(validate(StationConfig, config, "s.yaml"))
    with pytest.raises(Exception, match="cannot connect"):
        station.prober.next_device()
    station.close()


def test_the_tcp_link_reads_one_reply_line_per_command(served):
    _, address = served
    link = TcpLink(address, timeout_s=5)
    try:
        link.send("*RCS 1")
        link.send("map:get_num_rows")
        assert link.read_line() == "0,0,10"
    finally:
        link.close()


def test_sim_serve_serves_the_simulated_prober_beside_the_instruments():
    process = subprocess.Popen(
        [sys.executable, "-m", "bmrlab.cli", "sim", "serve", "--station", "sim-wafer"]
        + ["--port", "0", "--prober-port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        smu, prober = process.stdout.readline(), process.stdout.readline()
        assert "MODEL 2450" in smu and "(smu)" in smu
        assert "MPI SENTIO (prober, wafer demo-10x10)" in prober
        remote = SentioRemote(TcpLink(prober.split()[0], timeout_s=10))
        assert remote.step_die(4, 2) == (4, 2, 0)  # real time: about a second of moves
        assert remote.die_index() == (24, 4, 2)
        remote.close()
    finally:
        process.terminate()
        process.wait(timeout=30)


class ScriptedLink:
    """SENTIO as a script of replies: records every line the driver sends."""

    def __init__(self, replies):
        self.replies = list(replies)
        self.sent = []

    def send(self, line):
        self.sent.append(line)

    def read_line(self):
        return self.replies.pop(0)

    def close(self):
        self.sent.append("<closed>")


def test_the_driver_sends_sentio_s_documented_commands_in_order():
    link = ScriptedLink(
        [
            "0,0,OK",
            "0,0,SENTIO Version: 25.2.1.3001",
            "0,0,0,0,0",  # map:step_first_die
            "0,0,12000",
            "0,0,1,0,0",  # map:step_next_die
            "0,0,12000",
            "1024,0,3,4,1",  # map:step_die: the route's last die
            "0,0,12000",
            "0,0,11700",
            "0,0,15000.0,-20000.0",
            "0,0,42,3,4",
        ]
    )
    prober = SentioProber(lambda: SentioRemote(link))
    assert prober.next_device() == "c0r0"
    assert prober.next_device() == "c1r0"
    assert prober.next_device("c3r4s1") == "c3r4s1"
    prober.separate()
    assert prober.remote.position() == (15000.0, -20000.0)
    assert prober.remote.die_index() == (42, 3, 4)
    with pytest.raises(RouteEnded):  # the step to c3r4 said: end of route
        prober.next_device()
    assert prober.identity() == "SENTIO Version: 25.2.1.3001"
    prober.close()
    assert link.sent == [
        "*RCS 1",
        "set_stepping_contact_mode StepToSeparation",
        "status:get_version",
        "map:step_first_die",
        "move_chuck_contact",
        "map:step_next_die",
        "move_chuck_contact",
        "map:step_die 3, 4, 1",
        "move_chuck_contact",
        "move_chuck_separation",
        "get_chuck_xy Wafer, H",
        "map:die:get_current_index",
        "<closed>",
    ]


def test_the_driver_raises_sentio_s_error_with_its_code_and_message():
    link = ScriptedLink(["1035,0,End of route reached", "0,0"])  # 1024 + 11
    remote = SentioRemote(link)
    with pytest.raises(SentioError, match="'map:step_next_die': error 11 \\(End of route"):
        remote.step_next_die()
    assert remote.end_of_route
    with pytest.raises(Exception, match="unexpected reply '0,0'"):
        remote.command("map:get_num_cols")


def test_subsites_step_within_a_die_and_reach_each_site_s_device(tmp_path):
    wafer = yaml.safe_load((CONFIG_DIR / "wafers" / "demo-10x10.yaml").read_text())
    wafer["layout"] = {
        "columns": 2,
        "rows": 1,
        "sites": [{"name": "left", "x_um": 1000}, {"name": "right", "x_um": 3000}],
    }
    (tmp_path / "w.yaml").write_text(yaml.safe_dump(wafer))
    station = yaml.safe_load((CONFIG_DIR / "stations" / "sim-wafer.yaml").read_text())
    station["simulation"]["wafer"] = str(tmp_path / "w.yaml")
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(station))
    with Station.load(tmp_path / "s.yaml") as loaded:
        sim, session = loaded.sentio_sim, Session()
        sim.handle("*RCS 1", session)
        assert sim.handle("map:subsite:get_num", session) == "0,0,2"
        assert sim.handle("map:subsite:get 1, MAP", session) == "0,0,right,3000.0,0.0"
        assert sim.handle("map:step_first_die", session) == "0,0,0,0,0"
        assert sim.handle("map:subsite:step_next", session) == "2048,0,0,0,1"  # last site
        assert loaded.sim.devices["dut"].p == sim.wafer.params_of(DieAddress(0, 0, 1))
        assert sim.handle("map:subsite:step_next", session) == "0,0,1,0,0"  # next die
        assert sim.handle("map:subsite:step right", session) == "3072,0,1,0,1"  # and route end
        assert sim.handle("chuck:get_xy H", session) == "0,0,8000.0,0.0,Home"
        assert loaded.sim.devices["dut"].p == sim.wafer.params_of(DieAddress(1, 0, 1))
        assert SentioProber(lambda: SentioRemote(SimSentioLink(sim))).next_device("c0r0s1")
        assert loaded.sim.devices["dut"].p == sim.wafer.params_of(DieAddress(0, 0, 1))


def test_reaching_the_die_the_probes_were_lifted_off_lands_them_again(station):
    """After the probes are separated, reaching the same die is a move, not a no-op: the
    station lands them and the device is under test again."""
    assert station.reach("c2r1") == "c2r1" and station.sentio_sim.at_contact
    station.prober.separate()
    assert not station.sentio_sim.at_contact and station.prober.current == ""
    assert station.reach("c2r1") == "c2r1"
    assert station.sentio_sim.at_contact and station.prober.current == "c2r1"
