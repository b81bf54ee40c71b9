"""The operation documents of graphql/, for the tests to send.

Tests send what the clients send: a document that stops fitting the API, or an answer that
stops giving a client what its document asks for, fails the suite instead of a browser.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

DOCUMENTS_DIR = Path(__file__).resolve().parents[2] / "graphql"


@cache
def _document_paths() -> dict[str, Path]:
    return {path.stem: path for path in DOCUMENTS_DIR.glob("*.graphql")}


@cache
def document(name: str) -> str:
    """The text of ``graphql/<name>.graphql``, the one operation called ``name``."""
    paths = _document_paths()
    if name not in paths:
        raise LookupError(
            f"no operation document graphql/{name}.graphql; the documents are {sorted(paths)}"
        )
    return paths[name].read_text()


def location_of(name: str, field: str) -> dict[str, int]:
    """Where ``field`` first stands in the document, as a GraphQL error's location."""
    for line_number, line in enumerate(document(name).splitlines(), start=1):
        column = line.find(f"{field}(") + 1 or line.find(f"{field} {{") + 1
        if column and not line.lstrip().startswith("#"):
            return {"line": line_number, "column": column}
    raise LookupError(f"{field} is not selected in graphql/{name}.graphql")
