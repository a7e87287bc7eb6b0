"""Schema fuzzing with schemathesis against a real running app (used by the test and by
``scripts/fuzz``).

The app's own ``/openapi.json`` drives generation. Every operation is tried as three
callers (anonymous, host bearer token, company invite token with a voter cookie), with
generated and with seeded path parameters (a real competition, duel, team, company),
in positive and negative generation modes. Every answer must be below 500, and every
error answer must be in the API.md shape.
"""

from __future__ import annotations

import argparse
import collections
import random
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from voting.tokens import VOTER_COOKIE, VoteSecrets, new_voter_id

REQUEST_TIMEOUT = 10.0


@dataclass(frozen=True)
class Seeds:
    """Real records for path parameters, and the credentials of each caller."""

    path: dict[str, str]
    host_token: str
    company_token: str
    voter_cookie: str

    def callers(self) -> dict[str, dict[str, str]]:
        return {
            "anonymous": {},
            "host": {"Authorization": f"Bearer {self.host_token}"},
            "company": {
                "Authorization": f"Bearer {self.company_token}",
                "Cookie": f"{VOTER_COOKIE}={self.voter_cookie}",
            },
        }


@dataclass
class Problem:
    operation: str
    caller: str
    status: int
    reason: str
    request: str

    def __str__(self) -> str:
        return f"{self.operation} as {self.caller}: {self.status} {self.reason}\n    {self.request}"


@dataclass
class Report:
    random_seed: int
    requests: int = 0
    statuses: collections.Counter[int] = field(default_factory=collections.Counter)
    by_operation: collections.Counter[str] = field(default_factory=collections.Counter)
    problems: list[Problem] = field(default_factory=list)
    # Operations with nothing to break in negative mode (e.g. only a free-form path id).
    unsatisfiable: set[str] = field(default_factory=set)
    seconds: float = 0.0

    def summary(self) -> str:
        lines = [
            f"{self.requests} requests over {len(self.by_operation)} operations "
            f"in {self.seconds:.1f}s (hypothesis seed {self.random_seed})",
            "statuses: " + ", ".join(f"{s}×{n}" for s, n in sorted(self.statuses.items())),
            f"problems: {len(self.problems)}",
        ]
        unique: dict[tuple[str, int, str], Problem] = {}
        for problem in self.problems:
            unique.setdefault((problem.operation, problem.status, problem.reason), problem)
        lines += [f"  {problem}" for problem in unique.values()]
        return "\n".join(lines)


def seed_records(base_url: str, host_token: str, secret_key: str) -> Seeds:
    """A competition with companies, teams, a drawn bracket and an open duel, made through
    the real host API."""
    host = {"Authorization": f"Bearer {host_token}"}
    with httpx.Client(base_url=base_url, headers=host, timeout=REQUEST_TIMEOUT) as http:

        def post(path: str, body: dict[str, Any] | None = None) -> Any:
            response = http.post(path, json=body)
            assert response.status_code in (200, 201), (path, response.text)
            return response.json()

        cid = post("/api/competitions", {"title": "Fuzz-Pokal"})["id"]
        companies = [
            post(f"/api/competitions/{cid}/companies", {"name": f"Firma {n}"}) for n in (1, 2)
        ]
        for n in range(4):
            post(
                f"/api/competitions/{cid}/teams",
                {"company_id": companies[n % 2]["id"], "name": f"Team {n}", "trade": "Koch/Köchin"},
            )
        bracket = post(f"/api/competitions/{cid}/bracket", {"seeding": "random", "seed": 1})
        duel = bracket["rounds"][0]["duels"][0]
        post(f"/api/duels/{duel['id']}/open")
    own_company = duel["home"]["company_id"]
    token = next(c["invite_token"] for c in companies if c["id"] == own_company)
    path = {
        "cid": cid,
        "did": duel["id"],
        "company_id": own_company,
        "team_id": duel["home"]["id"],
        "group": "burst-n-0123456789ab",
        "action": "include",
    }
    voter_cookie = VoteSecrets(secret_key).sign_voter(new_voter_id())
    return Seeds(path, host_token, token, voter_cookie)


def error_shape_problem(status: int, content_type: str, body: bytes) -> str | None:
    """Why an error answer is not in the API.md shape, or None when it is."""
    if status < 400:
        return None
    if "json" not in content_type:
        return f"error answer is {content_type or 'untyped'}, not JSON"
    try:
        data = httpx.Response(status, content=body).json()
    except ValueError:
        return "error answer is not valid JSON"
    detail = data.get("detail") if isinstance(data, dict) else None
    if not isinstance(detail, dict):
        return f"detail is not an object: {str(data)[:120]}"
    if not isinstance(detail.get("code"), str) or not isinstance(detail.get("message"), str):
        return f"detail lacks code/message strings: {str(detail)[:120]}"
    if "errors" in detail and (status != 422 or not isinstance(detail["errors"], list)):
        return "detail.errors only belongs to 422, as a list"
    return None


def _path_strategies(operation: Any, seeds: Seeds, mode: GenerationMode) -> st.SearchStrategy[Any]:
    names = [p.name for p in operation.path_parameters]
    generated = operation.as_strategy(generation_mode=mode)
    # Negative cases need something to break; fixed path parameters leave too little.
    if mode is GenerationMode.NEGATIVE or not names or not all(n in seeds.path for n in names):
        return generated
    seeded = operation.as_strategy(
        generation_mode=mode, path_parameters={name: seeds.path[name] for name in names}
    )
    return st.one_of(generated, seeded, seeded)


def run_fuzz(
    base_url: str,
    seeds: Seeds,
    *,
    examples: int,
    random_seed: int,
    progress: Callable[[str], None] | None = None,
) -> Report:
    """Fuzz every operation of the app's schema; collects problems instead of raising."""
    schema_doc = httpx.get(f"{base_url}/openapi.json", timeout=REQUEST_TIMEOUT).json()
    config = schemathesis.Config.from_dict({"max-stream-events": 1})
    schema = schemathesis.openapi.from_dict(schema_doc, config=config)
    report = Report(random_seed=random_seed)
    started = time.monotonic()
    session = requests.Session()
    for operation in _operations(schema):
        label = f"{operation.method.upper()} {operation.path}"
        if progress:
            progress(label)
        for caller, headers in seeds.callers().items():
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                strategy = _path_strategies(operation, seeds, mode)
                _fuzz_one(
                    session,
                    base_url,
                    label,
                    caller,
                    headers,
                    strategy,
                    examples,
                    random_seed,
                    report,
                )
    report.seconds = time.monotonic() - started
    return report


def _operations(schema: Any) -> Iterator[Any]:
    for result in schema.get_all_operations():
        yield result.ok()


def _fuzz_one(
    session: requests.Session,
    base_url: str,
    label: str,
    caller: str,
    headers: dict[str, str],
    strategy: st.SearchStrategy[Any],
    examples: int,
    random_seed: int,
    report: Report,
) -> None:
    @hypothesis_settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=False,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    @given(case=strategy)
    def check(case: Any) -> None:
        # A generated Cookie or Authorization header would hide the caller's own.
        if case.headers:
            for name in list(case.headers):
                if name.lower() in ("authorization", "cookie") and caller != "anonymous":
                    del case.headers[name]
        try:
            response = case.call(
                base_url=base_url, session=session, headers=headers, timeout=REQUEST_TIMEOUT
            )
        except requests.RequestException as exc:
            report.problems.append(
                Problem(label, caller, 0, f"no answer: {type(exc).__name__}", _describe(case))
            )
            return
        report.requests += 1
        report.statuses[response.status_code] += 1
        report.by_operation[label] += 1
        status = response.status_code
        content_type = response.headers.get("content-type", [""])[0]
        reason = "server error" if status >= 500 else None
        if reason is None:
            reason = error_shape_problem(status, content_type, response.content)
        if reason is not None:
            body = response.content[:200].decode("utf-8", "replace")
            report.problems.append(
                Problem(label, caller, status, reason, f"{_describe(case)} -> {body}")
            )

    try:
        seed(random_seed)(check)()
    except Unsatisfiable:
        report.unsatisfiable.add(f"{label} ({caller})")


def _describe(case: Any) -> str:
    try:
        return str(case.as_curl_command())[:400]
    except Exception:  # the description is only for the report
        return repr(case)[:400]


def main(argv: list[str] | None = None) -> int:
    """``scripts/fuzz``: a real Redis and web server, seeded records, a longer run."""
    from pydantic import SecretStr

    from duels.redis_server import EmbeddedRedis
    from duels.settings import Settings
    from tests.support import start_web

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--examples", type=int, default=60, help="examples per operation run")
    parser.add_argument("--seed", type=int, default=None, help="hypothesis seed (default random)")
    args = parser.parse_args(argv)

    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory(prefix="machmal-fuzz-") as tmp:
        redis_server = EmbeddedRedis(Path(tmp) / "redis")
        redis_server.start()
        secret, host_token = "fuzz-secret-" + "k" * 40, "fuzz-host-token-" + "h" * 24
        settings = Settings(
            redis_url=redis_server.url,
            secret_key=SecretStr(secret),
            host_token=SecretStr(host_token),
            data_dir=Path(tmp) / "data",
            require_approved_videos=False,
        )
        web = start_web(settings)
        try:
            seeds = seed_records(web.url, host_token, secret)
            report = run_fuzz(
                web.url,
                seeds,
                examples=args.examples,
                random_seed=args.seed if args.seed is not None else random.getrandbits(32),
                progress=lambda label: print(f"  {label}", file=sys.stderr, flush=True),
            )
        finally:
            web.stop()
            redis_server.stop()
    print(report.summary())
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
