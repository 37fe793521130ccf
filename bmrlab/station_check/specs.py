"""How far beyond the datasheet (``bmrlab.instruments.datasheets``, on each model's class)
the station check lets a bench read."""

MARGIN = 0.5  # beyond the datasheet: cables, probe arms and chuck add leakage of that order
REFERENCE_TOLERANCE = 0.01  # a reference resistor of 1 % or better
# the SMU reads a generator's level as the ratio of two current steps on one range (gain and
# offset cancel): what is left is their noise and the range's linearity
GENERATOR_READ_MARGIN = 0.02
