"""The file store of the embedded default and single hosts: uploaded files in a local folder."""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path


class LocalFileStore:
    def __init__(self, root: Path) -> None:
        self._root = root

    def _path(self, key: str) -> Path:
        if not key or "/" in key or key.startswith("."):
            raise ValueError("not a file-store key")
        return self._root / key

    async def put(self, data: bytes, *, suffix: str) -> str:
        key = f"{secrets.token_urlsafe(24)}{suffix}"
        path = self._path(key)
        await asyncio.to_thread(self._write, path, data)
        return key

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    async def get(self, key: str) -> bytes | None:
        try:
            return await asyncio.to_thread(self._path(key).read_bytes)
        except (FileNotFoundError, ValueError):
            return None

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, missing_ok=True)
