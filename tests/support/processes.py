"""Reading a child process's stdout line by line with a timeout (the servers' readiness lines,
the Lambda worker's answers)."""

from __future__ import annotations

import queue
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import subprocess


def stdout_lines(process: subprocess.Popen[str], name: str) -> queue.Queue[str | None]:
    """A queue fed with the process's stdout lines by a daemon thread; None once it closes."""
    lines: queue.Queue[str | None] = queue.Queue()
    stdout = process.stdout
    if stdout is None:
        msg = "the process was started without stdout=PIPE"
        raise ValueError(msg)

    def pump() -> None:
        for line in stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, name=f"{name}-stdout", daemon=True).start()
    return lines
