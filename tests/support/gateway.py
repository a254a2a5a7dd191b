"""A local API Gateway (REST API) emulator for the end-to-end tests and ``make demo``.

moto stores an applied REST API but never serves it, never evaluates authorizers and runs no
Lambda without Docker. This emulator reads the applied configuration back from the moto server
with boto3 and serves one stage on 127.0.0.1 the way API Gateway does for Lambda authorizers:

- route match on the resource tree: literal path parts before ``{param}`` before ``{proxy+}``,
  the exact HTTP method before ``ANY``; no match -> 403 ``MISSING_AUTHENTICATION_TOKEN``. A
  trailing slash routes to the same resource and stays in ``methodArn`` and the event's
  ``path``; literal parts compare case-sensitively; the spellings the emulator does not route
  (empty segments inside the path, encoded slashes) are listed at :func:`route_segments`;
- ``CUSTOM`` methods call their authorizer. ``TOKEN``: the identity source header (missing or
  empty -> 401) and the ``identityValidationExpression`` as a full regex match (mismatch -> 401;
  the Lambda is not invoked in either case). ``REQUEST``: header, query string and
  ``context.*`` identity sources (``context.httpMethod``, ``context.resourceId``,
  ``context.resourcePath``, ``context.stage``, ...); with caching on, a missing or empty one ->
  401 without invoking the Lambda. The REQUEST event carries ``resource`` (the template,
  ``/orders/{id}``), ``path`` (as requested), ``httpMethod`` (the request's, also on ``ANY``
  methods) and ``requestContext.resourceId``/``resourcePath``;
- the authorizer Lambda runs from the deployment zip, unpacked into a temporary directory, in a
  worker process that stays up between invocations (a warm container: module globals, the
  in-container cache and kept-alive connections persist), with the deployed environment
  variables plus fake credentials, the region and ``AWS_ENDPOINT_URL`` pointing at moto. The
  deployed ``CodeSha256`` must equal the zip's, or the emulator refuses to start;
- the Lambda's ``Exception("Unauthorized")`` -> 401; any other error, a timeout (the function's
  ``Timeout``) or a malformed result (no ``principalId`` or policy, a non-scalar context value)
  -> 500; the policy is evaluated against the ``methodArn``
  (``arn:aws:execute-api:{region}:{account}:{api}/{stage}/{METHOD}/{path}``) with IAM wildcards
  (``*``, ``?``): an explicit Deny wins, no matching Allow -> 403;
- the authorizer result cache: ``authorizerResultTtlInSeconds``, keyed by the authorizer and
  its identity source values (context values included, so ``context.resourceId`` pins a
  decision to a resource); a cached policy is evaluated again against each new ``methodArn``
  (the reason the module's policy must be stage-wide). Errors and 401s are not cached;
- the integration's ``requestParameters`` (``context.authorizer.*``, ``context.requestId``,
  ``method.request.header|path|querystring.*``, static ``'value'``), path parameters
  substituted into the integration URI; ``HTTP_PROXY`` forwards the client's headers, query and
  body; ``HTTP`` forwards only the mapped parameters and the body; the response is relayed;
- ``AWS_PROXY`` (Lambda proxy) integrations: the backend function runs in a warm container of
  its own (from the zip whose CodeSha256 is the deployed one, see ``backend_zips``) with the
  proxy event of the developer guide's "Input format of a Lambda function for proxy
  integration" (``requestContext.authorizer`` is the authorizer's context plus
  ``principalId``); its answer ("Output format of a Lambda function for proxy integration":
  ``statusCode``, ``headers``, ``multiValueHeaders``, ``body``, ``isBase64Encoded``) becomes the
  HTTP response. A function error or a malformed answer -> 502 ``{"message": "Internal server
  error"}``, a timeout (the integration's) -> 504; the function's resource policy (the
  ``aws_lambda_permission``) is not checked;
- gateway responses (UNAUTHORIZED, ACCESS_DENIED, AUTHORIZER_FAILURE, ...) with API Gateway's
  defaults, overridden by the status, ``gatewayresponse.header.*`` static values and a
  static ``application/json`` template stored in moto (``$context.error.message`` and
  ``$context.error.messageString`` are substituted).

Not emulated: stage variables (in URIs and as identity sources), mapping templates (VTL) of
integrations and method responses, ``AWS``/``MOCK`` integrations, request
validators and models, API keys and usage plans, throttling, WAF, resource policies, CORS,
mutual TLS, custom domains, binary media types, chunked request bodies, more than one
concurrent container (invocations are serialized on one warm worker), the Lambda's memory
limit and its freeze between invocations, the IAM role (the worker uses fake credentials that
moto accepts for anything), the authorizer's own ``authorizerCredentials``, and the runtime
itself: the worker runs this interpreter with the test environment's packages importable
(Lambda's Python runtime adds only boto3 to the zip). A stage is served as the API is
configured *now* (moto keeps no deployment snapshots), unless the caller passes a configuration
it read earlier (:func:`with_current_functions`: an old deployment in front of a new function).

Every request gets an ``x-amzn-RequestId``; :meth:`Gateway.record` returns what happened to
it (status, outcome, how many times the Lambda ran and with which event, whether the cached
policy was used).
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import http.client
import json
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import SplitResult, quote, urlencode, urlsplit

import boto3

from tests.support.http_server import LoopbackServer, QuietHandler, ServedApp
from tests.support.processes import stdout_lines

FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}
_WORKER = Path(__file__).with_name("lambda_worker.py")
_WORKER_READY_SECONDS = 30.0
_WORKER_EXIT_SECONDS = 5.0
_DEFAULT_INTEGRATION_TIMEOUT_MS = 29_000
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "host"}
)

# Status, default message and x-amzn-ErrorType of the gateway responses this emulator raises.
DEFAULT_RESPONSES: dict[str, tuple[int, str, str]] = {
    "UNAUTHORIZED": (401, "Unauthorized", "UnauthorizedException"),
    "ACCESS_DENIED": (
        403,
        "User is not authorized to access this resource with an explicit deny",
        "AccessDeniedException",
    ),
    "AUTHORIZER_FAILURE": (500, "", "AuthorizerFailureException"),
    "AUTHORIZER_CONFIGURATION_ERROR": (500, "", "AuthorizerConfigurationException"),
    "MISSING_AUTHENTICATION_TOKEN": (
        403,
        "Missing Authentication Token",
        "MissingAuthenticationTokenException",
    ),
    "INTEGRATION_FAILURE": (504, "Internal server error", "InternalServerErrorException"),
    "INTEGRATION_TIMEOUT": (504, "Endpoint request timed out", "InternalServerErrorException"),
}


class CodeMismatchError(RuntimeError):
    """The deployed function's CodeSha256 is not the zip the emulator was given."""


# ----- the applied configuration --------------------------------------------------------------


@dataclass(frozen=True)
class Integration:
    type: str
    uri: str
    http_method: str
    request_parameters: dict[str, str]
    timeout_ms: int


@dataclass(frozen=True)
class Method:
    resource_id: str
    resource_path: str
    http_method: str
    authorization_type: str
    authorizer_id: str | None
    integration: Integration | None


@dataclass(frozen=True)
class Authorizer:
    id: str
    name: str
    type: str
    identity_sources: tuple[str, ...]
    validation_expression: str | None
    ttl_seconds: int
    function_arn: str


@dataclass(frozen=True)
class Function:
    arn: str
    name: str
    handler: str
    runtime: str
    timeout_seconds: int
    memory_mb: int
    environment: dict[str, str]
    code_sha256: str


@dataclass(frozen=True)
class GatewayResponse:
    status: int
    headers: dict[str, str]
    json_template: str | None


@dataclass(frozen=True)
class ApiConfig:
    api_id: str
    stage: str
    region: str
    account_id: str
    methods: tuple[Method, ...]
    authorizers: dict[str, Authorizer]
    functions: dict[str, Function]
    gateway_responses: dict[str, GatewayResponse]
    # The functions of AWS_PROXY integrations, by ARN (run from backend_zips, not the authorizer's).
    backend_functions: dict[str, Function] = field(default_factory=dict)


def aws_client(service: str, endpoint_url: str, region: str) -> Any:
    """A boto3 client for the moto server, with fake credentials."""
    return boto3.client(
        service,
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )


def function_arn_from_uri(authorizer_uri: str) -> str:
    """``arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{arn}/invocations``."""
    match = re.search(r"/functions/(.+)/invocations$", authorizer_uri)
    if match is None:
        msg = f"not a Lambda authorizer URI: {authorizer_uri}"
        raise ValueError(msg)
    return match.group(1)


def read_function(lambda_: Any, arn: str) -> Function:
    """A deployed function's configuration, as the emulated container runs it."""
    config = lambda_.get_function_configuration(FunctionName=arn)
    return Function(
        arn=config["FunctionArn"],
        name=config["FunctionName"],
        handler=config["Handler"],
        runtime=config.get("Runtime", ""),
        timeout_seconds=int(config.get("Timeout") or 3),
        memory_mb=int(config.get("MemorySize") or 128),
        environment=dict((config.get("Environment") or {}).get("Variables") or {}),
        code_sha256=config.get("CodeSha256", ""),
    )


def _static_value(value: str) -> str | None:
    return value[1:-1] if len(value) >= 2 and value[0] == value[-1] == "'" else None


def load_api_config(endpoint_url: str, rest_api_id: str, stage_name: str, region: str) -> ApiConfig:
    """Read the REST API, one stage, its authorizers and their Lambdas back from moto."""
    apigateway = aws_client("apigateway", endpoint_url, region)
    lambda_ = aws_client("lambda", endpoint_url, region)
    apigateway.get_stage(restApiId=rest_api_id, stageName=stage_name)  # fails if not deployed

    methods = []
    resources = apigateway.get_resources(restApiId=rest_api_id, limit=500)["items"]
    for resource in resources:
        for verb in resource.get("resourceMethods") or {}:
            method = apigateway.get_method(
                restApiId=rest_api_id, resourceId=resource["id"], httpMethod=verb
            )
            raw = method.get("methodIntegration")
            integration = None
            if raw:
                integration = Integration(
                    type=raw.get("type", ""),
                    uri=raw.get("uri", ""),
                    http_method=raw.get("httpMethod") or verb,
                    request_parameters=dict(raw.get("requestParameters") or {}),
                    timeout_ms=int(raw.get("timeoutInMillis") or _DEFAULT_INTEGRATION_TIMEOUT_MS),
                )
            methods.append(
                Method(
                    resource_id=resource["id"],
                    resource_path=resource["path"],
                    http_method=verb,
                    authorization_type=method.get("authorizationType", "NONE"),
                    authorizer_id=method.get("authorizerId"),
                    integration=integration,
                )
            )

    authorizers: dict[str, Authorizer] = {}
    functions: dict[str, Function] = {}
    for raw in apigateway.get_authorizers(restApiId=rest_api_id)["items"]:
        arn = function_arn_from_uri(raw.get("authorizerUri", ""))
        authorizers[raw["id"]] = Authorizer(
            id=raw["id"],
            name=raw.get("name", ""),
            type=raw["type"],
            identity_sources=tuple(
                source.strip() for source in (raw.get("identitySource") or "").split(",") if source
            ),
            validation_expression=raw.get("identityValidationExpression") or None,
            ttl_seconds=int(raw.get("authorizerResultTtlInSeconds") or 0),
            function_arn=arn,
        )
        if arn not in functions:
            functions[arn] = read_function(lambda_, arn)

    responses = {}
    for raw in apigateway.get_gateway_responses(restApiId=rest_api_id).get("items", []):
        headers = {}
        for key, value in (raw.get("responseParameters") or {}).items():
            static = _static_value(value)
            if key.startswith("gatewayresponse.header.") and static is not None:
                headers[key.removeprefix("gatewayresponse.header.")] = static
        default_status = DEFAULT_RESPONSES.get(raw["responseType"], (500, "", ""))[0]
        responses[raw["responseType"]] = GatewayResponse(
            status=int(raw.get("statusCode") or default_status),
            headers=headers,
            json_template=(raw.get("responseTemplates") or {}).get("application/json"),
        )

    backend_functions: dict[str, Function] = {}
    for method in methods:
        if method.integration is not None and method.integration.type == "AWS_PROXY":
            arn = function_arn_from_uri(method.integration.uri)
            if arn not in backend_functions:
                backend_functions[arn] = read_function(lambda_, arn)

    account_id = next(iter(functions)).split(":")[4] if functions else "123456789012"
    return ApiConfig(
        api_id=rest_api_id,
        stage=stage_name,
        region=region,
        account_id=account_id,
        methods=tuple(methods),
        authorizers=authorizers,
        functions=functions,
        gateway_responses=responses,
        backend_functions=backend_functions,
    )


def with_current_functions(config: ApiConfig, endpoint_url: str) -> ApiConfig:
    """``config`` with its authorizers' functions read again from moto (code, environment).

    A REST stage serves the snapshot of its deployment until it is redeployed, while a Lambda
    function serves its latest code and environment at once (API Gateway Developer Guide,
    "Deploy REST APIs in API Gateway": updating an API's "methods, integrations, authorizers"
    needs a redeployment; "Create a deployment for a REST API in API Gateway": a stage is "a
    snapshot of the API"). An upgrade that updates the function before the stage
    is redeployed runs the new function behind the old API configuration: a configuration read
    before the upgrade, passed through this after it, is that stage.
    """
    lambda_ = aws_client("lambda", endpoint_url, config.region)
    functions = {arn: read_function(lambda_, arn) for arn in config.functions}
    return dataclasses.replace(config, functions=functions)


# ----- pure rules -----------------------------------------------------------------------------


def route_segments(path: str) -> list[str] | None:
    """The path segments API Gateway matches against the resource tree (``/orders/7/`` ->
    ``["orders", "7"]``), or None for a spelling the emulator does not route.

    - One trailing slash routes to the same resource: API Gateway serves ``/orders/`` with the
      ``/orders`` resource (aws-powertools/powertools-lambda-python issue 1552 and PR 1577;
      floci-io/floci issue 1557 and PR 1863). The slash stays in ``methodArn`` and ``path``.
    - Slashes between the stage and the path collapse: ``/prod//orders`` is served as
      ``/prod/orders`` (localstack/localstack issue 11253, reported against AWS, and PR 11304,
      which made the emulator match). Where the doubled slash appears in ``methodArn`` is
      unverified; the emulator keeps the path as requested.
    - Unverified, so not routed (403 ``MISSING_AUTHENTICATION_TOKEN``, the conservative
      choice: the emulator never invents a resource for a spelling): an empty segment inside
      the path or after the trailing slash (``/orders//7``, ``/orders//``), and an encoded
      slash in a segment (``/orders%2F7``). No public statement of what API Gateway does with
      them was found.
    - Other percent-escapes are compared as sent (``/%6Frders`` is not ``/orders``): unverified.
    - Literal parts compare case-sensitively (``/Orders`` is not ``/orders``), as URI paths do
      (RFC 3986 section 6.2.2.1).
    """
    rest = path.lstrip("/")
    if rest.endswith("/"):
        rest = rest[:-1]
    if not rest:
        return []
    segments = rest.split("/")
    if any(not segment or "%2f" in segment.lower() for segment in segments):
        return None
    return segments


def match_route(
    methods: tuple[Method, ...], http_method: str, path: str
) -> tuple[Method, dict[str, str]] | None:
    """The method API Gateway would pick for ``http_method path``, and its path parameters."""
    parts = route_segments(path)
    if parts is None:
        return None
    best: tuple[tuple[int, int, int], Method, dict[str, str]] | None = None
    for method in methods:
        if method.http_method not in (http_method, "ANY"):
            continue
        params = _match_resource(method.resource_path, parts)
        if params is None:
            continue
        template = [part for part in method.resource_path.split("/") if part]
        literals = sum(1 for part in template if not part.startswith("{"))
        greedy = any(part.endswith("+}") for part in template)
        score = (literals, 0 if greedy else 1, 1 if method.http_method != "ANY" else 0)
        if best is None or score > best[0]:
            best = (score, method, params)
    return None if best is None else (best[1], best[2])


def _match_resource(resource_path: str, parts: list[str]) -> dict[str, str] | None:
    template = [part for part in resource_path.split("/") if part]
    params: dict[str, str] = {}
    for index, piece in enumerate(template):
        if piece.startswith("{") and piece.endswith("+}"):
            rest = parts[index:]
            if not rest:
                return None
            params[piece[1:-2]] = "/".join(rest)
            return params
        if index >= len(parts):
            return None
        if piece.startswith("{") and piece.endswith("}"):
            params[piece[1:-1]] = parts[index]
        elif piece != parts[index]:
            return None
    return params if len(template) == len(parts) else None


def method_arn(config: ApiConfig, http_method: str, path: str) -> str:
    """``arn:aws:execute-api:{region}:{account}:{api}/{stage}/{METHOD}/{path}``, the path as
    requested: a trailing slash stays (the reports at :func:`route_segments`), and the root is
    ``.../GET/`` (aws/chalice PR 1552: API Gateway once sent ``GET//``, no longer)."""
    return (
        f"arn:aws:execute-api:{config.region}:{config.account_id}:"
        f"{config.api_id}/{config.stage}/{http_method}/{path[1:]}"
    )


def context_variables(
    config: ApiConfig, method: Method, request: _Request, path: str
) -> dict[str, Any]:
    """The ``$context`` variables of a request: the identity sources ``context.*`` read them,
    the REQUEST event's ``requestContext`` is them, integrations map them.

    ``httpMethod`` is the request's method, also on an ``ANY`` method; ``resourceId`` and
    ``resourcePath`` are the matched resource's (API Gateway developer guide, "$context
    Variables for data models, authorizers, mapping templates, and access logging").
    """
    return {
        "accountId": config.account_id,
        "apiId": config.api_id,
        "httpMethod": request.method,
        "identity": {"sourceIp": "127.0.0.1", "userAgent": request.header("user-agent")},
        "path": f"/{config.stage}{path}",
        "requestId": request.request_id,
        "resourceId": method.resource_id,
        "resourcePath": method.resource_path,
        "stage": config.stage,
    }


def identity_values(
    authorizer: Authorizer, request: _Request, context: dict[str, Any], ttl_seconds: int
) -> tuple[str, ...] | None:
    """The values of the authorizer's identity sources (its cache key with the authorizer's
    id), or None when API Gateway answers 401 without invoking the Lambda.

    TOKEN: the header is required. REQUEST with caching on: every source must be present, not
    null and non-empty (API Gateway API Reference, CreateAuthorizer, ``identitySource``: "Only
    when this is true does the authorizer invoke the authorizer Lambda function, otherwise, it
    returns a 401 Unauthorized response without calling the Lambda function"); with caching
    off the sources are optional. Path parameters cannot be identity sources (developer guide,
    "Input to an API Gateway Lambda authorizer"), so ``method.request.path.*`` reads nothing.
    """
    values = []
    for source in authorizer.identity_sources:
        value = _source_value(source, request, {}, context)
        if not value:
            if authorizer.type == "TOKEN" or ttl_seconds > 0:
                return None
            continue
        values.append(value)
    if authorizer.type == "TOKEN" and not values:
        return None
    return tuple(values)


def authorizer_event(
    authorizer: Authorizer,
    method: Method,
    request: _Request,
    path: str,
    path_params: dict[str, str],
    arn: str,
    identity: tuple[str, ...],
    context: dict[str, Any],
) -> dict[str, Any]:
    """The Lambda's event (developer guide, "Input to an API Gateway Lambda authorizer"):
    ``resource`` is the resource's template, ``path`` and ``methodArn`` the path as requested
    (trailing slash kept: floci-io/floci PR 1863 changed its authorizer event to match AWS),
    except that the slashes between the stage and the path collapse in ``path``, while
    ``requestContext.path`` keeps them: ``/prod//orders`` has ``path`` ``/orders`` and
    ``requestContext.path`` ``/prod//orders`` (localstack/localstack PR 11304, whose tests are
    checked against AWS: leading slashes removed to route, kept in ``requestContext.path``).
    Header names keep the client's spelling; see :func:`event_headers`."""
    if authorizer.type == "TOKEN":
        return {"type": "TOKEN", "authorizationToken": identity[0], "methodArn": arn}
    headers, multi_value_headers = event_headers(request)
    return {
        "type": "REQUEST",
        "methodArn": arn,
        "resource": method.resource_path,
        "path": "/" + path.lstrip("/"),
        "httpMethod": request.method,
        "headers": headers,
        "multiValueHeaders": multi_value_headers,
        "queryStringParameters": dict(request.query) or None,
        "multiValueQueryStringParameters": _multi(request.query) or None,
        "pathParameters": path_params or None,
        "stageVariables": None,
        "requestContext": context,
    }


def event_headers(request: _Request) -> tuple[dict[str, str], dict[str, list[str]]]:
    """(``headers``, ``multiValueHeaders``) of a REQUEST event, from the client's header lines.

    Names keep the client's case (the first spelling of a name that came in several); a
    header sent more than once is in ``headers`` once, with its last value, and in
    ``multiValueHeaders`` with every value in order (developer guide, "Set up Lambda proxy
    integrations in API Gateway": "only the last values" of a repeated header in ``headers``;
    "Input to an API Gateway Lambda authorizer": a REQUEST event carries both fields).
    """
    lines = request.header_lines or list(request.headers.items())
    spelling: dict[str, str] = {}
    headers: dict[str, str] = {}
    multi_value_headers: dict[str, list[str]] = {}
    for name, value in lines:
        key = spelling.setdefault(name.lower(), name)
        headers[key] = value
        multi_value_headers.setdefault(key, []).append(value)
    return headers, multi_value_headers


def iam_wildcard_match(pattern: str, value: str) -> bool:
    """IAM resource matching: ``*`` is any run of characters (``/`` included), ``?`` one."""
    regex = "".join(
        ".*" if char == "*" else "." if char == "?" else re.escape(char) for char in pattern
    )
    return re.fullmatch(regex, value, flags=re.DOTALL) is not None


def _as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


def evaluate_policy(policy: dict[str, Any], method_arn: str) -> str:
    """``"Allow"``, ``"Deny"`` (explicit) or ``"NoMatch"`` for ``execute-api:Invoke``."""
    statements = policy.get("Statement") or []
    if isinstance(statements, dict):
        statements = [statements]
    allowed = False
    for statement in statements:
        actions = _as_list(statement.get("Action"))
        if not any(iam_wildcard_match(action, "execute-api:Invoke") for action in actions):
            continue
        if not any(
            iam_wildcard_match(res, method_arn) for res in _as_list(statement.get("Resource"))
        ):
            continue
        if statement.get("Effect") == "Deny":
            return "Deny"
        if statement.get("Effect") == "Allow":
            allowed = True
    return "Allow" if allowed else "NoMatch"


def validate_authorizer_result(result: Any) -> str | None:
    """Why API Gateway would reject this authorizer result, or None when it is well formed."""
    if not isinstance(result, dict):
        return "result is not an object"
    if not result.get("principalId"):
        return "principalId missing"
    document = result.get("policyDocument")
    if not isinstance(document, dict) or not document.get("Statement"):
        return "policyDocument missing or without statements"
    context = result.get("context") or {}
    if not isinstance(context, dict):
        return "context is not an object"
    for key, value in context.items():
        if not isinstance(value, str | int | float | bool):
            return f"context value {key!r} is not a string, number or boolean"
    return None


# ----- the warm Lambda container --------------------------------------------------------------


@dataclass(frozen=True)
class Invocation:
    result: Any = None
    error_type: str | None = None
    error_message: str | None = None
    timed_out: bool = False

    @property
    def unauthorized(self) -> bool:
        return self.error_message == "Unauthorized" and not self.timed_out


def zip_code_sha256(zip_path: Path) -> str:
    """Lambda's CodeSha256: base64 of the SHA-256 of the deployment package."""
    return base64.b64encode(hashlib.sha256(zip_path.read_bytes()).digest()).decode("ascii")


class WarmContainer:
    """One Lambda container: the unpacked zip and a worker process kept between invocations."""

    def __init__(
        self, function: Function, code_dir: Path, aws_endpoint_url: str, region: str, log: IO[str]
    ):
        self.function = function
        self.code_dir = code_dir
        self.aws_endpoint_url = aws_endpoint_url
        self.region = region
        self.log = log
        self.cold_starts = 0
        self.invocations = 0
        self._process: subprocess.Popen[str] | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._lock = threading.Lock()

    def environment(self) -> dict[str, str]:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "TZ": ":UTC",
            "PYTHONUNBUFFERED": "1",
            "LAMBDA_TASK_ROOT": str(self.code_dir),
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_ENDPOINT_URL": self.aws_endpoint_url,
            "AWS_LAMBDA_FUNCTION_NAME": self.function.name,
            "AWS_LAMBDA_FUNCTION_ARN": self.function.arn,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(self.function.memory_mb),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{self.function.runtime}",
            **FAKE_CREDENTIALS,
        }
        env.update(self.function.environment)  # as on Lambda, reserved names are not settable
        env.update({"AWS_ENDPOINT_URL": self.aws_endpoint_url, **FAKE_CREDENTIALS})
        return env

    def _start(self) -> None:
        command = [
            sys.executable,
            "-I",
            str(_WORKER),
            str(self.code_dir),
            self.function.handler,
            self.function.name,
            str(self.function.memory_mb),
        ]
        process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            env=self.environment(),
            cwd=self.code_dir,
            text=True,
        )
        lines = stdout_lines(process, "lambda-worker")
        self._process, self._lines = process, lines
        self.cold_starts += 1
        self._read(time.monotonic() + _WORKER_READY_SECONDS)  # the {"ready": ...} line

    def _read(self, deadline: float) -> dict[str, Any] | None:
        try:
            line = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            return None
        if line is None:
            return {"errorType": "Runtime.ExitError", "errorMessage": "worker process exited"}
        message: dict[str, Any] = json.loads(line)
        return message

    def invoke(self, event: dict[str, Any]) -> Invocation:
        with self._lock:
            if self._process is None or self._process.poll() is not None:
                self._start()
            process = self._process
            assert process is not None and process.stdin is not None
            self.invocations += 1
            started = time.monotonic()
            deadline_ms = int(time.time() * 1000) + self.function.timeout_seconds * 1000
            request = {"request_id": str(uuid.uuid4()), "deadline_ms": deadline_ms, "event": event}
            try:
                process.stdin.write(json.dumps(request) + "\n")
                process.stdin.flush()
            except OSError as error:
                self._kill()
                return Invocation(error_type="Runtime.ExitError", error_message=str(error))
            message = self._read(started + self.function.timeout_seconds)
            if message is None:  # Lambda kills a container whose invocation timed out
                self._kill()
                return Invocation(
                    error_type="Sandbox.Timedout",
                    error_message=f"Task timed out after {self.function.timeout_seconds} seconds",
                    timed_out=True,
                )
            if "result" in message:
                return Invocation(result=message["result"])
            if message.get("errorType") == "Runtime.ExitError":
                self._kill()
            return Invocation(
                error_type=message.get("errorType"), error_message=message.get("errorMessage")
            )

    def _kill(self, graceful: bool = False) -> None:
        """End the worker: at once (Lambda discards a timed-out or broken container), or by
        closing its stdin and waiting a little (the gateway is stopping)."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.stdin is not None:
            try:
                process.stdin.close()
            except OSError:
                pass
        try:
            process.wait(timeout=_WORKER_EXIT_SECONDS if graceful else 0)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=_WORKER_EXIT_SECONDS)
        if process.stdout is not None:
            process.stdout.close()

    def close(self) -> None:
        with self._lock:
            self._kill(graceful=True)


# ----- the gateway ----------------------------------------------------------------------------


@dataclass
class RequestRecord:
    request_id: str
    method: str
    path: str
    status: int = 0
    outcome: str = ""
    lambda_invocations: int = 0
    cached_policy: bool = False
    event: dict[str, Any] | None = None  # what the Lambda got, when it ran
    backend_invocations: int = 0  # runs of an AWS_PROXY integration's function
    backend_event: dict[str, Any] | None = None  # what that function got


@dataclass
class _Request:
    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]  # lower-case names, the last value of a repeated header
    body: bytes
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    # The header lines as the client sent them: its case, every repetition, in order.
    header_lines: list[tuple[str, str]] = field(default_factory=list)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def query_value(self, name: str) -> str | None:
        return next((value for key, value in self.query if key == name), None)


@dataclass(frozen=True)
class _Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


class EmulatedStage(ServedApp):
    """What a REST API stage and an HTTP API stage share: one warm container per deployed
    authorizer function, run from the built zip (whose CodeSha256 must be the deployed one),
    one per backend function of an AWS_PROXY integration (run from the one of ``backend_zips``
    whose CodeSha256 is the deployed one), the functions' logs (the authorizer's and the
    backends' apart), the authorizer result cache and a record of every request."""

    config: Any  # the API as read back from moto: .functions, .backend_functions, .region, .stage

    def _start(
        self,
        handler: type[QuietHandler],
        lambda_zip: Path,
        aws_endpoint_url: str,
        prefix: str,
        backend_zips: tuple[Path, ...] = (),
    ) -> None:
        self.aws_endpoint_url = aws_endpoint_url
        self._work_dir = Path(tempfile.mkdtemp(prefix=prefix))
        self.log_path = self._work_dir / "lambda.log"
        self._log = self.log_path.open("a", encoding="utf-8")
        self.backend_log_path = self._work_dir / "backends.log"
        self._backend_log = self.backend_log_path.open("a", encoding="utf-8")
        self.containers: dict[str, WarmContainer] = {}
        self.backends: dict[str, WarmContainer] = {}
        self._cache: dict[tuple[str, tuple[str, ...]], tuple[float, dict[str, Any]]] = {}
        self._records: dict[str, RequestRecord] = {}
        self._lock = threading.Lock()
        self._server = LoopbackServer(handler, app=self)
        try:
            self._prepare_containers(lambda_zip)
            self._prepare_backends(backend_zips)
        except BaseException:
            self._cleanup_files()
            raise

    def _prepare_containers(self, lambda_zip: Path) -> None:
        expected = zip_code_sha256(lambda_zip)
        for index, function in enumerate(self.config.functions.values()):
            if function.code_sha256 != expected:
                msg = (
                    f"deployed function {function.name} has CodeSha256 {function.code_sha256}, "
                    f"the zip {lambda_zip.name} has {expected}: the stack was applied "
                    "with another build"
                )
                raise CodeMismatchError(msg)
            code_dir = self._work_dir / f"function-{index}"
            with zipfile.ZipFile(lambda_zip) as archive:
                archive.extractall(code_dir)
            self.containers[function.arn] = WarmContainer(
                function, code_dir, self.aws_endpoint_url, self.config.region, self._log
            )

    def _prepare_backends(self, backend_zips: tuple[Path, ...]) -> None:
        zips = {zip_code_sha256(path): path for path in backend_zips}
        for index, function in enumerate(self.config.backend_functions.values()):
            source = zips.get(function.code_sha256)
            if source is None:
                msg = (
                    f"backend function {function.name} has CodeSha256 {function.code_sha256}, "
                    f"which none of the backend zips given has ({len(zips)})"
                )
                raise CodeMismatchError(msg)
            code_dir = self._work_dir / f"backend-{index}"
            with zipfile.ZipFile(source) as archive:
                archive.extractall(code_dir)
            self.backends[function.arn] = WarmContainer(
                function, code_dir, self.aws_endpoint_url, self.config.region, self._backend_log
            )

    # ----- lifecycle -------------------------------------------------------------------------

    @property
    def invoke_url(self) -> str:
        return f"{self.url}/{self.config.stage}"

    def stop(self) -> None:
        super().stop()
        for container in [*self.containers.values(), *self.backends.values()]:
            container.close()
        self._cleanup_files()

    def _cleanup_files(self) -> None:
        self._log.close()
        self._backend_log.close()
        shutil.rmtree(self._work_dir, ignore_errors=True)

    # ----- observation -----------------------------------------------------------------------

    def record(self, request_id: str) -> RequestRecord:
        with self._lock:
            return self._records[request_id]

    @property
    def lambda_invocations(self) -> int:
        return sum(container.invocations for container in self.containers.values())

    def lambda_logs(self) -> str:
        self._log.flush()
        return self.log_path.read_text(encoding="utf-8")

    def backend_logs(self) -> str:
        self._backend_log.flush()
        return self.backend_log_path.read_text(encoding="utf-8")

    @property
    def backend_invocations(self) -> int:
        return sum(container.invocations for container in self.backends.values())

    def _invoke_backend(
        self, integration_uri: str, event: dict[str, Any], record: RequestRecord
    ) -> Invocation:
        record.backend_invocations += 1
        record.backend_event = event
        return self.backends[function_arn_from_uri(integration_uri)].invoke(event)

    def flush_cache(self) -> None:
        """What the console's "Flush authorizer cache" does."""
        with self._lock:
            self._cache.clear()


class Gateway(EmulatedStage):
    """Serves one deployed stage of a REST API (read from moto) on 127.0.0.1."""

    def __init__(
        self,
        aws_endpoint_url: str,
        rest_api_id: str,
        stage_name: str,
        lambda_zip: Path,
        region: str = "us-east-1",
        ttl_override_seconds: int | None = None,
        backend_zips: tuple[Path, ...] = (),
        config: ApiConfig | None = None,
    ):
        """``config``: serve this configuration (a stage's snapshot, see
        :func:`with_current_functions`) instead of the one moto holds now."""
        self.config = config or load_api_config(aws_endpoint_url, rest_api_id, stage_name, region)
        self.ttl_override_seconds = ttl_override_seconds
        self._start(
            _GatewayHandler, lambda_zip, aws_endpoint_url, "gateway-emulator-", backend_zips
        )

    # ----- the request path ------------------------------------------------------------------

    def handle(self, request: _Request) -> _Response:
        record = RequestRecord(request.request_id, request.method, request.path)
        with self._lock:
            self._records[request.request_id] = record
        try:
            response = self._handle(request, record)
        except Exception as error:  # a bug of the emulator: say so rather than hang the client
            traceback.print_exc()
            record.outcome = f"emulator error: {type(error).__name__}: {error}"
            response = _Response(500, [("Content-Type", "application/json")], b'{"message":null}')
        record.status = response.status
        return response

    def _handle(self, request: _Request, record: RequestRecord) -> _Response:
        stage_prefix = f"/{self.config.stage}"
        if request.path != stage_prefix and not request.path.startswith(stage_prefix + "/"):
            return self._error("MISSING_AUTHENTICATION_TOKEN", request, record)
        path = request.path[len(stage_prefix) :] or "/"
        matched = match_route(self.config.methods, request.method, path)
        if matched is None:
            return self._error("MISSING_AUTHENTICATION_TOKEN", request, record)
        method, path_params = matched
        context = context_variables(self.config, method, request, path)
        authorizer_context: dict[str, Any] = {}
        if method.authorization_type == "CUSTOM":
            authorizer = self.config.authorizers.get(method.authorizer_id or "")
            if authorizer is None:
                return self._error("AUTHORIZER_CONFIGURATION_ERROR", request, record)
            try:
                authorizer_context = self._authorize(
                    authorizer, method, request, path, path_params, context, record
                )
            except _Rejected as rejected:
                record.outcome = rejected.outcome
                return self._error(rejected.response_type, request, record)
        return self._integrate(
            method, request, path, path_params, authorizer_context, context, record
        )

    def _integrate(
        self,
        method: Method,
        request: _Request,
        path: str,
        path_params: dict[str, str],
        authorizer_context: dict[str, Any],
        context: dict[str, Any],
        record: RequestRecord,
    ) -> _Response:
        if method.integration is None:
            return self._error("INTEGRATION_FAILURE", request, record)
        if method.integration.type == "AWS_PROXY":
            event = proxy_event(method, request, path, path_params, context, authorizer_context)
            return self._lambda_proxy(method.integration, event, request, record)
        return self._forward(
            method.integration, request, path_params, authorizer_context, context, record
        )

    def _lambda_proxy(
        self,
        integration: Integration,
        event: dict[str, Any],
        request: _Request,
        record: RequestRecord,
    ) -> _Response:
        invocation = self._invoke_backend(integration.uri, event, record)
        if invocation.timed_out:
            return self._error("INTEGRATION_TIMEOUT", request, record)
        response = proxy_response(invocation)
        if response is None:
            record.outcome = "backend function failed or answered malformed"
            status, body = 502, b'{"message": "Internal server error"}'
            headers = [("Content-Type", "application/json")]
        else:
            record.outcome = "forwarded"
            status, headers, body = response
        return _Response(status, [*headers, ("x-amzn-RequestId", request.request_id)], body)

    def _authorize(
        self,
        authorizer: Authorizer,
        method: Method,
        request: _Request,
        path: str,
        path_params: dict[str, str],
        context: dict[str, Any],
        record: RequestRecord,
    ) -> dict[str, Any]:
        """The authorizer context for an allowed request; raises _Rejected otherwise."""
        ttl = authorizer_ttl(authorizer, self.ttl_override_seconds)
        identity = identity_values(authorizer, request, context, ttl)
        if identity is None:
            raise _Rejected("UNAUTHORIZED", "no identity source")
        if authorizer.type == "TOKEN" and authorizer.validation_expression is not None:
            if re.fullmatch(authorizer.validation_expression, identity[0]) is None:
                raise _Rejected("UNAUTHORIZED", "identity validation expression")

        arn = method_arn(self.config, request.method, path)
        key = (authorizer.id, identity)
        result: dict[str, Any] | None = None
        if ttl > 0:
            with self._lock:
                cached = self._cache.get(key)
            if cached is not None and cached[0] > time.monotonic():
                result = cached[1]
                record.cached_policy = True
        if result is None:
            event = authorizer_event(
                authorizer, method, request, path, path_params, arn, identity, context
            )
            record.lambda_invocations += 1
            record.event = event
            result = _authorizer_result(self.containers[authorizer.function_arn].invoke(event))
            if ttl > 0:
                with self._lock:
                    self._cache[key] = (time.monotonic() + ttl, result)

        decision = evaluate_policy(result["policyDocument"], arn)
        if decision != "Allow":
            reason = "policy: explicit Deny" if decision == "Deny" else "policy: no Allow"
            raise _Rejected("ACCESS_DENIED", reason)
        authorized = dict(result.get("context") or {})
        authorized["principalId"] = result["principalId"]
        return authorized

    def _forward(
        self,
        integration: Integration,
        request: _Request,
        path_params: dict[str, str],
        authorizer_context: dict[str, Any],
        context: dict[str, Any],
        record: RequestRecord,
    ) -> _Response:
        mapped: dict[str, dict[str, str]] = {"header": {}, "path": {}, "querystring": {}}
        for target, source in integration.request_parameters.items():
            kind, _, name = target.removeprefix("integration.request.").partition(".")
            value = _source_value(
                source, request, path_params, {**context, "authorizer": authorizer_context}
            )
            if kind in mapped and value is not None:
                mapped[kind][name] = value

        uri = re.sub(
            r"\{([^}]+)\}",
            lambda m: quote(mapped["path"].get(m.group(1), ""), safe="/"),
            integration.uri,
        )
        destination = urlsplit(uri)
        proxy = integration.type == "HTTP_PROXY"
        query = list(request.query) if proxy else []
        query = [(k, v) for k, v in query if k not in mapped["querystring"]]
        query += list(mapped["querystring"].items())
        path = destination.path or "/"
        if destination.query:
            path += "?" + destination.query + ("&" + urlencode(query) if query else "")
        elif query:
            path += "?" + urlencode(query)

        headers: dict[str, str] = {}
        if proxy:
            headers = {k: v for k, v in request.headers.items() if k not in HOP_BY_HOP}
        for name, value in mapped["header"].items():
            headers = {k: v for k, v in headers.items() if k.lower() != name.lower()}
            headers[name] = value
        method = request.method if integration.http_method == "ANY" else integration.http_method

        try:
            status, relayed, body = call_upstream(
                destination, method, path, request.body, headers, integration.timeout_ms
            )
        except TimeoutError:
            return self._error("INTEGRATION_TIMEOUT", request, record)
        except OSError:
            return self._error("INTEGRATION_FAILURE", request, record)
        record.outcome = "forwarded"
        return _Response(status, [*relayed, ("x-amzn-RequestId", request.request_id)], body)

    def _error(
        self, response_type: str, request: _Request, record: RequestRecord | None
    ) -> _Response:
        status, message, error_type = DEFAULT_RESPONSES[response_type]
        headers = {"Content-Type": "application/json", "x-amzn-ErrorType": error_type}
        body = json.dumps({"message": message or None})
        configured = self.config.gateway_responses.get(response_type)
        if configured is not None:
            status = configured.status
            headers.update(configured.headers)
            if configured.json_template is not None:
                body = configured.json_template.replace(
                    "$context.error.messageString", json.dumps(message or None)
                ).replace("$context.error.message", message)
        if record is not None and not record.outcome:
            record.outcome = response_type
        return _Response(
            status, [*headers.items(), ("x-amzn-RequestId", request.request_id)], body.encode()
        )


def _event_body(body: bytes) -> tuple[str | None, bool]:
    """A request body as a proxy event carries it: text, or base64 when it is not UTF-8."""
    if not body:
        return None, False
    try:
        return body.decode("utf-8"), False
    except UnicodeDecodeError:
        return base64.b64encode(body).decode("ascii"), True


def proxy_event(
    method: Method,
    request: _Request,
    path: str,
    path_params: dict[str, str],
    context: dict[str, Any],
    authorizer_context: dict[str, Any],
) -> dict[str, Any]:
    """The event of a REST API Lambda proxy integration (developer guide, "Set up Lambda proxy
    integrations in API Gateway", "Input format of a Lambda function for proxy integration").
    ``requestContext.authorizer`` is the Lambda authorizer's ``context`` plus ``principalId``:
    the phantom token's JWT is ``requestContext.authorizer.Authorization``; ``headers`` still
    hold the client's own (opaque) ``Authorization``."""
    body, encoded = _event_body(request.body)
    now = time.time()
    return {
        "resource": method.resource_path,
        "path": "/" + path.lstrip("/"),
        "httpMethod": request.method,
        "headers": dict(request.headers) or None,
        "multiValueHeaders": {name: [value] for name, value in request.headers.items()} or None,
        "queryStringParameters": dict(request.query) or None,
        "multiValueQueryStringParameters": _multi(request.query) or None,
        "pathParameters": path_params or None,
        "stageVariables": None,
        "requestContext": {
            **context,
            "authorizer": dict(authorizer_context) or None,
            "protocol": "HTTP/1.1",
            "requestTimeEpoch": int(now * 1000),
        },
        "body": body,
        "isBase64Encoded": encoded,
    }


def proxy_response(invocation: Invocation) -> tuple[int, list[tuple[str, str]], bytes] | None:
    """A REST API Lambda proxy answer as HTTP (developer guide, "Output format of a Lambda
    function for proxy integration": ``statusCode``, ``headers``, ``multiValueHeaders``,
    ``body``, ``isBase64Encoded``), or None when API Gateway answers 502 (a function error, or
    "Malformed Lambda proxy response")."""
    result = invocation.result
    if invocation.error_type is not None or not isinstance(result, dict):
        return None
    status = result.get("statusCode")
    body = result.get("body")
    if isinstance(status, str) and status.isdigit():
        status = int(status)
    if not isinstance(status, int) or not (body is None or isinstance(body, str)):
        return None
    headers = [(str(k), str(v)) for k, v in (result.get("headers") or {}).items()]
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers += [(str(name), str(value)) for value in values]
    data = answer_body(body, bool(result.get("isBase64Encoded")))
    return None if data is None else (status, headers, data)


def answer_body(body: str | None, base64_encoded: bool) -> bytes | None:
    """The bytes of a Lambda proxy answer's body; None when its base64 is broken."""
    if not base64_encoded:
        return (body or "").encode("utf-8")
    try:
        return base64.b64decode(body or "", validate=True)
    except ValueError:
        return None


def call_upstream(
    destination: SplitResult,
    method: str,
    path: str,
    body: bytes,
    headers: dict[str, str],
    timeout_ms: int,
) -> tuple[int, list[tuple[str, str]], bytes]:
    """One HTTP(S) call of an integration: status, the headers to relay, the body.

    Raises TimeoutError or OSError, which each gateway answers in its own way.
    """
    connection_class = (
        http.client.HTTPSConnection if destination.scheme == "https" else http.client.HTTPConnection
    )
    connection = connection_class(destination.netloc, timeout=timeout_ms / 1000)
    try:
        connection.request(method, path, body=body or None, headers=headers)
        upstream = connection.getresponse()
        data = upstream.read()
        relayed = [
            (k, v)
            for k, v in upstream.getheaders()
            if k.lower() not in HOP_BY_HOP | {"content-length"}
        ]
        return upstream.status, relayed, data
    finally:
        connection.close()


class _Rejected(Exception):  # control flow inside the gateway, never raised out of it
    def __init__(self, response_type: str, outcome: str):
        super().__init__(outcome)
        self.response_type = response_type
        self.outcome = outcome


def _authorizer_result(invocation: Invocation) -> dict[str, Any]:
    """The authorizer's result as API Gateway accepts it; raises _Rejected otherwise."""
    if invocation.unauthorized:
        raise _Rejected("UNAUTHORIZED", "authorizer: Unauthorized")
    if invocation.error_type is not None:
        raise _Rejected("AUTHORIZER_FAILURE", f"authorizer error: {invocation.error_type}")
    problem = validate_authorizer_result(invocation.result)
    if problem is not None:
        raise _Rejected("AUTHORIZER_CONFIGURATION_ERROR", f"authorizer result: {problem}")
    result: dict[str, Any] = invocation.result
    return result


def authorizer_ttl(authorizer: Authorizer, override: int | None) -> int:
    return authorizer.ttl_seconds if override is None else override


def _multi(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for key, value in pairs:
        result.setdefault(key, []).append(value)
    return result


def _source_value(
    source: str, request: _Request, path_params: dict[str, str], context: dict[str, Any]
) -> str | None:
    """The value of a method request or context expression, as API Gateway maps it."""
    static = _static_value(source)
    if static is not None:
        return static
    kind, _, name = source.removeprefix("method.request.").partition(".")
    if source.startswith("method.request.") and kind in ("header", "querystring", "path"):
        lookup = {"header": request.header, "querystring": request.query_value}
        return lookup[kind](name) if kind in lookup else path_params.get(name)
    if not source.startswith("context."):
        return None
    value: Any = context
    for part in source.removeprefix("context.").split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if isinstance(value, bool):
        return str(value).lower()
    return None if value is None else str(value)


class _GatewayHandler(QuietHandler):
    app: Gateway

    def _serve(self) -> None:
        path, query = self.split_path()
        request = _Request(
            method=self.command,
            path=path,
            query=query,
            headers={name.lower(): value for name, value in self.headers.items()},
            body=self.read_body(),
            header_lines=list(self.headers.items()),
        )
        response = self.app.handle(request)
        self.send(response.status, response.body, response.headers)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve
