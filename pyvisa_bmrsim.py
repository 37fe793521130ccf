"""pyvisa backend entry point: ``pyvisa.ResourceManager("@bmrsim")`` loads this module."""

from bmrlab.sim.backend import BmrSimVisaLibrary as WRAPPER_CLASS

__all__ = ["WRAPPER_CLASS"]
