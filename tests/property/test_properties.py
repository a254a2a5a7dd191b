"""Properties over arbitrary input: the authorizer fails closed and only ever raises its own errors.

No network: the identity server is a fake transport that returns the generated answer.
"""

from __future__ import annotations

import binascii
import json
import math
import re
import time
from typing import TYPE_CHECKING, Any

from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from phantom_token.authorizer import Authorizer
from phantom_token.bearer import parse_authorization
from phantom_token.client_secret import SecretProvider
from phantom_token.config import load_config
from phantom_token.errors import AuthorizerError, UnauthorizedError
from phantom_token.introspection import HttpResponse
from tests.support.events import http_api_event, request_event, token_event
from tests.support.jwts import b64url, b64url_decode, make_jwt

if TYPE_CHECKING:
    from collections.abc import Mapping

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
B64TOKEN_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/"
METHOD_ARN = "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/live/GET/orders"
STAGE = "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/live/*"


class FakeTransport:
    """Answers every POST with the same generated response (or raises the generated error)."""

    def __init__(self, outcome: HttpResponse | BaseException) -> None:
        self.outcome = outcome
        self.calls = 0

    def post(self, body: bytes, headers: Mapping[str, str], timeout: float) -> HttpResponse:
        self.calls += 1
        if isinstance(self.outcome, BaseException):
            raise self.outcome
        return self.outcome


def authorizer(mode: str, transport: FakeTransport, **variables: str) -> Authorizer:
    config = load_config(
        {
            "INTROSPECTION_ENDPOINT": "https://login.example.com/introspect",
            "CLIENT_ID": "api-gateway",
            "CLIENT_SECRET": "property-secret",
            "INTROSPECTION_RESPONSE": mode,
            "CONTEXT_CLAIMS": "sub scope client_id extra",
            **variables,
        }
    )
    return Authorizer(config, transport, SecretProvider(config.secret))


def only_statement(response: Mapping[str, Any]) -> tuple[str, list[str]]:
    """(effect, resources) of the policy's one statement."""
    [statement] = response["policyDocument"]["Statement"]
    assert statement["Action"] == "execute-api:Invoke"
    return statement["Effect"], statement["Resource"]


# ----- strategies -------------------------------------------------------------------------


def mostly(common: st.SearchStrategy[Any], rest: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``common`` three times in four, else ``rest`` (``|`` weighs every branch alike)."""
    return st.integers(0, 3).flatmap(lambda n: common if n else rest)


json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
exp_values = (
    st.integers(min_value=0, max_value=4_000_000_000)
    | st.floats()
    | st.builds(lambda: time.time() + 600)
    | json_values
)
claim_values = {
    "sub": st.text(max_size=10) | json_values,
    "client_id": st.text(max_size=10) | json_values,
    "scope": st.sampled_from(["", "read", "orders:delete read"]) | json_values,
    "active": st.booleans() | json_values,
    "exp": exp_values,
    "extra": json_values,
}
claims = st.fixed_dictionaries({}, optional=claim_values)
# Answers that come close to an Allow, so the fail-closed property meets its edge cases often.
# Relative to the moment of the draw, not of the import: the suite may run this minutes later.
future_exp = st.integers(min_value=3600, max_value=100_000_000).map(
    lambda ahead: int(time.time()) + ahead
)
future_float_exp = st.floats(3600, 1e8).map(lambda ahead: time.time() + ahead)
plausible_claims = st.fixed_dictionaries(
    {"sub": st.just("alice"), "exp": mostly(future_exp, exp_values)},
    optional={"active": mostly(st.just(True), json_values), "scope": claim_values["scope"]},
)
payloads = mostly(
    # plausible in both modes: jwt reads the outer claims, rfc9701 the inner ones
    st.builds(
        lambda outer, inner: {**outer, "token_introspection": inner},
        plausible_claims,
        plausible_claims,
    ),
    claims | st.fixed_dictionaries({"token_introspection": claims}) | json_values,
)
jwt_bodies = payloads.map(lambda p: make_jwt(p) if isinstance(p, dict) else make_jwt({"p": p}))
raw_jwt_bodies = st.tuples(json_values, json_values).map(
    lambda parts: ".".join(b64url(json.dumps(part).encode()) for part in (*parts, "sig"))
)
bodies = mostly(
    jwt_bodies.map(str.encode) | jwt_bodies.map(lambda jwt: f"{jwt}\r\n".encode()),
    st.one_of(
        raw_jwt_bodies.map(str.encode),
        json_values.map(lambda v: json.dumps(v).encode()),
        st.binary(max_size=120),
        st.text(max_size=120).map(lambda t: t.encode("utf-8", "surrogatepass")),
    ),
)
statuses = mostly(
    st.just(200), st.sampled_from([204, 401, 403, 500, 502, 503]) | st.integers(100, 599)
)
content_types = mostly(
    st.just("application/jwt"),
    st.sampled_from(
        [
            "application/token-introspection+jwt",
            "application/json",
            "Application/JSON; charset=utf-8",
            "text/html",
            "",
        ]
    ),
)
responses = st.builds(
    lambda status, content_type, cache_control, body: HttpResponse(
        status, {"content-type": content_type, "cache-control": cache_control}, body
    ),
    statuses,
    content_types,
    st.sampled_from(["", "max-age=60", "no-store", "max-age=x"]),
    bodies,
)
transport_failures = st.sampled_from(
    [TimeoutError("t"), ConnectionRefusedError(), ConnectionResetError(), OSError("x")]
)
valid_headers = st.text(alphabet=B64TOKEN_ALPHABET, min_size=1, max_size=40).map(
    lambda token: f"Bearer {token}"
)
headers = st.one_of(
    valid_headers,
    st.none(),
    st.text(max_size=200),
    st.builds(
        lambda scheme, space, token, pad: f"{scheme}{space}{token}{pad}",
        st.sampled_from(["Bearer", "bearer", "BEARER", "Basic", "Bearer:", ""]),
        st.sampled_from([" ", "  ", "\t", ""]),
        st.text(alphabet=B64TOKEN_ALPHABET + "= ,é", max_size=60),
        st.sampled_from(["", "=", "==", " ", "\t"]),
    ),
)


# ----- the oracle -------------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def says_active(response: HttpResponse, mode: str, now: float) -> bool:
    """Did the fake identity server answer 200 with a signed, active, unexpired JWT?"""
    if response.status != 200 or "json" in response.headers["content-type"].lower():
        return False
    try:
        token = response.body.decode("ascii").strip()
        header, payload = (json.loads(b64url_decode(part)) for part in token.split(".")[:2])
    except (ValueError, binascii.Error):
        return False
    if token.count(".") != 2 or not isinstance(payload, dict):
        return False
    if not isinstance(header, dict) or str(header.get("alg", "none")).lower() == "none":
        return False
    claims = payload if mode == "jwt" else payload.get("token_introspection")
    if not isinstance(claims, dict):
        return False
    active = claims.get("active", True if mode == "jwt" else None)
    exp = claims.get("exp")  # null counts as absent
    return active is True and (exp is None or (_is_number(exp) and exp > now))


BEARER = re.compile(r"[ \t]*bearer +[A-Za-z0-9\-._~+/]+=*[ \t]*", re.ASCII | re.IGNORECASE)
MEDIA_TYPES = {"jwt": "application/jwt", "rfc9701": "application/token-introspection+jwt"}
BASE64URL = re.compile(r"[A-Za-z0-9_-]+")


def is_bearer(header: str | None) -> bool:
    """RFC 6750 credentials, in a header of at most 8 KiB."""
    return header is not None and len(header) <= 8192 and BEARER.fullmatch(header) is not None


def is_decidable(outcome: HttpResponse | BaseException, mode: str, now: float) -> bool:
    """Did the identity server answer everything a decision needs, in the mode's own type?

    A 200 of the mode's media type whose body is a compact JWS (three base64url segments, a
    string ``alg`` that is not ``none``) of an active token, unexpired by a finite ``exp``,
    with a ``sub`` or ``client_id`` to be the principal.
    """
    if not isinstance(outcome, HttpResponse) or not says_active(outcome, mode, now):
        return False
    if outcome.headers["content-type"] != MEDIA_TYPES[mode]:
        return False
    segments = outcome.body.decode("ascii").strip().split(".")
    if not all(BASE64URL.fullmatch(segment) for segment in segments):
        return False
    header, payload = (json.loads(b64url_decode(segment)) for segment in segments[:2])
    claims = payload if mode == "jwt" else payload["token_introspection"]
    exp = claims.get("exp")
    return (
        isinstance(header.get("alg"), str)
        and (exp is None or is_finite(exp))
        and any(isinstance(claims.get(name), str) and claims[name] for name in PRINCIPALS)
    )


PRINCIPALS = ("sub", "client_id")


def is_finite(number: float) -> bool:
    try:
        return math.isfinite(number)
    except OverflowError:  # an int past the float range
        return False


def _is_scope_token(value: object) -> bool:
    # RFC 6749 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
    return (
        isinstance(value, str)
        and bool(value)
        and all(0x21 <= ord(c) <= 0x7E and c not in '"\\' for c in value)
    )


def granted_by(response: HttpResponse, mode: str) -> set[str]:
    """The scopes an active answer grants (RFC 6749 3.3): a string split on U+0020 only, or a
    list; a token or item with a character outside the scope-token set grants nothing."""
    payload = json.loads(b64url_decode(response.body.decode("ascii").strip().split(".")[1]))
    scope = (payload if mode == "jwt" else payload["token_introspection"]).get("scope")
    items = scope.split(" ") if isinstance(scope, str) else scope if isinstance(scope, list) else []
    return {item for item in items if _is_scope_token(item)}


# ----- properties -------------------------------------------------------------------------


@SETTINGS
@given(
    header=mostly(valid_headers, headers),
    outcome=mostly(responses, transport_failures),
    mode=st.sampled_from(["jwt", "rfc9701"]),
    route=st.sampled_from(
        [("GET", "/orders", "/orders"), ("DELETE", "/orders/{id}", "/orders/42/")]
    ),
    kind=st.sampled_from(["token", "request"]),
)
def test_handler_fails_closed_for_any_header_and_any_answer(
    header: str | None,
    outcome: HttpResponse | BaseException,
    mode: str,
    route: tuple[str, str, str],
    kind: str,
) -> None:
    # GIVEN any Authorization header and any answer (or failure) of the identity server, on a
    # TOKEN authorizer (no route scopes) or a REQUEST authorizer with a route scope
    transport = FakeTransport(outcome)
    method, resource, path = route
    if kind == "token":
        lambda_event = token_event(header, METHOD_ARN.replace("GET/orders", f"{method}{path}"))
        variables = {}
    else:
        lambda_event = request_event(header, method, resource, path)
        variables = {"ROUTE_SCOPES": '{"DELETE /orders/{id}": "orders:delete"}'}
    bearer = is_bearer(header)
    decidable = bearer and is_decidable(outcome, mode, time.time())
    # WHEN the authorizer decides
    try:
        response = authorizer(mode, transport, **variables).authorize(
            lambda_event, request_id="r", deadline=time.monotonic() + 10
        )
    # THEN it raises only its own errors, the 401 with API Gateway's exact message: for a
    # header that is no bearer token before any call, and for a 204 ...
    except UnauthorizedError as exc:
        event("401")
        assert str(exc) == "Unauthorized"
        assert not decidable
        assert transport.calls == (1 if bearer else 0)
        return
    except AuthorizerError as exc:
        event("500")
        assert str(exc) != "Unauthorized"
        # ... never for an input that has all a decision needs (an authorizer that failed
        # on every input would fail closed too, and be of no use) ...
        assert not decidable, f"a valid token and answer were not decided: {exc}"
        assert bearer
        assert not (isinstance(outcome, HttpResponse) and outcome.status == 204)
        return
    # ... and a policy comes exactly for those inputs, Allowing only what an active JWT from a
    # 200 answer vouches for
    event("decided")
    assert decidable
    assert isinstance(outcome, HttpResponse)
    assert transport.calls >= 1
    effect, resources = only_statement(response)
    assert resources == [STAGE]
    event(effect)
    if effect == "Allow":
        assert says_active(outcome, mode, time.time())
        assert response["context"]["Authorization"] == f"Bearer {outcome.body.decode().strip()}"
        if kind == "request" and method == "DELETE":
            assert "orders:delete" in granted_by(outcome, mode)
    else:
        assert response["context"] == {}
    assert all(
        isinstance(value, str | int | float | bool) for value in response["context"].values()
    )


# Claims of an active token: always a principal (sub or client_id, maybe both), any others.
active_claims = st.builds(
    lambda principal, name, others: {**others, principal: name},
    st.sampled_from(PRINCIPALS),
    st.text(min_size=1, max_size=10),
    st.fixed_dictionaries(
        {
            "exp": st.none()
            | future_exp
            | st.floats(3600, 1e8).map(lambda ahead: time.time() + ahead)
        },
        optional={
            "sub": st.text(min_size=1, max_size=10),
            "client_id": st.text(min_size=1, max_size=10),
            "scope": claim_values["scope"],
            "extra": json_values,
        },
    ),
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    header=valid_headers,
    claims=active_claims,
    mode=st.sampled_from(["jwt", "rfc9701"]),
    cache_control=st.sampled_from(["", "max-age=60", "no-store", "max-age=x"]),
    route=st.sampled_from([("GET", "/orders", "/orders"), ("DELETE", "/orders/{id}", "/orders/7")]),
    kind=st.sampled_from(["token", "request"]),
)
# A scope followed by other whitespace is no scope (RFC 6749 3.3): denied, yet decided.
@example(
    header="Bearer t",
    claims={"sub": "alice", "scope": "orders:delete\t", "exp": None},
    mode="jwt",
    cache_control="",
    route=("DELETE", "/orders/{id}", "/orders/7"),
    kind="request",
)
def test_a_bearer_token_with_an_active_answer_is_always_decided(
    header: str,
    claims: dict[str, Any],
    mode: str,
    cache_control: str,
    route: tuple[str, str, str],
    kind: str,
) -> None:
    # GIVEN a bearer token, and the identity server's 200 of the mode's own media type with
    # an active, unexpired token that has a principal (any other claims, any Cache-Control)
    payload = (
        {**claims, "active": True}
        if mode == "jwt"
        else {"token_introspection": {**claims, "active": True}}
    )
    body = make_jwt(payload)
    answer = HttpResponse(
        200, {"content-type": MEDIA_TYPES[mode], "cache-control": cache_control}, body.encode()
    )
    transport = FakeTransport(answer)
    method, resource, path = route
    if kind == "token":
        lambda_event = token_event(header, METHOD_ARN.replace("GET/orders", f"{method}{path}"))
        variables = {}
    else:
        lambda_event = request_event(header, method, resource, path)
        variables = {"ROUTE_SCOPES": '{"DELETE /orders/{id}": "orders:delete"}'}
    # WHEN the authorizer decides
    response = authorizer(mode, transport, **variables).authorize(
        lambda_event, request_id="r", deadline=time.monotonic() + 10
    )
    # THEN it returns a policy, never an error: Allow, or a Deny for a route scope it lacks
    effect, resources = only_statement(response)
    assert resources == [STAGE]
    lacks = (
        kind == "request" and method == "DELETE" and "orders:delete" not in granted_by(answer, mode)
    )
    assert effect == ("Deny" if lacks else "Allow")
    assert transport.calls == 1


@SETTINGS
@given(header=st.text(max_size=300) | headers)
def test_bearer_parsing_only_ever_raises_unauthorized(header: str | None) -> None:
    # GIVEN any text
    # WHEN it is parsed as an Authorization header
    try:
        token = parse_authorization(header)
    except UnauthorizedError as exc:
        # THEN it is a 401 ...
        assert str(exc) == "Unauthorized"
        return
    # ... or a b64token that the header ends with
    assert header is not None
    assert re.fullmatch(r"[A-Za-z0-9\-._~+/]+=*", token)
    assert header.strip(" \t").endswith(token)
    assert header.strip(" \t")[:6].lower() == "bearer"


# ----- per-route decisions -----------------------------------------------------------------

ROUTE_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]
TEMPLATES = ["/", "/orders", "/orders/{id}", "/orders/{id}/items", "/files/{proxy+}", "/admin"]
SCOPES = ["a", "b", "c", "d"]
SEGMENT_ALPHABET = "abcXYZ019-._~"

scope_sets = st.frozensets(st.sampled_from(SCOPES), max_size=4)
route_tables = st.dictionaries(
    st.tuples(st.sampled_from([*ROUTE_METHODS, "ANY"]), st.sampled_from(TEMPLATES)).map(" ".join),
    st.frozensets(st.sampled_from(SCOPES), min_size=1),
    min_size=1,
    max_size=10,
)
segments = st.text(alphabet=SEGMENT_ALPHABET, min_size=1, max_size=6)


@st.composite
def spellings(draw: st.DrawFn, template: str) -> str:
    """A concrete path API Gateway routes to ``template``: parameters filled, maybe a final /."""
    if template == "/":
        return "/"
    parts = []
    for part in template.split("/")[1:]:
        if part == "{proxy+}":
            parts += draw(st.lists(segments, min_size=1, max_size=3))
        elif part.startswith("{"):
            parts.append(draw(segments))
        else:
            parts.append(part)
    return "/" + "/".join(parts) + draw(st.sampled_from(["", "/"]))


def needed_by_oracle(
    required: frozenset[str], table: Mapping[str, frozenset[str]], method: str, template: str
) -> frozenset[str]:
    empty: frozenset[str] = frozenset()
    return required | table.get(f"{method} {template}", empty) | table.get(f"ANY {template}", empty)


@SETTINGS
@given(
    table=route_tables,
    required=scope_sets,
    granted=scope_sets,
    method=st.sampled_from(ROUTE_METHODS),
    template=st.sampled_from(TEMPLATES),
    policy_resource=st.sampled_from(["stage", "method"]),
    data=st.data(),
)
def test_route_decision_depends_on_the_route_never_on_the_path_spelling(
    table: dict[str, frozenset[str]],
    required: frozenset[str],
    granted: frozenset[str],
    method: str,
    template: str,
    policy_resource: str,
    data: st.DataObject,
) -> None:
    # GIVEN any route table, REQUIRED_SCOPES, and a token granting any scopes
    jwt = make_jwt({"sub": "alice", "scope": " ".join(sorted(granted)), "exp": 4_000_000_000})
    transport = FakeTransport(HttpResponse(200, {"content-type": "application/jwt"}, jwt.encode()))
    routes = json.dumps({key: " ".join(sorted(scopes)) for key, scopes in table.items()})
    decide = authorizer(
        "jwt",
        transport,
        ROUTE_SCOPES=routes,
        REQUIRED_SCOPES=" ".join(sorted(required)),
        POLICY_RESOURCE=policy_resource,
    )
    # WHEN it calls the route twice, each time spelling the concrete path in any way
    paths = [data.draw(spellings(template)) for _ in range(2)]
    results = []
    for path in paths:
        request = request_event("Bearer token", method, template, path)
        response = decide.authorize(request, request_id="r", deadline=time.monotonic() + 10)
        results.append((only_statement(response), request["methodArn"]))
    # THEN the effect is Allow exactly when the token has every scope the route needs ...
    expected = "Allow" if needed_by_oracle(required, table, method, template) <= granted else "Deny"
    event(expected)
    for (effect, resources), method_arn in results:
        assert effect == expected
        # ... on the stage, or on the exact methodArn (trailing slash and all) in method mode
        assert resources == [STAGE if policy_resource == "stage" else method_arn]
    assert transport.calls == 1


@SETTINGS
@given(
    table=route_tables,
    required=scope_sets,
    granted=scope_sets,
    route_key=st.one_of(
        st.just("$default"),
        st.tuples(st.sampled_from([*ROUTE_METHODS, "ANY"]), st.sampled_from(TEMPLATES)).map(
            " ".join
        ),
    ),
    method=st.sampled_from(ROUTE_METHODS),
)
def test_http_api_is_authorized_iff_granted_covers_the_route_key_united_with_any(
    table: dict[str, frozenset[str]],
    required: frozenset[str],
    granted: frozenset[str],
    route_key: str,
    method: str,
) -> None:
    # GIVEN any route table, REQUIRED_SCOPES, and a token granting any scopes
    jwt = make_jwt({"sub": "alice", "scope": " ".join(sorted(granted)), "exp": 4_000_000_000})
    transport = FakeTransport(HttpResponse(200, {"content-type": "application/jwt"}, jwt.encode()))
    routes = json.dumps({key: " ".join(sorted(scopes)) for key, scopes in table.items()})
    decide = authorizer(
        "jwt", transport, ROUTE_SCOPES=routes, REQUIRED_SCOPES=" ".join(sorted(required))
    )
    # WHEN an HTTP API event for that route key arrives (the route key among identity sources)
    template = "/anything" if route_key == "$default" else route_key.split(" ")[1]
    path = template.replace("{proxy+}", "a/b").replace("{id}", "7")
    request = http_api_event("Bearer token", route_key, method, path)
    response = decide.authorize(request, request_id="r", deadline=time.monotonic() + 10)
    # THEN isAuthorized exactly when granted covers REQUIRED_SCOPES, the key's own scopes,
    # those of "ANY p" and of "<request method> p" (also "GET p" for a HEAD), as on REST APIs;
    # $default, where any route's spelling may land, needs every route's scopes
    needed = required
    if route_key == "$default":
        needed = needed.union(*table.values())
    else:
        verb, template = route_key.split(" ")
        verb = method if verb == "ANY" else verb
        keys = {route_key, f"ANY {template}", f"{verb} {template}"}
        if verb == "HEAD":
            keys.add(f"GET {template}")
        needed = needed.union(*(table.get(key, frozenset()) for key in keys))
    event("authorized" if needed <= granted else "refused")
    assert response["isAuthorized"] is (needed <= granted)
    assert ("Authorization" in response["context"]) is (needed <= granted)
    assert transport.calls == 1
