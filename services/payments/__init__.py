"""Payments through Stripe: job charges, saved cards, mentor payouts and Stripe's events.

Every Stripe call carries an idempotency key derived from our own rows, so a retried call
never charges twice; Stripe's events, stored once and processed once, drive payment and job
state.
"""
