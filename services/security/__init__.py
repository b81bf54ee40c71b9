"""Account security (P15, P19): a user's log-ins and sessions, the notice of a sign-in from a new
device, and the security events staff with SECURITY investigate (credential stuffing)."""
