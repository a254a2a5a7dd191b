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
# module call in the fixture -> the message its plan error must contain
ROOT_INPUTS = {
    "route_key_without_method": 'routes keys must be "METHOD /path"',
    "route_options": "OPTIONS (CORS preflight) carries no token and is never put behind the "
    "authorizer",
    "policy_method_with_cache": 'authorizer.policy_resource = "method" needs '
    "authorizer.result_ttl_seconds = 0",
    "cors_origin_with_path": 'gateway_responses.cors_allowed_origin must be "*" or an origin',
}
SUBMODULE_INPUTS = {
    "endpoint_plain_http": "introspection.endpoint must be an https:// URL",
    "authorizer_ttl_out_of_range": "authorizer.result_ttl_seconds must be a whole number of "
    "seconds from 0 to 3600",
    "response_format_unknown": 'introspection.response_format must be "jwt" or "rfc9701"',
    "secret_arn_malformed": "introspection.client_secret_arn must be a Secrets Manager secret ARN",
    "secret_twice": "Set exactly one of introspection.client_secret_arn (Secrets Manager) and "
    "introspection.client_secret_parameter_arn",
    "client_id_empty": "introspection.client_id must not be empty",
    "scope_with_quote": "Scopes must be RFC 6749 scope tokens",
    "route_scopes_key": 'Route scope keys must be "METHOD /path"',
    "jwt_header_overridden": "must not map integration.request.header.Authorization",
    "context_claim_authorization": "must not be Authorization, the key that carries the JWT",
    "log_level_unknown": "function.log_level must be one of DEBUG, INFO, WARNING, ERROR",
    "function_timeout_too_short": "function.timeout must leave room for every introspection "
    "attempt",
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
def submodule_input_errors(initialised: Callable[[str], TerraformWorkdir]) -> list[str]:
    return _plan_errors(initialised, "invalid-submodule-inputs")


@pytest.mark.parametrize(("call", "message"), ROOT_INPUTS.items(), ids=list(ROOT_INPUTS))
def test_root_module_rejects(root_input_errors: list[str], call: str, message: str) -> None:
    matching = [error for error in root_input_errors if message in error]

    assert matching, f"no plan error says {message!r}:\n" + "\n".join(root_input_errors)
    assert any(f'module "{call}"' in error for error in matching)


@pytest.mark.parametrize(("call", "message"), SUBMODULE_INPUTS.items(), ids=list(SUBMODULE_INPUTS))
def test_submodules_reject(submodule_input_errors: list[str], call: str, message: str) -> None:
    del call  # the diagnostic names the submodule call, not the fixture's
    matching = [error for error in submodule_input_errors if message in error]

    assert len(matching) == 1, f"expected one plan error saying {message!r}:\n" + "\n".join(
        submodule_input_errors
    )


def test_each_bad_input_fails_once(
    root_input_errors: list[str], submodule_input_errors: list[str]
) -> None:
    # "/orders" breaks both route key rules; every other call breaks exactly one.
    assert len(root_input_errors) == len(ROOT_INPUTS) + 1
    assert len(submodule_input_errors) == len(SUBMODULE_INPUTS)
