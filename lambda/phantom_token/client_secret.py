"""The introspection client's secret: read on first need, kept for the container's life."""

from __future__ import annotations

import json
import time

from phantom_token.errors import SecretError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from phantom_token.config import SecretSource

_STORE_NAMES = {"secretsmanager": "Secrets Manager", "ssm": "SSM Parameter Store"}


def _region_of(reference: str) -> str | None:
    """The region of an ARN, so a secret in another region is read there."""
    parts = reference.split(":")
    return parts[3] if reference.startswith("arn:") and len(parts) > 5 and parts[3] else None


def _client(service: str, reference: str) -> Any:
    # boto3 costs hundreds of milliseconds to import: only containers that read a secret pay it.
    import boto3  # noqa: PLC0415

    return boto3.client(service, region_name=_region_of(reference))


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


def fetch_secret(source: SecretSource) -> str:
    if source.kind == "plain":
        return source.reference
    try:
        if source.kind == "secretsmanager":
            answer = _client("secretsmanager", source.reference).get_secret_value(
                SecretId=source.reference
            )
            value = answer.get("SecretString")
        else:
            answer = _client("ssm", source.reference).get_parameter(
                Name=source.reference, WithDecryption=True
            )
            value = answer["Parameter"]["Value"]
    except Exception as exc:  # botocore raises many types; the code is all we report
        code = getattr(exc, "response", {}).get("Error", {}).get("Code") or type(exc).__name__
        raise SecretError(
            f"could not read the client secret from {_STORE_NAMES[source.kind]} ({code})"
        ) from None
    if not isinstance(value, str) or not value:
        raise SecretError(f"the client secret in {_STORE_NAMES[source.kind]} has no string value")
    return secret_from_string(value) if source.kind == "secretsmanager" else value


# A client the identity server keeps refusing must not turn every request into a read of the
# secret store (API calls, cost, throttling that would hit the other containers too).
REFRESH_INTERVAL_SECONDS = 60.0


class SecretProvider:
    def __init__(
        self,
        source: SecretSource,
        fetch: Callable[[SecretSource], str] = fetch_secret,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._source = source
        self._fetch = fetch
        self._clock = clock
        self._value: str | None = None
        self._refreshed_at: float | None = None

    def get(self) -> str:
        if self._value is None:
            self._value = self._fetch(self._source)
        return self._value

    def refresh(self) -> str | None:
        """Read the secret again: it may have been rotated since it was read.

        At most once per ``REFRESH_INTERVAL_SECONDS`` (the first read does not count, so a
        rotation is picked up at once): None when the last re-read was more recent.
        """
        now = self._clock()
        if self._refreshed_at is not None and now - self._refreshed_at < REFRESH_INTERVAL_SECONDS:
            return None
        self._refreshed_at = now
        self._value = None
        return self.get()
