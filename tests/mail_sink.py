"""A real SMTP server for the tests (``tests/admission/smtp_sink.py``, aiosmtpd in its own
process) and the mails it received. The root conftest offers it as the ``sink`` fixture,
with ``mail_settings`` (settings sending through it) and ``mail_worker``."""

from __future__ import annotations

import email
import email.message
import email.policy
import smtplib
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from duels.redis_server import free_port
from tests.support import Process, wait_for

ROOT = Path(__file__).resolve().parents[1]
MAIL_TIMEOUT = 30.0


@dataclass(frozen=True)
class Sink:
    port: int
    folder: Path

    def messages(self) -> list[email.message.EmailMessage]:
        return [
            email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            for path in sorted(self.folder.glob("*.eml"))
        ]

    def wait(self, count: int) -> list[email.message.EmailMessage]:
        wait_for(lambda: len(list(self.folder.glob("*.eml"))) >= count, timeout=MAIL_TIMEOUT)
        return self.messages()


@contextmanager
def running_sink(folder: Path) -> Iterator[Sink]:
    port = free_port()
    popen = subprocess.Popen(
        [sys.executable, "-m", "tests.admission.smtp_sink", str(port), str(folder)], cwd=ROOT
    )
    process = Process(popen)

    def answers() -> bool:
        assert popen.poll() is None, "the SMTP server exited"
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=2) as probe:
                return probe.noop()[0] == 250
        except OSError:
            return False

    try:
        wait_for(answers, timeout=20)
        yield Sink(port, folder)
    finally:
        process.stop()
