"""The ``moved`` blocks of migrations.tf: upgrading keeps what a previous release created.

Each test plans the minimal fixture over a state that a previous release wrote (the resources
at their old addresses, with the attributes that release planned) and expects every resource
to be found at its new address with nothing to change: no destroy, no create.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from tests.support.terraform import (
    TerraformError,
    TerraformWorkdir,
    copy_module_tree,
    find_provider_mirror,
    skip_or_fail,
    write_aws_override,
)

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.plan

FIXTURE = "tests/terraform/fixtures/minimal"
REST_API_ID = "a1b2c3d4e5"
TEMPLATES = {"application/json": '{"message":$context.error.messageString}'}
# 0.1.0: aws_api_gateway_gateway_response.this in the root module.
GATEWAY_RESPONSES_0_1 = {
    "UNAUTHORIZED": ("401", {"gatewayresponse.header.WWW-Authenticate": "'Bearer'"}),
    "ACCESS_DENIED": (
        "403",
        {"gatewayresponse.header.WWW-Authenticate": "'Bearer error=\"insufficient_scope\"'"},
    ),
    "AUTHORIZER_FAILURE": ("500", {}),
}


def _gateway_responses_state_0_1() -> dict[str, Any]:
    instances = [
        {
            "index_key": kind,
            "schema_version": 0,
            "attributes": {
                "id": f"aggr-{REST_API_ID}-{kind}",
                "rest_api_id": REST_API_ID,
                "response_type": kind,
                "status_code": status,
                "response_parameters": parameters,
                "response_templates": TEMPLATES,
            },
            "sensitive_attributes": [],
        }
        for kind, (status, parameters) in GATEWAY_RESPONSES_0_1.items()
    ]
    return {
        "version": 4,
        "terraform_version": "1.5.7",
        "serial": 1,
        "lineage": "5b0e3f0c-6f0e-4e55-9b49-0f4c1e2a7d11",
        "outputs": {},
        "resources": [
            {
                "module": "module.this",
                "mode": "managed",
                "type": "aws_api_gateway_gateway_response",
                "name": "this",
                "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
                "instances": instances,
            }
        ],
        "check_results": None,
    }


def _plan_over(
    state: dict[str, Any], tmp_path: Path, tf_env: dict[str, str], terraform_bin: str
) -> dict[str, dict[str, Any]]:
    """``resource_changes`` by address of the fixture's plan over ``state`` (no refresh)."""
    workdir = copy_module_tree(FIXTURE, tmp_path / "tree")
    write_aws_override(workdir)
    (workdir / "terraform.tfstate").write_text(json.dumps(state), encoding="utf-8")
    # The state stands for resources in an account this test never calls: plan without refresh.
    terraform = TerraformWorkdir(
        workdir, {**tf_env, "TF_CLI_ARGS_plan": "-refresh=false"}, terraform_bin
    )
    try:
        terraform.init()
    except TerraformError as error:
        if find_provider_mirror() is None:
            skip_or_fail(f"no provider mirror and the registry is unreachable:\n{error}")
        raise
    plan = terraform.plan_json()
    return {change["address"]: change for change in plan["resource_changes"]}


def test_gateway_responses_move_into_their_module(
    tmp_path: Path, tf_env: dict[str, str], terraform_bin: str
) -> None:
    # GIVEN the gateway responses where 0.1.0 created them
    state = _gateway_responses_state_0_1()

    # WHEN the current module is planned over that state
    changes = _plan_over(state, tmp_path, tf_env, terraform_bin)

    # THEN each is found in modules/gateway-responses, unchanged, and none is destroyed
    moved = {
        address: (change.get("previous_address"), change["change"]["actions"])
        for address, change in changes.items()
        if change["type"] == "aws_api_gateway_gateway_response"
    }
    new = 'module.this.module.gateway_responses[0].aws_api_gateway_gateway_response.this["{}"]'
    old = 'module.this.aws_api_gateway_gateway_response.this["{}"]'
    assert moved == {
        new.format(kind): (old.format(kind), ["no-op"]) for kind in GATEWAY_RESPONSES_0_1
    }


def _rest_authorizer_state_0_1() -> dict[str, Any]:
    """The REST API authorizer and its permission where 0.1.0 created them (no count)."""
    authorizer = {
        "id": "authz01",
        "name": "minimal",
        "rest_api_id": REST_API_ID,
        "type": "TOKEN",
        "identity_source": "method.request.header.Authorization",
        "identity_validation_expression": (
            "^\\s*[Bb][Ee][Aa][Rr][Ee][Rr] +[A-Za-z0-9._~+/-]+=*\\s*$"
        ),
        "authorizer_result_ttl_in_seconds": 300,
        "authorizer_uri": "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/"
        "arn:aws:lambda:eu-west-1:123456789012:function:minimal/invocations",
        "authorizer_credentials": "",
        "provider_arns": [],
        "arn": f"arn:aws:apigateway:eu-west-1::/restapis/{REST_API_ID}/authorizers/authz01",
    }
    permission = {
        "id": "AllowApiGatewayAuthorizer-authz01",
        "statement_id": "AllowApiGatewayAuthorizer-authz01",
        "statement_id_prefix": "",
        "action": "lambda:InvokeFunction",
        "function_name": "minimal",
        "principal": "apigateway.amazonaws.com",
        "source_arn": (
            f"arn:aws:execute-api:eu-west-1:123456789012:{REST_API_ID}/authorizers/authz01"
        ),
        "event_source_token": None,
        "function_url_auth_type": None,
        "principal_org_id": None,
        "qualifier": "",
        "source_account": None,
    }
    resources = [
        {
            "module": "module.this.module.authorizer",
            "mode": "managed",
            "type": kind,
            "name": "this",
            "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
            "instances": [
                {"schema_version": 0, "attributes": attributes, "sensitive_attributes": []}
            ],
        }
        for kind, attributes in (
            ("aws_api_gateway_authorizer", authorizer),
            ("aws_lambda_permission", permission),
        )
    ]
    return {
        "version": 4,
        "terraform_version": "1.5.7",
        "serial": 1,
        "lineage": "0c9b2d4e-8a51-4c3f-9e7a-2f1d6b3a5c77",
        "outputs": {},
        "resources": resources,
        "check_results": None,
    }


def test_rest_authorizer_moves_to_its_counted_module(
    tmp_path: Path, tf_env: dict[str, str], terraform_bin: str
) -> None:
    # GIVEN the REST API authorizer where 0.1.0 created it (rest_api was required: no count)
    state = _rest_authorizer_state_0_1()

    # WHEN the current module, where rest_api is optional, is planned over that state
    changes = _plan_over(state, tmp_path, tf_env, terraform_bin)

    # THEN the authorizer and its permission are found at instance 0, kept, not replaced (the
    # function is not in this state, so the authorizer's URI may still be updated in place)
    moved = {
        address: change.get("previous_address")
        for address, change in changes.items()
        if change["type"] in {"aws_api_gateway_authorizer", "aws_lambda_permission"}
    }
    old = "module.this.module.authorizer.{}.this"
    new = "module.this.module.authorizer[0].{}.this"
    kinds = ("aws_api_gateway_authorizer", "aws_lambda_permission")
    assert moved == {new.format(kind): old.format(kind) for kind in kinds}
    for address in moved:
        assert changes[address]["change"]["actions"] in (["no-op"], ["update"]), address
