"""bmrlab: characterize bio-voltage memristors at a probe station."""

__version__ = "0.1.0"
