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


def test_every_count_refuses_a_number_past_a_billion():
    # 1e30 postings or candidates was accepted, then overflowed in the group step
    from dataclasses import fields
    from typing import get_type_hints

    from wirehouse import settings as module

    sections = [get_type_hints(f.type if isinstance(f.type, type) else type(f.default),
                               include_extras=True)
                for f in fields(Settings)]  # fmt: skip
    counts = [
        module.env_name(name)
        for hints in sections
        for name, hint in hints.items()
        if hint == module.Count
    ]
    assert "WIREHOUSE_MAX_BAND_POSTINGS" in counts and len(counts) > 10
    for name in counts:
        assert Settings.from_env({name: str(module.MAX_COUNT)})
        with pytest.raises(InputError, match=name):
            Settings.from_env({name: "1000000000000000000000000000000"})


def test_every_number_of_seconds_or_share_refuses_infinity():
    # WIREHOUSE_TOTAL_TIMEOUT_S=inf was accepted: a request that may never end
    from dataclasses import fields
    from typing import get_type_hints

    from wirehouse import settings as module

    floats = [
        module.env_name(name)
        for field in fields(Settings)
        for name, hint in get_type_hints(type(field.default), include_extras=True).items()
        if getattr(hint, "__origin__", hint) is float
    ]
    assert "WIREHOUSE_TOTAL_TIMEOUT_S" in floats and len(floats) > 10
    for name in floats:
        for value in ("inf", "-inf", "nan", "Infinity"):
            with pytest.raises(InputError, match=f"{name}='{value}'"):
                Settings.from_env({name: value})
