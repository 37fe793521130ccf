"""Errors that the CLI, GUI and recipes turn into a clear message instead of a traceback.

`BadInput` is refused before any instrument is touched (exit status 2); `RunFailed` is a
measurement that started and could not finish (exit status 1, data kept), `DiskFull` one
that stopped because its file could not grow.
"""


class BadInput(ValueError):
    """Input that is refused before any instrument command: one line per problem."""

    def __init__(self, *problems: str):
        self.problems = [p for p in problems if p]
        super().__init__("\n".join(self.problems))


class RunFailed(RuntimeError):
    """A run that started and stopped on an error; the reason is stored with the run."""


class InstrumentError(RunFailed):
    """An instrument reported an error (its own message is kept) or stopped answering."""


class DiskFull(RunFailed):
    """The output file cannot grow: its file system is (nearly) full or the process's file-size
    limit is reached. The rows already in the file stay readable."""


class Stopped(Exception):
    """A stop was requested (Ctrl+C, GUI abort, recipe interruption): the run is aborted."""
