"""Where the shipped configuration lives (stations, device library, recipes)."""

from pathlib import Path

CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"
DEFAULT_STATION = CONFIG_DIR / "station.yaml"
DEVICE_LIBRARY = CONFIG_DIR / "devices"
