"""Command sequences of vendor example scripts and manuals, sent over plain pyvisa."""

from pathlib import Path

import yaml

SEQUENCES = yaml.safe_load((Path(__file__).parent / "sequences.yaml").read_text())


def scenario(client: str):
    """The scenario that replays ``client``'s sequences, each step one recorded call."""

    def replay(run) -> None:
        res = run.construct(run.open_raw, label="open")
        for number, sequence in enumerate(SEQUENCES[client]["sequences"], 1):
            for step in sequence["steps"]:
                kind = "query" if "query" in step else "write"
                command = step[kind]
                run.call(
                    f"{number}: {command}",
                    lambda kind=kind, command=command: getattr(res, kind)(command),
                    slow=step.get("slow", False),
                )

    return replay
