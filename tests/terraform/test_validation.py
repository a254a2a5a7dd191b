"""Bad inputs fail at plan time with a message that says what to fix.

Each fixture calls the module once per bad input, so one plan checks them all. Terraform
stops before submodules when a root variable is invalid, hence two fixtures.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from tests.support.terraform import write_aws_override

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.support.terraform import TerraformWorkdir

pytestmark = pytest.mark.plan

FIXTURES = "tests/terraform/fixtures"
ENDPOINT_UNUSABLE = (
    "introspection.endpoint is not one the function can call: it must be an https:// URL"
)
# module call in invalid-root-inputs -> what its plan error must say. Every message names the
# root input and the offending key or value, and the error points at the caller's argument.
ROOT_INPUTS = {
    "alarms_typo": "alarms must be an object with the attributes alarm_actions, dashboard_enabled, "
    "duration_p99_percent, enabled, error_rate_percent, evaluation_periods, "
    "identity_server_failures, metrics_namespace, ok_actions, period_seconds, throttles; it has "
    '"alarm_action".',
    "alarms_topic_not_sns": "alarms.alarm_actions and alarms.ok_actions must be lists of at most 5 "
    'SNS topic ARNs (arn:aws:sns:<region>:<account>:<topic>). Wrong: {"alarms.alarm_actions":'
    '["arn:aws:sqs:eu-west-1:123456789012:paging"],"alarms.ok_actions":null}.',
    "alarms_enabled_not_bool": "alarms.enabled and alarms.dashboard_enabled must be true or false.",
    "alarms_error_rate_out_of_range": "alarms.error_rate_percent must be a number above 0 and at "
    "most 100.",
    "alarms_duration_out_of_range": "alarms.duration_p99_percent must be a number from 10 to 100",
    "alarms_throttles_fraction": "alarms.throttles, alarms.identity_server_failures and "
    "alarms.evaluation_periods must be whole numbers from 1 to 100000.",
    "alarms_period_not_minutes": "alarms.period_seconds must be a multiple of 60 from 60 to 86400.",
    "alarms_namespace_reserved": "alarms.metrics_namespace must be a CloudWatch namespace",
    "route_key_without_method": 'routes keys must be "$default" (HTTP APIs) or "METHOD /path" '
    "with METHOD GET, POST",
    "route_options": "OPTIONS, the CORS preflight, carries no token and is never put behind the "
    "authorizer) and the path as API Gateway holds it: segments of A-Za-z0-9._-, {name}, or a "
    'final {name+}; no empty segment or trailing slash. Not routable: "OPTIONS /orders".',
    "policy_method_with_cache": 'authorizer.policy_resource = "method" needs '
    "authorizer.result_ttl_seconds = 0",
    "cors_origin_with_path": 'gateway_responses.cors_allowed_origin must be "*" or an origin',
    "endpoint_plain_http": ENDPOINT_UNUSABLE,
    "endpoint_missing": "introspection.endpoint is required: it must be an https:// URL",
    "authorizer_ttl_out_of_range": "authorizer.result_ttl_seconds must be a whole number of "
    "seconds from 0 to 3600",
    "response_format_unknown": 'introspection.response_format must be "jwt" or "rfc9701"',
    "secret_arn_malformed": "introspection.client_secret_arn must be the full ARN of a Secrets "
    "Manager secret",
    "secret_arn_partial": "introspection.client_secret_arn must be the full ARN of a Secrets "
    "Manager secret, ending in the secret's name, a hyphen and the six characters AWS adds",
    "secret_twice": "Set exactly one of introspection.client_secret_arn (Secrets Manager) and "
    "introspection.client_secret_parameter_arn",
    "client_id_empty": "introspection.client_id is required and must not be empty",
    "introspection_typo": "introspection must be an object with the attributes "
    "cache_max_entries, cache_ttl_seconds, client_id, client_secret_arn, "
    "client_secret_kms_key_arn, client_secret_parameter_arn, endpoint, response_format, retries, "
    'timeout_seconds; it has "client_secret_kms_key".',
    "scope_with_quote": "scopes.required must be a list of scope strings",
    "scopes_require_typo": "scopes must be an object with the attributes required, routes, "
    "unlisted_routes; it has "
    '"require". A misspelt attribute would be dropped and its scopes never enforced.',
    # Anything but a list of scope strings is refused, never read by its values or dropped.
    "required_scopes_string": "scopes.required must be a list of scope strings ([] or null for "
    "none): RFC 6749 scope tokens",
    "required_scopes_map": "scopes.required must be a list of scope strings",
    "required_scopes_object": "scopes.required must be a list of scope strings",
    "required_scopes_not_strings": "scopes.required must be a list of scope strings",
    "scopes_routes_entry_object": "Each scopes.routes entry must be a list of scope strings "
    "(RFC 6749 scope tokens; not a map, an object or a single string; [] lists the route with "
    'no scope of its own). Wrong: scopes.routes["GET /orders"].',
    "route_scopes_object": "Every route needs scopes: a list of scope strings (RFC 6749 scope "
    "tokens; not a map, an object or a single string), or [] for nothing beyond "
    "scopes.required (so that a misspelt attribute cannot leave a route open); each item is one "
    'scope: write ["a", "b"], not ["a b"]. Missing or invalid: routes["GET /orders"].scopes.',
    "authorizer_type_not_a_string": 'authorizer.type must be "TOKEN" or "REQUEST".',
    "endpoint_non_ascii_path": ENDPOINT_UNUSABLE + " (a host name "
    "or a bracketed IPv6 address, a port up to 65535, no credentials or fragment, a path in "
    "printable ASCII with anything else percent-encoded;",
    "endpoint_ipv6_not_an_address": ENDPOINT_UNUSABLE + " (a host "
    "name or a bracketed IPv6 address,",
    "route_scopes_key": 'Not routable, so never enforced: "orders".',
    "route_keys_unroutable": 'Not routable, so never enforced: "GET //orders", "GET /orders/", '
    '"GET /orders/:id", "GET /orders/{id", "GET /orders/{id}.json".',
    "route_scope_typo": 'Unknown: routes["GET /admin"]: "scope".',
    "route_resource_id": "resource_id became resource: pass aws_api_gateway_resource.<name>). "
    'Unknown: routes["GET /orders"]: "resource_id".',
    "integration_plain_http": "A plain http:// integration would send the JWT across the network "
    "in clear text: use https://, or a VPC link (integration.connection_id). Offending: "
    'routes["GET /orders"].integration.uri.',
    "jwt_header_overridden": "must not map integration.request.header.Authorization",
    "request_without_authorization_header": "authorizer.identity_sources must include "
    "method.request.header.Authorization while authorizer.result_ttl_seconds is above 0",
    "context_claim_authorization": "must not be Authorization, the key that carries the JWT",
    "authorizer_typo": "authorizer must be an object with the attributes context_claims, "
    'identity_sources, policy_resource, result_ttl_seconds, type; it has "result_ttl".',
    "log_level_unknown": "function.log_level must be one of DEBUG, INFO, WARNING, ERROR",
    "function_typo": "function must be an object with the attributes architecture, "
    "code_signing_config_arn, kms_key_arn, layers, log_kms_key_arn, log_level, "
    "log_retention_in_days, logging_config, memory_size, package, reserved_concurrent_executions, "
    'runtime, timeout, tracing_mode, vpc; it has "log_retention_days", "permissions_boundary".',
    "reserved_concurrency_zero": "function.reserved_concurrent_executions must be -1 (unreserved) "
    "or at least 1: 0 throttles the authorizer",
    "log_key_is_code_signing_config": "function.log_kms_key_arn must be a KMS key ARN",
    "log_key_alias": "function.log_kms_key_arn must be a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:"
    "key/ID): CloudWatch Logs takes no alias.",
    "code_signing_config_is_key": "function.code_signing_config_arn must be a Lambda code signing "
    "config ARN",
    "iam_typo": "iam must be an object with the attributes existing_role_arn, "
    'permissions_boundary_arn, role_name, role_path; it has "role_nme".',
    "iam_existing_role_and_boundary": "iam.existing_role_arn brings your own role",
    # The Lambda refuses both (a leading zero is not loopback; the port is not a port): plan
    # must refuse them too, or every request would be a 500.
    "endpoint_loopback_with_leading_zero": ENDPOINT_UNUSABLE,
    "endpoint_port_out_of_range": ENDPOINT_UNUSABLE,
    "http_api_jwt_header_authorization": "http_api.jwt_header cannot be Authorization: HTTP APIs "
    "reserve it for parameter mapping, so the JWT cannot replace the client's opaque token there.",
    "http_api_jwt_header_reserved": "http_api.jwt_header must not be a header API Gateway "
    "reserves for HTTP API parameter mapping (Connection, Content-Encoding, Content-Length, "
    "Content-Location, Forwarded, Keep-Alive, Origin, Proxy-Authenticate, Proxy-Authorization, "
    "TE, Trailers, Transfer-Encoding, Upgrade, Via, X-Forwarded-For, X-Forwarded-Host, "
    'X-Forwarded-Proto, access-control-*, apigw-*, x-amz-*, x-amzn-*): got "X-Amzn-Jwt".',
    "http_api_jwt_header_not_a_token": "http_api.jwt_header must be an HTTP header name (an RFC "
    "9110 token",
    "unlisted_routes_unknown": 'scopes.unlisted_routes must be "deny" (a route that neither '
    'routes nor scopes.routes names is denied: a misspelt key fails closed) or "required"',
    "route_integration_wrong": 'Wrong: routes["GET /a"].integration is missing or not an object; '
    'routes["GET /b"].integration has unknown attributes "urii"; routes["GET /b"].integration.uri '
    'is missing or not an http(s):// URL; routes["GET /c"].integration.uri is missing or not an '
    "http(s):// URL.",
    "gateway_responses_typo": "gateway_responses must be an object with the attributes "
    'cors_allowed_origin, enabled; it has "cors_allowed_orign". A misspelt attribute would be '
    "dropped and its setting lost.",
    "http_api_typo": "http_api must be an aws_apigatewayv2_api, or an object with the attributes "
    'id, execution_arn, jwt_header, default_route; it has "jwt_headr". A misspelt attribute would '
    "be dropped and its setting lost.",
    "http_api_default_route_unknown": 'http_api.default_route must be "deny" (the module puts '
    '$default behind the authorizer, which denies it) or "none"',
    "http_api_without_id": "http_api needs id and execution_arn (attributes of "
    "aws_apigatewayv2_api).",
    "http_api_quick_create": "http_api.target is set: API Gateway's quick create then makes a "
    "route ($default) with no authorizer, a way around this one.",
    "lambda_uri_function_arn": "An AWS_PROXY integration's uri must be the invoke ARN of a Lambda "
    "function (aws_lambda_function.<name>.invoke_arn: arn:aws:apigateway:<region>:lambda:path/"
    '2015-03-31/functions/<function ARN>/invocations). Wrong: routes["GET /whoami"].integration.'
    "uri.",
    "lambda_uri_https_on_http_api": "An AWS_PROXY integration's uri must be the invoke ARN of a "
    "Lambda function (aws_lambda_function.<name>.invoke_arn: arn:aws:apigateway:<region>:lambda:"
    'path/2015-03-31/functions/<function ARN>/invocations). Wrong: routes["GET /whoami"].'
    "integration.uri.",
    "lambda_with_http_attributes": "An AWS_PROXY (Lambda) integration takes uri and "
    "timeout_milliseconds only: the function is invoked with POST, over no VPC link, with the "
    'request and the JWT in its event. Not for a Lambda: routes["GET /whoami"].integration.'
    'connection_id, routes["GET /whoami"].integration.http_method, routes["GET /whoami"].'
    "integration.request_parameters.",
}
# Calls that break more than one rule, and how many errors each must produce.
ROOT_ERROR_COUNTS = {
    "route_scope_typo": 2,  # an unknown attribute, and no scopes
}
# module call in invalid-preconditions -> what its plan error must say.
PRECONDITIONS = {
    "route_on_another_resource": "The method GET /orders would be created on the resource "
    "/profile: a route key must name its resource's path.",
    "token_authorizer_with_route_scopes": 'authorizer.type = "TOKEN" cannot enforce per-route '
    "scopes (GET /orders)",
    "token_authorizer_in_the_submodule": "The function enforces per-route scopes: the authorizer "
    "must be a REQUEST authorizer whose identity_sources include method.request.header."
    "Authorization, context.httpMethod, context.resourceId (or result_ttl_seconds = 0); it is "
    "TOKEN with method.request.header.Authorization.",
    "function_timeout_too_short": "introspection.timeout_seconds * (introspection.retries + 1) + 1 "
    "= 5 * (1 + 1) + 1 = 11 seconds, but function.timeout is 10.",
    "neither_api": "Set exactly one of rest_api (an aws_api_gateway_rest_api) and http_api (an "
    "aws_apigatewayv2_api): neither is set.",
    "both_apis": "Set exactly one of rest_api (an aws_api_gateway_rest_api) and http_api (an "
    "aws_apigatewayv2_api): both are set.",
    "rest_route_resource_without_path": "Every route of a REST API needs resource: the "
    "aws_api_gateway_resource of its path (or { id, path }), whose path must be the key's. "
    'Missing or without id and path: routes["GET /orders"].resource.',
    "http_api_route_with_rest_attributes": 'Not for an HTTP API: routes["GET /orders"].resource '
    '(HTTP API routes have no resource); routes["POST /orders"].request_parameters (method request '
    'parameters are REST API only); routes["POST /orders"].integration.type = "HTTP" (HTTP API '
    "integrations here are HTTP_PROXY, or AWS_PROXY for a Lambda function); "
    'routes["POST /orders"].integration.request_parameters['
    '"integration.request.header.X-Tenant"] (REST syntax;',
    "http_api_rest_identity_sources": "Not for an HTTP API: authorizer.identity_sources (the HTTP "
    "API cache key is computed",
    "route_key_misspelt_for_a_new_resource": "A route key must name its resource's path: "
    'routes["GET /order"] ends in "order", its resource\'s path_part is "orders".',
    "unlisted_routes_deny_without_routes": 'scopes.unlisted_routes = "deny" with no route in '
    "routes or scopes.routes would deny every request",
    "rest_api_default_route_scopes": "$default is the catch-all route of HTTP APIs; a REST API has "
    "no route of that name, so its scopes would never be enforced. "
    'Remove scopes.routes["$default"].',
    "http_api_default_route_twice": 'routes["$default"] forwards the catch-all with its own '
    'scopes, so http_api.default_route = "none" contradicts it',
    "http_api_default_route_scopes_with_deny": 'scopes.routes["$default"] would never be enforced: '
    'http_api.default_route is "deny" (the default)',
}


def _plan_errors(initialised: Callable[[str], TerraformWorkdir], fixture: str) -> list[str]:
    terraform = initialised(f"{FIXTURES}/{fixture}")
    write_aws_override(terraform.workdir)
    stderr = terraform.plan_error()
    # Terraform wraps messages to the terminal width: compare with whitespace collapsed.
    return [" ".join(block.split()) for block in re.split(r"^Error: ", stderr, flags=re.M)[1:]]


@pytest.fixture(scope="module")
def root_input_errors(initialised: Callable[[str], TerraformWorkdir]) -> list[str]:
    return _plan_errors(initialised, "invalid-root-inputs")


@pytest.fixture(scope="module")
def precondition_errors(initialised: Callable[[str], TerraformWorkdir]) -> list[str]:
    return _plan_errors(initialised, "invalid-preconditions")


def _errors_of(errors: list[str], call: str) -> list[str]:
    return [error for error in errors if f'module "{call}"' in error]


@pytest.mark.parametrize(("call", "message"), ROOT_INPUTS.items(), ids=list(ROOT_INPUTS))
def test_root_module_rejects(root_input_errors: list[str], call: str, message: str) -> None:
    # The error points at the caller's own argument (in module "<call>"), not at a submodule.
    errors = _errors_of(root_input_errors, call)

    assert any(message in error for error in errors), (
        f"module {call}: no plan error says {message!r}:\n" + "\n".join(errors or root_input_errors)
    )
    assert all(".terraform/modules" not in error.split("This was checked")[0] for error in errors)


@pytest.mark.parametrize(("call", "message"), PRECONDITIONS.items(), ids=list(PRECONDITIONS))
def test_preconditions_reject(precondition_errors: list[str], call: str, message: str) -> None:
    matching = [error for error in precondition_errors if message in error]

    assert len(matching) == 1, f"expected one plan error saying {message!r}:\n" + "\n".join(
        precondition_errors
    )


def test_each_bad_input_fails_as_often_as_it_breaks_a_rule(
    root_input_errors: list[str], precondition_errors: list[str]
) -> None:
    counts = {call: len(_errors_of(root_input_errors, call)) for call in ROOT_INPUTS}

    assert counts == {call: ROOT_ERROR_COUNTS.get(call, 1) for call in ROOT_INPUTS}
    assert len(root_input_errors) == sum(counts.values())
    # token_authorizer_with_route_scopes is refused twice: by the root (naming authorizer.type)
    # and by the authorizer submodule's guard (token_authorizer_in_the_submodule).
    assert len(precondition_errors) == len(PRECONDITIONS)


def test_a_partial_secret_arn_plans_with_a_warning_that_says_how_to_fix_it(
    initialised: Callable[[str], TerraformWorkdir],
) -> None:
    # GIVEN a Secrets Manager ARN whose last part is a six-letter word: the secret's name,
    # ".../introspection-client-secret", without the six random characters AWS adds
    terraform = initialised(f"{FIXTURES}/plan-warnings")
    write_aws_override(terraform.workdir)
    # WHEN planned
    text = " ".join(terraform.plan_text().split())
    # THEN the plan warns (a full ARN can end the same way, so it is not refused), naming the
    # input, the suffix, and how to get the full ARN
    assert "Warning: Check block assertion failed" in text
    assert 'introspection.client_secret_arn ends in "-secret": that looks like part of the ' in text
    assert "aws secretsmanager describe-secret --secret-id <name> --query ARN" in text
