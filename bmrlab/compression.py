"""The filters a run's data columns can be compressed with (HDF5 filters h5py ships), in a
module of their own: the command line offers them without importing the configuration and
what it loads (the instrument registry, pymeasure, pandas)."""

COMPRESSIONS = ("none", "lzf", "gzip")
