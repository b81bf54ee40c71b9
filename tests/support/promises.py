"""The privacy policy's promises (shared/promises.md) and the tests that prove them.

Every promise gets at least one test marked ``@pytest.mark.promise("Pn")`` (on the test, its
class, or the module's ``pytestmark``). A promise without one fails ``tests/test_promises.py``
unless ``AWAITING`` names the open work that builds it. The map is read from the test files
themselves, printed by ``pytest --promises`` and checked in as ``docs/promise-map.md``
(``.venv/bin/python -m tests.support.promises > docs/promise-map.md`` writes it again).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"
MAP_PATH = ROOT / "docs" / "promise-map.md"


@dataclass(frozen=True)
class Promise:
    says: str  # what the policy says
    kept_by: str  # the behaviour that keeps it


PROMISES = {
    "P1": Promise(
        "personal information is used only to improve the site and provide the services",
        "every use of personal data is tied to a purpose; optional purposes need consent",
    ),
    "P2": Promise(
        "account, profile and payment data identify or contact you",
        "those fields are classified in the personal-data registry and shown only to their "
        "audience",
    ),
    "P3": Promise(
        "additional, non-identifying profile data: timezone, language, expertise",
        "editable profile fields, public for mentors",
    ),
    "P4": Promise(
        "interactions on the platform are collected: pages viewed, posts liked",
        "interaction records (views, likes)",
    ),
    "P5": Promise(
        "browser data: IP, browser type, pages, time and date of visit, time spent",
        "visit records with truncated IP and parsed browser type",
    ),
    "P6": Promise(
        "cookies collect data; the user can refuse or limit them",
        "cookie-category consent; nothing optional is recorded without it",
    ),
    "P7": Promise(
        "without cookies certain sections may not be visible",
        "the API says which features need which consent and gates them",
    ),
    "P8": Promise(
        "logging in with Twitter, Google, etc. sends us your email and profile",
        "third-party login imports only what the provider sends, recorded with its source",
    ),
    "P9": Promise(
        "what the provider sends depends on your settings there",
        "missing provider fields are simply absent; nothing is guessed",
    ),
    "P10": Promise(
        "we send emails and other notifications",
        "transactional email and in-app notifications",
    ),
    "P11": Promise(
        "data may be shared if law or legal process requires it",
        "audited legal disclosure by authorised staff; legal holds",
    ),
    "P12": Promise(
        "data may be used to develop, maintain or improve the services",
        "aggregated analytics without personal data",
    ),
    "P13": Promise(
        "we answer queries about your account for billing and administration",
        "staff billing lookups and user administration, each audited",
    ),
    "P14": Promise(
        "testimonials are displayed only after receiving permission",
        "testimonials private until their author grants permission; revocable",
    ),
    "P15": Promise(
        "we prevent security issues and investigate breaches",
        "audit log, security events, incident records and notification",
    ),
    "P16": Promise(
        "targeted promotional and marketing messages",
        "marketing only with consent, one-click unsubscribe",
    ),
    "P17": Promise("data analytics", "analytics events only with analytics consent"),
    "P18": Promise(
        "some data may go to service providers or advertising partners",
        "processors listed; sharing with advertising partners only with consent; GPC honoured",
    ),
    "P19": Promise(
        "access is secure; personal information is locked by strong passwords",
        "strong-password rule, argon2id, secure sessions, throttling, log-in history",
    ),
    "P20": Promise(
        "data may be stored and used in the countries we operate in",
        "the data's storage location is stated in the privacy information the API serves",
    ),
    "P21": Promise(
        "users can update their profile information",
        "every editable personal field can be changed by its owner",
    ),
    "P22": Promise(
        "users can delete their profile information",
        "profile fields can be cleared; account deletion exists",
    ),
    "P23": Promise(
        "on account deletion all personal data is removed after the period the law mandates",
        "deactivation at once, erasure after retention, per the registry, files included",
    ),
    "P24": Promise(
        "deletion may be refused while payments, disputes or jobs are pending",
        "blockers listed as structured reasons",
    ),
    "P25": Promise(
        "the policy may be updated and users should review it",
        "policy versions, notification, must-review flag, recorded acceptance",
    ),
    "P26": Promise(
        "contact the support team with questions about the policy",
        "a support contact the API serves and a way to send a privacy question",
    ),
}

# Promises whose behaviour waits for open work, each with the work that builds it. Every other
# promise must be proven by a test, and one listed here must leave as soon as a test proves it.
AWAITING: dict[str, str] = {}


@dataclass(frozen=True, order=True)
class Proof:
    """A test (or a whole class or module of tests) that carries a promise's marker."""

    path: str  # relative to the repository
    test: str  # "" for a whole module

    @property
    def name(self) -> str:
        return f"{self.path}::{self.test}" if self.test else self.path


def _promise_ids(mark: ast.expr) -> list[str]:
    """The ids in ``pytest.mark.promise("P1", ...)``, or in a list of marks."""
    if isinstance(mark, ast.List | ast.Tuple):
        return [found for element in mark.elts for found in _promise_ids(element)]
    if (
        isinstance(mark, ast.Call)
        and isinstance(mark.func, ast.Attribute)
        and mark.func.attr == "promise"
    ):
        return [arg.value for arg in mark.args if isinstance(arg, ast.Constant)]
    return []


def _marked(body: list[ast.stmt], path: str, prefix: str) -> list[tuple[str, Proof]]:
    found: list[tuple[str, Proof]] = []
    for node in body:
        if isinstance(node, ast.Assign) and not prefix:
            if any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets):
                found += [(pid, Proof(path, "")) for pid in _promise_ids(node.value)]
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            name = f"{prefix}{node.name}"
            for decorator in node.decorator_list:
                found += [(pid, Proof(path, name)) for pid in _promise_ids(decorator)]
            if isinstance(node, ast.ClassDef):
                found += _marked(node.body, path, f"{name}::")
    return found


def proofs() -> dict[str, list[Proof]]:
    """Promise id -> the tests marked with it, read from the test files without importing them."""
    found: dict[str, set[Proof]] = {}
    for file in sorted(TESTS.rglob("test_*.py")):
        path = file.relative_to(ROOT).as_posix()
        for promise_id, proof in _marked(ast.parse(file.read_text()).body, path, ""):
            found.setdefault(promise_id, set()).add(proof)
    return {promise_id: sorted(tests) for promise_id, tests in found.items()}


def render(found: dict[str, list[Proof]]) -> str:
    """The map as Markdown: every promise, what keeps it, and the tests that prove it."""
    proven = [promise_id for promise_id in PROMISES if found.get(promise_id)]
    lines = [
        "# The promise map",
        "",
        "Every promise of the privacy policy, the behaviour that keeps it, and the tests that",
        "prove it (tests marked `@pytest.mark.promise(...)`). Generated by",
        "`.venv/bin/python -m tests.support.promises > docs/promise-map.md`; a test checks it",
        "is current.",
        "",
        f"**{len(proven)} of {len(PROMISES)} promises are proven by a test.**",
        "",
    ]
    for promise_id, promise in PROMISES.items():
        lines += [f"## {promise_id}: {promise.says}", "", f"Kept by: {promise.kept_by}.", ""]
        tests = found.get(promise_id, [])
        if not tests:
            lines += [f"No test yet: awaits {AWAITING.get(promise_id, 'nothing named')}.", ""]
            continue
        lines += [f"- `{proof.name}`" for proof in tests]
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(render(proofs()), end="")
