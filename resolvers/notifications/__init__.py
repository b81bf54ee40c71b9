"""Notifications: the viewer's own list, marking read, mail choices, and the subscription."""
