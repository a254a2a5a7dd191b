"""The decision: token -> (cached) introspection -> policy. Dependencies are injected."""

from __future__ import annotations

import hashlib
import logging
import time

from phantom_token import decision_log, http_api
from phantom_token.bearer import authorization_header, method_arn, parse_authorization
from phantom_token.cache import TtlLruCache
from phantom_token.client_secret import SecretProvider
from phantom_token.config import load_config
from phantom_token.errors import (
    AuthorizerError,
    ClientRejectedError,
    IntrospectionError,
    UnauthorizedError,
)
from phantom_token.introspection import (
    HttpTransport,
    basic_authorization,
    interpret,
    post_with_retries,
    request_body,
    request_headers,
)
from phantom_token.policy import (
    authorizer_response,
    decide,
    denied_response,
    granted_scopes,
    parse_method_arn,
    principal_id,
)
from phantom_token.route import (
    UNLISTED_ROUTE_DENIED,
    event_route,
    is_listed,
    is_token_event,
    needed_scopes,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any, NamedTuple

    from phantom_token.config import Config
    from phantom_token.http_api import SimpleResponse
    from phantom_token.introspection import HttpResponse, Introspection, Transport
    from phantom_token.policy import AuthorizerResponse, MethodArn
else:
    from phantom_token._records import NamedTuple


class Demand(NamedTuple):
    """What an event asks of the token, read before the token is looked at."""

    needed: frozenset[str]
    header: str | None  # the raw Authorization value
    method: MethodArn | None = None  # REST events: where the policy applies
    denial: str | None = None  # why the route is denied whatever the token, if it is


class Authorizer:
    def __init__(
        self,
        config: Config,
        transport: Transport,
        secrets: SecretProvider,
        *,
        wall_clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self._transport = transport
        self._secrets = secrets
        self._wall_clock = wall_clock
        self._monotonic = monotonic
        self._headers: tuple[str, dict[str, str]] | None = None
        self._secret_read = False
        self.cache = TtlLruCache(config.cache_max_entries, config.cache_max_bytes, monotonic)

    def authorize(
        self, event: Mapping[str, Any], *, request_id: str, deadline: float
    ) -> AuthorizerResponse | SimpleResponse:
        """A REST policy or an HTTP API simple response; UnauthorizedError; AuthorizerError."""
        v2 = http_api.is_http_api_event(event)
        arn_field = ("route_arn", "routeArn") if v2 else ("method_arn", "methodArn")
        log: dict[str, Any] = {"request_id": request_id, arn_field[0]: event.get(arn_field[1])}
        try:
            demand = self._read_event(event, v2, log)
            token = parse_authorization(demand.header)
            digest = hashlib.sha256(token.encode("ascii")).digest()
            log["token_fingerprint"] = digest.hex()[:12]
            if demand.denial is not None:
                # A route denied whatever the token: nothing to introspect the token for.
                decision_log.log_decision(logging.INFO, outcome="deny", reason=demand.denial, **log)
                if demand.method is None:
                    return http_api.denied()
                return denied_response(self.config, demand.method)
            result = self.cache.get(digest)
            log["cache"] = "miss" if result is None else "hit"
            if result is None:
                started = self._monotonic()
                try:
                    result = self._introspect(token, deadline, log)
                finally:
                    log["introspection_ms"] = round((self._monotonic() - started) * 1000, 1)
                if result is None:
                    raise UnauthorizedError("token is not active")
                self.cache.put(digest, result, self._cache_ttl(result))
            granted = granted_scopes(result.claims)
            if granted.invalid:
                # A count only: the tokens are the identity server's (or a client's) text.
                log["invalid_scope_tokens"] = granted.invalid
            decision = decide(demand.needed, granted.scopes)
            response: AuthorizerResponse | SimpleResponse
            if demand.method is None:
                allow = decision.effect == "Allow"
                response = http_api.simple_response(self.config, allow, result.jwt, result.claims)
            else:
                response = authorizer_response(
                    self.config, demand.method, decision.effect, result.jwt, result.claims
                )
        except UnauthorizedError as exc:
            decision_log.log_decision(
                logging.INFO, outcome="unauthorized", reason=exc.reason, **log
            )
            raise
        except AuthorizerError as exc:
            decision_log.log_decision(logging.ERROR, outcome="error", reason=str(exc), **log)
            raise
        except Exception as exc:
            # An unexpected failure must still fail closed, and its text must not reach the logs.
            reason = f"internal error ({type(exc).__name__})"
            decision_log.log_decision(logging.ERROR, outcome="error", reason=reason, **log)
            raise AuthorizerError(reason) from None
        if decision.missing:
            log["missing_scopes"] = sorted(decision.missing)
        decision_log.log_decision(
            logging.INFO,
            outcome=decision.effect.lower(),
            reason="active" if decision.effect == "Allow" else "insufficient scope",
            principal=principal_id(result.claims),
            **log,
        )
        return response

    def _read_event(self, event: Mapping[str, Any], v2: bool, log: dict[str, Any]) -> Demand:
        """The route's scopes and the Authorization value; puts the route in ``log``.

        The route comes before the token: a deployment that cannot pin the route fails without
        a network call.
        """
        unlisted_denied = self.config.unlisted_routes == "deny"
        if v2:
            log["route"] = key = http_api.route_key(event)
            identity = event.get("identitySource")
            request_method = http_api.request_method(event)
            needed = http_api.needed_scopes(self.config, key, identity, request_method)
            header = authorization_header(event)
            http_api.check_token_is_an_identity_source(identity, header)
            if http_api.route_denied(self.config, key):
                return Demand(needed, header, denial=http_api.DEFAULT_ROUTE_DENIED)
            if unlisted_denied and not http_api.is_listed(self.config, key, request_method):
                return Demand(needed, header, denial=UNLISTED_ROUTE_DENIED)
            return Demand(needed, header)
        method = parse_method_arn(method_arn(event))
        route = event_route(event)
        token_event = is_token_event(event)
        if route is not None:
            log["route"] = route.key
        needed = needed_scopes(self.config, route, token_event=token_event)
        header = authorization_header(event)
        if unlisted_denied and not is_listed(self.config, route):
            return Demand(needed, header, method, UNLISTED_ROUTE_DENIED)
        return Demand(needed, header, method)

    def _introspect(self, token: str, deadline: float, log: dict[str, Any]) -> Introspection | None:
        """Every attempt, pause and retry ends by ``deadline`` (monotonic seconds).

        Puts in ``log`` the identity server's last answer class, and the time of the secret's
        first read in this container.
        """
        body = request_body(token)
        if self._secret_read:
            secret = self._secrets.get(deadline)
        else:
            started = self._monotonic()
            try:
                secret = self._secrets.get(deadline)
            finally:
                log["secret_read_ms"] = round((self._monotonic() - started) * 1000, 1)
            self._secret_read = True
        transport = AnswerRecorder(self._transport, log)
        for refreshed in (False, True):
            response = post_with_retries(
                transport,
                body,
                self._request_headers(secret),
                timeout=self.config.timeout_seconds,
                retries=self.config.retries,
                time_left=lambda: deadline - self._monotonic(),
            )
            try:
                return interpret(response, self.config.response_mode, self._wall_clock())
            except ClientRejectedError as exc:
                if exc.status != 401 or refreshed:
                    raise
                # A 401 may mean the secret was rotated since we read it: read it again (at
                # most once a minute) and ask once more.
                fresh = self._secrets.refresh(deadline)
                if fresh is None:
                    raise ClientRejectedError(
                        401, "the secret was re-read less than a minute ago"
                    ) from None
                secret = fresh
        raise AssertionError("unreachable")  # pragma: no cover

    def _request_headers(self, secret: str) -> dict[str, str]:
        # The headers change only with the secret: build them once per secret, not per call.
        if self._headers is None or self._headers[0] != secret:
            authorization = basic_authorization(self.config.client_id, secret)
            self._headers = (secret, request_headers(self.config.response_mode, authorization))
        return self._headers[1]

    def _cache_ttl(self, result: Introspection) -> float:
        if result.no_store:
            return 0
        ttls: list[float] = [self.config.cache_ttl_seconds]
        if result.max_age is not None:
            ttls.append(result.max_age)
        exp = result.claims.get("exp")
        if isinstance(exp, int | float) and not isinstance(exp, bool):
            ttls.append(exp - self._wall_clock())
        return min(ttls)


class AnswerRecorder:
    """The transport, noting in the decision's fields what each attempt came to."""

    __slots__ = ("_fields", "_transport")

    def __init__(self, transport: Transport, fields: dict[str, Any]) -> None:
        self._transport = transport
        self._fields = fields

    def post(self, body: bytes, headers: Mapping[str, str], timeout: float) -> HttpResponse:
        try:
            response = self._transport.post(body, headers, timeout)
        except TimeoutError:  # before OSError: it is one
            self._fields["identity_answer"] = "timeout"
            raise
        except OSError:  # refused, reset, closed, no address, TLS failures
            self._fields["identity_answer"] = "unreachable"
            raise
        except IntrospectionError:  # bytes that are no HTTP answer we can read
            self._fields["identity_answer"] = "invalid"
            raise
        kind = response.status // 100
        self._fields["identity_answer"] = f"{kind}xx" if 2 <= kind <= 5 else "invalid"
        return response


def build_authorizer(environ: Mapping[str, str]) -> Authorizer:
    config = load_config(environ)
    decision_log.configure(config.log_level, config.metrics_namespace, config.function_name)
    return Authorizer(config, HttpTransport(config.endpoint), SecretProvider(config.secret))
