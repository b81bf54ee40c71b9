"""The access log keeps no personal data: client addresses and GET variables stay out."""

from __future__ import annotations

import logging
from unittest.mock import Mock

import pytest

from app.access_log import PrivateAccessLogger
from app.keys import REQUEST_ID


def test_access_log_omits_address_and_query_string(caplog: pytest.LogCaptureFixture) -> None:
    request = Mock(method="GET", path="/graphql", remote="203.0.113.7")
    request.get.side_effect = lambda key, default=None: "req-1" if key is REQUEST_ID else default
    request.query_string = 'query={user(email:"alice@example.com")}'
    logger = logging.getLogger("test.access")
    with caplog.at_level(logging.INFO, logger="test.access"):
        PrivateAccessLogger(logger, "").log(request, Mock(status=200), 0.0123)
    line = caplog.records[-1].getMessage()
    assert line == "GET /graphql 200 12.3ms request=req-1"
    assert "203.0.113" not in line and "alice" not in line
