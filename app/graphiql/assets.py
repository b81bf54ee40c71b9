"""GraphiQL's browser code, pinned here and fetched once at setup, so the page loads nothing
from a third party: it works with no network, and no developer's browser calls a CDN.

Each package comes from the npm registry as its tarball, is checked against the sha512
``dist.integrity`` pinned below before anything is unpacked, and only the files the page uses
are kept, under a folder named after the version. Standard library only: setup needs no Node.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import shutil
import tarfile
import tempfile
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# Unpacked assets live beside this module, out of git (.gitignore).
DEFAULT_DIR = Path(__file__).resolve().parent / "vendor"
# npm's own setting names the registry, so a mirror configured for npm is used here too.
DEFAULT_REGISTRY = "https://registry.npmjs.org"
FETCH_TIMEOUT_SECONDS = 60


class AssetError(RuntimeError):
    """A package could not be fetched, or is not the one pinned."""


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    # npm's dist.integrity of the tarball: "sha512-<base64 digest>".
    integrity: str
    # What the page uses, as paths inside the tarball's "package/" folder.
    files: tuple[str, ...]

    @property
    def folder(self) -> str:
        return f"{self.name}@{self.version}"

    def tarball_url(self, registry: str) -> str:
        basename = self.name.rsplit("/", 1)[-1]
        return f"{registry.rstrip('/')}/{self.name}/-/{basename}-{self.version}.tgz"

    def paths(self) -> Iterator[str]:
        """The URL paths (under the assets root) of the files the page uses."""
        for member in self.files:
            yield f"{self.folder}/{member}"


REACT = Package(
    "react",
    "18.2.0",
    "sha512-/3IjMdb2L9QbBdWiW5e3P2/npwMBaU9mHCSCUzNln0ZCYbcfTsGbTJrU/kGemdH2IWmB2ioZ+zkxtmq6g09fGQ==",
    ("umd/react.production.min.js",),
)
REACT_DOM = Package(
    "react-dom",
    "18.2.0",
    "sha512-6IMTriUmvsjHUjNtEDudZfuDQUoWXVxKHhlEGSk81n4YFS+r/Kl99wXiwlVXtPBtJenozv2P+hxDsw9eA7Xo6g==",
    ("umd/react-dom.production.min.js",),
)
GRAPHIQL = Package(
    "graphiql",
    "3.8.3",
    "sha512-cuPDYtXVKV86Pu5PHBX642Odi/uVEE2y1Jxq5rGO/Qy1G2lRp7ZZ7a/T30RzxhuLSWo9zUbzq0P3U49//H0Ugw==",
    ("graphiql.min.js", "graphiql.min.css"),
)
EXPLORER = Package(
    "@graphiql/plugin-explorer",
    "1.0.2",
    "sha512-9j+kg2UjtLZD5EBmGjeWHkoVVxtbShYg2DzbUVebibnZYZM/iMBEF4vaccXJIAm5KaomIPLx0aoNs4LbODyc3Q==",
    ("dist/index.umd.js", "dist/style.css"),
)
# In the order the page loads them: each script needs those before it.
PACKAGES = (REACT, REACT_DOM, GRAPHIQL, EXPLORER)


def location(configured: Path | None) -> Path:
    """Where the assets are: ``GRAPHIQL_ASSETS_DIR`` when set, else beside this module."""
    return configured or DEFAULT_DIR


def registry() -> str:
    return os.environ.get("NPM_CONFIG_REGISTRY", "").strip() or DEFAULT_REGISTRY


def missing(root: Path, packages: tuple[Package, ...] = PACKAGES) -> list[Package]:
    return [p for p in packages if not all((root / path).is_file() for path in p.paths())]


def verify(package: Package, tarball: bytes) -> None:
    algorithm, _, expected = package.integrity.partition("-")
    digest = base64.b64encode(hashlib.new(algorithm, tarball).digest()).decode()
    if digest != expected:
        raise AssetError(
            f"{package.folder}: the tarball's {algorithm} is {digest}, not the pinned {expected}"
        )


def unpack(package: Package, tarball: bytes, root: Path) -> None:
    """Keep only the page's files, written by name (never by the archive's own paths), and
    move the package's folder into place whole, so a half-unpacked one is never served."""
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=root, prefix=".unpacking-") as scratch:
        staged = Path(scratch) / "package"
        with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
            for member in package.files:
                source = archive.extractfile(f"package/{member}")
                if source is None:
                    raise AssetError(f"{package.folder} has no file {member}")
                target = staged / member
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(source.read())
        final = root / package.folder
        if final.exists():
            shutil.rmtree(final)
        final.parent.mkdir(parents=True, exist_ok=True)
        staged.rename(final)


def download(url: str) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT_SECONDS) as answer:
            data: bytes = answer.read()
    except OSError as error:
        raise AssetError(f"could not fetch {url}: {error}") from None
    return data


def fetch(
    root: Path, packages: tuple[Package, ...] = PACKAGES, source: str | None = None
) -> list[Package]:
    """Fetch, check and unpack the packages not yet in ``root``; the ones fetched."""
    wanted = missing(root, packages)
    for package in wanted:
        tarball = download(package.tarball_url(source or registry()))
        verify(package, tarball)
        unpack(package, tarball, root)
    return wanted
