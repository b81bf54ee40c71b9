"""The floor: a hand-written aiohttp handler for the mentors page query.

It runs the same five SQL statements the API runs for that query (the page, ratings, the
first testimonials, their authors, the first posts) over
asyncpg and answers the same JSON, with none of GraphQL, the ORM or the app's middleware.
`python bench/floor.py DATABASE_URL PORT FIRST`
"""

from __future__ import annotations

import sys
from typing import Any

import asyncpg
import orjson
from aiohttp import web

PAGE = """
SELECT p.user_id, p.headline, p.expertise, p.hourly_rate_cents, p.currency, u.name
FROM mentor_profiles p JOIN users u ON u.id = p.user_id
WHERE u.is_active
ORDER BY p.created_at DESC, p.id DESC
LIMIT $1
"""
RATINGS = """
SELECT mentor_id, AVG(rating) FROM testimonials
WHERE profile_attribution IS NOT NULL AND hidden_at IS NULL AND mentor_id = ANY($1::bigint[])
GROUP BY mentor_id
"""
TESTIMONIALS = """
SELECT * FROM (
  SELECT mentor_id, author_id, rating, text, profile_attribution, created_at, id,
         ROW_NUMBER() OVER (PARTITION BY mentor_id ORDER BY created_at DESC, id DESC) AS row_rank
  FROM testimonials
  WHERE profile_attribution IS NOT NULL AND hidden_at IS NULL AND mentor_id = ANY($1::bigint[])
) ranked WHERE row_rank <= $2 ORDER BY mentor_id, created_at DESC, id DESC
"""
AUTHORS = "SELECT id, name FROM users WHERE id = ANY($1::bigint[])"
POSTS = """
SELECT * FROM (
  SELECT author_id, title, like_count, published_at, id,
         ROW_NUMBER() OVER (PARTITION BY author_id ORDER BY published_at DESC, id DESC) AS row_rank
  FROM posts WHERE status = 'PUBLISHED' AND author_id = ANY($1::bigint[])
) ranked WHERE row_rank <= $2 ORDER BY author_id, published_at DESC, id DESC
"""
NESTED = 3


def author_name(name: str, attribution: str) -> str:
    if attribution == "ANONYMOUS" or not name.split():
        return "Anonymous"
    if attribution == "INITIALS":
        parts = name.split()
        return parts[0] if len(parts) == 1 else f"{parts[0]} {parts[-1][0]}."
    return name


async def page(pool: asyncpg.Pool, first: int) -> dict[str, Any]:
    async with pool.acquire() as db:
        mentors = (await db.fetch(PAGE, first + 1))[:first]
        ids = [row["user_id"] for row in mentors]
        ratings = {row[0]: round(float(row[1]), 2) for row in await db.fetch(RATINGS, ids)}
        testimonials = await db.fetch(TESTIMONIALS, ids, NESTED + 1)
        authors = {
            row["id"]: row["name"]
            for row in await db.fetch(AUTHORS, list({t["author_id"] for t in testimonials}))
        }
        posts = await db.fetch(POSTS, ids, NESTED + 1)
    by_mentor: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    for t in testimonials:
        by_mentor[t["mentor_id"]].append(
            {
                "node": {
                    "rating": t["rating"],
                    "text": t["text"],
                    "authorName": author_name(authors[t["author_id"]], t["profile_attribution"]),
                }
            }
        )
    by_author: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    for p in posts:
        by_author[p["author_id"]].append(
            {"node": {"title": p["title"], "likeCount": p["like_count"]}}
        )
    edges = [
        {
            "node": {
                "name": m["name"],
                "headline": m["headline"],
                "expertise": orjson.loads(m["expertise"]),
                "hourlyRate": (
                    None
                    if m["hourly_rate_cents"] is None
                    else {"amountCents": m["hourly_rate_cents"], "currency": m["currency"]}
                ),
                "rating": ratings.get(m["user_id"]),
                "testimonials": {"edges": by_mentor[m["user_id"]][:NESTED]},
                "posts": {"edges": by_author[m["user_id"]][:NESTED]},
            }
        }
        for m in mentors
    ]
    return {"data": {"mentors": {"edges": edges}}}


def make_app(database_url: str, first: int) -> web.Application:
    app = web.Application()
    pool_key = web.AppKey("pool", asyncpg.Pool)

    async def open_pool(app: web.Application) -> Any:
        app[pool_key] = await asyncpg.create_pool(database_url, min_size=2, max_size=10)
        yield
        await app[pool_key].close()

    async def graphql(request: web.Request) -> web.Response:
        await request.read()
        body = orjson.dumps(await page(request.app[pool_key], first))
        return web.Response(body=body, content_type="application/json")

    app.cleanup_ctx.append(open_pool)
    app.router.add_post("/graphql", graphql)
    return app


if __name__ == "__main__":
    url, port, first = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    web.run_app(make_app(url, first), host="127.0.0.1", port=port, print=None)
