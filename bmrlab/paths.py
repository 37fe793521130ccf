"""Where the shipped configuration lives: station templates, the device library, recipes.

They ship inside the package (package data in pyproject.toml), so an installed bmrlab finds
them from any directory. A user names a shipped file by its name (``sim-2450``) or gives the
path of a file of their own (anything ending in .yaml or .yml).
"""

from pathlib import Path

from .errors import BadInput

CONFIG_DIR = Path(__file__).resolve().parent / "config_files"
DEFAULT_STATION = CONFIG_DIR / "station.yaml"
STATIONS = CONFIG_DIR / "stations"
DEVICE_LIBRARY = CONFIG_DIR / "devices"
RECIPES = CONFIG_DIR / "recipes"


def shipped_names(folder: Path) -> list[str]:
    """The names of the shipped files of ``folder`` (their stems), sorted."""
    return sorted(p.stem for p in folder.glob("*.yaml"))


def _named_or_path(name_or_path, folder: Path, what: str) -> Path:
    """A .yaml/.yml path as given; else the shipped file of that name in ``folder``."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml"):
        return path
    shipped = folder / f"{name_or_path}.yaml"
    if not shipped.is_file():
        raise BadInput(
            f"{what} {name_or_path}: not a {what} shipped with bmrlab "
            f"({', '.join(shipped_names(folder))}) nor a .yaml file"
        )
    return shipped


def station_file(name_or_path=None) -> Path:
    """The station file a user named (None: the default, a simulated 2450)."""
    if not name_or_path:
        return DEFAULT_STATION
    return _named_or_path(name_or_path, STATIONS, "station")


def recipe_file(name_or_path) -> Path:
    """The recipe file a user named: a shipped example by name, or a path."""
    return _named_or_path(name_or_path, RECIPES, "recipe")
