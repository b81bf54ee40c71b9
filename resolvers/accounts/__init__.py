"""Accounts: users, sign-up, sessions, passwords and the viewer's own profile."""
