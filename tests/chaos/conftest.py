"""The chaos suite kills PostgreSQL connections and a Redis server under load: a deployment
of several processes, which needs PostgreSQL + Redis, so it is collected only in that run (not
skipped in the other: CI counts a skip as a failure)."""

import os

collect_ignore_glob = [] if os.environ.get("MENTOR_TEST_BACKEND") == "postgres" else ["test_*"]
