"""Progress of a headless run on stderr: a tqdm bar on a terminal, plain lines in a log file."""

import sys

from tqdm import tqdm

LINE_EVERY = 10.0  # percent between plain progress lines


class Progress:
    def __init__(self, label: str, stream=None):
        self.label = label
        self.stream = stream or sys.stderr
        self.bar = None
        self.last_line = -LINE_EVERY

    def __enter__(self):
        if self.stream.isatty():
            self.bar = tqdm(
                total=100.0,
                desc=self.label,
                file=self.stream,
                unit="%",
                bar_format="{desc}: {percentage:3.0f}%|{bar}| {elapsed}<{remaining}",
            )
        return self

    def on_event(self, topic: str, record) -> None:
        if topic != "progress":
            return
        if self.bar is not None:
            self.bar.update(record - self.bar.n)
        elif record - self.last_line >= LINE_EVERY or record >= 100.0 > self.last_line:
            self.last_line = record
            print(f"{self.label}: {record:.0f} %", file=self.stream, flush=True)

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.close()


class RecipeProgress:
    """Two bars on a terminal (the recipe, with its ETA, and the current step); plain lines
    ``[k/n] device protocol: p %`` otherwise."""

    def __init__(self, total: int, stream=None):
        self.total = total
        self.stream = stream or sys.stderr
        self.overall = self.step = None
        self.label = ""
        self.last_line = -LINE_EVERY
        self.done = 0

    def __enter__(self):
        if self.stream.isatty():
            self.overall = tqdm(
                total=self.total, desc="recipe", file=self.stream, unit="run", position=0
            )
            self.step = tqdm(
                total=100.0,
                file=self.stream,
                unit="%",
                position=1,
                leave=False,
                bar_format="{desc}: {percentage:3.0f}%|{bar}| {elapsed}<{remaining}",
            )
        return self

    def start_run(self, index: int, label: str) -> None:
        self.done, self.label, self.last_line = index, label, -LINE_EVERY
        if self.overall is not None:
            self.overall.n = index
            self.overall.refresh()
            self.step.reset()
            self.step.set_description(label)
        else:
            print(f"[{index + 1}/{self.total}] {label}", file=self.stream, flush=True)

    def on_event(self, topic: str, record) -> None:
        if topic != "progress":
            return
        if self.step is not None:
            self.step.update(record - self.step.n)
        elif record - self.last_line >= LINE_EVERY or record >= 100.0 > self.last_line:
            self.last_line = record
            print(
                f"[{self.done + 1}/{self.total}] {self.label}: {record:.0f} %",
                file=self.stream,
                flush=True,
            )

    def __exit__(self, *exc):
        for bar in (self.step, self.overall):
            if bar is not None:
                bar.close()
