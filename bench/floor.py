"""The floor: a hand-written aiohttp handler for the mentors page (graphql/Mentors.graphql).

It answers the same ``data`` as the API for that document and ``{"first": N}`` by running the
statements the API runs for it, one for one (bench/page_query.py counts the API's and checks
the answers match): the page with its mentors' accounts, the ratings, the testimonials, the
posts, the accounts of the testimonials' authors (their names, and whether they are active,
which the display rule reads), and the total count. Over asyncpg, with none of GraphQL, the ORM
or the app's middleware.
`python bench/floor.py DATABASE_URL PORT SECRET_KEY`
"""

from __future__ import annotations

import base64
import sys
from typing import Any

import asyncpg
import orjson
from aiohttp import web

from resolvers.pagination import Cursors
from services.keyset import Ordering, SortKey

PAGE = """
SELECT p.id, p.user_id, p.created_at, p.headline, p.expertise, p.hourly_rate_cents,
       p.currency, u.name
FROM mentor_profiles p JOIN users u ON u.id = p.user_id
WHERE u.is_active
ORDER BY p.created_at DESC, p.id DESC
LIMIT $1
"""
# The testimonials a profile shows: permitted, not hidden, author and mentor both active.
SHOWN = """
FROM testimonials t
JOIN users a ON a.id = t.author_id JOIN users m ON m.id = t.mentor_id
WHERE t.profile_attribution IS NOT NULL AND t.hidden_at IS NULL AND a.is_active AND m.is_active
  AND t.mentor_id = ANY($1::bigint[])
"""
RATINGS = f"SELECT t.mentor_id, SUM(t.rating), COUNT(t.id) {SHOWN} GROUP BY t.mentor_id"
TESTIMONIALS = f"""
SELECT * FROM (
  SELECT t.mentor_id, t.author_id, t.rating, t.text, t.profile_attribution, t.created_at, t.id,
         ROW_NUMBER() OVER (PARTITION BY t.mentor_id ORDER BY t.created_at DESC, t.id DESC)
           AS row_rank
  {SHOWN}
) ranked WHERE row_rank <= $2 ORDER BY mentor_id, created_at DESC, id DESC
"""
POSTS = """
SELECT * FROM (
  SELECT p.author_id, p.id, p.title, p.like_count, p.published_at,
         ROW_NUMBER() OVER (PARTITION BY p.author_id ORDER BY p.published_at DESC, p.id DESC)
           AS row_rank
  FROM posts p JOIN users u ON u.id = p.author_id
  WHERE p.status = 'PUBLISHED' AND u.is_active AND p.author_id = ANY($1::bigint[])
) ranked WHERE row_rank <= $2 ORDER BY author_id, published_at DESC, id DESC
"""
# The accounts of the testimonials' authors: their names, and whether they are active (the
# display rule reads it). The page's mentors came with the page, active by its WHERE.
AUTHORS = "SELECT id, name, is_active FROM users WHERE id = ANY($1::bigint[])"
COUNT = "SELECT COUNT(*) FROM mentor_profiles p JOIN users u ON u.id = p.user_id WHERE u.is_active"
# Mentors.graphql's default page size (`$first: Int = 20`).
DEFAULT_FIRST = 20
# What Mentors.graphql asks of each mentor's lists: `testimonials(first: 3)`, `posts(first: 3)`.
NESTED = 3
# The mentors list's order (services/mentors.py, NEWEST): its cursors are sealed by the same
# library call a hand-written handler of this API would make.
NEWEST = Ordering(
    "mentor_profiles", (SortKey("created_at", True, False), SortKey("id", True, False)), True
)


def global_id(type_name: str, row_id: int) -> str:
    """A Relay global ID as the API spells it: base64 of ``Type:id``."""
    return base64.b64encode(f"{type_name}:{row_id}".encode()).decode()


def author_name(name: str, attribution: str) -> str:
    """As services/testimonials.py names an author: full name, initials or nobody."""
    if attribution == "ANONYMOUS":
        return "Anonymous"
    if attribution == "INITIALS":
        parts = name.split()
        if not parts:
            return "Anonymous"
        return parts[0] if len(parts) == 1 else f"{parts[0]} {parts[-1][0]}."
    return name or "Anonymous"


async def read(db: asyncpg.Connection, first: int) -> dict[str, Any]:
    """Every row the page needs, one statement each, in the API's order."""
    rows = await db.fetch(PAGE, first + 1)
    mentors = rows[:first]
    ids = [row["user_id"] for row in mentors]
    ratings = await db.fetch(RATINGS, ids)
    testimonials = await db.fetch(TESTIMONIALS, ids, NESTED + 1)
    posts = await db.fetch(POSTS, ids, NESTED + 1)
    wanted = sorted({t["author_id"] for t in testimonials} - set(ids))
    accounts = {row["id"]: row for row in await db.fetch(AUTHORS, wanted)}
    names = {m["user_id"]: m["name"] for m in mentors}
    names.update({i: row["name"] for i, row in accounts.items()})
    shown_parties = set(ids) | {i for i, row in accounts.items() if row["is_active"]}
    return {
        "mentors": mentors,
        "more": len(rows) > first,
        "ratings": {row[0]: round(row[1] / row[2], 2) for row in ratings},
        "posts": posts,
        "testimonials": [
            t
            for t in testimonials
            if t["author_id"] in shown_parties and t["mentor_id"] in shown_parties
        ],
        "names": names,
        "total": await db.fetchval(COUNT),
    }


def shaped(found: dict[str, Any], cursors: Cursors) -> dict[str, Any]:
    """The JSON the API answers for Mentors.graphql, from the rows ``read`` found."""
    mentors = found["mentors"]
    testimonials: dict[int, list[dict[str, Any]]] = {m["user_id"]: [] for m in mentors}
    for t in found["testimonials"]:
        name = author_name(found["names"][t["author_id"]], t["profile_attribution"])
        node = {"rating": t["rating"], "text": t["text"], "authorName": name}
        testimonials[t["mentor_id"]].append({"node": node})
    posts: dict[int, list[dict[str, Any]]] = {m["user_id"]: [] for m in mentors}
    for p in found["posts"]:
        node = {"id": global_id("Post", p["id"]), "title": p["title"], "likeCount": p["like_count"]}
        posts[p["author_id"]].append({"node": node})
    edges = [
        {
            "node": {
                "id": global_id("Mentor", m["id"]),
                "name": m["name"],
                "headline": m["headline"],
                "expertise": orjson.loads(m["expertise"]),
                "hourlyRate": (
                    None
                    if m["hourly_rate_cents"] is None
                    else {"amountCents": m["hourly_rate_cents"], "currency": m["currency"]}
                ),
                "rating": found["ratings"].get(m["user_id"]),
                "testimonials": {"edges": testimonials[m["user_id"]][:NESTED]},
                "posts": {"edges": posts[m["user_id"]][:NESTED]},
            }
        }
        for m in mentors
    ]
    end = cursors.cursor_of(mentors[-1]) if mentors else None
    page_info = {"hasNextPage": found["more"], "endCursor": end}
    return {"mentors": {"totalCount": found["total"], "pageInfo": page_info, "edges": edges}}


def make_app(database_url: str, secret_key: str) -> web.Application:
    app = web.Application()
    pool_key = web.AppKey("pool", asyncpg.Pool)
    cursors = Cursors(NEWEST, secret_key, lambda row: (row["created_at"], row["id"]))

    async def open_pool(app: web.Application) -> Any:
        app[pool_key] = await asyncpg.create_pool(database_url, min_size=2, max_size=10)
        yield
        await app[pool_key].close()

    async def graphql(request: web.Request) -> web.Response:
        sent = orjson.loads(await request.read())
        first = (sent.get("variables") or {}).get("first", DEFAULT_FIRST)
        async with request.app[pool_key].acquire() as db:
            found = await read(db, first)
        body = orjson.dumps({"data": shaped(found, cursors)})
        return web.Response(body=body, content_type="application/json")

    app.cleanup_ctx.append(open_pool)
    app.router.add_post("/graphql", graphql)
    return app


if __name__ == "__main__":
    url, port, secret = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    web.run_app(make_app(url, secret), host="127.0.0.1", port=port, print=None)
