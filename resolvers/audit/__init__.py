"""The audit log, read by SECURITY staff."""
