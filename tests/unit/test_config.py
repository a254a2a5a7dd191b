"""Configuration: every variable validated once, errors naming the variable, documented defaults."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from phantom_token.config import (
    Endpoint,
    RouteScopes,
    SecretSource,
    is_loopback_host,
    load_config,
)
from phantom_token.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Callable

    from phantom_token.config import Config


def test_defaults(make_config: Callable[..., Config]) -> None:
    # GIVEN only the required variables
    # WHEN the configuration is loaded
    config = make_config()
    # THEN every other setting has its documented default
    assert config == (
        Endpoint(
            "https://login.example.com/oauth/v2/oauth-introspect",
            "https",
            "login.example.com",
            443,
            "/oauth/v2/oauth-introspect",
        ),
        "api-gateway",
        SecretSource("plain", "s3cret"),
        "jwt",
        frozenset(),
        (),
        "stage",
        ("sub", "scope", "client_id"),
        300,
        1000,
        32 * 1024 * 1024,
        3.0,
        1,
        "INFO",
        "PhantomToken",
        None,
        "scopes",
        "required",
    )


def test_every_variable_is_read(make_config: Callable[..., Config]) -> None:
    # GIVEN every optional variable set (with surrounding whitespace where it is allowed)
    config = make_config(
        INTROSPECTION_RESPONSE=" rfc9701 ",
        REQUIRED_SCOPES=" read  write ",
        ROUTE_SCOPES=(
            '{"DELETE /orders/{id}": "orders:delete admin", "ANY /": "home", "$default": "x"}'
        ),
        POLICY_RESOURCE="method",
        CONTEXT_CLAIMS="sub email sub groups",
        CACHE_TTL_SECONDS="0",
        CACHE_MAX_ENTRIES="5",
        CACHE_MAX_BYTES=" 1048576 ",
        INTROSPECTION_TIMEOUT_SECONDS="1.5",
        INTROSPECTION_RETRIES="3",
        LOG_LEVEL="DEBUG",
        METRICS_NAMESPACE="Platform/Auth #1: phantom_token-v2.0",
        AWS_LAMBDA_FUNCTION_NAME="orders-authorizer",
        DEFAULT_ROUTE=" deny ",
    )
    # WHEN the configuration is loaded
    # THEN each value is parsed into its typed form
    assert config.response_mode == "rfc9701"
    assert config.required_scopes == {"read", "write"}
    assert config.route_scopes == (
        RouteScopes(
            "DELETE /orders/{id}", "DELETE", "/orders/{id}", frozenset({"orders:delete", "admin"})
        ),
        RouteScopes("ANY /", "ANY", "/", frozenset({"home"})),
        RouteScopes("$default", "", "", frozenset({"x"})),
    )
    assert config.policy_resource == "method"
    assert config.context_claims == ("sub", "email", "groups")
    assert config.cache_ttl_seconds == 0
    assert config.cache_max_entries == 5
    assert config.cache_max_bytes == 1048576
    assert config.timeout_seconds == 1.5
    assert config.retries == 3
    assert config.log_level == "DEBUG"
    assert config.metrics_namespace == "Platform/Auth #1: phantom_token-v2.0"
    assert config.function_name == "orders-authorizer"
    assert config.default_route == "deny"


@pytest.mark.parametrize(
    ("url", "endpoint"),
    [
        (
            "http://127.0.0.1:8443/introspect",
            Endpoint("http://127.0.0.1:8443/introspect", "http", "127.0.0.1", 8443, "/introspect"),
        ),
        ("http://localhost", Endpoint("http://localhost", "http", "localhost", 80, "/")),
        (
            "http://[::1]:9000/x",
            Endpoint("http://[::1]:9000/x", "http", "::1", 9000, "/x"),
        ),
        (
            "http://127.255.0.9/i",
            Endpoint("http://127.255.0.9/i", "http", "127.255.0.9", 80, "/i"),
        ),
        (
            "https://Login.Example.com:8443/oauth?realm=a&b=c",
            Endpoint(
                "https://Login.Example.com:8443/oauth?realm=a&b=c",
                "https",
                "login.example.com",
                8443,
                "/oauth?realm=a&b=c",
            ),
        ),
    ],
)
def test_endpoint_parsing(make_config: Callable[..., Config], url: str, endpoint: Endpoint) -> None:
    # GIVEN an https URL, or plain http to a loopback host
    # WHEN the configuration is loaded
    # THEN host, port and path (query kept) are split out
    assert make_config(INTROSPECTION_ENDPOINT=url).endpoint == endpoint


NAMESPACE_RULES = "METRICS_NAMESPACE must be 1 to 255 characters of A-Za-z0-9 . - _ / # : and"
SCOPE_RULES = (
    "{name} has an invalid scope: scopes are RFC 6749 scope tokens "
    "(%x21 / %x23-5B / %x5D-7E) separated by spaces (U+0020)"
)


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("INTROSPECTION_ENDPOINT", "", "INTROSPECTION_ENDPOINT is required"),
        ("INTROSPECTION_ENDPOINT", "  ", "INTROSPECTION_ENDPOINT is required"),
        ("INTROSPECTION_ENDPOINT", "login.example.com/x", "INTROSPECTION_ENDPOINT must be an"),
        ("INTROSPECTION_ENDPOINT", "ftp://login.example.com/x", "INTROSPECTION_ENDPOINT must be"),
        ("INTROSPECTION_ENDPOINT", "https:///x", "INTROSPECTION_ENDPOINT must be an absolute"),
        ("INTROSPECTION_ENDPOINT", "http://login.example.com/x", "INTROSPECTION_ENDPOINT must use"),
        ("INTROSPECTION_ENDPOINT", "http://10.0.0.1/x", "INTROSPECTION_ENDPOINT must use https"),
        ("INTROSPECTION_ENDPOINT", "http://127.0.0.1.nip.io/", "INTROSPECTION_ENDPOINT must use"),
        ("INTROSPECTION_ENDPOINT", "http://127.0.0.256/", "INTROSPECTION_ENDPOINT must use https"),
        ("INTROSPECTION_ENDPOINT", "http://localhost.evil/", "INTROSPECTION_ENDPOINT must use"),
        ("INTROSPECTION_ENDPOINT", "https://h:99999/x", "INTROSPECTION_ENDPOINT is not a valid"),
        ("INTROSPECTION_ENDPOINT", "https://[::1/x", "INTROSPECTION_ENDPOINT is not a valid URL"),
        ("INTROSPECTION_ENDPOINT", "https://u:p@h/x", "INTROSPECTION_ENDPOINT must not carry"),
        ("INTROSPECTION_ENDPOINT", "https://u@h/x", "INTROSPECTION_ENDPOINT must not carry"),
        ("INTROSPECTION_ENDPOINT", "https://h/x#f", "INTROSPECTION_ENDPOINT must not contain"),
        ("INTROSPECTION_ENDPOINT", "https://h/a b", "INTROSPECTION_ENDPOINT must not contain"),
        ("INTROSPECTION_ENDPOINT", "https://h/a\x7f", "INTROSPECTION_ENDPOINT must not contain"),
        # not canonical dotted decimal: these would go to DNS, and the secret with them
        ("INTROSPECTION_ENDPOINT", "http://127.0.0.08/", "INTROSPECTION_ENDPOINT must use https"),
        ("INTROSPECTION_ENDPOINT", "http://127.0.0.010/", "INTROSPECTION_ENDPOINT must use https"),
        ("INTROSPECTION_ENDPOINT", "http://127.00.0.1/", "INTROSPECTION_ENDPOINT must use https"),
        ("INTROSPECTION_ENDPOINT", "http://0127.0.0.1/", "INTROSPECTION_ENDPOINT must use https"),
        ("INTROSPECTION_ENDPOINT", "http://127.1/", "INTROSPECTION_ENDPOINT must use https"),
        ("INTROSPECTION_ENDPOINT", "http://127.0.1/", "INTROSPECTION_ENDPOINT must use https"),
        ("INTROSPECTION_ENDPOINT", "http://127.0.0.1./", "INTROSPECTION_ENDPOINT must use https"),
        ("INTROSPECTION_ENDPOINT", "http://127.0.0.0x1/", "INTROSPECTION_ENDPOINT must use https"),
        ("INTROSPECTION_ENDPOINT", "http://2130706433/", "INTROSPECTION_ENDPOINT must use https"),
        ("INTROSPECTION_ENDPOINT", "http://127.0.0.\u0661/", "INTROSPECTION_ENDPOINT must use"),
        ("INTROSPECTION_ENDPOINT", "http://[::ffff:127.0.0.1]/", "INTROSPECTION_ENDPOINT must use"),
        ("INTROSPECTION_ENDPOINT", "http://[0::1]/", "INTROSPECTION_ENDPOINT must use https"),
        ("INTROSPECTION_ENDPOINT", "http://localhost./", "INTROSPECTION_ENDPOINT must use https"),
        # not ASCII: no request line or Host header can carry it as written
        (
            "INTROSPECTION_ENDPOINT",
            "https://h/intr\u00f6spect",
            "INTROSPECTION_ENDPOINT must be ASCII",
        ),
        ("INTROSPECTION_ENDPOINT", "https://h/\u20ac", "INTROSPECTION_ENDPOINT must be ASCII"),
        ("INTROSPECTION_ENDPOINT", "https://h/x?q=\u00e9", "INTROSPECTION_ENDPOINT must be ASCII"),
        ("INTROSPECTION_ENDPOINT", "https://ex\u00e4mple.com/", "INTROSPECTION_ENDPOINT must be"),
        ("CLIENT_ID", "", "CLIENT_ID is required"),
        ("CLIENT_ID", "api\r\nX-Evil: 1", "CLIENT_ID must not contain control characters"),
        ("INTROSPECTION_RESPONSE", "json", "INTROSPECTION_RESPONSE must be one of jwt, rfc9701"),
        ("INTROSPECTION_RESPONSE", "JWT", "INTROSPECTION_RESPONSE must be one of jwt, rfc9701"),
        ("REQUIRED_SCOPES", 'read "write"', "REQUIRED_SCOPES has an invalid scope"),
        ("REQUIRED_SCOPES", "read wr\\ite", "REQUIRED_SCOPES has an invalid scope"),
        ("REQUIRED_SCOPES", "read lesé", "REQUIRED_SCOPES has an invalid scope"),
        ("REQUIRED_SCOPES", "read\twrite", "REQUIRED_SCOPES has an invalid scope"),
        ("ROUTE_SCOPES", "GET /orders=read", "ROUTE_SCOPES must be a JSON object"),
        ("ROUTE_SCOPES", '["GET /orders"]', "ROUTE_SCOPES must be a JSON object of"),
        ("ROUTE_SCOPES", '{"get /orders": "read"}', "ROUTE_SCOPES entry 1: the key is not"),
        ("ROUTE_SCOPES", '{"FETCH /orders": "read"}', "ROUTE_SCOPES entry 1: the key is not"),
        ("ROUTE_SCOPES", '{"GET orders": "read"}', "ROUTE_SCOPES entry 1: the key is not"),
        ("ROUTE_SCOPES", '{"GET": "read"}', "ROUTE_SCOPES entry 1: the key is not"),
        ("ROUTE_SCOPES", '{"GET /a /b": "read"}', "ROUTE_SCOPES entry 1: the key is not"),
        ("ROUTE_SCOPES", '{"GET /a": 7}', "ROUTE_SCOPES entry 1: the value must be a string"),
        ("ROUTE_SCOPES", '{"GET /a": ["r"]}', "ROUTE_SCOPES entry 1: the value must be"),
        ("ROUTE_SCOPES", '{"GET /a": "r\\"w"}', "ROUTE_SCOPES entry 1 has an invalid scope"),
        ("UNLISTED_ROUTES", "Deny", "UNLISTED_ROUTES must be one of required, deny"),
        ("POLICY_RESOURCE", "api", "POLICY_RESOURCE must be one of stage, method"),
        ("DEFAULT_ROUTE", "Deny", "DEFAULT_ROUTE must be one of scopes, deny"),
        ("DEFAULT_ROUTE", "allow", "DEFAULT_ROUTE must be one of scopes, deny"),
        ("CONTEXT_CLAIMS", "sub Authorization", "CONTEXT_CLAIMS must not name Authorization"),
        ("CACHE_TTL_SECONDS", "five", "CACHE_TTL_SECONDS must be a whole number"),
        ("CACHE_TTL_SECONDS", "1.5", "CACHE_TTL_SECONDS must be a whole number"),
        ("CACHE_TTL_SECONDS", "-1", "CACHE_TTL_SECONDS must be between 0 and 3600"),
        ("CACHE_TTL_SECONDS", "3601", "CACHE_TTL_SECONDS must be between 0 and 3600"),
        ("CACHE_MAX_ENTRIES", "0", "CACHE_MAX_ENTRIES must be between 1 and 100000"),
        ("CACHE_MAX_ENTRIES", "100001", "CACHE_MAX_ENTRIES must be between 1 and 100000"),
        ("CACHE_MAX_BYTES", "64MB", "CACHE_MAX_BYTES must be a whole number of bytes"),
        ("CACHE_MAX_BYTES", "1e6", "CACHE_MAX_BYTES must be a whole number of bytes"),
        ("CACHE_MAX_BYTES", "-1", "CACHE_MAX_BYTES must be a whole number of bytes"),
        ("CACHE_MAX_BYTES", "1_000_000", "CACHE_MAX_BYTES must be a whole number of bytes"),
        ("CACHE_MAX_BYTES", "65535", "CACHE_MAX_BYTES must be between 65536 and 67108864"),
        ("CACHE_MAX_BYTES", "67108865", "CACHE_MAX_BYTES must be between 65536 and 67108864"),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "lots", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE must be a"),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "64", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE must be"),
        ("INTROSPECTION_TIMEOUT_SECONDS", "3s", "INTROSPECTION_TIMEOUT_SECONDS must be a number"),
        ("INTROSPECTION_TIMEOUT_SECONDS", "0", "INTROSPECTION_TIMEOUT_SECONDS must be between"),
        ("INTROSPECTION_TIMEOUT_SECONDS", "30.5", "INTROSPECTION_TIMEOUT_SECONDS must be between"),
        ("INTROSPECTION_TIMEOUT_SECONDS", "nan", "INTROSPECTION_TIMEOUT_SECONDS must be between"),
        ("INTROSPECTION_TIMEOUT_SECONDS", "inf", "INTROSPECTION_TIMEOUT_SECONDS must be between"),
        ("INTROSPECTION_RETRIES", "4", "INTROSPECTION_RETRIES must be between 0 and 3"),
        ("INTROSPECTION_RETRIES", "-1", "INTROSPECTION_RETRIES must be between 0 and 3"),
        ("INTROSPECTION_RETRIES", "one", "INTROSPECTION_RETRIES must be a whole number"),
        ("LOG_LEVEL", "TRACE", "LOG_LEVEL must be one of DEBUG, ERROR, INFO, WARNING"),
        ("LOG_LEVEL", "info", "LOG_LEVEL must be one of DEBUG, ERROR, INFO, WARNING"),
        ("METRICS_NAMESPACE", "AWS/Lambda", NAMESPACE_RULES),
        ("METRICS_NAMESPACE", ":Auth", NAMESPACE_RULES),
        ("METRICS_NAMESPACE", "Auth\tNs", NAMESPACE_RULES),
        ("METRICS_NAMESPACE", "Auth\nNs", NAMESPACE_RULES),
        ("METRICS_NAMESPACE", "Auth+Ns", NAMESPACE_RULES),
        ("METRICS_NAMESPACE", "Autorisé", NAMESPACE_RULES),
        ("METRICS_NAMESPACE", "A" * 256, NAMESPACE_RULES),
    ],
)
def test_bad_value_is_named_in_the_error(
    minimal_environment: dict[str, str], variable: str, value: str, message: str
) -> None:
    # GIVEN a configuration where one variable has a bad value
    environ = {**minimal_environment, variable: value}
    # WHEN it is loaded
    with pytest.raises(ConfigError) as raised:
        load_config(environ)
    # THEN the error names that variable and says what is wrong
    assert str(raised.value).startswith(message)
    assert variable in str(raised.value)


@pytest.mark.parametrize(
    "separator",
    ["\t", "\n", "\r", "\x0b", "\x0c", "\x1f", "\x85", "\xa0", "\u2003", "\u2028", "\u3000"],
    ids=lambda separator: f"U+{ord(separator):04X}",
)
@pytest.mark.parametrize("variable", ["REQUIRED_SCOPES", "ROUTE_SCOPES"])
def test_only_the_space_separates_configured_scopes(
    make_config: Callable[..., Config], separator: str, variable: str
) -> None:
    # GIVEN configured scopes that other whitespace than U+0020 separates (RFC 6749 3.3)
    scopes = f"orders:read{separator}admin"
    value = json.dumps({"GET /a": scopes}) if variable == "ROUTE_SCOPES" else scopes
    # WHEN the configuration is loaded
    with pytest.raises(ConfigError) as raised:
        make_config(**{variable: value})
    # THEN it is refused: the error names the variable and says the rule, not the value
    name = "ROUTE_SCOPES entry 1" if variable == "ROUTE_SCOPES" else variable
    assert str(raised.value) == SCOPE_RULES.format(name=name)
    assert "orders:read" not in str(raised.value)


@pytest.mark.parametrize(
    ("value", "scopes"),
    [(" read  write ", {"read", "write"}), ("   ", set()), ("!#[]~ a:b", {"!#[]~", "a:b"})],
)
def test_configured_scopes_are_space_separated(
    make_config: Callable[..., Config], value: str, scopes: set[str]
) -> None:
    # GIVEN REQUIRED_SCOPES with single and repeated spaces
    # WHEN the configuration is loaded
    # THEN the scopes are the non-empty tokens between the spaces
    assert make_config(REQUIRED_SCOPES=value).required_scopes == scopes


@pytest.mark.parametrize("variable", ["INTROSPECTION_ENDPOINT", "CLIENT_ID"])
def test_missing_required_variable_is_named(
    minimal_environment: dict[str, str], variable: str
) -> None:
    # GIVEN a configuration without a required variable
    del minimal_environment[variable]
    environ = minimal_environment
    # WHEN it is loaded
    # THEN the error names it
    with pytest.raises(ConfigError, match=f"^{variable} is required"):
        load_config(environ)


@pytest.mark.parametrize(
    ("variables", "found"),
    [
        ({}, "none"),
        ({"CLIENT_SECRET": "  "}, "none"),
        ({"CLIENT_SECRET": "x", "CLIENT_SECRET_ARN": "s"}, "CLIENT_SECRET_ARN, CLIENT_SECRET"),
        (
            {"CLIENT_SECRET_ARN": "s", "CLIENT_SECRET_PARAMETER": "/p"},
            "CLIENT_SECRET_ARN, CLIENT_SECRET_PARAMETER",
        ),
        (
            {"CLIENT_SECRET_ARN": "s", "CLIENT_SECRET_PARAMETER": "/p", "CLIENT_SECRET": "x"},
            "CLIENT_SECRET_ARN, CLIENT_SECRET_PARAMETER, CLIENT_SECRET",
        ),
    ],
)
def test_exactly_one_secret_source(
    minimal_environment: dict[str, str], variables: dict[str, str], found: str
) -> None:
    # GIVEN no secret source, or more than one
    del minimal_environment["CLIENT_SECRET"]
    environ = {**minimal_environment, **variables}
    # WHEN the configuration is loaded
    with pytest.raises(ConfigError) as raised:
        load_config(environ)
    # THEN the error names all three variables and what was found
    assert str(raised.value) == (
        "exactly one of CLIENT_SECRET_ARN, CLIENT_SECRET_PARAMETER, CLIENT_SECRET "
        f"must be set (found: {found})"
    )


@pytest.mark.parametrize(
    ("variables", "source"),
    [
        (
            {"CLIENT_SECRET_ARN": " arn:aws:secretsmanager:eu-west-1:123456789012:secret:s "},
            SecretSource(
                "secretsmanager", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:s"
            ),
        ),
        ({"CLIENT_SECRET_PARAMETER": "/phantom/secret"}, SecretSource("ssm", "/phantom/secret")),
        ({"CLIENT_SECRET": " spaces kept "}, SecretSource("plain", " spaces kept ")),
    ],
)
def test_secret_source(
    minimal_environment: dict[str, str], variables: dict[str, str], source: SecretSource
) -> None:
    # GIVEN exactly one secret source
    del minimal_environment["CLIENT_SECRET"]
    environ = {**minimal_environment, **variables}
    # WHEN the configuration is loaded
    # THEN references are trimmed, a plain secret is kept byte for byte
    assert load_config(environ).secret == source


@pytest.mark.parametrize(
    ("variables", "cleared"),
    [
        ({"ROUTE_SCOPES": "  "}, "route_scopes"),
        ({"ROUTE_SCOPES": "{}"}, "route_scopes"),
        ({"REQUIRED_SCOPES": " "}, "required_scopes"),
        ({"CONTEXT_CLAIMS": ""}, "context_claims"),
    ],
)
def test_empty_values_mean_none(
    make_config: Callable[..., Config], variables: dict[str, str], cleared: str
) -> None:
    # GIVEN an optional list variable set to nothing
    # WHEN the configuration is loaded
    # THEN it holds no entries
    assert len(getattr(make_config(**variables), cleared)) == 0


# ----- ROUTE_SCOPES -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "method", "resource"),
    [
        ("GET /", "GET", "/"),
        ("ANY /", "ANY", "/"),
        ("POST /orders", "POST", "/orders"),
        ("DELETE /orders/{id}", "DELETE", "/orders/{id}"),
        ("PUT /orders/{order_id}/items/{Item2}", "PUT", "/orders/{order_id}/items/{Item2}"),
        ("PATCH /v1.2/a-b_c.d", "PATCH", "/v1.2/a-b_c.d"),
        ("HEAD /files/{proxy+}", "HEAD", "/files/{proxy+}"),
        ("ANY /{proxy+}", "ANY", "/{proxy+}"),
        ("GET /{id}", "GET", "/{id}"),
    ],
)
def test_route_scope_key_is_kept_verbatim(
    make_config: Callable[..., Config], key: str, method: str, resource: str
) -> None:
    # GIVEN a route key in the grammar API Gateway can route
    routes = json.dumps({key: "a:b  c"})
    # WHEN the configuration is loaded
    config = make_config(ROUTE_SCOPES=routes)
    # THEN the method and the resource template are kept exactly as written (no wildcards)
    assert config.route_scopes == (RouteScopes(key, method, resource, frozenset({"a:b", "c"})),)


ROUTE_KEYS_API_GATEWAY_NEVER_ROUTES = [
    # the path
    ("GET /orders/", "path"),
    ("GET //orders", "path"),
    ("GET /orders//items", "path"),
    ("GET /orders/{id", "path"),
    ("GET /orders/id}", "path"),
    ("GET /orders/:id", "path"),
    ("GET /orders/{id}.json", "path"),
    ("GET /orders/{id}{x}", "path"),
    ("GET /orders/{id}/", "path"),
    ("GET /orders/{}", "path"),
    ("GET /orders/{+}", "path"),
    ("GET /orders/{id-x}", "path"),
    ("GET /orders/{proxy++}", "path"),
    ("GET /{proxy+}/items", "path"),
    ("GET /a/{proxy+}/{id}", "path"),
    ("GET /orders*", "path"),
    ("GET /*", "path"),
    ("GET /orders?x=1", "path"),
    ("GET /orders#top", "path"),
    ("GET /orders%2F1", "path"),
    ("GET /ordérs", "path"),
    ("GET /\u0661", "path"),  # an Arabic-Indic digit: str.isdigit() says yes, API Gateway no
    ("GET /\ufb01les", "path"),
    ("GET orders", "path"),
    ("GET ", "path"),
    ("GET /orders\n", "path"),
    # the method
    ("get /orders", "method"),
    ("Get /orders", "method"),
    ("* /orders", "method"),
    ("FETCH /orders", "method"),
    ("OPTIONS /orders", "OPTIONS"),
    ("GÉT /orders", "method"),
    # the shape
    ("GET  /orders", "shape"),
    ("GET\t/orders", "shape"),
    (" GET /orders", "shape"),
    ("GET /orders ", "shape"),
    ("GET /a /b", "shape"),
    ("GET", "shape"),
    ("/orders", "shape"),
    ("", "shape"),
    # the HTTP API catch-all has one spelling only
    ("$Default", "shape"),
    ("$DEFAULT", "shape"),
    ("$default ", "method"),
    ("ANY $default", "path"),
    ("GET /$default", "path"),
]
ROUTE_KEY_REASONS = {
    "path": "the path must be / or /segment... (segments of A-Za-z0-9._-, {name}, or a final "
    "{name+}; no empty segment, no trailing slash)",
    "method": "the method must be one of GET, POST, PUT, PATCH, DELETE, HEAD, ANY",
    "OPTIONS": "OPTIONS (CORS preflight) carries no token and is never behind the authorizer",
    "shape": "it must be 'METHOD /path' with exactly one space",
}


@pytest.mark.parametrize(("key", "problem"), ROUTE_KEYS_API_GATEWAY_NEVER_ROUTES)
def test_route_key_api_gateway_never_routes_is_refused(
    make_config: Callable[..., Config], key: str, problem: str
) -> None:
    # GIVEN a route key that no API Gateway resource can have (it would never be enforced)
    routes = json.dumps({"GET /fine": "read", key: "orders:write"})
    # WHEN the configuration is loaded
    with pytest.raises(ConfigError) as raised:
        make_config(ROUTE_SCOPES=routes)
    # THEN it is refused with ROUTE_SCOPES, the offending entry's position (never the key, part
    # of the value) and the reason
    assert str(raised.value) == (
        f"ROUTE_SCOPES entry 2: the key is not 'METHOD /path': {ROUTE_KEY_REASONS[problem]}"
    )


@pytest.mark.parametrize("value", ['""', '"  "'])
def test_an_empty_route_value_lists_the_route_with_no_scope_of_its_own(
    make_config: Callable[..., Config], value: str
) -> None:
    # GIVEN a route listed with no scope (it matters with UNLISTED_ROUTES=deny)
    config = make_config(ROUTE_SCOPES=f'{{"GET /a": {value}}}', UNLISTED_ROUTES="deny")
    # THEN it is in the table, needing nothing beyond REQUIRED_SCOPES
    assert config.route_scopes == (RouteScopes("GET /a", "GET", "/a", frozenset()),)
    assert config.unlisted_routes == "deny"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('["read"]', "ROUTE_SCOPES entry 1: the value must be a string of scopes"),
        ("null", "ROUTE_SCOPES entry 1: the value must be a string of scopes"),
        ("7", "ROUTE_SCOPES entry 1: the value must be a string of scopes"),
        ("true", "ROUTE_SCOPES entry 1: the value must be a string of scopes"),
        ("NaN", "ROUTE_SCOPES entry 1: the value must be a string of scopes"),
        ('{"read": 1}', "ROUTE_SCOPES entry 1: the value must be a string of scopes"),
        ('"read wr\\\\ite"', SCOPE_RULES.format(name="ROUTE_SCOPES entry 1")),
        ('"read lesé"', SCOPE_RULES.format(name="ROUTE_SCOPES entry 1")),
        # only U+0020 separates scopes: other whitespace is a character no scope-token has
        ('" \\t "', SCOPE_RULES.format(name="ROUTE_SCOPES entry 1")),
        ('"orders:read\\tadmin"', SCOPE_RULES.format(name="ROUTE_SCOPES entry 1")),
        ('"orders:read\\u00a0admin"', SCOPE_RULES.format(name="ROUTE_SCOPES entry 1")),
        ('"orders:read\\u2028admin"', SCOPE_RULES.format(name="ROUTE_SCOPES entry 1")),
    ],
)
def test_route_scopes_value_must_be_scope_tokens(
    make_config: Callable[..., Config], value: str, message: str
) -> None:
    # GIVEN a route whose value is not a string of RFC 6749 scope tokens
    # WHEN the configuration is loaded
    with pytest.raises(ConfigError) as raised:
        make_config(ROUTE_SCOPES=f'{{"GET /a": {value}}}')
    # THEN it is refused, naming the route by its position, and not repeating the value
    assert str(raised.value) == message
    assert "read" not in str(raised.value)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            '{"GET /a": "read", "POST /a": "write", "GET /a": "admin"}',
            "ROUTE_SCOPES has a key more than once",
        ),
        (
            '{"GET /a": "read", "GET /a": "read"}',
            "ROUTE_SCOPES has a key more than once",
        ),
        ('{"GET /a": "read"', "ROUTE_SCOPES must be a JSON object"),
        ("GET /a=read", "ROUTE_SCOPES must be a JSON object"),
        ('"GET /a"', "ROUTE_SCOPES must be a JSON object of 'METHOD /path' to scopes"),
        ("[]", "ROUTE_SCOPES must be a JSON object of 'METHOD /path' to scopes"),
        ("null", "ROUTE_SCOPES must be a JSON object of 'METHOD /path' to scopes"),
        ("[" * 100_000 + "]" * 100_000, "ROUTE_SCOPES must be a JSON object"),
        ('{"a":' * 100_000 + "1" + "}" * 100_000, "ROUTE_SCOPES must be a JSON object"),
        ('{"GET /a": ' + "[" * 100_000 + "]" * 100_000 + "}", "ROUTE_SCOPES must be a JSON"),
    ],
    ids=[
        "duplicate",
        "duplicate-same-value",
        "truncated",
        "not-json",
        "string",
        "array",
        "null",
        "deep-array",
        "deep-object",
        "deep-value",
    ],
)
def test_route_scopes_must_be_one_flat_json_object(
    make_config: Callable[..., Config], raw: str, message: str
) -> None:
    # GIVEN ROUTE_SCOPES that repeats a key (json.loads would keep the last: a scope would
    # vanish), is not an object, or nests deeply enough to exhaust the parser's recursion
    # WHEN the configuration is loaded
    with pytest.raises(ConfigError) as raised:
        make_config(ROUTE_SCOPES=raw)
    # THEN it is a ConfigError naming ROUTE_SCOPES (never a RecursionError or any other type)
    assert str(raised.value).startswith(message)


def test_route_scopes_keep_every_route(make_config: Callable[..., Config]) -> None:
    # GIVEN routes that differ only by method, by a trailing segment, or are ANY
    routes = {
        "GET /orders": "orders:read",
        "ANY /orders": "orders:any",
        "POST /orders": "orders:write",
        "GET /orders/{id}": "orders:read",
    }
    # WHEN the configuration is loaded
    config = make_config(ROUTE_SCOPES=json.dumps(routes))
    # THEN each is its own entry, in the order given
    assert [(r.key, set(r.scopes)) for r in config.route_scopes] == [
        (key, {scope}) for key, scope in routes.items()
    ]


@pytest.mark.parametrize(
    ("variables", "max_bytes"),
    [
        ({}, 32 * 1024 * 1024),
        ({"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256"}, 64 * 1024 * 1024),
        ({"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "10240"}, 2560 * 1024 * 1024),
        ({"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256", "CACHE_MAX_BYTES": "65536"}, 65536),
        ({"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256", "CACHE_MAX_BYTES": "134217728"}, 134217728),
        ({"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256", "CACHE_MAX_BYTES": " "}, 64 * 1024 * 1024),
    ],
)
def test_cache_byte_bound(
    make_config: Callable[..., Config], variables: dict[str, str], max_bytes: int
) -> None:
    # GIVEN the function's memory as Lambda reports it (128 MB when unset), and maybe a bound
    # WHEN the configuration is loaded
    # THEN the bound is CACHE_MAX_BYTES, or a quarter of the memory
    assert make_config(**variables).cache_max_bytes == max_bytes


def test_cache_byte_bound_above_half_the_memory_names_both_variables(
    make_config: Callable[..., Config],
) -> None:
    # GIVEN a 256 MB function and a byte bound over half of it
    # WHEN the configuration is loaded
    with pytest.raises(ConfigError) as raised:
        make_config(AWS_LAMBDA_FUNCTION_MEMORY_SIZE="256", CACHE_MAX_BYTES="134217729")
    # THEN the error says why, naming both variables
    assert str(raised.value) == (
        "CACHE_MAX_BYTES must be between 65536 and 134217728, half of the function's memory "
        "(AWS_LAMBDA_FUNCTION_MEMORY_SIZE)"
    )


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.0", True),
        ("127.255.255.255", True),
        ("127.10.0.200", True),
        ("localhost", True),
        ("::1", True),
        ("127.0.0.08", False),
        ("127.0.0.010", False),
        ("127.0.0.00", False),
        ("127.1", False),
        ("127.0.0.256", False),
        ("127.0.0.-1", False),
        ("127.0.0.+1", False),
        ("127.0.0. 1", False),
        ("127..0.1", False),
        ("127.0.0.1.", False),
        ("0127.0.0.1", False),
        ("127.0.0.\u0661", False),
        ("128.0.0.1", False),
        ("localhost.", False),
        ("::ffff:127.0.0.1", False),
    ],
)
def test_is_loopback_host(host: str, loopback: bool) -> None:
    # GIVEN a host name or address from the endpoint URL
    # WHEN it is checked
    # THEN only localhost, ::1 and canonical dotted-decimal 127.x.y.z are loopback
    assert is_loopback_host(host) is loopback


@pytest.mark.parametrize(
    ("value", "namespace"),
    [
        ("", "PhantomToken"),
        ("   ", "PhantomToken"),
        ("A" * 255, "A" * 255),
        (" Auth ", " Auth "),
        ("aws/lower", "aws/lower"),
        ("AWSAuth", "AWSAuth"),
    ],
)
def test_metrics_namespace(make_config: Callable[..., Config], value: str, namespace: str) -> None:
    # GIVEN METRICS_NAMESPACE unset or blank, at the length limit, or close to a reserved prefix
    # WHEN the configuration is loaded
    # THEN blank means the default; anything CloudWatch accepts is kept as written
    assert make_config(METRICS_NAMESPACE=value).metrics_namespace == namespace


# ----- errors never tell the value --------------------------------------------------------

# A value that looks like a client secret: pasted into the wrong variable, it must not reach the
# log through the error that variable's check raises.
SENTINEL = "Pa55w0rd-Sentinel-7f3a9c"
# Every variable load_config checks. CLIENT_SECRET is the secret itself and is never refused;
# AWS_LAMBDA_FUNCTION_NAME, set by Lambda, is not checked (it is the metrics' dimension).
CHECKED_VARIABLES = (
    "INTROSPECTION_ENDPOINT",
    "CLIENT_ID",
    "CLIENT_SECRET_ARN",
    "CLIENT_SECRET_PARAMETER",
    "INTROSPECTION_RESPONSE",
    "REQUIRED_SCOPES",
    "ROUTE_SCOPES",
    "POLICY_RESOURCE",
    "CONTEXT_CLAIMS",
    "CACHE_TTL_SECONDS",
    "CACHE_MAX_ENTRIES",
    "CACHE_MAX_BYTES",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "INTROSPECTION_TIMEOUT_SECONDS",
    "INTROSPECTION_RETRIES",
    "LOG_LEVEL",
    "METRICS_NAMESPACE",
    "DEFAULT_ROUTE",
    "UNLISTED_ROUTES",
)
# The sentinel alone, with a stray character, in a URL, next to a reserved name, in JSON.
PASTED_VALUES = (
    SENTINEL,
    f'{SENTINEL}"',
    f"{SENTINEL}\\ x",
    f"{SENTINEL}\x01",
    f"\u00e9{SENTINEL}",
    f"http://{SENTINEL}/",
    f"https://{SENTINEL}/#x",
    f"https://{SENTINEL}@login.example.com/",
    f"https://login.example.com/{SENTINEL}\u00e9",
    f"{SENTINEL} Authorization",
    json.dumps({SENTINEL: "read"}),
    json.dumps({f"GET /{SENTINEL}": 'r"w'}),
    json.dumps({"GET /a": f'read {SENTINEL}"'}),
    json.dumps({"GET /a": [SENTINEL]}),
    f'{{"GET /{SENTINEL}": "r", "GET /{SENTINEL}": "w"}}',
)


_MINIMAL = {
    "INTROSPECTION_ENDPOINT": "https://login.example.com/oauth/v2/oauth-introspect",
    "CLIENT_ID": "api-gateway",
    "CLIENT_SECRET": "s3cret",
}


def _errors(variable: str, value: str) -> list[str]:
    """The ConfigError the minimal configuration with this one value raises, if any."""
    try:
        load_config({**_MINIMAL, variable: value})
    except ConfigError as error:
        return [str(error)]
    return []


@pytest.mark.parametrize("variable", CHECKED_VARIABLES)
def test_a_configuration_error_names_the_variable_never_the_value(variable: str) -> None:
    # GIVEN a secret-looking value pasted into the variable, alone or with what makes it wrong
    # WHEN the configuration is loaded
    messages = [message for value in PASTED_VALUES for message in _errors(variable, value)]
    # THEN some of them are refused (the check is exercised), each error names the variable,
    # and none tells the value or any part of it
    assert messages, f"no pasted value made {variable} an error"
    for message in messages:
        assert variable in message
        assert "Sentinel" not in message


@given(
    variable=st.sampled_from(CHECKED_VARIABLES),
    before=st.text(max_size=8),
    after=st.text(max_size=8),
)
@settings(max_examples=300, deadline=None)
def test_no_configuration_error_tells_any_of_the_value(
    variable: str, before: str, after: str
) -> None:
    # GIVEN anything around a secret-looking value, in any variable
    # WHEN the configuration is loaded
    # THEN an error, if there is one, does not tell the value
    for message in _errors(variable, before + SENTINEL + after):
        assert "Sentinel" not in message
