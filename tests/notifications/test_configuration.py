"""How often subscriptions are checked is the operator's to set, within reason."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from core.settings import ConfigurationError, Settings


@pytest.fixture
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("MENTOR_DATA_DIR", str(tmp_path))
    return monkeypatch


def test_the_check_interval_comes_from_the_environment(environment: pytest.MonkeyPatch) -> None:
    assert Settings.from_env().subscription_check_interval == timedelta(seconds=5)
    environment.setenv("SUBSCRIPTION_CHECK_SECONDS", "2")
    assert Settings.from_env().subscription_check_interval == timedelta(seconds=2)


@pytest.mark.parametrize("value", ["0", "-3"])
def test_a_check_that_never_rests_is_refused(environment: pytest.MonkeyPatch, value: str) -> None:
    environment.setenv("SUBSCRIPTION_CHECK_SECONDS", value)
    with pytest.raises(ConfigurationError, match="SUBSCRIPTION_CHECK_SECONDS"):
        Settings.from_env()
