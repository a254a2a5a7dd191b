"""The client secret: plain or JSON, read once, read again on demand (rotation)."""

from __future__ import annotations

import pytest

from phantom_token.client_secret import SecretProvider, fetch_secret, secret_from_string
from phantom_token.config import SecretSource
from phantom_token.errors import SecretError


@pytest.mark.parametrize(
    ("secret_string", "expected"),
    [
        ("plain-secret", "plain-secret"),
        ('{"client_secret": "from-json", "client_id": "x"}', "from-json"),
        ('"quoted"', '"quoted"'),
        ("[1, 2]", "[1, 2]"),
        ("123", "123"),
        ("{not json", "{not json"),
    ],
)
def test_secret_from_string(secret_string: str, expected: str) -> None:
    # GIVEN a Secrets Manager SecretString: plain text, or a JSON object with client_secret
    # WHEN the client secret is taken from it
    # THEN anything but a JSON object is used as it is
    assert secret_from_string(secret_string) == expected


@pytest.mark.parametrize(
    "secret_string",
    ['{"password": "p"}', '{"client_secret": ""}', '{"client_secret": 42}', "{}"],
)
def test_json_without_a_client_secret_string_is_an_error(secret_string: str) -> None:
    # GIVEN a JSON object without a non-empty client_secret string
    # WHEN the client secret is taken from it
    with pytest.raises(SecretError) as raised:
        secret_from_string(secret_string)
    # THEN it is an error that does not repeat the secret's content
    assert str(raised.value) == "the secret is a JSON object without a 'client_secret' string"


def test_plain_source_needs_no_store() -> None:
    # GIVEN a plain secret source
    # WHEN it is fetched
    # THEN the value is the reference itself
    assert fetch_secret(SecretSource("plain", "local-secret")) == "local-secret"


class CountingFetch:
    def __init__(self, *values: str) -> None:
        self.values = list(values)
        self.calls: list[SecretSource] = []
        self.deadlines: list[float | None] = []

    def __call__(self, source: SecretSource, deadline: float | None) -> str:
        self.calls.append(source)
        self.deadlines.append(deadline)
        return self.values.pop(0)


def test_secret_is_fetched_once_then_kept() -> None:
    # GIVEN a provider over a store
    source = SecretSource("ssm", "/phantom/secret")
    fetch = CountingFetch("first", "second")
    provider = SecretProvider(source, fetch)
    # WHEN the secret is read three times
    values = [provider.get() for _ in range(3)]
    # THEN the store was asked once
    assert values == ["first"] * 3
    assert fetch.calls == [source]


def test_refresh_reads_the_store_again() -> None:
    # GIVEN a provider that has read the secret
    fetch = CountingFetch("old", "rotated")
    provider = SecretProvider(SecretSource("secretsmanager", "s"), fetch)
    assert provider.get() == "old"
    # WHEN it is refreshed
    refreshed = provider.refresh()
    # THEN the new value is returned and kept
    assert refreshed == "rotated"
    assert provider.get() == "rotated"
    assert len(fetch.calls) == 2


def test_failed_fetch_is_tried_again_next_time() -> None:
    # GIVEN a store that fails once
    calls: list[int] = []

    def flaky(source: SecretSource, deadline: float | None) -> str:
        calls.append(1)
        if len(calls) == 1:
            raise SecretError("could not read the client secret")
        return "value"

    provider = SecretProvider(SecretSource("ssm", "/p"), flaky)
    # WHEN the secret is read twice
    with pytest.raises(SecretError):
        provider.get()
    # THEN the failure is not cached
    assert provider.get() == "value"


class Clock:
    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now


def test_rereads_happen_at_most_once_a_minute() -> None:
    # GIVEN a provider that has read the secret
    clock = Clock()
    fetch = CountingFetch("first", "second", "third")
    provider = SecretProvider(SecretSource("ssm", "/p"), fetch, clock=clock)
    provider.get()
    # WHEN it is asked to re-read at once, 59.9 s later, and a minute after the first re-read
    rereads = [provider.refresh()]
    clock.now += 59.9
    rereads.append(provider.refresh())
    kept = provider.get()
    clock.now += 0.1
    rereads.append(provider.refresh())
    # THEN the first re-read happened at once, the second was refused (the value is kept),
    # and the third came once a minute had passed
    assert rereads == ["second", None, "third"]
    assert kept == "second"
    assert len(fetch.calls) == 3


def test_a_failed_reread_still_counts_and_the_next_get_reads_again() -> None:
    # GIVEN a store that fails on the re-read
    clock = Clock()
    values: list[str | Exception] = ["old", SecretError("store down"), "new"]

    def fetch(source: SecretSource, deadline: float | None) -> str:
        value = values.pop(0)
        if isinstance(value, Exception):
            raise value
        return value

    provider = SecretProvider(SecretSource("ssm", "/p"), fetch, clock=clock)
    provider.get()
    # WHEN the re-read fails, then another re-read is asked for 10 s later
    with pytest.raises(SecretError):
        provider.refresh()
    clock.now += 10
    # THEN that re-read is refused, but the secret is read again when next needed
    assert provider.refresh() is None
    assert provider.get() == "new"


def test_the_deadline_reaches_the_store() -> None:
    # GIVEN a provider
    fetch = CountingFetch("first", "second")
    provider = SecretProvider(SecretSource("ssm", "/p"), fetch)
    # WHEN the secret is read and re-read within the decisions' deadlines
    provider.get(12.5)
    provider.refresh(20.0)
    # THEN each read was bounded by its decision's deadline
    assert fetch.deadlines == [12.5, 20.0]
