"""The privacy center: the policy in force, anonymous visitors, and the consent ledger that
every optional use of personal data asks first (P1, P6, P7, P16-P18)."""
