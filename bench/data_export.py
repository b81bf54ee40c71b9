"""Benchmark: building a data export for a user with 1,000 posts and 1,000 jobs.

    .venv/bin/python bench/data_export.py [--posts 1000] [--jobs 1000] [--runs 3]

Creates a fresh PostgreSQL database (BENCH_DATABASE_SERVER, default the local server) holding
``--runs`` users, each with ``--posts`` posts and ``--jobs`` jobs (half as client, half as
mentor, each with a testimonial), a 200 KB profile photo and a session, and starts `mentor-api
serve` on it with Redis (BENCH_REDIS_URL), as in production. For each user it sends
`requestDataExport` over HTTP, polls `me.dataExports` until the export is READY, downloads it
from `GET /exports/{id}` and checks the archive holds every post, job and testimonial and
the photo. Prints, per run and as a median: the build time the server recorded (readyAt -
requestedAt), the time from the request to READY as the client saw it, the archive's size
and data.json's size unzipped. The posts repeat one text, so the archive compresses better
than real ones would; data.json's size is the honest figure of the work.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import secrets
import statistics
import sys
import time
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from harness import ROOT, deployment
from tortoise.expressions import Q

sys.path.insert(0, str(ROOT))

from app.db import apply_migrations, open_database
from models.accounts import Session, User
from models.marketplace import Job, JobStatus, MentorProfile, Post, PostStatus, Testimonial
from services.tokens import token_digest

REQUEST = (ROOT / "graphql" / "RequestDataExport.graphql").read_text()
EXPORTS = (ROOT / "graphql" / "DataExports.graphql").read_text()
BODY = "A post of a few paragraphs about mentoring. " * 40  # about 1.8 KB, a typical post


async def seed(database_url: str, data_dir: Path, runs: int, posts: int, jobs: int) -> list[str]:
    """Each exporting user's session token; their counterparts are plain users."""
    await apply_migrations(database_url)
    database = await open_database(database_url)
    expires = datetime.now(UTC) + timedelta(days=1)
    tokens = []
    try:
        photos = data_dir / "files"
        photos.mkdir(parents=True, exist_ok=True)
        for run in range(runs):
            photo = f"bench-photo-{run}.jpg"
            (photos / photo).write_bytes(secrets.token_bytes(200_000))
            user = await User.create(
                email=f"exporter{run}@bench.example", name=f"Exporter {run}", photo_key=photo
            )
            other = await User.create(email=f"other{run}@bench.example", name=f"Other {run}")
            await MentorProfile.create(user=user, headline="Mentor", bio=BODY[:400])
            now = datetime.now(UTC)
            await Post.bulk_create(
                [
                    Post(
                        author_id=user.id,
                        title=f"Post {n}",
                        body=BODY,
                        tags=["mentoring", "bench"],
                        status=PostStatus.PUBLISHED,
                        published_at=now,
                    )
                    for n in range(posts)
                ]
            )
            await Job.bulk_create(
                [
                    Job(
                        client_id=user.id if n % 2 else other.id,
                        mentor_id=other.id if n % 2 else user.id,
                        description=f"Job {n}: help with a problem of some length. " * 3,
                        status=JobStatus.COMPLETED,
                        price_cents=5000,
                        currency="EUR",
                    )
                    for n in range(jobs)
                ]
            )
            mine = await Job.filter(Q(client_id=user.id) | Q(mentor_id=user.id))
            await Testimonial.bulk_create(
                [
                    Testimonial(
                        job_id=job.id,
                        author_id=job.client_id,
                        mentor_id=job.mentor_id,
                        rating=5,
                        text="Clear, patient and quick.",
                    )
                    for job in mine
                ]
            )
            token = secrets.token_urlsafe(32)
            await Session.create(user=user, token_hash=token_digest(token), expires_at=expires)
            tokens.append(token)
    finally:
        await database.close_connections()
    return tokens


async def post(session: aiohttp.ClientSession, url: str, query: str, token: str) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    async with session.post(url, json={"query": query}, headers=headers) as response:
        answer: dict[str, Any] = await response.json()
    assert "errors" not in answer, answer
    return answer["data"]


async def export_once(
    session: aiohttp.ClientSession, url: str, token: str, posts: int, jobs: int
) -> dict[str, float]:
    started = time.perf_counter()
    await post(session, url, REQUEST, token)
    while True:
        found = (await post(session, url, EXPORTS, token))["me"]["dataExports"]["edges"]
        export = found[0]["node"]
        if export["status"] == "READY":
            break
        assert export["status"] in ("PENDING", "BUILDING"), export
        await asyncio.sleep(0.01)
    seen = time.perf_counter() - started
    built = datetime.fromisoformat(export["readyAt"]) - datetime.fromisoformat(
        export["requestedAt"]
    )
    headers = {"Authorization": f"Bearer {token}"}
    async with session.get(export["downloadUrl"], headers=headers) as response:
        assert response.status == 200
        archive = await response.read()
    opened = zipfile.ZipFile(io.BytesIO(archive))
    data = opened.read("data.json")
    models = json.loads(data)["models"]
    assert len(models["Post"]["rows"]) == posts and len(models["Job"]["rows"]) == jobs
    assert len(models["Testimonial"]["rows"]) == jobs
    (photo,) = [name for name in opened.namelist() if name.startswith("files/")]
    assert len(opened.read(photo)) == 200_000
    return {
        "build_s": built.total_seconds(),
        "request_to_ready_s": seen,
        "archive_mib": len(archive) / 1024**2,
        "data_json_mib": len(data) / 1024**2,
    }


def report(label: str, figures: dict[str, float]) -> None:
    print(
        f"{label}: build {figures['build_s']:.2f} s (server), request→READY "
        f"{figures['request_to_ready_s']:.2f} s (client), archive {figures['archive_mib']:.2f} "
        f"MiB, data.json {figures['data_json_mib']:.2f} MiB unzipped"
    )


async def run(args: argparse.Namespace) -> None:
    async with deployment() as deployed:
        data_dir = Path(deployed.env["MENTOR_DATA_DIR"])
        tokens = await seed(deployed.database_url, data_dir, args.runs, args.posts, args.jobs)
        url = await deployed.serve(MENTOR_DATA_DIR=str(data_dir), PUBLIC_URL="")
        base = url.removesuffix("/graphql")
        print(f"{args.posts} posts and {args.jobs} jobs (with testimonials) per user, PostgreSQL")
        results = []
        async with aiohttp.ClientSession(base_url=base) as session:
            for number, token in enumerate(tokens, start=1):
                figures = await export_once(session, "/graphql", token, args.posts, args.jobs)
                report(f"  run {number}", figures)
                results.append(figures)
        report("  median", {key: statistics.median(r[key] for r in results) for key in results[0]})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
