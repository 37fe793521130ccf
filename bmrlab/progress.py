"""Progress of a headless run: a tqdm bar on a terminal, plain lines in a log file."""

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
            self.bar = tqdm(total=100.0, desc=self.label, file=self.stream, unit="%",
                            bar_format="{desc}: {percentage:3.0f}%|{bar}| {elapsed}<{remaining}")
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
