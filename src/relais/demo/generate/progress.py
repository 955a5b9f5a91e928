"""The progress bar of `relais generate`: persons done, rows per second, time left."""

import time

from django.utils.translation import gettext as _

WIDTH = 30
QUIET_EVERY = 10.0  # seconds between lines when the output is not a terminal


class Progress:
    def __init__(self, stream, total: int, *, terminal: bool):
        self.stream, self.total, self.terminal = stream, total, terminal
        self.done = self.first = self.rows = 0
        self.started = self.shown = time.monotonic()

    def start(self, persons_done: int) -> None:
        self.done = self.first = persons_done
        self.started = time.monotonic()
        if persons_done:
            self.stream.write(_("Resuming: %(done)s of %(total)s persons were done.") % {
                "done": f"{persons_done:,}", "total": f"{self.total:,}"} + "\n")

    def waiting(self) -> None:
        self.stream.write(_("Another relais generate is writing to this database: waiting for "
                            "it to finish, then resuming.") + "\n")
        self.stream.flush()

    def chunk(self, persons: int, rows: int) -> None:
        self.done += persons
        self.rows += rows
        now = time.monotonic()
        if self.terminal or now - self.shown >= QUIET_EVERY or self.done >= self.total:
            self.shown = now
            self.stream.write(("\r" if self.terminal else "") + self.line(now - self.started)
                              + ("" if self.terminal and self.done < self.total else "\n"))
            self.stream.flush()

    def line(self, elapsed: float) -> str:
        share = self.done / self.total if self.total else 1
        filled = round(share * WIDTH)
        made = self.done - self.first
        left = elapsed / made * (self.total - self.done) if made else 0
        return _("%(bar)s %(share)3d%% %(done)s/%(total)s persons · %(rate)s rows/s · "
                 "%(left)s left") % {
            "bar": "█" * filled + "░" * (WIDTH - filled), "share": share * 100,
            "done": f"{self.done:,}", "total": f"{self.total:,}",
            "rate": f"{self.rate(elapsed):,.0f}", "left": duration(left)}

    def rate(self, elapsed: float) -> float:
        return self.rows / elapsed if elapsed > 0 else 0.0


def duration(seconds: float) -> str:
    minutes, seconds = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min {seconds:02d} s" if minutes else f"{seconds} s"
