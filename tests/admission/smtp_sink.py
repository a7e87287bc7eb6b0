"""A real SMTP server for the tests, run as its own process:

    python -m tests.admission.smtp_sink <port> <folder>

Every message it accepts is written to ``<folder>/<n>.eml`` (renamed into place, so a
reader never sees half a message). Stops on SIGTERM or SIGINT.
"""

from __future__ import annotations

import itertools
import signal
import sys
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class FolderSink:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.numbers = itertools.count(1)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        number = next(self.numbers)
        partial = self.folder / f".{number}.part"
        partial.write_bytes(envelope.content)
        partial.rename(self.folder / f"{number:04d}.eml")
        return "250 Message accepted for delivery"


def main() -> None:
    port, folder = int(sys.argv[1]), Path(sys.argv[2])
    folder.mkdir(parents=True, exist_ok=True)
    stop = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop)
    controller = Controller(FolderSink(folder), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        signal.sigwait(stop)
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
