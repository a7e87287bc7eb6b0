"""Schema fuzzing of every API operation against a real web server and a real Redis
(see ``tests/security/fuzzing.py``; ``scripts/fuzz`` runs the same for longer)."""

from __future__ import annotations

import pytest

from duels.settings import Settings
from tests.security.fuzzing import error_shape_problem, run_fuzz, seed_records
from tests.support import Process

pytestmark = pytest.mark.slow

# Per operation, caller and generation mode; the whole run stays well under two minutes.
CI_EXAMPLES = 6


def test_fuzzing_every_operation_finds_no_server_error_and_no_odd_error_body(
    web_server: Process, settings: Settings
) -> None:
    seeds = seed_records(web_server.url, settings.host_token_value(), settings.secret_key_value())
    report = run_fuzz(web_server.url, seeds, examples=CI_EXAMPLES, random_seed=20240607)
    print(report.summary())
    assert not report.problems, report.summary()
    schema_operations = 33
    assert len(report.by_operation) >= schema_operations, "every operation was called"
    # Seeded ids reach real records: some calls succeed, not only refusals.
    assert report.statuses[200] > 0 and report.statuses[201] > 0
    assert report.statuses[401] > 0 and report.statuses[403] > 0 and report.statuses[422] > 0


@pytest.mark.parametrize(
    ("status", "content_type", "body", "fine"),
    [
        (404, "application/json", b'{"detail": {"code": "not_found", "message": "x"}}', True),
        (422, "application/json", b'{"detail": {"code": "invalid", "message": "x", "errors": []}}',
         True),
        (200, "text/html", b"<html>", True),
        (404, "application/json", b'{"detail": "Not Found"}', False),
        (422, "application/json", b'{"detail": [{"loc": ["body"]}]}', False),
        (409, "application/json", b'{"detail": {"code": 409, "message": "x"}}', False),
        (400, "text/plain", b"Bad Request", False),
        (403, "application/json", b'{"detail": {"code": "x", "message": "y", "errors": []}}',
         False),
    ],
)  # fmt: skip
def test_the_error_shape_check_tells_good_from_bad(
    status: int, content_type: str, body: bytes, fine: bool
) -> None:
    assert (error_shape_problem(status, content_type, body) is None) is fine
