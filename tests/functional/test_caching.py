"""The in-container cache through the handler: hits, scope rules on hits, max-age, no-store, exp."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING

import pytest

from phantom_token import handler
from phantom_token.errors import UnauthorizedError
from tests.functional.harness import API, GET_ORDERS, STAGE, Reply, invoke, jwt_reply
from tests.support.events import request_event

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.functional.harness import IdentityServer, ShiftedClock

ALICE = {"sub": "alice", "scope": "read"}
DELETE_ORDER = f"{API}/live/DELETE/orders/42"
ROUTES = json.dumps({"DELETE /orders/{id}": "orders:delete"})


def effects(response: dict[str, object]) -> list[tuple[str, list[str]]]:
    document = response["policyDocument"]
    assert isinstance(document, dict)
    return [(s["Effect"], s["Resource"]) for s in document["Statement"]]


def test_second_call_with_the_same_token_is_a_cache_hit(
    identity: IdentityServer, handler_env: Callable[..., None]
) -> None:
    # GIVEN a server that would answer differently the second time
    identity.script(jwt_reply(ALICE), jwt_reply({"sub": "mallory"}))
    # WHEN the handler runs twice with the same token (and once with another spelling of it)
    first = invoke("Bearer same-token")
    second = invoke("bearer   same-token ")
    # THEN the server was asked once and both answers are the same
    assert len(identity.received) == 1
    assert first == second


def test_scope_rules_apply_to_cached_results_for_another_method(
    identity: IdentityServer, handler_env: Callable[..., None]
) -> None:
    # GIVEN method mode with a route scope the token lacks
    handler_env(POLICY_RESOURCE="method", ROUTE_SCOPES=ROUTES)
    identity.script(jwt_reply(ALICE))
    # WHEN the token is used for GET /orders, then (cached) for DELETE /orders/42
    allowed = invoke(event=request_event("Bearer t", "GET", "/orders", "/orders"))
    denied = invoke(event=request_event("Bearer t", "DELETE", "/orders/{id}", "/orders/42"))
    # THEN the server was asked once, and the cached result is still denied the route
    assert len(identity.received) == 1
    assert effects(allowed) == [("Allow", [GET_ORDERS])]
    assert effects(denied) == [("Deny", [DELETE_ORDER])]


def test_required_scopes_apply_to_cached_results(
    identity: IdentityServer, handler_env: Callable[..., None]
) -> None:
    # GIVEN required scopes the token lacks
    handler_env(REQUIRED_SCOPES="admin")
    identity.script(jwt_reply(ALICE))
    # WHEN the handler runs twice
    responses = [invoke(), invoke()]
    # THEN both are explicit Denies, from one introspection
    assert [effects(r) for r in responses] == [[("Deny", [STAGE])]] * 2
    assert len(identity.received) == 1


def test_cache_disabled(identity: IdentityServer, handler_env: Callable[..., None]) -> None:
    # GIVEN CACHE_TTL_SECONDS=0
    handler_env(CACHE_TTL_SECONDS="0")
    identity.script(jwt_reply(ALICE), jwt_reply(ALICE))
    # WHEN the handler runs twice with the same token
    invoke()
    invoke()
    # THEN the server was asked twice
    assert len(identity.received) == 2


@pytest.mark.parametrize(
    "cache_control",
    [
        "no-store",
        "no-cache",
        "max-age=0",
        "max-age = 0",
        "max-age =0",
        "max-age= 0",
        "max-age=x",
        'max-age="60',
        pytest.param("max-age=1" + "0" * 5000, id="max-age=<5001 digits>"),
    ],
)
def test_uncacheable_answers_are_not_reused(
    identity: IdentityServer, handler_env: Callable[..., None], cache_control: str
) -> None:
    # GIVEN an answer that forbids reuse
    identity.script(*[jwt_reply(ALICE, **{"Cache-Control": cache_control})] * 2)
    # WHEN the handler runs twice with the same token
    invoke()
    invoke()
    # THEN the server was asked twice
    assert len(identity.received) == 2


@pytest.mark.parametrize(
    ("variables", "cache_control", "lifetime", "ttl"),
    [
        ({}, "max-age=60", 600, 60),
        ({"CACHE_TTL_SECONDS": "30"}, "max-age=60", 600, 30),
        ({}, "", 600, 300),
        ({}, "max-age=120", 45, 45),
        ({"CACHE_TTL_SECONDS": "20"}, "max-age=120", 45, 20),
    ],
)
def test_entry_lives_for_the_smallest_of_ttl_max_age_and_token_lifetime(
    identity: IdentityServer,
    clock: Callable[..., ShiftedClock],
    variables: dict[str, str],
    cache_control: str,
    lifetime: int,
    ttl: int,
) -> None:
    # GIVEN an answer with this Cache-Control for a token with this remaining lifetime
    shifted = clock(**variables)
    headers = {"Cache-Control": cache_control} if cache_control else {}
    first = jwt_reply({**ALICE, "exp": int(time.time()) + lifetime}, **headers)
    identity.script(first, jwt_reply({**ALICE, "exp": int(time.time()) + 3600}))
    invoke()
    # WHEN the clock moves to just before the expected TTL, then past it
    shifted.advance(ttl - 2)
    invoke()
    hits = len(identity.received)
    shifted.advance(3)
    invoke()
    # THEN the entry served until then and the server was asked again after
    assert hits == 1
    assert len(identity.received) == 2


def test_token_that_expires_while_cached_is_asked_about_again(
    identity: IdentityServer, clock: Callable[..., ShiftedClock]
) -> None:
    # GIVEN a cached token with 30 s left and a server that now says it is inactive
    shifted = clock()
    identity.script(jwt_reply({**ALICE, "exp": int(time.time()) + 30}), Reply(204))
    invoke()
    # WHEN it is used after its exp
    shifted.advance(31)
    # THEN the server is asked again and the answer is 401
    with pytest.raises(UnauthorizedError):
        invoke()
    assert len(identity.received) == 2


def test_cache_evicts_the_least_recently_used_token(
    identity: IdentityServer, handler_env: Callable[..., None]
) -> None:
    # GIVEN a cache of two entries
    handler_env(CACHE_MAX_ENTRIES="2")
    identity.script(*[jwt_reply(ALICE) for _ in range(5)])
    # WHEN tokens a, b, a, c are used, then b and a again
    for token in ("a", "b", "a", "c", "b", "a"):
        invoke(f"Bearer {token}")
    # THEN b was evicted by c and asked again; re-adding b evicted a as well
    assert [r.form["token"][0] for r in identity.received] == ["a", "b", "c", "b", "a"]


def test_cache_is_bounded_in_bytes_as_well_as_entries(
    identity: IdentityServer, handler_env: Callable[..., None]
) -> None:
    # GIVEN a cache of at most 64 KiB and 100,000 entries, and answers of about 1 KiB each
    handler_env(CACHE_MAX_BYTES="65536", CACHE_MAX_ENTRIES="100000")
    padding = "x" * 600
    identity.default = jwt_reply({**ALICE, "padding": padding})
    tokens = [f"token-{n}" for n in range(120)]
    # WHEN 120 distinct tokens are introspected
    for token in tokens:
        invoke(f"Bearer {token}")
    cache = handler._authorizer.cache  # type: ignore[union-attr]
    held, size = len(cache), cache.size_bytes
    # THEN the cache stayed within its bytes, holding only the most recent tokens
    assert size <= 65536
    assert 20 < held < 120
    asked = len(identity.received)
    invoke(f"Bearer {tokens[-1]}")
    assert len(identity.received) == asked
    invoke(f"Bearer {tokens[0]}")
    assert len(identity.received) == asked + 1
