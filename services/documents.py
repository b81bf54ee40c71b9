"""The trusted documents: every operation in ``graphql/``, addressed by the SHA-256 of its text.

They are what our own clients send, reviewed with the code. A client may name one by its hash
alone (persisted queries), and with ``TRUSTED_DOCUMENTS_ONLY`` on they are all that clients
who are not staff may run. Loaded once at start-up; a later step compiles each into a plan,
so the registry keeps every document's parsed AST and operation beside its text.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    parse,
    print_ast,
    validate,
)

from core.settings import ConfigurationError

# The documents of this checkout; TRUSTED_DOCUMENTS_DIR may name another folder.
DOCUMENTS_DIR = Path(__file__).resolve().parents[1] / "graphql"


class DocumentError(ConfigurationError):
    """A trusted document does not parse, is not one operation named like its file, or does
    not fit the schema: the server does not start with a client's document broken."""


def sha256_hex(text: str) -> str:
    """The address of a document: the SHA-256 of its UTF-8 text, in lowercase hex."""
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class TrustedDocument:
    name: str
    text: str
    sha256: str
    ast: DocumentNode
    # "query", "mutation" or "subscription"
    operation: str
    path: Path

    @property
    def printed_sha256(self) -> str:
        """The hash of the document as GraphQL prints it, without comments or layout: what
        Apollo Client's persisted-query link hashes by default (``print(query)``)."""
        return sha256_hex(print_ast(self.ast))


def read_document(path: Path) -> TrustedDocument:
    text = path.read_text(encoding="utf-8")
    try:
        ast = parse(text)
    except GraphQLError as error:
        raise DocumentError(f"{path.name}: {error.message}") from None
    operations = [node for node in ast.definitions if isinstance(node, OperationDefinitionNode)]
    if len(operations) != 1 or operations[0].name is None:
        raise DocumentError(f"{path.name} must hold exactly one named operation")
    [operation] = operations
    assert operation.name is not None
    if operation.name.value != path.stem:
        raise DocumentError(f"{path.name} holds {operation.name.value}, not {path.stem}")
    return TrustedDocument(
        name=path.stem,
        text=text,
        sha256=sha256_hex(text),
        ast=ast,
        operation=operation.operation.value,
        path=path,
    )


class TrustedDocuments:
    """Every trusted document, found by the hash of its text or of its printed form."""

    def __init__(self, documents: list[TrustedDocument]) -> None:
        self._documents = sorted(documents, key=lambda document: document.name)
        self._by_hash: dict[str, TrustedDocument] = {}
        for document in self._documents:
            self._by_hash.setdefault(document.printed_sha256, document)
        # A text's own hash wins over another document's printed one.
        self._by_hash.update({document.sha256: document for document in self._documents})

    @classmethod
    def load(cls, directory: Path = DOCUMENTS_DIR) -> TrustedDocuments:
        """Every ``*.graphql`` of ``directory``; DocumentError names the first bad one."""
        return cls([read_document(path) for path in sorted(directory.glob("*.graphql"))])

    def by_hash(self, sha256: str) -> TrustedDocument | None:
        return self._by_hash.get(sha256)

    def by_text(self, text: str) -> TrustedDocument | None:
        """The document this text is, character for character (or as printed)."""
        return self._by_hash.get(sha256_hex(text))

    def __iter__(self) -> Iterator[TrustedDocument]:
        return iter(self._documents)

    def __len__(self) -> int:
        return len(self._documents)


def load_checked(
    directory: Path, schema: GraphQLSchema, *, required: bool = False
) -> TrustedDocuments:
    """The documents of ``directory``, each valid against ``schema``; with ``required``
    (TRUSTED_DOCUMENTS_ONLY), an empty folder would refuse everyone, so it stops the start."""
    documents = TrustedDocuments.load(directory)
    if required and not documents:
        raise DocumentError(f"TRUSTED_DOCUMENTS_ONLY is on, and {directory} holds no documents")
    for document in documents:
        errors = validate(schema, document.ast)
        if errors:
            raise DocumentError(
                f"{document.path.name} does not fit the schema: {errors[0].message}"
            )
    return documents
