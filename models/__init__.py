"""Tortoise models, one module per domain. No GraphQL here.

``MODEL_MODULES`` is the one list Tortoise, the migrations and the personal-data registry
test read, so a new domain module is registered in a single place.
"""

MODEL_MODULES = [
    "models.accounts",
    "models.audit",
    "models.outbox",
    "models.marketplace",
    "models.payments",
    "models.privacy",
    "models.interactions",
    "models.marketing",
    "models.notifications",
    "models.deletion",
    "models.exports",
    "models.incidents",
    "models.security",
    "models.disclosures",
    "models.social",
    "models.partner_apps",
]
