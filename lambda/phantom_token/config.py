"""Configuration: the only reader of the environment, validated once per container."""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

from phantom_token.decision_log import DEFAULT_NAMESPACE
from phantom_token.errors import ConfigError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Literal, NamedTuple
    from urllib.parse import SplitResult

    ResponseMode = Literal["jwt", "rfc9701"]
    PolicyResource = Literal["stage", "method"]
    SecretKind = Literal["secretsmanager", "ssm", "plain"]
    DefaultRoute = Literal["scopes", "deny"]
    UnlistedRoutes = Literal["required", "deny"]
else:
    from phantom_token._records import NamedTuple

# RFC 6749 3.3: scope = scope-token *( SP scope-token ); scope-token = 1*( %x21 / %x23-5B /
# %x5D-7E ). Only the space separates tokens: a tab, a no-break space or a line separator is
# no separator, only a character no scope-token has.
_SCOPE_CHARACTERS = frozenset(chr(c) for c in range(0x21, 0x7F)) - {'"', "\\"}
# OPTIONS is not here: CORS preflight carries no token and is never put behind the authorizer.
_HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "ANY")
# A resource path as API Gateway holds it: "/" (the root) or "/segment"s, each a literal part,
# "{name}", or (last only) a greedy "{name+}". No empty segment, no trailing slash: the same
# grammar the Terraform module validates. [A-Za-z0-9] rather than \w: ASCII only.
_RESOURCE_PATH = re.compile(
    r"/|(?:/(?:[A-Za-z0-9._-]+|\{[A-Za-z0-9_]+\}))*(?:/(?:[A-Za-z0-9._-]+|\{[A-Za-z0-9_]+\+?\}))"
)
# An HTTP API's catch-all route: what no other route matches ends up there.
DEFAULT_ROUTE_KEY = "$default"
_LOG_LEVELS = frozenset({"DEBUG", "INFO", "WARNING", "ERROR"})
# CloudWatch namespaces: 1 to 255 characters of A-Za-z0-9 . - _ / # : and space, at least one
# not a space, not starting with ":" (the API's pattern "[^:].*",
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_Metric.html), and not
# "AWS/", which AWS reserves for its services.
_METRICS_NAMESPACE = re.compile(r"(?!AWS/|:)(?=.*[^ ])[A-Za-z0-9.\-_/#: ]{1,255}")


def _has_control_characters(value: str) -> bool:
    return any(ord(char) < 0x20 or ord(char) == 0x7F for char in value)


class Endpoint(NamedTuple):
    url: str
    scheme: str
    host: str
    port: int
    path: str


class SecretSource(NamedTuple):
    kind: SecretKind
    reference: str


class ScopeTokens(NamedTuple):
    """Scope tokens, and how many tokens were none (a character outside RFC 6749's set)."""

    scopes: frozenset[str]
    invalid: int


def is_scope_token(value: object) -> bool:
    """A non-empty string of RFC 6749 scope-token characters (``%x21 / %x23-5B / %x5D-7E``)."""
    return isinstance(value, str) and value != "" and _SCOPE_CHARACTERS.issuperset(value)


def scope_tokens(raw: str) -> ScopeTokens:
    """``raw`` split on U+0020 only; empty tokens (consecutive spaces) are skipped.

    Any other whitespace is part of a token, and a token with a character outside RFC 6749's
    set is no scope: counted in ``invalid``, never in ``scopes``. ``str.split()`` would cut
    ``"account:\\tadmin"`` (a parameterised scope whose value a client chose) into
    ``account:`` and ``admin``.
    """
    tokens = [token for token in raw.split(" ") if token]
    if raw.isascii() and raw.isprintable() and '"' not in raw and "\\" not in raw:
        # Printable ASCII (%x20-7E) without '"' or '\\': every token is a scope-token.
        return ScopeTokens(frozenset(tokens), 0)
    valid = frozenset(token for token in tokens if _SCOPE_CHARACTERS.issuperset(token))
    return ScopeTokens(valid, sum(1 for token in tokens if token not in valid))


class RouteScopes(NamedTuple):
    """Scopes one route needs: ``method`` (or ``ANY``) on the ``resource`` template, verbatim.

    The HTTP API ``$default`` route has the key ``$default``, an empty method and no resource
    (it matches no REST route).
    """

    key: str
    method: str
    resource: str
    scopes: frozenset[str]


class Config(NamedTuple):
    endpoint: Endpoint
    client_id: str
    secret: SecretSource
    response_mode: ResponseMode
    required_scopes: frozenset[str]
    route_scopes: tuple[RouteScopes, ...]
    policy_resource: PolicyResource
    context_claims: tuple[str, ...]
    cache_ttl_seconds: int
    cache_max_entries: int
    cache_max_bytes: int
    timeout_seconds: float
    retries: int
    log_level: str
    metrics_namespace: str = DEFAULT_NAMESPACE
    # AWS_LAMBDA_FUNCTION_NAME, set by Lambda: the metrics' FunctionName dimension.
    function_name: str | None = None
    # HTTP APIs: "deny" denies every request routed to $default; "scopes" decides on scopes.
    default_route: DefaultRoute = "scopes"
    # A route ROUTE_SCOPES does not name: "required" needs REQUIRED_SCOPES; "deny" is denied.
    unlisted_routes: UnlistedRoutes = "required"


def load_config(environ: Mapping[str, str]) -> Config:
    """Build the configuration from environment variables.

    Errors name the variable and what it must be, never its value: a secret pasted into the
    wrong variable must not reach the logs.
    """
    return Config(
        endpoint=parse_endpoint(_required(environ, "INTROSPECTION_ENDPOINT")),
        client_id=_client_id(_required(environ, "CLIENT_ID")),
        secret=_secret_source(environ),
        response_mode=_choice(environ, "INTROSPECTION_RESPONSE", ("jwt", "rfc9701"), "jwt"),  # type: ignore[arg-type]
        required_scopes=parse_scopes(environ.get("REQUIRED_SCOPES", ""), "REQUIRED_SCOPES"),
        route_scopes=parse_route_scopes(environ.get("ROUTE_SCOPES", "")),
        policy_resource=_choice(environ, "POLICY_RESOURCE", ("stage", "method"), "stage"),  # type: ignore[arg-type]
        context_claims=_context_claims(environ.get("CONTEXT_CLAIMS", "sub scope client_id")),
        cache_ttl_seconds=_integer(environ, "CACHE_TTL_SECONDS", 300, 0, 3600),
        cache_max_entries=_integer(environ, "CACHE_MAX_ENTRIES", 1000, 1, 100_000),
        cache_max_bytes=_cache_max_bytes(environ),
        timeout_seconds=_number(environ, "INTROSPECTION_TIMEOUT_SECONDS", 3.0, 0.1, 30.0),
        retries=_integer(environ, "INTROSPECTION_RETRIES", 1, 0, 3),
        log_level=_choice(environ, "LOG_LEVEL", tuple(sorted(_LOG_LEVELS)), "INFO"),
        metrics_namespace=metrics_namespace(environ),
        default_route=_choice(environ, "DEFAULT_ROUTE", ("scopes", "deny"), "scopes"),  # type: ignore[arg-type]
        unlisted_routes=_choice(environ, "UNLISTED_ROUTES", ("required", "deny"), "required"),  # type: ignore[arg-type]
        function_name=environ.get("AWS_LAMBDA_FUNCTION_NAME") or None,
    )


def metrics_namespace(environ: Mapping[str, str]) -> str:
    """METRICS_NAMESPACE: where the decision line's metrics go (CloudWatch namespace rules)."""
    raw = environ.get("METRICS_NAMESPACE", "")
    if not raw.strip():
        return DEFAULT_NAMESPACE
    if _METRICS_NAMESPACE.fullmatch(raw) is None:
        raise ConfigError(
            "METRICS_NAMESPACE must be 1 to 255 characters of A-Za-z0-9 . - _ / # : and "
            "space, not only spaces, and start with neither : nor AWS/"
        )
    return raw


def _required(environ: Mapping[str, str], name: str) -> str:
    value = environ.get(name, "").strip()
    if not value:
        raise ConfigError(f"{name} is required and must not be empty")
    return value


def is_loopback_host(host: str) -> bool:
    """True for localhost, ::1 and 127.x.y.z: the only hosts allowed over plain http.

    Only the canonical dotted-decimal form counts. ``127.0.0.08`` or ``127.1`` are not
    addresses to every resolver (``08`` is no octal number), so they would go to DNS, and
    whoever answers for that name would receive the client secret over plain http.
    """
    if host in ("localhost", "::1"):
        return True
    parts = host.split(".")
    return len(parts) == 4 and parts[0] == "127" and all(_is_canonical_octet(p) for p in parts)


def _is_canonical_octet(part: str) -> bool:
    return part.isascii() and part.isdigit() and str(int(part)) == part and int(part) <= 255


def checked_url(url: str, name: str, error: Callable[[str], Exception]) -> SplitResult:
    """An absolute https URL, or http to a loopback host; ``error`` builds what is raised."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError for a port that is not one)
    except ValueError:
        raise error(f"{name} is not a valid URL") from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise error(f"{name} must be an absolute https:// URL")
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise error(f"{name} must use https (plain http is allowed for loopback hosts only)")
    if not url.isascii():
        # The request line and Host header are ASCII: anything else cannot be sent as written.
        raise error(
            f"{name} must be ASCII: percent-encode the path and query (RFC 3986) and write a "
            "host name in its xn-- form"
        )
    return parts


def endpoint_of(url: str, parts: SplitResult, path: str) -> Endpoint:
    default_port = 443 if parts.scheme == "https" else 80
    return Endpoint(url, parts.scheme, parts.hostname or "", parts.port or default_port, path)


def parse_endpoint(url: str) -> Endpoint:
    name = "INTROSPECTION_ENDPOINT"
    parts = checked_url(url, name, ConfigError)
    if parts.username is not None or parts.password is not None:
        raise ConfigError(f"{name} must not carry credentials; use CLIENT_ID and a secret")
    if parts.fragment or _has_control_characters(url) or " " in url:
        raise ConfigError(f"{name} must not contain a fragment, spaces or control characters")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return endpoint_of(url, parts, path)


def _client_id(value: str) -> str:
    if _has_control_characters(value):
        raise ConfigError("CLIENT_ID must not contain control characters")
    return value


def _secret_source(environ: Mapping[str, str]) -> SecretSource:
    given = [
        (name, kind)
        for name, kind in (
            ("CLIENT_SECRET_ARN", "secretsmanager"),
            ("CLIENT_SECRET_PARAMETER", "ssm"),
            ("CLIENT_SECRET", "plain"),
        )
        if environ.get(name, "").strip()
    ]
    if len(given) != 1:
        found = ", ".join(name for name, _ in given) or "none"
        raise ConfigError(
            "exactly one of CLIENT_SECRET_ARN, CLIENT_SECRET_PARAMETER, CLIENT_SECRET "
            f"must be set (found: {found})"
        )
    name, kind = given[0]
    value = environ[name] if kind == "plain" else environ[name].strip()
    return SecretSource(kind, value)  # type: ignore[arg-type]


def _choice(environ: Mapping[str, str], name: str, allowed: tuple[str, ...], default: str) -> str:
    value = environ.get(name, "").strip() or default
    if value not in allowed:
        raise ConfigError(f"{name} must be one of {', '.join(allowed)}")
    return value


def _integer(environ: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}")
    return value


MIB = 1 << 20
# Lambda's smallest memory size: the assumption when AWS_LAMBDA_FUNCTION_MEMORY_SIZE is unset,
# i.e. outside Lambda.
_DEFAULT_MEMORY_MB = 128
_MIN_CACHE_BYTES = 1 << 16


def _cache_max_bytes(environ: Mapping[str, str]) -> int:
    """CACHE_MAX_BYTES, or a quarter of the function's memory.

    Lambda sets AWS_LAMBDA_FUNCTION_MEMORY_SIZE to the function's memory in MB ("Defined
    runtime environment variables",
    https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html). A bound above
    half of it is refused: the cache would crowd out the rest of the function.
    """
    memory_mb = _integer(
        environ, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", _DEFAULT_MEMORY_MB, 128, 1 << 20
    )
    raw = environ.get("CACHE_MAX_BYTES", "").strip()
    if not raw:
        return memory_mb * MIB // 4
    if not (raw.isascii() and raw.isdigit()):
        raise ConfigError("CACHE_MAX_BYTES must be a whole number of bytes")
    value, highest = int(raw), memory_mb * MIB // 2
    if not _MIN_CACHE_BYTES <= value <= highest:
        raise ConfigError(
            f"CACHE_MAX_BYTES must be between {_MIN_CACHE_BYTES} and {highest}, half of "
            "the function's memory (AWS_LAMBDA_FUNCTION_MEMORY_SIZE)"
        )
    return value


def _number(
    environ: Mapping[str, str], name: str, default: float, low: float, high: float
) -> float:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds") from None
    if not low <= value <= high:  # also rejects nan
        raise ConfigError(f"{name} must be between {low:g} and {high:g}")
    return value


def parse_scopes(raw: str, name: str) -> frozenset[str]:
    """Scope tokens separated by spaces, as in a granted ``scope`` (:func:`scope_tokens`).

    A token with another character, other whitespace included, is an error: the value is not
    repeated, the variable is named.
    """
    scopes = scope_tokens(raw)
    if scopes.invalid:
        raise ConfigError(
            f"{name} has an invalid scope: scopes are RFC 6749 scope tokens "
            "(%x21 / %x23-5B / %x5D-7E) separated by spaces (U+0020)"
        )
    return scopes.scopes


def parse_route_scopes(raw: str) -> tuple[RouteScopes, ...]:
    """``{"METHOD /resource": "scope ..."}``: keys API Gateway could never route are errors.

    A key that no request can match would silently never be enforced, so the grammar is strict
    and nothing is normalised: the authorizer compares keys with the event's route exactly. An
    empty value lists a route that needs nothing beyond REQUIRED_SCOPES (with
    UNLISTED_ROUTES=deny, a route that is not listed is denied).
    """
    name = "ROUTE_SCOPES"
    if not raw.strip():
        return ()
    try:
        routes = json.loads(raw, object_pairs_hook=_unique_keys)
    except ValueError:
        raise ConfigError(f"{name} must be a JSON object") from None
    except RecursionError:
        # Deep nesting exhausts the parser's recursion; it must still be a configuration error.
        raise ConfigError(f"{name} must be a JSON object (nested too deeply)") from None
    if not isinstance(routes, dict):
        raise ConfigError(f"{name} must be a JSON object of 'METHOD /path' to scopes")
    parsed = []
    # Entries are named by their position: keys and scopes are part of the value, never told.
    for number, (key, scopes) in enumerate(routes.items(), start=1):
        entry = f"{name} entry {number}"
        problem = _route_key_problem(key)
        if problem is not None:
            raise ConfigError(f"{entry}: the key is not 'METHOD /path': {problem}")
        if not isinstance(scopes, str):
            raise ConfigError(f"{entry}: the value must be a string of scopes")
        method, _, resource = key.partition(" ") if key != DEFAULT_ROUTE_KEY else ("", "", "")
        parsed.append(RouteScopes(key, method, resource, parse_scopes(scopes, entry)))
    return tuple(parsed)


def _unique_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    # json.loads keeps the last of repeated keys: a route's scopes would vanish without a word.
    found: dict[str, object] = {}
    for key, value in pairs:
        if key in found:
            raise ConfigError("ROUTE_SCOPES has a key more than once")
        found[key] = value
    return found


def _route_key_problem(key: str) -> str | None:
    if key == DEFAULT_ROUTE_KEY:
        return None
    parts = key.split(" ")
    if len(parts) != 2:
        return "it must be 'METHOD /path' with exactly one space"
    method, resource = parts
    if method == "OPTIONS":
        return "OPTIONS (CORS preflight) carries no token and is never behind the authorizer"
    if method not in _HTTP_METHODS:
        return f"the method must be one of {', '.join(_HTTP_METHODS)}"
    if _RESOURCE_PATH.fullmatch(resource) is None:
        return (
            "the path must be / or /segment... (segments of A-Za-z0-9._-, {name}, or a final "
            "{name+}; no empty segment, no trailing slash)"
        )
    return None


def _context_claims(raw: str) -> tuple[str, ...]:
    claims = tuple(dict.fromkeys(raw.split()))
    if "Authorization" in claims:
        raise ConfigError("CONTEXT_CLAIMS must not name Authorization: that key carries the JWT")
    return claims
