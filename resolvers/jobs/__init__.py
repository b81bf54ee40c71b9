"""Jobs: the engagement between a client and a mentor, moved along services.jobs' table."""
