"""The file store of the embedded default and single hosts: uploaded files in a local folder."""

from __future__ import annotations

import asyncio
import re
import secrets
from pathlib import Path

from core import limits

# What ``put`` makes: URL-safe base64 and a suffix such as ".png".
KEY = re.compile(rf"[A-Za-z0-9_-][A-Za-z0-9_.-]{{0,{limits.MAX_MEDIA_KEY_LENGTH - 1}}}")


def is_key(key: str) -> bool:
    """A name a key could be: anything else (a path, a name longer than the filesystem
    takes, a NUL) names no file, and is never handed to the filesystem to find out."""
    return KEY.fullmatch(key) is not None


class LocalFileStore:
    def __init__(self, root: Path) -> None:
        self._root = root

    def _path(self, key: str) -> Path:
        if not is_key(key):
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
