"""Our own GraphiQL: its pinned browser code served by this server (never a CDN), a page with
a strict Content-Security-Policy, and the cookie session's CSRF header sent for the developer."""
