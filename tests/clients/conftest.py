import pytest

from .harness import InProcess, Served


@pytest.fixture(scope="package")
def served():
    """One ``bmrlab sim serve`` for the package's tests, always stopped at the end."""
    server = Served()
    yield server
    server.stop()


@pytest.fixture(params=["in-process", "sim serve"])
def transport(request):
    return InProcess() if request.param == "in-process" else request.getfixturevalue("served")
