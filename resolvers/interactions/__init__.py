"""Interaction records: what a visit leaves (with ANALYTICS consent), and a user's own likes
and views."""
