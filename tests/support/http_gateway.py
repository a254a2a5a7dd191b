"""A local API Gateway HTTP API (v2) emulator for the end-to-end tests and ``make demo``.

The HTTP API counterpart of :mod:`tests.support.gateway` (which serves REST APIs), sharing its
warm Lambda container, its request plumbing and its CodeSha256 check. It reads an HTTP API back
from the moto server (``get_apis``, ``get_routes``, ``get_integration``, ``get_authorizer``,
``get_stage``: moto does not implement ``get_authorizers``, so the authorizers are those the
routes name) and serves one stage on 127.0.0.1 the way API Gateway does
(API Gateway Developer Guide, "Working with routes for HTTP APIs", "Working with AWS Lambda
authorizers for HTTP APIs", "Transforming API requests"):

- route selection: a full match of path and method first (literal segments before ``{param}``
  segments, a route's own method before ``ANY``), then a route with a greedy ``{proxy+}``
  (the longest literal prefix first), then ``$default``; no match -> 404
  ``{"message":"Not Found"}`` ("Routing API requests": "1. Full match for a route and method.
  2. Match for a route and method with a greedy path variable ({proxy+}). 3. The $default
  route."). A trailing slash is not a spelling of its route: ``GET /orders/`` goes to
  ``$default`` (or a greedy route) when the API has one, else 404 (a public report of 2026,
  InfoQ "AWS API Gateway auth bypass": ``GET /v1/accounts`` 401, ``GET /v1/accounts/`` 200
  through ``$default`` with no authorizer context);
- the path is percent-decoded before routing and delivered decoded (``rawPath`` too), so
  ``/orders%2F7`` is ``/orders/7``, and a decoded ``?`` ends the path (middleapi/standard-server
  PR 93, from the live captures of hotsock/voker PR 8); an encoded ``%`` (``%25``) is a 400
  ``{"message":"Bad Request"}`` without routing (an assumption: a path that decodes to one with
  a ``%`` has no single reading). :func:`decoded_path` holds these rules;
- ``CUSTOM`` routes call their Lambda authorizer (payload format ``2.0`` with simple responses;
  anything else is refused at start). Identity sources ``$request.header.X`` (case-insensitive),
  ``$request.querystring.X``, ``$context.X`` and ``$stageVariables.X``: a missing or empty one
  -> 401 without invoking the Lambda ("If the client's request doesn't include the identity
  sources, API Gateway doesn't invoke your Lambda authorizer, and the client receives a 401");
- the event: ``version``, ``type``, ``routeArn``, ``identitySource`` (the values, in order),
  ``routeKey``, ``rawPath``, ``rawQueryString``, ``cookies``, lower-cased ``headers`` (repeated
  headers joined with commas), ``queryStringParameters``, ``requestContext``,
  ``pathParameters``, ``stageVariables``;
- the answer: ``isAuthorized: true`` -> the request goes on with ``context``;
  ``isAuthorized: false`` -> 403 ``{"message":"Forbidden"}``; an error, a timeout or a response
  of the wrong shape -> 500 ``{"message":"Internal Server Error"}`` ("If API Gateway can't
  invoke your Lambda authorizer, or your Lambda authorizer returns a response in an invalid
  format, clients receive a 500"). The function's ``Exception("Unauthorized")`` -> 401
  ``{"message":"Unauthorized"}``: the REST API contract; the HTTP API documentation does not
  state it, so treat this row as an assumption (AWS may answer 500: still never an Allow);
- the authorizer cache: ``authorizerResultTtlInSeconds``, keyed by the authorizer and its
  identity source values; a cached simple response answers every route that shares them
  ("Caching authorizer responses"); errors and 401s are not cached;
- the integration's ``requestParameters`` ``overwrite|append|remove:header.<name>`` and
  ``...:querystring.<name>`` with ``$context.authorizer.<key>``, ``$context.<name>``,
  ``$request.header|querystring|path.<name>``, ``$stageVariables.<name>`` or static values; a
  mapping of a reserved header (``Authorization``, ``Host``, ``x-amz-*``, ... "Reserved
  headers") is refused at start, as API Gateway refuses to create it (moto accepts it);
  ``HTTP_PROXY`` forwards the client's headers (its ``Authorization`` too), query and body to
  the integration URI (path parameters substituted; ``$default`` appends the request path);
- ``AWS_PROXY`` (Lambda) integrations with payload format 2.0 ("Create AWS Lambda proxy
  integrations for HTTP APIs"): the backend function runs in a warm container of its own (the
  one of ``backend_zips`` whose CodeSha256 is the deployed one) with the 2.0 event, whose
  ``requestContext.authorizer.lambda`` is the simple response's ``context`` (the JWT at
  ``requestContext.authorizer.lambda.Authorization``). Its answer: an object with
  ``statusCode`` gives the status, ``headers``, ``cookies`` and ``body`` (``isBase64Encoded``);
  any other JSON value is a 200 ``application/json`` body of that JSON (the page's "Lambda
  function response format 2.0"); an error or timeout -> 500 ``{"message":"Internal Server
  Error"}`` (504 for the integration's timeout). The function's resource policy is not checked.

Not emulated: payload format 1.0 and IAM-policy responses, JWT and IAM authorizers, payload
format 1.0 Lambda integrations, request body and path mapping, response mapping, CORS, VPC links,
mutual TLS, custom domains, throttling, several stages at once, and the ``$default`` stage's
empty prefix (the stage name is always the first path segment).

Every response carries ``apigw-requestid``; :meth:`HttpGateway.record` says what happened.
"""

from __future__ import annotations

import json
import re
import time
import traceback
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote, urlencode, urlsplit

from tests.support.gateway import (
    HOP_BY_HOP,
    EmulatedStage,
    Function,
    Invocation,
    RequestRecord,
    _event_body,
    _Request,
    _Response,
    answer_body,
    aws_client,
    call_upstream,
    function_arn_from_uri,
    read_function,
)
from tests.support.http_server import QuietHandler

if TYPE_CHECKING:
    from pathlib import Path

# "Reserved headers" of HTTP API parameter mapping; a "*" entry is a prefix.
RESERVED_HEADERS = (
    "access-control-*",
    "apigw-*",
    "authorization",
    "connection",
    "content-encoding",
    "content-length",
    "content-location",
    "forwarded",
    "keep-alive",
    "origin",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailers",
    "transfer-encoding",
    "upgrade",
    "x-amz-*",
    "x-amzn-*",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-proto",
    "via",
)
ERRORS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    500: "Internal Server Error",
    503: "Service Unavailable",
    504: "Service Unavailable",
}


class MappingRefusedError(ValueError):
    """An integration maps a reserved header: API Gateway would refuse to create it."""


# ----- the applied configuration --------------------------------------------------------------


@dataclass(frozen=True)
class HttpIntegration:
    id: str
    type: str
    uri: str
    method: str
    request_parameters: dict[str, str]
    timeout_ms: int


@dataclass(frozen=True)
class HttpRoute:
    id: str
    key: str
    authorization_type: str
    authorizer_id: str | None
    integration: HttpIntegration | None

    @property
    def method(self) -> str:
        return self.key.split(" ", 1)[0] if self.key != "$default" else "ANY"

    @property
    def path(self) -> str:
        return self.key.split(" ", 1)[1] if self.key != "$default" else ""


@dataclass(frozen=True)
class HttpAuthorizer:
    id: str
    name: str
    identity_sources: tuple[str, ...]
    ttl_seconds: int
    function_arn: str


@dataclass(frozen=True)
class HttpApiConfig:
    api_id: str
    stage: str
    stage_variables: dict[str, str]
    region: str
    account_id: str
    routes: tuple[HttpRoute, ...]
    authorizers: dict[str, HttpAuthorizer]
    functions: dict[str, Function]
    # The functions of AWS_PROXY integrations, by ARN (run from backend_zips).
    backend_functions: dict[str, Function] = field(default_factory=dict)


def refused_mapping(key: str) -> str | None:
    """Why API Gateway refuses this request parameter key, or None."""
    _, _, target = key.partition(":")
    kind, _, name = target.partition(".")
    if kind != "header":
        return None
    lower = name.lower()
    for reserved in RESERVED_HEADERS:
        if lower == reserved or (reserved.endswith("*") and lower.startswith(reserved[:-1])):
            return f"{key}: {name} is a reserved header for HTTP API parameter mapping"
    return None


def load_http_api_config(
    endpoint_url: str, api_id: str, stage_name: str, region: str
) -> HttpApiConfig:
    """Read the HTTP API, one stage, its routes, integrations, authorizers and Lambdas."""
    v2 = aws_client("apigatewayv2", endpoint_url, region)
    lambda_ = aws_client("lambda", endpoint_url, region)
    stage = v2.get_stage(ApiId=api_id, StageName=stage_name)
    integrations: dict[str, HttpIntegration] = {}
    authorizers: dict[str, HttpAuthorizer] = {}
    functions: dict[str, Function] = {}
    routes = []
    for raw in v2.get_routes(ApiId=api_id)["Items"]:
        integration = None
        target = raw.get("Target") or ""
        if target.startswith("integrations/"):
            integration_id = target.removeprefix("integrations/")
            if integration_id not in integrations:
                found = v2.get_integration(ApiId=api_id, IntegrationId=integration_id)
                parameters = dict(found.get("RequestParameters") or {})
                for key in parameters:
                    problem = refused_mapping(key)
                    if problem is not None:
                        raise MappingRefusedError(problem)
                integrations[integration_id] = HttpIntegration(
                    id=integration_id,
                    type=found.get("IntegrationType", ""),
                    uri=found.get("IntegrationUri", ""),
                    method=found.get("IntegrationMethod") or "ANY",
                    request_parameters=parameters,
                    timeout_ms=int(found.get("TimeoutInMillis") or 30_000),
                )
            integration = integrations[integration_id]
        authorizer_id = raw.get("AuthorizerId")
        if raw.get("AuthorizationType") == "CUSTOM" and authorizer_id not in authorizers:
            found = v2.get_authorizer(ApiId=api_id, AuthorizerId=authorizer_id)
            if found.get("AuthorizerPayloadFormatVersion") != "2.0" or not found.get(
                "EnableSimpleResponses"
            ):
                msg = f"authorizer {authorizer_id}: only payload 2.0 with simple responses"
                raise ValueError(msg)
            arn = function_arn_from_uri(found.get("AuthorizerUri", ""))
            authorizers[authorizer_id] = HttpAuthorizer(
                id=authorizer_id,
                name=found.get("Name", ""),
                identity_sources=tuple(found.get("IdentitySource") or ()),
                ttl_seconds=int(found.get("AuthorizerResultTtlInSeconds") or 0),
                function_arn=arn,
            )
            if arn not in functions:
                functions[arn] = read_function(lambda_, arn)
        routes.append(
            HttpRoute(
                id=raw["RouteId"],
                key=raw["RouteKey"],
                authorization_type=raw.get("AuthorizationType", "NONE"),
                authorizer_id=authorizer_id,
                integration=integration,
            )
        )
    backend_functions = {
        arn: read_function(lambda_, arn)
        for arn in sorted(
            {
                function_arn_from_uri(integration.uri)
                for integration in integrations.values()
                if integration.type == "AWS_PROXY"
            }
        )
    }
    account_id = next(iter(functions)).split(":")[4] if functions else "123456789012"
    return HttpApiConfig(
        api_id=api_id,
        stage=stage_name,
        stage_variables=dict(stage.get("StageVariables") or {}),
        region=region,
        account_id=account_id,
        routes=tuple(routes),
        authorizers=authorizers,
        functions=functions,
        backend_functions=backend_functions,
    )


# ----- pure rules -----------------------------------------------------------------------------


def _match_path(template: str, path: str) -> tuple[dict[str, str], tuple[int, ...]] | None:
    """Path parameters and a rank (lower is more specific) when ``path`` matches ``template``."""
    parts = template.split("/")[1:] if template != "/" else []
    segments = path.split("/")[1:] if path != "/" else []
    params: dict[str, str] = {}
    rank: list[int] = []
    for index, part in enumerate(parts):
        if part.startswith("{") and part.endswith("+}"):
            rest = segments[index:]
            if not rest or any(not s for s in rest):
                return None
            params[part[1:-2]] = "/".join(rest)
            # greedy after every full match; a longer literal prefix first
            return params, (1, -index, *rank)
        if index >= len(segments) or not segments[index]:
            return None
        if part.startswith("{") and part.endswith("}"):
            params[part[1:-1]] = segments[index]
            rank.append(1)
        elif part == segments[index]:
            rank.append(0)
        else:
            return None
    if len(segments) != len(parts):
        return None
    return params, (0, 0, *rank)


def decoded_path(raw: str) -> str | None:
    """The path as an HTTP API routes and delivers it, or None for a 400 (see the docstring)."""
    if "%25" in raw.upper():
        return None
    return unquote(raw).partition("?")[0] or "/"


def select_route(
    routes: tuple[HttpRoute, ...], method: str, path: str
) -> tuple[HttpRoute, dict[str, str]] | None:
    """The route API Gateway picks for ``method path`` (see the module docstring), or None."""
    best: tuple[tuple[int, ...], HttpRoute, dict[str, str]] | None = None
    for route in routes:
        if route.key == "$default" or route.method not in (method, "ANY"):
            continue
        matched = _match_path(route.path, path)
        if matched is None:
            continue
        params, rank = matched
        full = (*rank, 1 if route.method == "ANY" else 0)
        if best is None or full < best[0]:
            best = (full, route, params)
    if best is not None:
        return best[1], best[2]
    default = next((route for route in routes if route.key == "$default"), None)
    return (default, {}) if default is not None else None


def route_arn(config: HttpApiConfig, method: str, path: str) -> str:
    prefix = f"arn:aws:execute-api:{config.region}:{config.account_id}:{config.api_id}"
    return f"{prefix}/{config.stage}/{method}/{path.lstrip('/')}"


def context_variables(
    config: HttpApiConfig, route: HttpRoute, request: _Request, path: str
) -> dict[str, Any]:
    now = time.time()
    return {
        "accountId": config.account_id,
        "apiId": config.api_id,
        "domainName": f"{config.api_id}.execute-api.{config.region}.amazonaws.com",
        "domainPrefix": config.api_id,
        "httpMethod": request.method,
        "path": f"/{config.stage}{path}",
        "protocol": "HTTP/1.1",
        "requestId": request.request_id,
        "routeKey": route.key,
        "stage": config.stage,
        "requestTime": datetime.fromtimestamp(now, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "requestTimeEpoch": int(now * 1000),
        "identity": {
            "sourceIp": "127.0.0.1",
            "userAgent": request.header("user-agent") or "",
        },
    }


def selection_value(
    expression: str,
    request: _Request,
    path_params: dict[str, str],
    context: dict[str, Any],
    stage_variables: dict[str, str],
) -> str | None:
    """The value of a selection expression (identity source or mapping value); None if absent."""

    def query(name: str) -> str | None:
        values = [value for key, value in request.query if key == name]
        return ",".join(values) if values else None  # HTTP APIs join repeated values

    lookups = {
        "$request.header.": request.header,
        "$request.querystring.": query,
        "$request.path.": path_params.get,
        "$stageVariables.": stage_variables.get,
        "$context.": lambda name: _context_value(context, name),
    }
    for prefix, lookup in lookups.items():
        if expression.startswith(prefix):
            return lookup(expression.removeprefix(prefix))
    return None if expression.startswith("$") else expression


def _context_value(context: dict[str, Any], name: str) -> str | None:
    value: Any = context
    for part in name.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if isinstance(value, bool):
        return str(value).lower()
    return None if value is None else str(value)


def apply_mapping(
    action: str,
    kind: str,
    name: str,
    value: str | None,
    headers: dict[str, str],
    query: list[tuple[str, str]],
) -> None:
    """Apply one ``action:kind.name`` request parameter in place ("Transforming API requests")."""
    if kind == "header":
        existing = next((k for k in headers if k.lower() == name.lower()), None)
        current = headers.pop(existing) if existing is not None else None
        if action == "overwrite" and value is not None:
            headers[name] = value
        elif action == "append" and value is not None:
            headers[name] = f"{current},{value}" if current else value
        elif action != "remove" and current is not None:
            headers[existing or name] = current
    elif kind == "querystring":
        if action in ("remove", "overwrite"):
            query[:] = [(k, v) for k, v in query if k != name]
        if action in ("overwrite", "append") and value is not None:
            query.append((name, value))


def authorizer_event(
    config: HttpApiConfig,
    route: HttpRoute,
    request: _Request,
    path: str,
    path_params: dict[str, str],
    identity: tuple[str, ...],
    context: dict[str, Any],
) -> dict[str, Any]:
    """The payload format 2.0 event (the shape of the AWS documentation's example)."""
    query: dict[str, list[str]] = {}
    for key, value in request.query:
        query.setdefault(key, []).append(value)
    cookies = request.header("cookie")
    return {
        "version": "2.0",
        "type": "REQUEST",
        "routeArn": route_arn(config, request.method, path),
        "identitySource": list(identity),
        "routeKey": route.key,
        "rawPath": f"/{config.stage}{path}",
        "rawQueryString": urlencode(request.query),
        "cookies": [c.strip() for c in cookies.split(";")] if cookies else [],
        "headers": dict(request.headers),
        "queryStringParameters": {k: ",".join(v) for k, v in query.items()} or None,
        "requestContext": {
            "accountId": config.account_id,
            "apiId": config.api_id,
            "domainName": context["domainName"],
            "domainPrefix": context["domainPrefix"],
            "http": {
                "method": request.method,
                "path": context["path"],
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": context["identity"]["userAgent"],
            },
            "requestId": request.request_id,
            "routeKey": route.key,
            "stage": config.stage,
            "time": context["requestTime"],
            "timeEpoch": context["requestTimeEpoch"],
        },
        "pathParameters": path_params or None,
        "stageVariables": config.stage_variables or None,
    }


def proxy_event(
    authorizer_event_: dict[str, Any],
    request: _Request,
    authorizer_context: dict[str, Any],
) -> dict[str, Any]:
    """The payload format 2.0 event of a Lambda integration ("Create AWS Lambda proxy
    integrations for HTTP APIs", "Payload format version"): the authorizer event's request
    fields, the body, and ``requestContext.authorizer.lambda``, the simple response's context
    (the phantom token's JWT at ``requestContext.authorizer.lambda.Authorization``; ``headers``
    still hold the client's own, opaque, ``authorization``)."""
    body, encoded = _event_body(request.body)
    event = {
        key: value
        for key, value in authorizer_event_.items()
        if key not in ("type", "routeArn", "identitySource")
    }
    event["requestContext"] = {
        **authorizer_event_["requestContext"],
        "authorizer": {"lambda": dict(authorizer_context)},
    }
    if body is not None:
        event["body"] = body
    event["isBase64Encoded"] = encoded
    return event


def proxy_response(invocation: Invocation) -> tuple[int, list[tuple[str, str]], bytes] | None:
    """A payload 2.0 answer as HTTP ("Lambda function response format 2.0"), or None for 500."""
    if invocation.error_type is not None:
        return None
    result = invocation.result
    if not (isinstance(result, dict) and "statusCode" in result):
        # API Gateway infers the format: any valid JSON is a 200 with that JSON as the body.
        body = json.dumps(result).encode()
        return 200, [("Content-Type", "application/json")], body
    status, body = result["statusCode"], result.get("body")
    if not isinstance(status, int) or not (body is None or isinstance(body, str)):
        return None
    headers = [(str(k), str(v)) for k, v in (result.get("headers") or {}).items()]
    headers += [("Set-Cookie", str(cookie)) for cookie in result.get("cookies") or []]
    data = answer_body(body, bool(result.get("isBase64Encoded")))
    return None if data is None else (status, headers, data)


def simple_response_problem(result: Any) -> str | None:
    """Why a simple response is malformed (API Gateway answers 500), or None."""
    if not isinstance(result, dict) or not isinstance(result.get("isAuthorized"), bool):
        return "no boolean isAuthorized"
    context = result.get("context", {})
    if context is not None and not isinstance(context, dict):
        return "context is not an object"
    return None


# ----- the gateway ----------------------------------------------------------------------------


class _Refused(Exception):  # control flow inside the gateway, never raised out of it
    def __init__(self, status: int, outcome: str):
        super().__init__(outcome)
        self.status = status
        self.outcome = outcome


class HttpGateway(EmulatedStage):
    """Serves one stage of an HTTP API (read from moto) on 127.0.0.1."""

    def __init__(
        self,
        aws_endpoint_url: str,
        api_id: str,
        stage_name: str,
        lambda_zip: Path,
        region: str = "us-east-1",
        ttl_override_seconds: int | None = None,
        backend_zips: tuple[Path, ...] = (),
    ):
        self.config = load_http_api_config(aws_endpoint_url, api_id, stage_name, region)
        self.ttl_override_seconds = ttl_override_seconds
        self._start(
            _HttpGatewayHandler,
            lambda_zip,
            aws_endpoint_url,
            "http-gateway-emulator-",
            backend_zips,
        )

    def handle(self, request: _Request) -> _Response:
        record = RequestRecord(request.request_id, request.method, request.path)
        with self._lock:
            self._records[request.request_id] = record
        try:
            response = self._handle(request, record)
        except _Refused as refused:
            record.outcome = record.outcome or refused.outcome
            response = self._error(refused.status, request)
        except Exception as error:  # a bug of the emulator: say so rather than hang the client
            traceback.print_exc()
            record.outcome = f"emulator error: {type(error).__name__}: {error}"
            response = self._error(500, request)
        record.status = response.status
        return response

    def _handle(self, request: _Request, record: RequestRecord) -> _Response:
        prefix = f"/{self.config.stage}"
        if request.path != prefix and not request.path.startswith(prefix + "/"):
            raise _Refused(404, "no stage")
        path = decoded_path(request.path[len(prefix) :] or "/")
        if path is None:
            raise _Refused(400, "encoded % in the path")
        selected = select_route(self.config.routes, request.method, path)
        if selected is None:
            raise _Refused(404, "no route")
        route, path_params = selected
        context = context_variables(self.config, route, request, path)
        authorizer_context: dict[str, Any] = {}
        if route.authorization_type == "CUSTOM":
            authorizer = self.config.authorizers[route.authorizer_id or ""]
            authorizer_context = self._authorize(
                authorizer, route, request, path, path_params, context, record
            )
        if route.integration is None:
            raise _Refused(500, "no integration")
        if route.integration.type == "AWS_PROXY":
            request_fields = authorizer_event(
                self.config, route, request, path, path_params, (), context
            )
            event = proxy_event(request_fields, request, authorizer_context)
            return self._lambda_proxy(route.integration, event, request, record)
        return self._forward(
            route, request, path, path_params, {**context, "authorizer": authorizer_context}, record
        )

    def _authorize(
        self,
        authorizer: HttpAuthorizer,
        route: HttpRoute,
        request: _Request,
        path: str,
        path_params: dict[str, str],
        context: dict[str, Any],
        record: RequestRecord,
    ) -> dict[str, Any]:
        values = [
            selection_value(source, request, path_params, context, self.config.stage_variables)
            for source in authorizer.identity_sources
        ]
        if any(not value for value in values):
            raise _Refused(401, "no identity source")
        identity = tuple(str(value) for value in values)
        ttl = (
            authorizer.ttl_seconds
            if self.ttl_override_seconds is None
            else self.ttl_override_seconds
        )
        key = (authorizer.id, identity)
        result: dict[str, Any] | None = None
        if ttl > 0 and identity:
            with self._lock:
                cached = self._cache.get(key)
            if cached is not None and cached[0] > time.monotonic():
                result = cached[1]
                record.cached_policy = True
        if result is None:
            event = authorizer_event(
                self.config, route, request, path, path_params, identity, context
            )
            record.lambda_invocations += 1
            record.event = event
            invocation = self.containers[authorizer.function_arn].invoke(event)
            if invocation.unauthorized:
                raise _Refused(401, "authorizer: Unauthorized")
            if invocation.error_type is not None:
                raise _Refused(500, f"authorizer error: {invocation.error_type}")
            problem = simple_response_problem(invocation.result)
            if problem is not None:
                raise _Refused(500, f"authorizer result: {problem}")
            result = invocation.result
            assert result is not None
            if ttl > 0 and identity:
                with self._lock:
                    self._cache[key] = (time.monotonic() + ttl, result)
        if not result["isAuthorized"]:
            raise _Refused(403, "isAuthorized: false")
        return dict(result.get("context") or {})

    def _forward(
        self,
        route: HttpRoute,
        request: _Request,
        path: str,
        path_params: dict[str, str],
        context: dict[str, Any],
        record: RequestRecord,
    ) -> _Response:
        integration = route.integration
        assert integration is not None
        headers: dict[str, str] = {}
        if integration.type == "HTTP_PROXY":
            headers = {k: v for k, v in request.headers.items() if k not in HOP_BY_HOP}
        query = list(request.query)
        for key, source in integration.request_parameters.items():
            action, _, target = key.partition(":")
            kind, _, name = target.partition(".")
            value = selection_value(
                source, request, path_params, context, self.config.stage_variables
            )
            apply_mapping(action, kind, name, value, headers, query)

        uri = re.sub(
            r"\{([^}+]+)\+?\}",
            lambda m: quote(path_params.get(m.group(1), ""), safe="/"),
            integration.uri,
        )
        destination = urlsplit(uri)
        target_path = destination.path or "/"
        if route.key == "$default":
            target_path = target_path.rstrip("/") + path
        if destination.query or query:
            joined = "&".join(part for part in (destination.query, urlencode(query)) if part)
            target_path += "?" + joined
        method = request.method if integration.method == "ANY" else integration.method
        try:
            status, relayed, body = call_upstream(
                destination, method, target_path, request.body, headers, integration.timeout_ms
            )
        except TimeoutError:
            raise _Refused(504, "integration timeout") from None
        except OSError:
            raise _Refused(503, "integration failure") from None
        record.outcome = "forwarded"
        return _Response(status, [*relayed, ("apigw-requestid", request.request_id)], body)

    def _lambda_proxy(
        self,
        integration: HttpIntegration,
        event: dict[str, Any],
        request: _Request,
        record: RequestRecord,
    ) -> _Response:
        invocation = self._invoke_backend(integration.uri, event, record)
        if invocation.timed_out:
            raise _Refused(504, "integration timeout")
        response = proxy_response(invocation)
        if response is None:
            raise _Refused(500, "backend function failed or answered malformed")
        record.outcome = "forwarded"
        status, headers, body = response
        return _Response(status, [*headers, ("apigw-requestid", request.request_id)], body)

    def _error(self, status: int, request: _Request) -> _Response:
        body = json.dumps({"message": ERRORS.get(status, "Internal Server Error")}).encode()
        headers = [("Content-Type", "application/json"), ("apigw-requestid", request.request_id)]
        return _Response(status, headers, body)


class _HttpGatewayHandler(QuietHandler):
    app: HttpGateway

    def _serve(self) -> None:
        path, query = self.split_path()
        headers: dict[str, str] = {}
        for name, value in self.headers.items():
            # HTTP APIs lower-case header names and join repeated headers with commas.
            lower = name.lower()
            headers[lower] = f"{headers[lower]},{value}" if lower in headers else value
        request = _Request(
            method=self.command, path=path, query=query, headers=headers, body=self.read_body()
        )
        response = self.app.handle(request)
        self.send(response.status, response.body, response.headers)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve
