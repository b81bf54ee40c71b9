"""Payments: paying for jobs, saved cards, billing history, mentor payouts, refunds."""
