from __future__ import annotations

import pytest

from wirehouse.errors import InputError
from wirehouse.settings import Settings


def test_defaults():
    settings = Settings.from_env({})
    assert settings.fetch.max_concurrency == 32
    assert settings.fetch.per_host_concurrency == 2
    assert "wirehouse" in settings.fetch.user_agent


def test_environment_overrides():
    settings = Settings.from_env(
        {
            "WIREHOUSE_USER_AGENT": "me/1",
            "WIREHOUSE_COPY_CONTAINMENT": "0.7",
            "WIREHOUSE_MIN_WORDS": "10",
        }
    )
    assert settings.fetch.user_agent == "me/1"
    assert settings.dedupe.copy_containment == 0.7
    assert settings.extract.min_words == 10


def test_bad_override_is_an_input_error():
    with pytest.raises(InputError, match="WIREHOUSE_MAX_CONCURRENCY='many'"):
        Settings.from_env({"WIREHOUSE_MAX_CONCURRENCY": "many"})
