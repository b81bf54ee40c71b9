"""Trusted queries compiled into plans at start-up, run in place of graphql-core's executor."""
