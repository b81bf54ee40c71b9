"""Account deletion (P22 to P24): its blockers, the request and its grace period, the erasure the
registry drives, the purge of what the law kept, and legal holds (P11)."""
