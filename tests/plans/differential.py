"""One request sent twice through the real app, with compiled plans on and with them off, and
what differs between the two: the response (status, media type and bytes), the SQL statements
it cost, what it wrote (audit rows of staff reads, a post's view), and whether the plan ran.

Each run starts from the same state: what the first run wrote is undone before the second, so
a query that records its own reading (a post counts a view; staff reads write audit rows, which
the audit log then lists) answers both runs alike.
"""

from __future__ import annotations

import difflib
import itertools
import json
import re
from dataclasses import dataclass, field
from typing import Any

from aiohttp.test_utils import TestClient

from app.keys import PLANS
from core.metrics import PLAN_EXECUTIONS
from models.audit import AuditEntry
from models.marketplace import Post
from services.documents import TrustedDocuments
from tests.plans.world import PlansWorld
from tests.support.statements import counting_statements

TRUSTED = TrustedDocuments.load()
# Trusted queries the compiler refuses, each with the reason it gives: none.
REFUSED_ON_PURPOSE: dict[str, str] = {}
# The spec's media type: its status codes say more than a legacy client's constant 200.
ACCEPT = "application/graphql-response+json"
# The budget the first run spent from is smaller by the time the second asks: the only value
# of an answer that differs by design between two runs of one request.
BUDGET_LEFT = re.compile(rb'"currentlyAvailable":-?\d+')
AUDITED = ("action", "actor_id", "subject_id", "partner_app_id", "detail", "request_id")
WRITING_VERBS = ("INSERT", "UPDATE", "DELETE")
# Codes of a request refused before execution: no plan runs, nor graphql-core's executor
# (a partner app calling a root field its credential's scopes do not open is one).
NEVER_EXECUTED = {"QUERY_TOO_COMPLEX", "RATE_LIMITED", "INSUFFICIENT_SCOPE"}
DIFF_LINES = 40
_request_ids = itertools.count()


@dataclass(frozen=True)
class Case:
    """One request: ``document`` is the trusted document its text is (None for another
    operation, which has no plan); ``fault`` names an injected fault the plan must bail on."""

    query: str
    variables: dict[str, Any]
    role: str
    label: str
    document: str | None
    fault: str | None = None
    operation_name: str | None = None

    @classmethod
    def of(
        cls,
        query: str,
        variables: dict[str, Any],
        role: str,
        label: str,
        *,
        fault: str | None = None,
        operation_name: str | None = None,
    ) -> Case:
        trusted = TRUSTED.by_text(query)
        document = trusted.name if trusted else None
        return cls(query, variables, role, label, document, fault, operation_name)

    def payload(self) -> dict[str, Any]:
        sent = {"query": self.query, "variables": self.variables}
        return {**sent, "operationName": self.operation_name} if self.operation_name else sent

    @property
    def planned(self) -> bool:
        return self.document is not None and self.document not in REFUSED_ON_PURPOSE

    def title(self) -> str:
        fault = f" with {self.fault}" if self.fault else ""
        return f"{self.document or 'untrusted'} as {self.role}, {self.label}{fault}"


@dataclass
class Run:
    """What one run of a case gave and cost."""

    status: int
    media_type: str
    body: bytes
    statements: list[str]
    # (document, outcome) counts of PLAN_EXECUTIONS this run added
    executions: dict[tuple[str, str], float]
    writes: list[str] = field(default_factory=list)

    def answer(self) -> Any:
        return json.loads(self.body)


class Differential:
    """Runs cases against one state of the world: ``start`` notes it, each run restores it."""

    def __init__(self, http: TestClient[Any, Any], world: PlansWorld, mark: _Mark) -> None:
        self.http = http
        self.world = world
        self.mark = mark
        self.cases = 0

    @classmethod
    async def start(cls, http: TestClient[Any, Any], world: PlansWorld) -> Differential:
        return cls(http, world, await _Mark.now())

    async def compare(self, case: Case) -> tuple[list[str], Any]:
        """What differs between the two runs of ``case``, and the answer plans off gave."""
        # One request id for both runs: masked errors and audit rows carry it, so they match
        # as they are, with nothing to normalise.
        headers = {"Accept": ACCEPT, "X-Request-Id": f"differential-{next(_request_ids)}"}
        token = self.world.token(case.role)
        if token:
            headers["Authorization"] = f"Bearer {token}"
        planned = await self._run(case, headers)
        with self.http.app[PLANS].turned_off():
            unplanned = await self._run(case, headers)
        self.cases += 1
        answer = unplanned.answer()
        outcome = _outcome(case, answer)
        problems = _differences(planned, unplanned, outcome)
        problems += _execution_problems(case, planned, unplanned, outcome)
        return [f"{case.title()}: {problem}" for problem in problems], answer

    async def _run(self, case: Case, headers: dict[str, str]) -> Run:
        executions = _executions()
        with counting_statements() as sql:
            response = await self.http.post("/graphql", json=case.payload(), headers=headers)
            body = await response.read()
        writes = [_sql_of(s) for s in sql.statements if s.upper().startswith(WRITING_VERBS)]
        return Run(
            status=response.status,
            media_type=response.content_type,
            body=BUDGET_LEFT.sub(b'"currentlyAvailable":"(spent by the other run)"', body),
            statements=sql.statements,
            executions=_added(executions, _executions()),
            writes=[*writes, *await self.mark.restore()] if writes else [],
        )


@dataclass
class _Mark:
    """The rows a query may write to record its own reading, as the world holds them."""

    last_audit_id: int
    view_counts: dict[int, int]

    @classmethod
    async def now(cls) -> _Mark:
        last = await AuditEntry.all().order_by("-id").limit(1).values_list("id", flat=True)
        views = await Post.all().values_list("id", "view_count")
        return cls(last[0] if last else 0, dict(views))

    async def restore(self) -> list[str]:
        """What a run recorded, which is then undone: audit rows, and views counted."""
        written = AuditEntry.filter(id__gt=self.last_audit_id)
        # One row per person read, in no order that means anything.
        audited = sorted(str(row) for row in await written.values_list(*AUDITED))
        await written.delete()
        viewed = []
        for post_id, count in await Post.all().values_list("id", "view_count"):
            before = self.view_counts[post_id]
            if count != before:
                viewed.append(f"post {post_id} counted {count - before} view(s)")
                await Post.filter(id=post_id).update(view_count=before)
        return [*audited, *viewed]


def _sql_of(statement: str) -> str:
    """A statement without the values Tortoise logs after it (times differ between runs)."""
    return statement.partition(": [")[0]


def _executions() -> dict[tuple[str, str], float]:
    counts = {}
    for metric in PLAN_EXECUTIONS.collect():
        for sample in metric.samples:
            if sample.name.endswith("_total"):
                counts[(sample.labels["document"], sample.labels["outcome"])] = sample.value
    return counts


def _added(
    before: dict[tuple[str, str], float], after: dict[tuple[str, str], float]
) -> dict[tuple[str, str], float]:
    return {
        key: value - before.get(key, 0)
        for key, value in after.items()
        if value != before.get(key, 0)
    }


def _outcome(case: Case, answer: Any) -> str | None:
    """What the plan must have done: answered; bailed out (graphql-core's answer has errors, or
    a fault was injected); or nothing, for an operation without a plan or one refused before
    it ran (its cost past the limit)."""
    codes = {error.get("extensions", {}).get("code") for error in answer.get("errors", [])}
    if not case.planned or codes & NEVER_EXECUTED:
        return None
    return "bailed" if codes or case.fault else "answered"


def _differences(planned: Run, unplanned: Run, outcome: str | None) -> list[str]:
    problems = []
    if (planned.status, planned.media_type) != (unplanned.status, unplanned.media_type):
        problems.append(
            f"answered {planned.status} {planned.media_type} with plans, "
            f"{unplanned.status} {unplanned.media_type} without"
        )
    if planned.body != unplanned.body:
        problems.append("bodies differ (- plans on, + plans off):\n" + _diff(planned, unplanned))
    if not _statements_fit(len(planned.statements), len(unplanned.statements), outcome):
        problems.append(
            f"{len(planned.statements)} SQL statements with plans, "
            f"{len(unplanned.statements)} without:\n"
            + _lines_diff(planned.statements, unplanned.statements)
        )
    if planned.writes != unplanned.writes:
        problems.append("wrote differently:\n" + _lines_diff(planned.writes, unplanned.writes))
    return problems


def _statements_fit(planned: int, unplanned: int, outcome: str | None) -> bool:
    """A plan that answers sends graphql-core's statements or fewer (it batches at least as
    well). One that bails out is not held to a count: it sent what it read before, and
    graphql-core then finds those rows in the request's loaders."""
    if outcome == "answered":
        return planned <= unplanned
    return outcome == "bailed" or planned == unplanned


def _execution_problems(case: Case, planned: Run, unplanned: Run, outcome: str | None) -> list[str]:
    """With plans on, the plan ran once with the outcome expected (none without a plan);
    with plans off, no plan ran."""
    problems = []
    expected = {(case.document, outcome): 1} if outcome else {}
    if planned.executions != expected:
        problems.append(f"plan executions with plans on: {planned.executions}, not {expected}")
    if unplanned.executions:
        problems.append(f"plans ran with plans off: {unplanned.executions}")
    return problems


def _diff(planned: Run, unplanned: Run) -> str:
    def lines(run: Run) -> list[str]:
        try:
            return json.dumps(run.answer(), indent=1).splitlines()
        except ValueError:
            return run.body.decode(errors="replace").splitlines()

    return _lines_diff(lines(planned), lines(unplanned))


def _lines_diff(planned: list[Any], unplanned: list[Any]) -> str:
    diff = difflib.unified_diff(
        list(map(str, planned)), list(map(str, unplanned)), lineterm="", n=2
    )
    shown = list(diff)[2:]
    more = f"\n... {len(shown) - DIFF_LINES} more lines" if len(shown) > DIFF_LINES else ""
    return "\n".join(shown[:DIFF_LINES]) + more
