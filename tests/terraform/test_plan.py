"""The module's wiring, read from ``terraform show -json`` of each example and fixture plan."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from typing import TYPE_CHECKING, Any

import pytest

from phantom_token import decision_log
from phantom_token.config import load_config
from tests.support.terraform import REPO_ROOT, write_aws_override
from tests.terraform.inventory import load_inventory, regenerate_command
from tests.terraform.plan import Plan

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.support.terraform import TerraformWorkdir

pytestmark = pytest.mark.plan

ROOTS = (
    "examples/complete",
    "examples/existing-api",
    "examples/http-api",
    "examples/shared-function",
    "tests/terraform/fixtures/minimal",
    "tests/terraform/fixtures/full",
    "tests/terraform/fixtures/alarms",
)
# DESIGN.md, "The Lambda contract". CLIENT_SECRET is for local runs only: never set here.
LAMBDA_ENVIRONMENT = frozenset(
    {
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
        "INTROSPECTION_TIMEOUT_SECONDS",
        "INTROSPECTION_RETRIES",
        "LOG_LEVEL",
        "METRICS_NAMESPACE",
        "UNLISTED_ROUTES",
        "DEFAULT_ROUTE",
    }
)
JWT_HEADER = "integration.request.header.Authorization"
JWT_SOURCE = "context.authorizer.Authorization"
PACKAGE = REPO_ROOT / "lambda" / "dist" / "phantom-token-authorizer.zip"
AUTHORIZER = "module.phantom_token.module.authorizer[0].aws_api_gateway_authorizer.this"
HTTP_API_AUTHORIZER = (
    "module.phantom_token.module.http_api_authorizer[0].aws_apigatewayv2_authorizer.this"
)
HTTP_API_PERMISSION = (
    "module.phantom_token.module.http_api_authorizer[0].aws_lambda_permission.this"
)


def _authorizer_function(plan: Plan) -> dict[str, Any]:
    """The authorizer's function (examples/complete also has a backend function)."""
    functions = {
        address: function
        for address, function in plan.of_type("aws_lambda_function").items()
        if function["handler"] == "phantom_token.handler.lambda_handler"
    }
    assert len(functions) == 1, sorted(functions)
    return next(iter(functions.values()))


def _environment(plan: Plan) -> dict[str, str]:
    _, function = plan.one("aws_lambda_function")
    variables: dict[str, str] = function["environment"][0]["variables"]
    return variables


def _diff(plan_value: Any, expected: Any, where: str) -> list[str]:
    """Differences, plan value on the left; an inventory lists a subset of the plan's keys."""
    if isinstance(expected, dict) and isinstance(plan_value, dict):
        problems = []
        for key, value in expected.items():
            if key not in plan_value:
                problems.append(f"{where}.{key}: missing from the plan (inventory: {value!r})")
            else:
                problems.extend(_diff(plan_value[key], value, f"{where}.{key}"))
        return problems
    if plan_value != expected:
        return [f"{where}: {plan_value!r} != {expected!r} (inventory)"]
    return []


# -- every root module -------------------------------------------------------------------


@pytest.mark.parametrize("root", ROOTS)
def test_plan_matches_its_inventory(planned: Callable[[str], Plan], root: str) -> None:
    plan = planned(root)
    inventory = load_inventory(root)

    problems = _diff(plan.counts(), inventory["counts"], "counts")
    problems += [
        f"counts.{kind}: {count} in the plan, not in the inventory"
        for kind, count in plan.counts().items()
        if kind not in inventory["counts"]
    ]
    for address, expected in inventory["values"].items():
        if address not in plan.of_type_all():
            problems.append(f"{address}: not in the plan")
        else:
            problems.extend(_diff(plan.values(address), expected, address))
    problems.extend(_diff(plan.outputs(), inventory["outputs"], "outputs"))

    assert not problems, (
        "\n".join(problems) + f"\nIf the change is intended, run: {regenerate_command(root)}"
    )


@pytest.mark.parametrize("root", ROOTS)
def test_plan_reads_nothing_from_aws(planned: Callable[[str], Plan], root: str) -> None:
    # No data sources: plans in PR pipelines need no AWS credentials for lookups.
    assert planned(root).modes() == {"managed"}


# -- the authorizer ----------------------------------------------------------------------


def test_authorizer_defaults_to_a_cached_token_authorizer(minimal_plan: Plan) -> None:
    _, authorizer = minimal_plan.one("aws_api_gateway_authorizer")

    assert authorizer["type"] == "TOKEN"
    assert authorizer["identity_source"] == "method.request.header.Authorization"
    assert authorizer["authorizer_result_ttl_in_seconds"] == 300


def test_route_scopes_pin_the_route_in_the_cache_key(complete_plan: Plan) -> None:
    # GIVEN routes with scopes: one cached decision per token AND route (method, resource), so
    # no spelling of a path can reach another route's decision (DESIGN.md, issue 5).
    authorizer = complete_plan.values(AUTHORIZER)

    assert authorizer["type"] == "REQUEST"
    assert authorizer["identity_source"] == (
        "method.request.header.Authorization,context.httpMethod,context.resourceId"
    )
    assert authorizer["authorizer_result_ttl_in_seconds"] == 300
    assert authorizer.get("identity_validation_expression") is None
    assert complete_plan.references(AUTHORIZER, "authorizer_uri")[0] == "var.function.invoke_arn"


def test_scopes_for_routes_managed_elsewhere_pin_the_route_too(existing_api_plan: Plan) -> None:
    authorizer = existing_api_plan.values(AUTHORIZER)

    assert authorizer["type"] == "REQUEST"
    assert authorizer["identity_source"].split(",") == [
        "method.request.header.Authorization",
        "context.httpMethod",
        "context.resourceId",
    ]


@pytest.mark.parametrize(
    ("header", "accepted"),
    [
        ("Bearer abc", True),
        ("bearer abc", True),
        ("BEARER  abc.def-ghi_jkl~mno+pqr/stu==", True),
        ("Bearer 2YotnFZFEjr1zCsicMWpAA", True),
        ("Basic abc", False),
        ("Bearer", False),
        ("Bearer ", False),
        ("Bearer abc def", False),
        ("Bearer <script>", False),
        ("Bearerabc", False),
        ("", False),
    ],
)
def test_bearer_validation_expression(minimal_plan: Plan, header: str, accepted: bool) -> None:
    # API Gateway matches the whole header value (Java regex; this subset reads the same in re).
    _, authorizer = minimal_plan.one("aws_api_gateway_authorizer")
    expression = authorizer["identity_validation_expression"]

    assert (re.fullmatch(expression, header) is not None) is accepted


def test_lambda_permission_is_scoped_to_the_authorizer(complete_plan: Plan) -> None:
    address = "module.phantom_token.module.authorizer[0].aws_lambda_permission.this"
    permission = complete_plan.values(address)

    assert permission["principal"] == "apigateway.amazonaws.com"
    assert permission["action"] == "lambda:InvokeFunction"
    assert complete_plan.unknown(address)["source_arn"] is True
    assert set(complete_plan.references(address, "source_arn")) >= {
        "var.rest_api.execution_arn",
        "aws_api_gateway_authorizer.this.id",
    }
    source = complete_plan.resource_config(address)["expressions"]["source_arn"]
    assert "constant_value" not in source


def test_request_authorizer_without_cache(full_plan: Plan) -> None:
    _, authorizer = full_plan.one("aws_api_gateway_authorizer")

    assert authorizer["type"] == "REQUEST"
    # The caller's identity sources, then the route-pinning ones (routes have scopes).
    assert authorizer["identity_source"] == (
        "method.request.header.Authorization,method.request.header.X-Tenant,"
        "context.httpMethod,context.resourceId"
    )
    assert authorizer["authorizer_result_ttl_in_seconds"] == 0
    # identityValidationExpression applies to TOKEN authorizers only.
    assert authorizer.get("identity_validation_expression") is None


# -- protected methods -------------------------------------------------------------------


@pytest.mark.parametrize("root", ["examples/complete", "tests/terraform/fixtures/full"])
def test_protected_methods_use_the_authorizer(planned: Callable[[str], Plan], root: str) -> None:
    plan = planned(root)
    methods = plan.of_type("aws_api_gateway_method")

    assert methods
    for address, method in methods.items():
        assert method["authorization"] == "CUSTOM", address
        assert plan.references(address, "authorizer_id")[0] == "var.authorizer.id", address
        module_path = address.rsplit(".aws_api_gateway_method.", 1)[0]
        call = plan.module_call(module_path)["expressions"]["authorizer"]
        assert "module.authorizer[0].authorizer_id" in call["references"], address


def test_complete_routes(complete_plan: Plan) -> None:
    methods = {
        address.split('"')[1]: method["http_method"]
        for address, method in complete_plan.of_type("aws_api_gateway_method").items()
    }
    integrations = {
        address.split('"')[1]: integration
        for address, integration in complete_plan.of_type("aws_api_gateway_integration").items()
    }

    assert methods == {
        "GET /orders": "GET",
        "POST /orders": "POST",
        "GET /profile": "GET",
        "DELETE /orders/{id}": "DELETE",
        "DELETE /orders/{id}/items": "DELETE",
        "GET /whoami": "GET",
    }
    whoami = integrations.pop("GET /whoami")
    assert {route: i["uri"] for route, i in integrations.items()} == {
        "GET /orders": "https://backend.example.com/orders",
        "POST /orders": "https://backend.example.com/orders",
        "GET /profile": "https://backend.example.com/profile",
        "DELETE /orders/{id}": "https://backend.example.com/orders/{id}",
        "DELETE /orders/{id}/items": "https://backend.example.com/orders/{id}/items",
    }
    assert {i["type"] for i in integrations.values()} == {"HTTP_PROXY"}
    # The Lambda backend: invoked with POST at its invoke ARN, nothing mapped.
    assert whoami["type"] == "AWS_PROXY"
    assert whoami["integration_http_method"] == "POST"
    assert whoami.get("request_parameters") is None
    address = 'module.phantom_token.module.routes["GET /whoami"].aws_api_gateway_integration.this'
    assert complete_plan.unknown(address)["uri"] is True


def test_complete_whoami_function_is_the_committed_zip(complete_plan: Plan) -> None:
    zip_path = REPO_ROOT / "examples" / "complete" / "whoami" / "whoami.zip"
    function = complete_plan.values("aws_lambda_function.whoami")
    digest = base64.b64encode(hashlib.sha256(zip_path.read_bytes()).digest()).decode()

    assert function["handler"] == "whoami.lambda_handler"
    assert function["source_code_hash"] == digest
    assert function["environment"] == [
        {"variables": {"JWKS_URI": "https://login.example.com/oauth/v2/oauth-anonymous/jwks"}}
    ]
    # API Gateway may invoke it from GET /whoami only (any stage); the ARN is unknown at plan.
    address = 'module.phantom_token.module.routes["GET /whoami"].aws_lambda_permission.this[0]'
    permission = complete_plan.values(address)
    assert permission["principal"] == "apigateway.amazonaws.com"
    assert permission["action"] == "lambda:InvokeFunction"
    assert complete_plan.unknown(address)["source_arn"] is True
    assert complete_plan.unknown(address)["function_name"] is True


def test_lambda_backend_permission_is_scoped_to_its_route(full_plan: Plan) -> None:
    # GIVEN ANY /admin/{proxy+} backed by a Lambda (the invoke ARN known at plan)
    route = 'module.this.module.routes["ANY /admin/{proxy+}"]'
    integration = full_plan.values(f"{route}.aws_api_gateway_integration.this")
    permission = full_plan.values(f"{route}.aws_lambda_permission.this[0]")

    # THEN the integration invokes the function with POST and maps nothing (no path parameter,
    # no JWT header: the event carries both)
    assert integration["type"] == "AWS_PROXY"
    assert integration["integration_http_method"] == "POST"
    assert integration["uri"] == (
        "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/"
        "arn:aws:lambda:eu-west-1:123456789012:function:admin-backend/invocations"
    )
    assert integration.get("request_parameters") is None
    assert integration["timeout_milliseconds"] == 10000
    # AND the function's permission names it, scoped to the route: any stage, ANY as "*", the
    # greedy path parameter as "*"
    assert permission == {
        **permission,
        "action": "lambda:InvokeFunction",
        "function_name": "arn:aws:lambda:eu-west-1:123456789012:function:admin-backend",
        "principal": "apigateway.amazonaws.com",
        "source_arn": "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/*/*/admin/*",
        "statement_id": "AllowApiGateway-a1b2c3d4e5-res4dmin44-ANY",
    }
    # AND HTTP backends get no permission
    assert [a for a in full_plan.addresses("aws_lambda_permission") if ".module.routes[" in a] == [
        f"{route}.aws_lambda_permission.this[0]"
    ]


@pytest.mark.parametrize(
    "root",
    [
        "examples/complete",
        "examples/existing-api",
        "examples/shared-function",
        "tests/terraform/fixtures/full",
    ],
)
def test_every_integration_forwards_the_jwt(planned: Callable[[str], Plan], root: str) -> None:
    integrations = planned(root).of_type("aws_api_gateway_integration")

    assert integrations
    for address, integration in integrations.items():
        if integration["type"] == "AWS_PROXY":  # a Lambda reads it from its event
            continue
        assert integration["request_parameters"][JWT_HEADER] == JWT_SOURCE, address


def test_path_parameters_are_mapped(full_plan: Plan) -> None:
    route = 'module.this.module.routes["GET /orders/{id}"]'
    method = full_plan.values(f"{route}.aws_api_gateway_method.this")
    integration = full_plan.values(f"{route}.aws_api_gateway_integration.this")

    assert method["request_parameters"] == {
        "method.request.path.id": True,
        "method.request.header.X-Tenant": True,
    }
    assert integration["request_parameters"] == {
        JWT_HEADER: JWT_SOURCE,
        "integration.request.path.id": "method.request.path.id",
        "integration.request.header.X-Tenant": "method.request.header.X-Tenant",
    }
    greedy = full_plan.values(
        'module.this.module.routes["ANY /files/{proxy+}"].aws_api_gateway_integration.this'
    )
    assert greedy["request_parameters"]["integration.request.path.proxy"] == (
        "method.request.path.proxy"
    )
    assert greedy["integration_http_method"] == "ANY"


def test_existing_api_wires_its_own_methods_through_outputs(existing_api_plan: Plan) -> None:
    plan = existing_api_plan

    assert not [a for a in plan.of_type_all() if ".module.routes[" in a]
    for address in plan.addresses("aws_api_gateway_method"):
        assert plan.values(address)["authorization"] == "CUSTOM"
        assert "module.phantom_token.authorizer_id" in plan.references(address, "authorizer_id")
    for address in plan.addresses("aws_api_gateway_integration"):
        references = plan.references(address, "request_parameters")
        assert "module.phantom_token.integration_request_parameters" in references


# -- one function, several APIs ----------------------------------------------------------

SHARED_APIS = ["invoices", "orders"]
RESPONSES = {"UNAUTHORIZED": "401", "ACCESS_DENIED": "403", "AUTHORIZER_FAILURE": "500"}


def _instance_key(address: str) -> str:
    """``orders`` from ``module.authorizer["orders"].aws_x.this`` or ``aws_x.this["orders"]``."""
    return address.split('"')[1]


def test_shared_function_is_one_function_for_two_apis(shared_function_plan: Plan) -> None:
    plan = shared_function_plan
    counts = plan.counts()

    assert [_instance_key(a) for a in plan.addresses("aws_api_gateway_rest_api")] == SHARED_APIS
    assert counts["aws_lambda_function"] == 1
    assert counts["aws_iam_role"] == 1
    assert counts["aws_cloudwatch_log_group"] == 1
    assert counts["aws_api_gateway_authorizer"] == 2
    assert counts["aws_lambda_permission"] == 2
    assert counts["aws_api_gateway_stage"] == 2


def test_shared_function_has_an_authorizer_per_api(shared_function_plan: Plan) -> None:
    plan = shared_function_plan
    authorizers = plan.addresses("aws_api_gateway_authorizer")
    call = plan.module_call('module.authorizer["orders"]')["expressions"]

    assert authorizers == [
        f'module.authorizer["{api}"].aws_api_gateway_authorizer.this' for api in SHARED_APIS
    ]
    # Each instance sits on the REST API of its own key, and invokes the one function.
    assert call["rest_api"]["references"] == ["aws_api_gateway_rest_api.this", "each.key"]
    assert {
        "module.authorizer_function.lambda_function_invoke_arn",
        "module.authorizer_function.lambda_function_name",
    } <= set(call["function"]["references"])
    for address in authorizers:
        assert plan.references(address, "authorizer_uri")[0] == "var.function.invoke_arn"
        assert plan.references(address, "rest_api_id")[0] == "var.rest_api.id"
        assert plan.values(address)["name"] == f"phantom-token-shared-{_instance_key(address)}"


def test_shared_function_protects_a_method_per_api(shared_function_plan: Plan) -> None:
    plan = shared_function_plan
    methods = plan.of_type("aws_api_gateway_method")
    call = plan.module_call('module.protected_method["orders"]')["expressions"]

    assert {_instance_key(a): m["authorization"] for a, m in methods.items()} == dict.fromkeys(
        SHARED_APIS, "CUSTOM"
    )
    # The method of each API uses the authorizer of the same key, on the same API.
    assert {"module.authorizer", "each.key"} <= set(call["authorizer"]["references"])
    assert call["rest_api_id"]["references"] == ["aws_api_gateway_rest_api.this", "each.key"]


def test_shared_function_permissions_are_scoped_per_authorizer(shared_function_plan: Plan) -> None:
    plan = shared_function_plan
    _, function = plan.one("aws_lambda_function")
    permissions = plan.of_type("aws_lambda_permission")

    assert sorted(permissions) == [
        f'module.authorizer["{api}"].aws_lambda_permission.this' for api in SHARED_APIS
    ]
    for address, permission in permissions.items():
        assert permission["function_name"] == function["function_name"], address
        assert permission["principal"] == "apigateway.amazonaws.com", address
        assert permission["action"] == "lambda:InvokeFunction", address
        # "<execution_arn of this instance's API>/authorizers/<this instance's authorizer>",
        # known after apply; the statement id carries the authorizer id, so the two differ.
        assert plan.unknown(address)["source_arn"] is True, address
        assert plan.unknown(address)["statement_id"] is True, address
        assert set(plan.references(address, "source_arn")) >= {
            "var.rest_api.execution_arn",
            "aws_api_gateway_authorizer.this.id",
        }, address


def test_shared_function_has_gateway_responses_per_api(shared_function_plan: Plan) -> None:
    plan = shared_function_plan
    found: dict[str, dict[str, str]] = {}
    for address, response in plan.of_type("aws_api_gateway_gateway_response").items():
        found.setdefault(_instance_key(address), {})[response["response_type"]] = response[
            "status_code"
        ]
    call = plan.module_call('module.gateway_responses["orders"]')["expressions"]

    assert found == dict.fromkeys(SHARED_APIS, RESPONSES)
    assert call["rest_api_id"]["references"] == ["aws_api_gateway_rest_api.this", "each.key"]


def test_shared_function_redeploys_each_stage_on_change(shared_function_plan: Plan) -> None:
    plan = shared_function_plan
    triggers = plan.resource_config('aws_api_gateway_deployment.this["orders"]')["expressions"][
        "triggers"
    ]

    assert plan.addresses("aws_api_gateway_deployment") == [
        f'aws_api_gateway_deployment.this["{api}"]' for api in SHARED_APIS
    ]
    assert {
        "module.authorizer",
        "module.gateway_responses",
        "module.protected_method",
    } <= set(triggers["references"])


# -- the Lambda function -----------------------------------------------------------------


def test_lambda_environment_with_defaults(minimal_plan: Plan) -> None:
    assert _environment(minimal_plan) == {
        "CACHE_MAX_ENTRIES": "1000",
        "CACHE_TTL_SECONDS": "300",
        "CLIENT_ID": "gateway",
        "CLIENT_SECRET_ARN": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:gateway-AbCdEf",
        "CONTEXT_CLAIMS": "sub scope client_id",
        "INTROSPECTION_ENDPOINT": "https://login.example.com/oauth/v2/oauth-introspect",
        "INTROSPECTION_RESPONSE": "jwt",
        "INTROSPECTION_RETRIES": "1",
        "INTROSPECTION_TIMEOUT_SECONDS": "3",
        "LOG_LEVEL": "INFO",
        "METRICS_NAMESPACE": "PhantomToken",
        "POLICY_RESOURCE": "stage",
    }


def test_lambda_environment_with_every_setting(full_plan: Plan) -> None:
    environment = _environment(full_plan)

    assert set(environment) <= LAMBDA_ENVIRONMENT
    assert "CLIENT_SECRET_ARN" not in environment
    assert environment["CLIENT_SECRET_PARAMETER"] == (
        "arn:aws:ssm:eu-west-1:123456789012:parameter/gateway/client-secret"
    )
    assert environment["REQUIRED_SCOPES"] == "openid"
    # Scopes given for routes managed elsewhere and those of `routes` are merged per route.
    # Every route of the table is listed, one without scopes too: the others are denied.
    assert json.loads(environment["ROUTE_SCOPES"]) == {
        "ANY /files/{proxy+}": "",
        "GET /orders/{id}": "orders:audit orders:read",
        "GET /reports/{proxy+}": "reports:read",
        "POST /legacy": "legacy:write",
        "ANY /admin/{proxy+}": "admin",
    }
    assert environment["UNLISTED_ROUTES"] == "deny"
    assert environment["POLICY_RESOURCE"] == "method"
    assert environment["INTROSPECTION_RESPONSE"] == "rfc9701"
    assert environment["CONTEXT_CLAIMS"] == "sub tenant"


def test_required_scopes_null_means_none(initialised: Callable[[str], TerraformWorkdir]) -> None:
    # GIVEN scopes.required = null: "not set", the one value other than a list of scope strings
    # that plans (a string, a map, an object or numbers are refused: test_validation.py)
    workdir = initialised("tests/terraform/fixtures/http-api")
    write_aws_override(workdir.workdir)
    environment = _environment(Plan(workdir.plan_json({"scopes": {"required": None}})))
    # THEN the function is set up as with the attribute left out: no REQUIRED_SCOPES, which the
    # Lambda reads as no scope beyond those of the routes
    assert "REQUIRED_SCOPES" not in environment
    config = load_config({**environment, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256"})
    assert config.required_scopes == frozenset()


@pytest.mark.parametrize(
    "root",
    [
        "tests/terraform/fixtures/minimal",
        "tests/terraform/fixtures/full",
        "tests/terraform/fixtures/existing-role",
        "examples/existing-api",
    ],
)
def test_the_lambda_accepts_the_planned_environment(
    planned: Callable[[str], Plan], root: str
) -> None:
    # GIVEN the environment Terraform plans for the function (every value known at plan)
    environment = _environment(planned(root))
    # WHEN the Lambda reads it THEN it is a valid configuration: what plans clean must not be
    # a 500 on every request (and the route scopes are the ones Terraform meant).
    config = load_config({**environment, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256"})

    assert config.endpoint.url == environment["INTROSPECTION_ENDPOINT"]
    assert {route.key for route in config.route_scopes} == set(
        json.loads(environment.get("ROUTE_SCOPES", "{}"))
    )


def test_the_plan_shows_every_known_environment_value(complete_plan: Plan) -> None:
    # GIVEN the secret created in the same configuration: its ARN is unknown at plan, and the
    # provider then shows the function's whole environment as "(known after apply)"
    function = _authorizer_function(complete_plan)
    assert function["environment"] == [{}]
    # THEN the environment's mirror shows every other value, and hides only the ARN
    address = "module.phantom_token.module.function.terraform_data.environment"
    planned = complete_plan.values(address)["input"]
    assert complete_plan.unknown(address)["input"] == {"CLIENT_SECRET_ARN": True}
    assert planned["POLICY_RESOURCE"] == "stage"
    assert json.loads(planned["ROUTE_SCOPES"]) == {
        "GET /orders": "orders:read",
        "GET /profile": "",
        "POST /orders": "orders:write",
        "DELETE /orders/{id}": "orders:admin",
        "DELETE /orders/{id}/items": "orders:read",
        "GET /whoami": "profile:read",
    }
    assert planned["UNLISTED_ROUTES"] == "deny"


@pytest.mark.parametrize("root", ROOTS)
def test_no_secret_value_reaches_the_plan(planned: Callable[[str], Plan], root: str) -> None:
    plan = planned(root)
    function = _authorizer_function(plan)
    environment = (function.get("environment") or [{}])[0].get("variables") or {}

    assert "CLIENT_SECRET" not in environment
    assert not plan.addresses("aws_secretsmanager_secret_version")
    assert not plan.addresses("aws_ssm_parameter")


def test_lambda_runs_the_committed_package(complete_plan: Plan) -> None:
    function = _authorizer_function(complete_plan)
    digest = base64.b64encode(hashlib.sha256(PACKAGE.read_bytes()).digest()).decode()

    assert function["handler"] == "phantom_token.handler.lambda_handler"
    assert function["runtime"] == "python3.13"
    assert function["architectures"] == ["arm64"]
    assert function["filename"].endswith("lambda/dist/phantom-token-authorizer.zip")
    assert function["source_code_hash"] == digest
    assert function["tracing_config"] == [{"mode": "PassThrough"}]


def test_lambda_optional_settings(full_plan: Plan) -> None:
    _, function = full_plan.one("aws_lambda_function")

    assert function["s3_bucket"] == "artifacts-bucket"
    assert function.get("filename") is None
    assert function["vpc_config"][0]["subnet_ids"] == ["subnet-0123456789abcdef0"]
    assert function["tracing_config"] == [{"mode": "Active"}]
    assert function["reserved_concurrent_executions"] == 20
    assert function["code_signing_config_arn"].startswith("arn:aws:lambda:")
    assert function["kms_key_arn"].endswith(":key/66666666-7777-8888-9999-000000000000")
    assert function["layers"] == ["arn:aws:lambda:eu-west-1:123456789012:layer:observability:3"]
    assert function["logging_config"] == [
        {
            "application_log_level": "INFO",
            "log_format": "JSON",
            "log_group": "/aws/lambda/full",
            "system_log_level": "WARN",
        }
    ]
    _, log_group = full_plan.one("aws_cloudwatch_log_group")
    assert log_group["kms_key_id"].startswith("arn:aws:kms:")
    assert log_group["retention_in_days"] == 731


def test_iam_role_settings(full_plan: Plan, minimal_plan: Plan) -> None:
    _, role = full_plan.one("aws_iam_role")
    assert role["name"] == "full-authorizer"
    assert role["path"] == "/authorizers/"
    assert role["permissions_boundary"] == "arn:aws:iam::123456789012:policy/platform-boundary"
    # IAM is global: by default the name gets a unique suffix, so two regions never collide.
    _, role = minimal_plan.one("aws_iam_role")
    assert role["name_prefix"] == "minimal-"
    assert role.get("name") is None


def test_an_existing_role_is_used_as_it_is(planned: Callable[[str], Plan]) -> None:
    plan = planned("tests/terraform/fixtures/existing-role")
    _, function = plan.one("aws_lambda_function")

    assert function["role"] == "arn:aws:iam::123456789012:role/platform/authorizer"
    assert not plan.addresses("aws_iam_role")
    assert not plan.addresses("aws_iam_role_policy")
    assert plan.outputs()["lambda_role_name"] == "authorizer"


# -- gateway responses, deployment, outputs ----------------------------------------------


def test_gateway_responses_tell_clients_what_happened(complete_plan: Plan) -> None:
    responses = {
        r["response_type"]: r
        for r in complete_plan.of_type("aws_api_gateway_gateway_response").values()
    }
    header = "gatewayresponse.header.WWW-Authenticate"

    assert {kind: r["status_code"] for kind, r in responses.items()} == {
        "UNAUTHORIZED": "401",
        "ACCESS_DENIED": "403",
        "AUTHORIZER_FAILURE": "500",
    }
    assert responses["UNAUTHORIZED"]["response_parameters"][header] == "'Bearer'"
    assert responses["ACCESS_DENIED"]["response_parameters"][header] == (
        "'Bearer error=\"insufficient_scope\"'"
    )
    for response in responses.values():
        assert json.loads(
            response["response_templates"]["application/json"].replace(
                "$context.error.messageString", '"x"'
            )
        ) == {"message": "x"}


def test_gateway_responses_carry_cors_headers(full_plan: Plan) -> None:
    for address, response in full_plan.of_type("aws_api_gateway_gateway_response").items():
        parameters = response["response_parameters"]
        assert parameters["gatewayresponse.header.Access-Control-Allow-Origin"] == (
            "'https://app.example.com'"
        ), address
        assert parameters["gatewayresponse.header.Access-Control-Expose-Headers"] == (
            "'WWW-Authenticate'"
        ), address


def test_complete_redeploys_the_stage_on_change(complete_plan: Plan) -> None:
    address = "aws_api_gateway_deployment.this"
    triggers = complete_plan.resource_config(address)["expressions"]["triggers"]

    assert "module.phantom_token.deployment_trigger" in triggers["references"]
    assert complete_plan.values("aws_api_gateway_stage.this")["stage_name"] == "live"


def test_complete_outputs_are_stable(complete_plan: Plan) -> None:
    # tests/e2e and `make demo` read these names.
    outputs = complete_plan.data["configuration"]["root_module"]["outputs"]

    assert set(outputs) >= {
        "authorizer_id",
        "client_secret_arn",
        "invoke_url",
        "lambda_function_name",
        "rest_api_id",
        "stage_name",
    }


def test_root_outputs_for_hand_wired_methods(minimal_plan: Plan) -> None:
    outputs = minimal_plan.outputs()

    assert outputs["authorizer_context_key"] == "Authorization"
    assert outputs["integration_request_parameters"] == {JWT_HEADER: JWT_SOURCE}
    assert outputs["lambda_function_name"] == "minimal"
    assert outputs["log_group_name"] == "/aws/lambda/minimal"


# -- HTTP APIs ---------------------------------------------------------------------------


def test_http_api_authorizer_is_a_simple_request_authorizer(http_api_plan: Plan) -> None:
    # GIVEN routes with scopes: a cached simple response holds for every route sharing its
    # identity-source values, so the route key joins the token in the cache key.
    authorizer = http_api_plan.values(HTTP_API_AUTHORIZER)

    assert authorizer["authorizer_type"] == "REQUEST"
    assert authorizer["authorizer_payload_format_version"] == "2.0"
    assert authorizer["enable_simple_responses"] is True
    assert sorted(authorizer["identity_sources"]) == [
        "$context.httpMethod",
        "$context.routeKey",
        "$request.header.Authorization",
    ]
    assert authorizer["authorizer_result_ttl_in_seconds"] == 300
    assert http_api_plan.references(HTTP_API_AUTHORIZER, "authorizer_uri")[0] == (
        "var.function.invoke_arn"
    )
    assert not http_api_plan.addresses("aws_api_gateway_authorizer")
    assert not http_api_plan.addresses("aws_api_gateway_gateway_response")


def test_http_api_routes_use_the_authorizer_and_forward_the_jwt(http_api_plan: Plan) -> None:
    plan = http_api_plan
    routes = {
        route["route_key"]: (address, route)
        for address, route in plan.of_type("aws_apigatewayv2_route").items()
    }
    integrations = {
        address.split('"')[1]: integration
        for address, integration in plan.of_type("aws_apigatewayv2_integration").items()
    }

    # The catch-all the module adds by default: behind the authorizer, forwarded nowhere.
    default_address, default_route = routes.pop("$default")
    assert default_route["authorization_type"] == "CUSTOM"
    assert default_route["target"] is None
    assert plan.references(default_address, "authorizer_id")[0] == (
        "module.http_api_authorizer[0].authorizer_id"
    )
    environment = plan.values("module.phantom_token.module.function.terraform_data.environment")
    assert environment["input"]["DEFAULT_ROUTE"] == "deny"
    assert sorted(routes) == ["GET /orders", "GET /profile", "POST /orders"]
    for key, (address, route) in routes.items():
        assert route["authorization_type"] == "CUSTOM", address
        assert plan.references(address, "authorizer_id")[0] == "var.authorizer.id", address
        assert "aws_apigatewayv2_integration.this.id" in plan.references(address, "target")
        call = plan.module_call(address.rsplit(".aws_apigatewayv2_route.", 1)[0])["expressions"]
        assert "module.http_api_authorizer[0].authorizer_id" in call["authorizer"]["references"]
        assert integrations[key] == {
            **integrations[key],
            "integration_type": "HTTP_PROXY",
            "integration_method": key.split(" ")[0],
            "integration_uri": f"https://backend.example.com{key.split(' ')[1]}",
            "payload_format_version": "1.0",
            "connection_type": "INTERNET",
            "request_parameters": {
                "overwrite:header.X-Phantom-Token": "$context.authorizer.Authorization"
            },
        }, key


def test_http_api_permission_is_scoped_to_the_authorizer(http_api_plan: Plan) -> None:
    permission = http_api_plan.values(HTTP_API_PERMISSION)

    assert permission["principal"] == "apigateway.amazonaws.com"
    assert permission["action"] == "lambda:InvokeFunction"
    assert http_api_plan.unknown(HTTP_API_PERMISSION)["source_arn"] is True
    assert set(http_api_plan.references(HTTP_API_PERMISSION, "source_arn")) >= {
        "var.http_api.execution_arn",
        "aws_apigatewayv2_authorizer.this.id",
    }
    source = http_api_plan.resource_config(HTTP_API_PERMISSION)["expressions"]["source_arn"]
    assert "constant_value" not in source


def test_http_api_outputs(http_api_plan: Plan) -> None:
    outputs = http_api_plan.outputs()
    declared = http_api_plan.data["configuration"]["root_module"]["outputs"]

    assert outputs["jwt_header"] == "X-Phantom-Token"
    assert outputs["stage_name"] == "live"
    assert set(declared) == {
        "authorizer_id",
        "client_secret_arn",
        "http_api_id",
        "invoke_url",
        "jwt_header",
        "lambda_function_name",
        "protected_route_keys",
        "stage_name",
    }
    assert outputs["protected_route_keys"] == [
        "$default",
        "GET /orders",
        "GET /profile",
        "POST /orders",
    ]
    stage = http_api_plan.values("aws_apigatewayv2_stage.this")
    assert stage["auto_deploy"] is True


ROUTE = {"integration": {"uri": "https://backend.example.com/orders"}}
TOKEN_AND_ROUTE = ["$context.httpMethod", "$context.routeKey", "$request.header.Authorization"]


@pytest.mark.parametrize(
    ("variables", "identity_sources", "route_scopes", "jwt_header", "catch_all"),
    [
        # No route scopes, the catch-all denied (the default): the route key joins the cache key,
        # or a cached Deny of $default would answer GET /orders too.
        (
            {
                "routes": {"GET /orders": {**ROUTE, "scopes": []}},
                "scopes": {"unlisted_routes": "required"},
            },
            TOKEN_AND_ROUTE,
            None,
            "X-Phantom-Token",
            "deny",
        ),
        # No route scopes, unlisted routes need scopes.required, and the catch-all left to the
        # caller: the token alone keys the cache.
        (
            {
                "routes": {"GET /orders": {**ROUTE, "scopes": []}},
                "scopes": {"unlisted_routes": "required"},
                "default_route": "none",
            },
            ["$request.header.Authorization"],
            None,
            "X-Phantom-Token",
            None,
        ),
        # A route table and nothing else set: every route is listed, the others are denied.
        (
            {"routes": {"GET /orders": {**ROUTE, "scopes": []}}, "default_route": "none"},
            TOKEN_AND_ROUTE,
            {"GET /orders": ""},
            "X-Phantom-Token",
            None,
        ),
        # A route with scopes: the route key joins the cache key, the Lambda gets the scopes.
        (
            {"routes": {"GET /orders": {**ROUTE, "scopes": ["orders:read"]}}},
            TOKEN_AND_ROUTE,
            {"GET /orders": "orders:read"},
            "X-Phantom-Token",
            "deny",
        ),
        # Scopes for routes managed elsewhere pin the route too; another JWT header.
        (
            {
                "scopes": {"routes": {"ANY /files/{proxy+}": ["files:read"]}},
                "jwt_header": "X-Jwt",
                "default_route": "none",
            },
            TOKEN_AND_ROUTE,
            {"ANY /files/{proxy+}": "files:read"},
            "X-Jwt",
            None,
        ),
        # The catch-all forwarded, with scopes of its own.
        (
            {
                "routes": {
                    "GET /orders": {**ROUTE, "scopes": []},
                    "$default": {
                        "scopes": ["catch-all"],
                        "integration": {"uri": "https://backend.example.com"},
                    },
                }
            },
            TOKEN_AND_ROUTE,
            {"$default": "catch-all", "GET /orders": ""},
            "X-Phantom-Token",
            "route",
        ),
    ],
    ids=[
        "catch-all-denied",
        "catch-all-left-to-the-caller",
        "unlisted-routes-denied",
        "route-with-scopes",
        "scopes-for-routes-elsewhere",
        "catch-all-forwarded",
    ],
)
def test_http_api_cache_key_catch_all_and_jwt_header(
    initialised: Callable[[str], TerraformWorkdir],
    variables: dict[str, Any],
    identity_sources: list[str],
    route_scopes: dict[str, str] | None,
    jwt_header: str,
    catch_all: str | None,
) -> None:
    workdir = initialised("tests/terraform/fixtures/http-api")
    write_aws_override(workdir.workdir)
    plan = Plan(workdir.plan_json(variables))
    _, authorizer = plan.one("aws_apigatewayv2_authorizer")
    environment = _environment(plan)
    mapping = {f"overwrite:header.{jwt_header}": "$context.authorizer.Authorization"}
    routes = {
        route["route_key"]: (address, route)
        for address, route in plan.of_type("aws_apigatewayv2_route").items()
    }
    module_routes = sorted(variables.get("routes", {}))

    assert sorted(authorizer["identity_sources"]) == identity_sources
    assert (json.loads(environment["ROUTE_SCOPES"]) if "ROUTE_SCOPES" in environment else None) == (
        route_scopes
    )
    assert environment.get("DEFAULT_ROUTE") == ("deny" if catch_all == "deny" else None)
    unlisted = variables.get("scopes", {}).get("unlisted_routes", "deny")
    assert environment.get("UNLISTED_ROUTES") == ("deny" if unlisted == "deny" else None)
    assert plan.outputs()["http_api_request_parameters"] == mapping
    assert plan.outputs()["http_api_jwt_header"] == jwt_header
    assert plan.outputs().get("deployment_trigger") is None
    for address, integration in plan.of_type("aws_apigatewayv2_integration").items():
        assert integration["request_parameters"] == mapping, address
    # Every route the module creates carries the authorizer, and the output lists exactly those.
    assert all(route["authorization_type"] == "CUSTOM" for _, route in routes.values())
    expected_keys = sorted([*module_routes, *(["$default"] if catch_all == "deny" else [])])
    assert sorted(routes) == expected_keys
    assert plan.outputs()["protected_route_keys"] == expected_keys
    if catch_all == "deny":
        address, route = routes["$default"]
        assert route["target"] is None, address
    elif catch_all == "route":
        address, _ = routes["$default"]
        assert "aws_apigatewayv2_integration.this.id" in plan.references(address, "target")
    else:
        assert "$default" not in routes


WHOAMI_FUNCTION = "arn:aws:lambda:eu-west-1:123456789012:function:whoami"
WHOAMI_INVOKE_ARN = (
    f"arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/{WHOAMI_FUNCTION}/invocations"
)


def test_http_api_lambda_backends(initialised: Callable[[str], TerraformWorkdir]) -> None:
    # GIVEN two HTTP API routes backed by a Lambda function, one with a path variable
    lambda_route = {"integration": {"type": "AWS_PROXY", "uri": WHOAMI_INVOKE_ARN}}
    variables = {
        "routes": {
            "GET /whoami": {**lambda_route, "scopes": ["profile:read"]},
            "ANY /users/{id}": {**lambda_route, "scopes": []},
            "GET /orders": {**ROUTE, "scopes": []},
        }
    }
    workdir = initialised("tests/terraform/fixtures/http-api")
    write_aws_override(workdir.workdir)
    plan = Plan(workdir.plan_json(variables))
    route = 'module.this.module.http_api_routes["{}"]'

    # THEN each Lambda integration is AWS_PROXY, payload format 2.0, invoked with POST, and
    # maps nothing (the function reads requestContext.authorizer.lambda.Authorization)
    for key in ("GET /whoami", "ANY /users/{id}"):
        integration = plan.values(route.format(key) + ".aws_apigatewayv2_integration.this")
        assert integration == {
            **integration,
            "integration_type": "AWS_PROXY",
            "integration_method": "POST",
            "integration_uri": WHOAMI_INVOKE_ARN,
            "payload_format_version": "2.0",
            "connection_type": "INTERNET",
        }, key
        assert integration.get("request_parameters") is None, key
    # AND the HTTP backend still gets the JWT header
    http = plan.values(route.format("GET /orders") + ".aws_apigatewayv2_integration.this")
    assert http["request_parameters"] == {
        "overwrite:header.X-Phantom-Token": "$context.authorizer.Authorization"
    }
    # AND each function permission is scoped to its route (ANY and path variables as "*")
    sources = {
        key: plan.values(route.format(key) + ".aws_lambda_permission.this[0]")
        for key in ("GET /whoami", "ANY /users/{id}")
    }
    execution_arn = "arn:aws:execute-api:eu-west-1:123456789012:h1t2p3a4p5"
    assert {key: p["source_arn"] for key, p in sources.items()} == {
        "GET /whoami": f"{execution_arn}/*/GET/whoami",
        "ANY /users/{id}": f"{execution_arn}/*/*/users/*",
    }
    assert {p["function_name"] for p in sources.values()} == {WHOAMI_FUNCTION}
    assert {p["principal"] for p in sources.values()} == {"apigateway.amazonaws.com"}
    # AND the HTTP backend gets none
    route_permissions = [
        a for a in plan.addresses("aws_lambda_permission") if ".http_api_routes[" in a
    ]
    assert sorted(a.split('"')[1] for a in route_permissions) == ["ANY /users/{id}", "GET /whoami"]


def test_http_api_lambda_catch_all(initialised: Callable[[str], TerraformWorkdir]) -> None:
    # GIVEN the catch-all forwarded to a Lambda function
    variables = {
        "routes": {
            "$default": {
                "scopes": [],
                "integration": {"type": "AWS_PROXY", "uri": WHOAMI_INVOKE_ARN},
            }
        }
    }
    workdir = initialised("tests/terraform/fixtures/http-api")
    write_aws_override(workdir.workdir)
    plan = Plan(workdir.plan_json(variables))

    # THEN its permission is the $default route's
    permission = plan.values(
        'module.this.module.http_api_routes["$default"].aws_lambda_permission.this[0]'
    )
    assert permission["source_arn"] == (
        "arn:aws:execute-api:eu-west-1:123456789012:h1t2p3a4p5/*/$default"
    )


# -- alarms and the dashboard (the metrics' names come from the Lambda's decision_log) ------


ALARM_TYPES = ("aws_cloudwatch_metric_alarm", "aws_cloudwatch_dashboard")
PAGING = ["arn:aws:sns:eu-west-1:123456789012:paging"]
PAGING_AND_AUDIT = [*PAGING, "arn:aws:sns:eu-west-1:123456789012:audit"]


@pytest.fixture(scope="module")
def alarms_plan(planned: Callable[[str], Plan]) -> Plan:
    return planned("tests/terraform/fixtures/alarms")


def _alarms(plan: Plan) -> dict[str, dict[str, Any]]:
    return {
        address.split(".")[-1].removesuffix("[0]"): values
        for address, values in plan.of_type("aws_cloudwatch_metric_alarm").items()
    }


def _queries(alarm: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {query["id"]: query for query in alarm["metric_query"]}


@pytest.mark.parametrize("root", [r for r in ROOTS if not r.endswith("/alarms")])
def test_no_alarm_and_no_dashboard_unless_enabled(
    planned: Callable[[str], Plan], root: str
) -> None:
    # GIVEN a root that does not set alarms; THEN the plan has no alarm and no dashboard
    plan = planned(root)
    assert plan.counts().keys() & set(ALARM_TYPES) == set()


def test_alarms_watch_what_the_lambda_writes(alarms_plan: Plan) -> None:
    # GIVEN alarms enabled with a namespace, topics and thresholds
    alarms = _alarms(alarms_plan)
    namespace = _environment(alarms_plan)["METRICS_NAMESPACE"]
    function = decision_log.FUNCTION_DIMENSION
    # THEN there are four, each acting on the given topics, and not breaching without data
    assert sorted(alarms) == ["duration", "error_rate", "identity_server", "throttles"]
    assert namespace == "Platform/Auth"
    for name, alarm in alarms.items():
        assert alarm["alarm_actions"] == PAGING, name
        assert sorted(alarm["ok_actions"]) == sorted(PAGING_AND_AUDIT), name
        assert alarm["treat_missing_data"] == "notBreaching", name
        assert (alarm["evaluation_periods"], alarm["datapoints_to_alarm"]) == (5, 5), name
    # the error rate: error decisions over all decisions, in the Lambda's namespace
    rate = _queries(alarms["error_rate"])
    assert rate["rate"]["expression"] == "100 * FILL(errors, 0) / decisions"
    assert alarms["error_rate"]["threshold"] == 2.5
    assert [rate[q]["metric"][0] for q in ("errors", "decisions")] == [
        {
            "namespace": namespace,
            "metric_name": decision_log.DECISIONS,
            "period": 120,
            "stat": "Sum",
            "dimensions": {function: "alarms", decision_log.OUTCOME_DIMENSION: "error"},
            "unit": "",
        },
        {
            "namespace": namespace,
            "metric_name": decision_log.DECISIONS,
            "period": 120,
            "stat": "Sum",
            "dimensions": {function: "alarms"},
            "unit": "",
        },
    ]
    # the identity server: the sum of the failed answer classes the Lambda writes
    failures = _queries(alarms["identity_server"])
    assert {
        query["metric"][0]["metric_name"] for query in failures.values() if query["metric"]
    } == {decision_log.ANSWER_METRICS[answer] for answer in decision_log.FAILED_ANSWERS}
    for query in failures.values():
        for metric in query["metric"]:
            assert (metric["namespace"], metric["dimensions"]) == (namespace, {function: "alarms"})
    assert alarms["identity_server"]["threshold"] == 10
    # Lambda's own metrics: throttles, and p99 duration against 75 % of the 12 s timeout
    throttles, duration = alarms["throttles"], alarms["duration"]
    assert (throttles["namespace"], throttles["metric_name"], throttles["threshold"]) == (
        "AWS/Lambda",
        "Throttles",
        3,
    )
    assert (duration["metric_name"], duration["extended_statistic"]) == ("Duration", "p99")
    assert duration["threshold"] == 12 * 1000 * 0.75
    assert throttles["dimensions"] == duration["dimensions"] == {"FunctionName": "alarms"}


def test_the_dashboard_graphs_the_lambda_metrics(alarms_plan: Plan) -> None:
    # GIVEN the dashboard enabled
    [(_, dashboard)] = alarms_plan.of_type("aws_cloudwatch_dashboard").items()
    body = json.loads(dashboard["dashboard_body"])
    metric_lines = [
        line
        for widget in body["widgets"]
        if widget["type"] == "metric"
        for line in widget["properties"]["metrics"]
    ]
    ours = [line for line in metric_lines if line[0] == "Platform/Auth"]
    # THEN every metric of ours it graphs is one the Lambda writes, with its dimensions
    written = {
        decision_log.DECISIONS,
        decision_log.CACHE_HIT,
        decision_log.INTROSPECTION_TIME,
        decision_log.SECRET_READ_TIME,
        *decision_log.ANSWER_METRICS.values(),
    }
    assert {line[1] for line in ours} == written
    for line in ours:
        dimensions = [item for item in line[2:] if isinstance(item, str)]
        assert dimensions[:2] == [decision_log.FUNCTION_DIMENSION, "alarms"], line
        assert dimensions[2:] in ([], [decision_log.OUTCOME_DIMENSION, dimensions[-1]]), line
    outcomes = {line[5] for line in ours if len(line) > 5 and isinstance(line[5], str)}
    assert outcomes == set(decision_log.OUTCOMES)
    assert {w["properties"]["region"] for w in body["widgets"]} == {"eu-west-1"}
    assert alarms_plan.outputs()["dashboard_name"] == "alarms-authorizer"
