from tests.payments.conftest import stripe

__all__ = ["stripe"]
