"""examples/complete, examples/shared-function and examples/http-api applied to a moto server,
read back with boto3, planned again, destroyed.

moto stores what the AWS APIs are given; it does not run the Lambda or evaluate the
authorizer (tests/e2e does that). Its one known defect on this path, CreateAuthorizer
dropping identityValidationExpression, is patched in tests/support/moto_server.py.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import boto3
import pytest

from tests.support.moto_server import running_moto_server
from tests.support.terraform import (
    TerraformError,
    TerraformWorkdir,
    copy_module_tree,
    write_aws_override,
)

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.apply

REGION = "eu-west-1"
ROUTES = {
    ("GET", "/orders"),
    ("POST", "/orders"),
    ("GET", "/profile"),
    ("DELETE", "/orders/{id}"),
    ("DELETE", "/orders/{id}/items"),
    ("GET", "/whoami"),
}


def _client(service: str, endpoint_url: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint_url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def _check_gateway(endpoint_url: str, outputs: dict[str, Any]) -> None:
    apigateway = _client("apigateway", endpoint_url)
    api_id = outputs["rest_api_id"]

    authorizer = apigateway.get_authorizer(restApiId=api_id, authorizerId=outputs["authorizer_id"])
    # The example's routes have scopes: one cached decision per token and route.
    assert authorizer["type"] == "REQUEST"
    assert authorizer["identitySource"] == (
        "method.request.header.Authorization,context.httpMethod,context.resourceId"
    )
    assert not authorizer.get("identityValidationExpression")
    assert authorizer["authorizerResultTtlInSeconds"] == 300
    assert f":function:{outputs['lambda_function_name']}/" in authorizer["authorizerUri"]

    resources = apigateway.get_resources(restApiId=api_id)["items"]
    found = set()
    for resource in resources:
        for method in resource.get("resourceMethods", {}):
            found.add((method, resource["path"]))
            described = apigateway.get_method(
                restApiId=api_id, resourceId=resource["id"], httpMethod=method
            )
            assert described["authorizationType"] == "CUSTOM"
            assert described["authorizerId"] == outputs["authorizer_id"]
            integration = described["methodIntegration"]
            if resource["path"] == "/whoami":  # the Lambda backend
                _check_lambda_backend(endpoint_url, outputs, integration)
                continue
            assert integration["type"] == "HTTP_PROXY"
            assert integration["uri"] == f"https://backend.example.com{resource['path']}"
            # The module maps the {id} path parameter of the nested routes for the caller.
            path_parameters = (
                {"integration.request.path.id": "method.request.path.id"}
                if "{id}" in resource["path"]
                else {}
            )
            assert integration["requestParameters"] == {
                "integration.request.header.Authorization": "context.authorizer.Authorization",
                **path_parameters,
            }
    assert found == ROUTES

    for kind, status in (("UNAUTHORIZED", "401"), ("ACCESS_DENIED", "403")):
        response = apigateway.get_gateway_response(restApiId=api_id, responseType=kind)
        assert response["statusCode"] == status
        assert response["responseParameters"]["gatewayresponse.header.WWW-Authenticate"]

    stage = apigateway.get_stage(restApiId=api_id, stageName=outputs["stage_name"])
    assert stage["deploymentId"]


def _check_lambda_backend(
    endpoint_url: str, outputs: dict[str, Any], integration: dict[str, Any]
) -> None:
    awslambda = _client("lambda", endpoint_url)
    name = outputs["whoami_function_name"]
    function_arn = awslambda.get_function_configuration(FunctionName=name)["FunctionArn"]

    # A Lambda proxy integration: POST to the function's invoke ARN, nothing mapped.
    assert integration["type"] == "AWS_PROXY"
    assert integration["httpMethod"] == "POST"
    assert integration["uri"] == (
        f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{function_arn}/invocations"
    )
    assert not integration.get("requestParameters")
    # The function may be invoked by this API's GET /whoami, on any stage, and nothing else.
    policy = json.loads(awslambda.get_policy(FunctionName=name)["Policy"])
    (statement,) = policy["Statement"]
    assert statement["Principal"] == {"Service": "apigateway.amazonaws.com"}
    assert statement["Action"] == "lambda:InvokeFunction"
    assert statement["Condition"]["ArnLike"]["AWS:SourceArn"] == (
        f"arn:aws:execute-api:{REGION}:123456789012:{outputs['rest_api_id']}/*/GET/whoami"
    )


def _check_function(endpoint_url: str, outputs: dict[str, Any]) -> None:
    awslambda = _client("lambda", endpoint_url)
    name = outputs["lambda_function_name"]

    configuration = awslambda.get_function_configuration(FunctionName=name)
    assert configuration["Handler"] == "phantom_token.handler.lambda_handler"
    assert configuration["Runtime"] == "python3.13"
    assert configuration["Architectures"] == ["arm64"]
    environment = configuration["Environment"]["Variables"]
    assert environment["CLIENT_SECRET_ARN"] == outputs["client_secret_arn"]
    assert environment["INTROSPECTION_ENDPOINT"].startswith("https://")
    assert "CLIENT_SECRET" not in environment

    policy = json.loads(awslambda.get_policy(FunctionName=name)["Policy"])
    (statement,) = policy["Statement"]
    assert statement["Principal"] == {"Service": "apigateway.amazonaws.com"}
    assert statement["Action"] == "lambda:InvokeFunction"
    source_arn = statement["Condition"]["ArnLike"]["AWS:SourceArn"]
    assert source_arn.endswith(f":{outputs['rest_api_id']}/authorizers/{outputs['authorizer_id']}")

    role_name = configuration["Role"].rsplit("/", 1)[1]
    iam = _client("iam", endpoint_url)
    (policy_name,) = iam.list_role_policies(RoleName=role_name)["PolicyNames"]
    document = iam.get_role_policy(RoleName=role_name, PolicyName=policy_name)["PolicyDocument"]
    document = json.loads(document) if isinstance(document, str) else document
    statements = {s["Sid"]: s for s in document["Statement"]}
    assert set(statements) == {"WriteOwnLogGroup", "ReadClientSecret"}
    for statement in statements.values():
        assert statement["Effect"] == "Allow"
        assert all("*" not in action for action in statement["Action"])
        assert "*" not in statement["Resource"]
    assert statements["ReadClientSecret"]["Action"] == ["secretsmanager:GetSecretValue"]
    assert statements["ReadClientSecret"]["Resource"] == [outputs["client_secret_arn"]]
    assert statements["WriteOwnLogGroup"]["Resource"] == [
        f"arn:aws:logs:{REGION}:123456789012:log-group:/aws/lambda/{name}:*"
    ]

    secret = _client("secretsmanager", endpoint_url).describe_secret(
        SecretId=outputs["client_secret_arn"]
    )
    assert not secret.get("VersionIdsToStages"), "the example must not put a secret value"


def test_complete_example_applies_reads_back_and_destroys(
    tmp_path: Path, tf_env: dict[str, str], terraform_bin: str
) -> None:
    workdir = copy_module_tree("complete", tmp_path / "tree")
    terraform = TerraformWorkdir(workdir, tf_env, terraform_bin)
    terraform.init()

    with running_moto_server() as endpoint_url:
        write_aws_override(workdir, endpoint_url)
        terraform.apply()
        try:
            outputs = terraform.outputs()
            _check_gateway(endpoint_url, outputs)
            _check_function(endpoint_url, outputs)

            # A second plan must find nothing to change: the module converges.
            code = terraform.plan_exit_code()
            assert code == 0, terraform.plan_text()
        finally:
            terraform.destroy()


def _check_shared_function(endpoint_url: str, outputs: dict[str, Any]) -> None:
    apigateway = _client("apigateway", endpoint_url)
    awslambda = _client("lambda", endpoint_url)
    name = outputs["lambda_function_name"]
    function_arn = awslambda.get_function_configuration(FunctionName=name)["FunctionArn"]
    apis = outputs["rest_api_ids"]
    authorizers = outputs["authorizer_ids"]

    # Two APIs, each with its own authorizer, both invoking the one function.
    assert set(apis) == set(authorizers) == {"invoices", "orders"}
    assert len(set(apis.values())) == 2
    for api, api_id in apis.items():
        (authorizer,) = apigateway.get_authorizers(restApiId=api_id)["items"]
        assert authorizer["id"] == authorizers[api]
        assert f"/functions/{function_arn}/invocations" in authorizer["authorizerUri"]
        method = apigateway.get_method(
            restApiId=api_id,
            resourceId=next(
                r["id"]
                for r in apigateway.get_resources(restApiId=api_id)["items"]
                if r["path"] == f"/{api}"
            ),
            httpMethod="GET",
        )
        assert method["authorizationType"] == "CUSTOM"
        assert method["authorizerId"] == authorizers[api]
        for kind, status in (("UNAUTHORIZED", "401"), ("ACCESS_DENIED", "403")):
            response = apigateway.get_gateway_response(restApiId=api_id, responseType=kind)
            assert response["statusCode"] == status

    # One invoke permission per authorizer, each limited to that API's authorizer.
    policy = json.loads(awslambda.get_policy(FunctionName=name)["Policy"])
    source_arns = sorted(
        statement["Condition"]["ArnLike"]["AWS:SourceArn"] for statement in policy["Statement"]
    )
    assert source_arns == sorted(
        f"arn:aws:execute-api:{REGION}:123456789012:{apis[api]}/authorizers/{authorizers[api]}"
        for api in apis
    )


def test_shared_function_example_applies_reads_back_and_destroys(
    tmp_path: Path, tf_env: dict[str, str], terraform_bin: str
) -> None:
    workdir = copy_module_tree("shared-function", tmp_path / "tree")
    terraform = TerraformWorkdir(workdir, tf_env, terraform_bin)
    terraform.init()

    with running_moto_server() as endpoint_url:
        write_aws_override(workdir, endpoint_url)
        terraform.apply()
        try:
            _check_shared_function(endpoint_url, terraform.outputs())

            code = terraform.plan_exit_code()
            assert code == 0, terraform.plan_text()
        finally:
            terraform.destroy()


def test_a_route_on_another_new_resource_stops_before_its_method_exists(
    tmp_path: Path, tf_env: dict[str, str], terraform_bin: str
) -> None:
    # GIVEN "GET /orders" wired to a new /admin/orders resource: its path is unknown at plan
    # (its path_part, "orders", is the key's last segment, so the plan cannot tell)
    workdir = copy_module_tree("tests/terraform/fixtures/route-on-new-wrong-resource", tmp_path)
    terraform = TerraformWorkdir(workdir, tf_env, terraform_bin)
    terraform.init()

    with running_moto_server() as endpoint_url:
        write_aws_override(workdir, endpoint_url)
        assert terraform.plan_exit_code() == 2  # nothing to refuse yet: the path is unknown
        try:
            # WHEN it is applied THEN the method's precondition stops it, naming both paths
            with pytest.raises(TerraformError) as refused:
                terraform.apply()
            message = " ".join(str(refused.value).split())
            assert (
                "The method GET /orders would be created on the resource /admin/orders" in message
            )
            # AND no method was created on /admin/orders: the Lambda's "GET /orders" scopes
            # would never apply to it
            apigateway = _client("apigateway", endpoint_url)
            (api,) = apigateway.get_rest_apis()["items"]
            methods = {
                (verb, resource["path"])
                for resource in apigateway.get_resources(restApiId=api["id"])["items"]
                for verb in resource.get("resourceMethods") or {}
            }
            assert methods == set()
        finally:
            terraform.destroy()


def _check_http_api(endpoint_url: str, outputs: dict[str, Any]) -> None:
    apigatewayv2 = _client("apigatewayv2", endpoint_url)
    api_id = outputs["http_api_id"]

    authorizer = apigatewayv2.get_authorizer(ApiId=api_id, AuthorizerId=outputs["authorizer_id"])
    assert authorizer["AuthorizerType"] == "REQUEST"
    assert authorizer["AuthorizerPayloadFormatVersion"] == "2.0"
    assert authorizer["EnableSimpleResponses"] is True
    # The example's routes have scopes: one cached decision per token, method and route.
    assert sorted(authorizer["IdentitySource"]) == [
        "$context.httpMethod",
        "$context.routeKey",
        "$request.header.Authorization",
    ]
    assert authorizer["AuthorizerResultTtlInSeconds"] == 300
    assert f":function:{outputs['lambda_function_name']}/" in authorizer["AuthorizerUri"]

    integrations = {
        integration["IntegrationId"]: integration
        for integration in apigatewayv2.get_integrations(ApiId=api_id)["Items"]
    }
    routes = {route["RouteKey"]: route for route in apigatewayv2.get_routes(ApiId=api_id)["Items"]}
    # The module's catch-all: behind the authorizer, with no integration.
    catch_all = routes.pop("$default")
    assert (catch_all["AuthorizationType"], catch_all["AuthorizerId"]) == (
        "CUSTOM",
        outputs["authorizer_id"],
    )
    assert not catch_all.get("Target")
    assert sorted(outputs["protected_route_keys"]) == sorted([*routes, "$default"])
    assert set(routes) == {"GET /orders", "POST /orders", "GET /profile"}
    for key, route in routes.items():
        assert route["AuthorizationType"] == "CUSTOM", key
        assert route["AuthorizerId"] == outputs["authorizer_id"], key
        integration = integrations[route["Target"].removeprefix("integrations/")]
        assert integration["IntegrationType"] == "HTTP_PROXY", key
        assert integration["IntegrationMethod"] == key.split(" ")[0], key
        assert integration["IntegrationUri"] == f"https://backend.example.com{key.split(' ')[1]}"
        assert integration["PayloadFormatVersion"] == "1.0", key
        assert integration["RequestParameters"] == {
            f"overwrite:header.{outputs['jwt_header']}": "$context.authorizer.Authorization"
        }, key
    assert outputs["jwt_header"] == "X-Phantom-Token"

    stage = apigatewayv2.get_stage(ApiId=api_id, StageName=outputs["stage_name"])
    assert stage["AutoDeploy"] is True

    # The invoke permission is limited to this API's authorizer.
    policy = json.loads(
        _client("lambda", endpoint_url).get_policy(FunctionName=outputs["lambda_function_name"])[
            "Policy"
        ]
    )
    (statement,) = policy["Statement"]
    assert statement["Condition"]["ArnLike"]["AWS:SourceArn"] == (
        f"arn:aws:execute-api:{REGION}:123456789012:{api_id}/authorizers/{outputs['authorizer_id']}"
    )


def test_http_api_example_applies_reads_back_and_destroys(
    tmp_path: Path, tf_env: dict[str, str], terraform_bin: str
) -> None:
    workdir = copy_module_tree("http-api", tmp_path / "tree")
    terraform = TerraformWorkdir(workdir, tf_env, terraform_bin)
    terraform.init()

    with running_moto_server() as endpoint_url:
        write_aws_override(workdir, endpoint_url)
        terraform.apply()
        try:
            _check_http_api(endpoint_url, terraform.outputs())

            code = terraform.plan_exit_code()
            assert code == 0, terraform.plan_text()
        finally:
            terraform.destroy()
