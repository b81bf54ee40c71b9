"""Notifications: the viewer's own list, marking read, and mail choices."""
