"""The introspection client's secret: read on first need, kept for the container's life."""

from __future__ import annotations

import json
import os
import time

from phantom_token import aws_client
from phantom_token.errors import SecretError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

    from phantom_token.config import SecretSource

    # How a secret is read: the source and the decision's deadline (monotonic seconds), if any.
    Fetch = Callable[[SecretSource, float | None], str]

# Where a secret comes from, as errors tell it: the store and the variable that names the
# secret, never the reference itself (a secret pasted into that variable would be logged).
_SOURCES = {
    "secretsmanager": "the Secrets Manager secret that CLIENT_SECRET_ARN names",
    "ssm": "the SSM parameter that CLIENT_SECRET_PARAMETER names",
}


def secret_from_string(secret_string: str) -> str:
    """A plain string, or the ``client_secret`` of a JSON object."""
    try:
        document = json.loads(secret_string)
    except ValueError:
        document = None
    if isinstance(document, dict):
        value = document.get("client_secret")
        if not isinstance(value, str) or not value:
            raise SecretError("the secret is a JSON object without a 'client_secret' string")
        return value
    return secret_string


def _read(source: SecretSource, deadline: float | None, environ: Mapping[str, str]) -> Any:
    if source.kind == "secretsmanager":
        answer = aws_client.call(
            aws_client.SECRETS_MANAGER,
            "GetSecretValue",
            {"SecretId": source.reference},
            reference=source.reference,
            environ=environ,
            deadline=deadline,
        )
        return answer.get("SecretString")
    answer = aws_client.call(
        aws_client.SSM,
        "GetParameter",
        {"Name": source.reference, "WithDecryption": True},
        reference=source.reference,
        environ=environ,
        deadline=deadline,
    )
    parameter = answer.get("Parameter")
    return parameter.get("Value") if isinstance(parameter, dict) else None


def fetch_secret(
    source: SecretSource,
    deadline: float | None = None,
    environ: Mapping[str, str] | None = None,
) -> str:
    """The secret's value from its store; SecretError names the store and the variable.

    ``environ`` defaults to the process environment: credentials, region and endpoints are the
    AWS runtime's contract with any SDK, read at the call as an SDK would read them.
    """
    if source.kind == "plain":
        return source.reference
    where = _SOURCES[source.kind]
    try:
        value = _read(source, deadline, os.environ if environ is None else environ)
    except aws_client.AwsCallError as exc:
        raise SecretError(f"could not read the client secret from {where} ({exc.code})") from None
    if not isinstance(value, str) or not value:
        raise SecretError(f"the client secret in {where} has no string value")
    if source.kind == "ssm":
        return value
    try:
        return secret_from_string(value)
    except SecretError as exc:
        raise SecretError(f"{exc} ({where})") from None


# A client the identity server keeps refusing must not turn every request into a read of the
# secret store (API calls, cost, throttling that would hit the other containers too).
REFRESH_INTERVAL_SECONDS = 60.0


class SecretProvider:
    def __init__(
        self,
        source: SecretSource,
        fetch: Fetch = fetch_secret,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._source = source
        self._fetch = fetch
        self._clock = clock
        self._value: str | None = None
        self._refreshed_at: float | None = None

    def get(self, deadline: float | None = None) -> str:
        """The secret, read on first need within ``deadline`` (monotonic seconds)."""
        if self._value is None:
            self._value = self._fetch(self._source, deadline)
        return self._value

    def refresh(self, deadline: float | None = None) -> str | None:
        """Read the secret again: it may have been rotated since it was read.

        At most once per ``REFRESH_INTERVAL_SECONDS`` (the first read does not count, so a
        rotation is picked up at once): None when the last re-read was more recent.
        """
        now = self._clock()
        if self._refreshed_at is not None and now - self._refreshed_at < REFRESH_INTERVAL_SECONDS:
            return None
        self._refreshed_at = now
        self._value = None
        return self.get(deadline)
