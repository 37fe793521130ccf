"""Pure functions from measured arrays to the figures the field reports.

No instruments, no Qt, no files: every function takes numpy arrays (and the test conditions
that the run recorded) and returns numbers, or ``None`` with a reason where the data do
not show the feature. Definitions are those of docs/standard-conditions.md.
"""
