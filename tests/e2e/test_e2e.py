"""Client -> gateway emulator -> authorizer (the built zip, warm) -> identity server -> upstream.

The scenarios are shared with ``make demo`` (``tests.support.scenarios``); each asserts the
status and what the upstream received. examples/complete is applied to moto once for the
module; the oidc-provider scenarios switch the deployed authorizer to ``rfc9701`` mode. The
HTTP API's flow is in test_http_api_e2e.py (its own stack, after this one is destroyed).
"""

from __future__ import annotations

import http.client
import json
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
import requests

from tests.e2e import checks
from tests.support.scenarios import CURITY_SCENARIOS, PEER_SCENARIOS
from tests.support.stack import deployed_environment, gateway_with_environment

if TYPE_CHECKING:
    from pathlib import Path

    from tests.support.gateway import RequestRecord
    from tests.support.scenarios import Scenario
    from tests.support.stack import Stack

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("scenario", CURITY_SCENARIOS, ids=lambda s: s.name)
def test_fake_curity_scenario(stack: Stack, scenario: Scenario) -> None:
    # GIVEN examples/complete applied to moto, served by the gateway emulator
    # WHEN the scenario's requests go through it
    # THEN every call got its expected status, and the upstream what it should
    checks.assert_behaved(scenario, stack)


def test_the_containers_run_a_fresh_build_of_the_sources(stack: Stack, tmp_path: Path) -> None:
    checks.assert_containers_run_a_fresh_build(stack, tmp_path)


def test_one_warm_container_served_every_invocation(stack: Stack) -> None:
    checks.assert_one_warm_container(stack)


@pytest.mark.parametrize("scenario", PEER_SCENARIOS, ids=lambda s: s.name)
def test_oidc_provider_scenario(peer: Stack, scenario: Scenario) -> None:
    # GIVEN the deployed authorizer pointed at oidc-provider in rfc9701 mode
    # THEN every call got its status, asked oidc-provider as often as expected, and the
    # upstream's RS256 JWT verifies against oidc-provider's keys
    checks.assert_behaved(scenario, peer)


def test_the_peer_gateways_lambda_logs_hold_no_token_and_count_every_invocation(
    peer: Stack,
) -> None:
    # GIVEN every oidc-provider scenario run through the peer gateway's own container (after
    # them in this module)
    # WHEN its Lambda's logs are read
    # THEN no token oidc-provider issued, no client secret and no JWT is in them ...
    checks.assert_logs_hold_no_token_jwt_or_secret(peer)
    # ... and there is one valid EMF line per invocation, Allow and 401 among them
    counts = checks.assert_metrics_count_every_invocation(peer)
    assert counts["allow"] > 0
    assert counts["unauthorized"] > 0


def send(stack: Stack, method: str, path: str, lines: list[tuple[str, str]]) -> Sent:
    """One request with exactly these header lines (names as spelled, repeats kept)."""
    url = urlsplit(stack.gateway.invoke_url)
    connection = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=30)
    try:
        connection.putrequest(method, f"{url.path}{path}")
        for name, value in lines:
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    record = stack.gateway.record(response.getheader("x-amzn-RequestId") or "")
    upstream = json.loads(body) if record.outcome == "forwarded" else None
    return Sent(response.status, record, upstream)


@dataclass(frozen=True)
class Sent:
    status: int
    record: RequestRecord
    upstream: dict[str, Any] | None


def test_a_request_event_keeps_the_clients_spelling_of_authorization(stack: Stack) -> None:
    # GIVEN a valid token, sent in an Authorization header spelled in the client's own case
    token = stack.identity.token("orders:read")
    before = stack.identity.introspections()
    # WHEN it goes through the gateway (a REQUEST authorizer: examples/complete has route scopes)
    sent = send(stack, "GET", "/orders", [("aUTHORIZATION", f"Bearer {token}")])
    # THEN the Lambda got the header as spelled, found it, and the upstream got the JWT
    assert sent.status == 200
    assert sent.record.event is not None
    assert sent.record.event["headers"]["aUTHORIZATION"] == f"Bearer {token}"
    assert sent.record.event["multiValueHeaders"]["aUTHORIZATION"] == [f"Bearer {token}"]
    assert stack.identity.introspections() == (before or 0) + 1
    assert sent.upstream is not None
    scheme, _, jwt = sent.upstream["headers"]["authorization"].partition(" ")
    assert scheme == "Bearer"
    assert stack.identity.claims(jwt)["scope"] == "orders:read"


@pytest.mark.parametrize("valid_first", [True, False], ids=["valid-first", "valid-last"])
def test_two_different_authorization_headers_are_refused(stack: Stack, valid_first: bool) -> None:
    # GIVEN a valid token and an unknown one, each in its own Authorization header line (in
    # two spellings), neither seen by the gateway's cache before
    valid, unknown = stack.identity.token("orders:read"), secrets.token_urlsafe(32)
    values = [f"Bearer {valid}", f"Bearer {unknown}"]
    if not valid_first:
        values.reverse()
    before = stack.identity.introspections()
    # WHEN the request goes through the gateway
    sent = send(
        stack, "GET", "/orders", [("Authorization", values[0]), ("authorization", values[1])]
    )
    # THEN the Lambda saw both values (one in headers, both in multiValueHeaders) and refused
    # the request (401) without asking the identity server about either
    assert sent.status == 401
    assert sent.record.lambda_invocations == 1
    event = sent.record.event
    assert event is not None
    assert event["headers"] == {**event["headers"], "Authorization": values[1]}
    assert event["multiValueHeaders"]["Authorization"] == values
    assert stack.identity.introspections() == before
    assert sent.upstream is None


def test_the_same_authorization_header_twice_is_one_credential(stack: Stack) -> None:
    # GIVEN a valid token sent twice, in two Authorization header lines
    token = stack.identity.token("orders:read")
    # WHEN the request goes through the gateway
    lines = [("Authorization", f"Bearer {token}"), ("AUTHORIZATION", f"Bearer {token}")]
    sent = send(stack, "GET", "/profile", lines)
    # THEN it is that one credential: allowed
    assert sent.status == 200
    assert sent.record.event is not None
    assert sent.record.event["multiValueHeaders"]["Authorization"] == [f"Bearer {token}"] * 2


def test_lambda_logs_never_hold_a_token_a_jwt_or_the_secret(stack: Stack) -> None:
    # Runs last in this module: by now every scenario has logged its decisions.
    checks.assert_logs_hold_no_token_jwt_or_secret(stack)


def test_the_metrics_count_every_invocation(stack: Stack) -> None:
    # GIVEN every scenario run so far through the deployed function (runs after them)
    # WHEN the decisions are read back from the EMF lines, as make demo prints them
    counts = checks.assert_metrics_count_every_invocation(stack)
    # THEN (also checked inside) one valid line per invocation, and both outcomes showed up
    assert counts["allow"] > 0
    assert counts["unauthorized"] > 0


def test_a_misspelt_route_key_fails_closed(stack: Stack) -> None:
    # GIVEN the deployed table with "GET /orders" misspelt "GET /order", as a caller who manages
    # the method elsewhere could write it in scopes.routes
    environment = deployed_environment(stack)
    assert environment["UNLISTED_ROUTES"] == "deny"  # the module's default with a route table
    routes = json.loads(environment["ROUTE_SCOPES"])
    routes["GET /order"] = routes.pop("GET /orders")
    token = stack.identity.token("orders:read")
    with gateway_with_environment(stack, {"ROUTE_SCOPES": json.dumps(routes)}) as gateway:
        # WHEN a token with orders:read calls GET /orders, now in no table entry
        response = requests.get(
            f"{gateway.invoke_url}/orders", headers={"Authorization": f"Bearer {token}"}, timeout=30
        )
        record = gateway.record(response.headers["x-amzn-RequestId"])
        logs = gateway.lambda_logs()
    # THEN 403 from the authorizer, the upstream never called, and the decision line names the
    # route and why (the metrics count it as a deny)
    assert (response.status_code, record.lambda_invocations) == (403, 1)
    assert record.outcome != "forwarded"
    [line] = [json.loads(text) for text in logs.splitlines() if '"outcome"' in text]
    assert (line["outcome"], line["route"], line["reason"]) == (
        "deny",
        "GET /orders",
        "the route is not in ROUTE_SCOPES (UNLISTED_ROUTES=deny)",
    )
