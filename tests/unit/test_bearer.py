"""Bearer token extraction from TOKEN and REQUEST events (RFC 6750 section 2.1)."""

from __future__ import annotations

from typing import Any

import pytest

from phantom_token.bearer import (
    MAX_HEADER_LENGTH,
    authorization_header,
    method_arn,
    parse_authorization,
)
from phantom_token.errors import EventError, UnauthorizedError
from tests.support.events import load_event, token_event

TOKEN = "2YotnFZFEjr1zCsicMWpAA"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (f"Bearer {TOKEN}", TOKEN),
        (f"bearer {TOKEN}", TOKEN),
        (f"BEARER {TOKEN}", TOKEN),
        (f"bEaReR {TOKEN}", TOKEN),
        (f"Bearer   {TOKEN}", TOKEN),
        (f"  Bearer {TOKEN}  ", TOKEN),
        (f"\tBearer {TOKEN}\t", TOKEN),
        ("Bearer abc-._~+/XYZ019", "abc-._~+/XYZ019"),
        ("Bearer abc=", "abc="),
        ("Bearer abc==", "abc=="),
        ("Bearer a", "a"),
    ],
)
def test_valid_bearer_headers_give_the_token(header: str, expected: str) -> None:
    # GIVEN an RFC 6750 credentials value
    # WHEN it is parsed
    token = parse_authorization(header)
    # THEN the b64token comes back unchanged
    assert token == expected


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (None, "missing Authorization header"),
        (42, "Authorization header is not text"),
        ("", "Authorization header is not a Bearer b64token"),
        ("   ", "Authorization header is not a Bearer b64token"),
        ("Bearer", "Authorization header is not a Bearer b64token"),
        ("Bearer ", "Authorization header is not a Bearer b64token"),
        (TOKEN, "Authorization header is not a Bearer b64token"),
        (f"Basic {TOKEN}", "Authorization header is not a Bearer b64token"),
        (f"Bearer\t{TOKEN}", "Authorization header is not a Bearer b64token"),
        (f"Bearer\u00a0{TOKEN}", "Authorization header is not a Bearer b64token"),
        (f"Bearer{TOKEN}", "Authorization header is not a Bearer b64token"),
        (f"Bearerx {TOKEN}", "Authorization header is not a Bearer b64token"),
        (f"Bear\u0130r {TOKEN}", "Authorization header is not a Bearer b64token"),
        (f"Bearer {TOKEN} extra", "Authorization header is not a Bearer b64token"),
        ("Bearer abc=def", "Authorization header is not a Bearer b64token"),
        ("Bearer =abc", "Authorization header is not a Bearer b64token"),
        ("Bearer ==", "Authorization header is not a Bearer b64token"),
        ("Bearer abc\u00e9", "Authorization header is not a Bearer b64token"),
        ("Bearer abc%20", "Authorization header is not a Bearer b64token"),
        ("Bearer a,b", "Authorization header is not a Bearer b64token"),
        ('Bearer "abc"', "Authorization header is not a Bearer b64token"),
        ("Bearer abc\r\nX: y", "Authorization header is not a Bearer b64token"),
        ("Bearer abc\x00", "Authorization header is not a Bearer b64token"),
    ],
)
def test_anything_else_is_unauthorized(header: Any, reason: str) -> None:
    # GIVEN a header that is not "Bearer" 1*SP b64token
    # WHEN it is parsed
    with pytest.raises(UnauthorizedError) as raised:
        parse_authorization(header)
    # THEN it is a 401 with API Gateway's exact message, and the reason says why
    assert str(raised.value) == "Unauthorized"
    assert raised.value.reason == reason


def test_length_cap_applies_to_the_whole_header() -> None:
    # GIVEN headers of exactly the cap and one character over it
    longest = "Bearer " + "a" * (MAX_HEADER_LENGTH - len("Bearer "))
    # WHEN they are parsed
    # THEN the first is accepted and the second is a 401 that names the length
    assert parse_authorization(longest) == longest[len("Bearer ") :]
    with pytest.raises(UnauthorizedError) as raised:
        parse_authorization(longest + "a")
    assert raised.value.reason == "Authorization header is too long"


def test_token_event_gives_its_authorization_token() -> None:
    # GIVEN the TOKEN event fixture
    event = load_event("token")
    # WHEN the header and method ARN are read
    # THEN they are the event's values
    assert authorization_header(event) == f"Bearer {TOKEN}"
    assert method_arn(event) == (
        "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/live/GET/orders"
    )


@pytest.mark.parametrize("value", [None, 7, ["Bearer abc"]])
def test_token_event_without_text_has_no_header(value: Any) -> None:
    # GIVEN a TOKEN event whose authorizationToken is absent or not text
    event = token_event(None)
    if value is not None:
        event["authorizationToken"] = value
    # WHEN the header is read
    # THEN there is none
    assert authorization_header(event) is None


def test_request_event_reads_lower_case_header() -> None:
    # GIVEN the REQUEST event fixture (lower-case header names, as HTTP/2 clients send them)
    event = load_event("request")
    # WHEN the header is read
    # THEN it is found in headers and multiValueHeaders alike
    assert authorization_header(event) == f"Bearer {TOKEN}"


@pytest.mark.parametrize("name", ["Authorization", "AUTHORIZATION", "aUtHoRiZaTiOn"])
def test_request_event_header_name_is_case_insensitive(name: str) -> None:
    # GIVEN a REQUEST event whose header name has any case, only in headers
    event = load_event("request")
    event["headers"] = {name: "Bearer abc"}
    event["multiValueHeaders"] = None
    # WHEN the header is read
    # THEN it is found
    assert authorization_header(event) == "Bearer abc"


def test_request_event_reads_multi_value_headers_alone() -> None:
    # GIVEN a REQUEST event with the header only in multiValueHeaders
    event = load_event("request")
    event["headers"] = None
    event["multiValueHeaders"] = {"Authorization": ["Bearer abc", "Bearer abc"]}
    # WHEN the header is read
    # THEN the single distinct value is returned
    assert authorization_header(event) == "Bearer abc"


@pytest.mark.parametrize(
    ("headers", "multi_value_headers"),
    [
        ({"Authorization": "Bearer abc", "authorization": "Bearer xyz"}, None),
        (None, {"authorization": ["Bearer abc", "Bearer xyz"]}),
        ({"authorization": "Bearer abc"}, {"Authorization": ["Bearer xyz"]}),
    ],
)
def test_request_event_with_conflicting_values_is_unauthorized(
    headers: dict[str, str] | None, multi_value_headers: dict[str, list[str]] | None
) -> None:
    # GIVEN a REQUEST event that carries two different Authorization values
    event = load_event("request")
    event["headers"] = headers
    event["multiValueHeaders"] = multi_value_headers
    # WHEN the header is read
    with pytest.raises(UnauthorizedError) as raised:
        authorization_header(event)
    # THEN it is a 401: which one API Gateway's caller meant is unknowable
    assert raised.value.reason == "more than one Authorization header"


@pytest.mark.parametrize(
    ("headers", "multi_value_headers"),
    [
        (None, None),
        ({}, {}),
        ({"Accept": "application/json"}, {"Accept": ["application/json"]}),
        ({"Authorization": None}, {"Authorization": "Bearer abc"}),
        ({1: "Bearer abc"}, {"Authorization": [None, 3]}),
        ("Authorization: Bearer abc", ["Bearer abc"]),
    ],
)
def test_request_event_without_usable_header_has_none(
    headers: Any, multi_value_headers: Any
) -> None:
    # GIVEN a REQUEST event whose header maps are absent, empty or hold no text value
    event = load_event("request")
    event["headers"] = headers
    event["multiValueHeaders"] = multi_value_headers
    # WHEN the header is read
    # THEN there is none (which the parser turns into a 401)
    assert authorization_header(event) is None


def test_event_of_another_type_is_an_error() -> None:
    # GIVEN an event that is neither TOKEN nor REQUEST
    event = {"type": "WEBSOCKET", "methodArn": "arn"}
    # WHEN the header is read
    # THEN it is an error, not a 401
    with pytest.raises(EventError):
        authorization_header(event)


@pytest.mark.parametrize("arn", [None, "", 5])
def test_event_without_method_arn_is_an_error(arn: Any) -> None:
    # GIVEN a TOKEN event without a usable methodArn
    event = token_event(f"Bearer {TOKEN}")
    event["methodArn"] = arn
    # WHEN the method ARN is read
    # THEN it is an error
    with pytest.raises(EventError, match="methodArn"):
        method_arn(event)
