"""Account security: login history, sessions, and the security events SECURITY staff read."""
