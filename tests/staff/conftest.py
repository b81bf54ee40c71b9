from tests.marketing.conftest import configure, partner_endpoint

__all__ = ["configure", "partner_endpoint"]
