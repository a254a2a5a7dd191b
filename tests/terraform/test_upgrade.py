"""Upgrading 0.1.0 to this tree: examples/complete as each release ships it, on one moto server,
with requests flowing through the REST gateway emulator between the steps. No step answers 500.

1. 0.1.0's examples/complete (``git archive`` of the release commit) is applied and served with
   0.1.0's zip: a TOKEN authorizer.
2. This tree's examples/complete is planned over that state: the plan's moves, in-place updates
   and replacements must be the table in docs/UPGRADE-0.2.md, so the guide cannot drift.
3. The window. Terraform updates the function (code and environment) in place, while the stage
   serves the deployment it had: a REST stage serves its deployment's snapshot of the API until
   it is redeployed. API Gateway Developer Guide, "Deploy REST APIs in API Gateway": "Every time
   you update an API, you must redeploy the API to an existing stage or to a new stage. Updating
   an API includes modifying routes, methods, integrations, authorizers, ..."; "Create a
   deployment for a REST API in API Gateway": a stage "represents a snapshot of the API,
   including methods, integrations, models, mapping templates, and Lambda authorizers". moto
   keeps no snapshots, so the emulator serves the configuration read before the upgrade with the
   function as it is after it (``with_current_functions``): the old TOKEN authorizer sending
   TOKEN events to the new code. The upgrade is applied twice, as the guide advises: first with
   ``scopes.unlisted_routes = "required"`` (a token holding every route's scopes passes during
   the window), then as shipped (``deny``: every TOKEN event is a 403 during the window).
4. After each apply the redeployed stage (a REQUEST authorizer) decides per route.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import tarfile
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests

from tests.support.fake_curity import FakeCurity
from tests.support.gateway import Gateway, aws_client, load_api_config, with_current_functions
from tests.support.moto_server import running_moto_server
from tests.support.terraform import (
    REPO_ROOT,
    TerraformWorkdir,
    copy_module_tree,
    skip_or_fail,
    write_aws_override,
)
from tests.support.upstream import UpstreamEcho

if TYPE_CHECKING:
    from tests.support.gateway import ApiConfig

pytestmark = pytest.mark.apply

# The release 0.1.0 (tag v0.1.0; a clone may lack the tag, never the commit).
RELEASE_0_1_0 = "391464c"
# 0.1.0 named the role (and its inline policy) after `name`; the example's name.
ROLE_0_1_0 = "phantom-token-complete"
ROLE = "module.phantom_token.module.function.aws_iam_role.this[0]"
ROLE_POLICY = "module.phantom_token.module.function.aws_iam_role_policy.this[0]"
UNLISTED_REQUIRED = '  scopes = {\n    unlisted_routes = "required"\n  }\n'
PINNED_ROLE = f'  iam = {{\n    role_name = "{ROLE_0_1_0}"\n  }}\n'
GUIDE = REPO_ROOT / "docs" / "UPGRADE-0.2.md"
REGION = "eu-west-1"
ZIP = Path("lambda/dist/phantom-token-authorizer.zip")
INTROSPECTION_CLIENT = "phantom-token-authorizer"
API_CLIENT = "upgrade-client"
# Every scope the upgraded example's table names (GET /whoami's profile:read included).
ALL_SCOPES = "orders:read orders:write orders:admin profile:read"
_HTTP_TIMEOUT_SECONDS = 30.0
_TABLE_START = "<!-- BEGIN_UPGRADE_PLAN -->"
_TABLE_END = "<!-- END_UPGRADE_PLAN -->"

# Each phase's calls: (method, path, scopes of the token or None for no token) -> status.
# 0.1.0: a TOKEN authorizer with per-route Deny statements over concrete paths.
OLD_STAGE = {
    ("GET", "/orders", ALL_SCOPES): 200,
    ("POST", "/orders", ALL_SCOPES): 200,
    ("GET", "/profile", ALL_SCOPES): 200,
    ("GET", "/orders", "orders:read"): 200,
    ("POST", "/orders", "orders:read"): 403,
    ("GET", "/profile", "orders:read"): 200,
    ("GET", "/orders", None): 401,
}
# The window with unlisted_routes = "required": a TOKEN event needs every route's scopes, so a
# token holding them all passes and any other token is denied on every route (over-deny).
WINDOW_REQUIRED = {
    ("GET", "/orders", ALL_SCOPES): 200,
    ("POST", "/orders", ALL_SCOPES): 200,
    ("GET", "/profile", ALL_SCOPES): 200,
    ("GET", "/orders", "orders:read orders:write"): 403,
    ("POST", "/orders", "orders:read orders:write"): 403,
    ("GET", "/profile", "orders:read orders:write"): 403,
    ("GET", "/orders", "orders:read"): 403,
    ("POST", "/orders", "orders:read"): 403,
    ("GET", "/profile", "orders:read"): 403,
    ("GET", "/orders", None): 401,
}
# The window with unlisted_routes = "deny" (the default with a route table): a TOKEN event names
# no route, so it is not listed: 403 for every token, never 500.
WINDOW_DENY = {
    ("GET", "/orders", ALL_SCOPES): 403,
    ("POST", "/orders", ALL_SCOPES): 403,
    ("GET", "/profile", ALL_SCOPES): 403,
    ("GET", "/orders", "orders:read"): 403,
    ("GET", "/profile", "orders:read"): 403,
    ("GET", "/orders", None): 401,
}
# The redeployed stage: a REQUEST authorizer, one decision per token and route.
NEW_STAGE = {
    ("GET", "/orders", ALL_SCOPES): 200,
    ("POST", "/orders", ALL_SCOPES): 200,
    ("GET", "/profile", ALL_SCOPES): 200,
    ("DELETE", "/orders/7", ALL_SCOPES): 200,
    ("DELETE", "/orders/7/items", ALL_SCOPES): 200,
    ("GET", "/orders", "orders:read"): 200,
    ("POST", "/orders", "orders:read"): 403,
    ("GET", "/profile", "orders:read"): 200,
    ("DELETE", "/orders/7", "orders:read"): 403,
    ("DELETE", "/orders/7/items", "orders:read"): 200,
    ("GET", "/orders", None): 401,
}


def _extract_release(commit: str, destination: Path) -> Path:
    """The release's tree, from the repository this test runs in."""
    try:
        archive = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "archive", "--format=tar", commit],
            capture_output=True,
            check=True,
            timeout=120,
        ).stdout
    except (OSError, subprocess.CalledProcessError) as error:
        skip_or_fail(f"cannot read release {commit} from {REPO_ROOT}: {error}")
    destination.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(destination, filter="data")
    return destination


def _example_with(workdir: Path, setting: str) -> None:
    """examples/complete as shipped, with one more argument in its module call."""
    text = (REPO_ROOT / "examples" / "complete" / "main.tf").read_text(encoding="utf-8")
    anchor = "  authorizer = {\n    result_ttl_seconds = var.authorizer_cache_ttl_seconds\n  }\n"
    assert anchor in text, "examples/complete no longer sets authorizer as this test expects"
    (workdir / "main.tf").write_text(text.replace(anchor, f"{anchor}\n{setting}", 1), "utf-8")


def _example_as_shipped(workdir: Path) -> None:
    shutil.copy2(REPO_ROOT / "examples" / "complete" / "main.tf", workdir / "main.tf")


# ----- the plan -------------------------------------------------------------------------------


Row = tuple[str, str, str]  # action, previous address or "", the attributes that change


def _unknown(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_unknown(child) for child in value.values())
    if isinstance(value, list):
        return any(_unknown(child) for child in value)
    return value is True


def _changed_attributes(change: dict[str, Any]) -> str:
    """What an update changes, or what forces a replacement (``replace_paths``)."""
    if change.get("replace_paths"):
        names = {str(path[0]) for path in change["replace_paths"]}
    else:
        before, after = change.get("before") or {}, change.get("after") or {}
        unknown = change.get("after_unknown") or {}
        names = {
            key
            for key in set(before) | set(after) | set(unknown)
            if _unknown(unknown.get(key)) or before.get(key) != after.get(key)
        }
    return ", ".join(sorted(names))


def plan_summary(plan: dict[str, Any]) -> dict[str, Row]:
    """Address -> (action, previous address or "", changed attributes) of every managed
    resource the plan touches: ``moved`` (no change but its address), ``update``,
    ``replace -/+`` (Terraform's order: destroy, then create), ``replace +/-``
    (create_before_destroy: create, then destroy), ``create``, ``delete``."""
    summary: dict[str, Row] = {}
    for resource in plan.get("resource_changes", []):
        if resource.get("mode") != "managed":
            continue
        change = resource["change"]
        actions = change["actions"]
        previous = resource.get("previous_address") or ""
        changed = ""
        if actions == ["delete", "create"]:
            action, changed = "replace -/+", _changed_attributes(change)
        elif actions == ["create", "delete"]:
            action, changed = "replace +/-", _changed_attributes(change)
        elif actions == ["update"]:
            action, changed = "update", _changed_attributes(change)
        elif actions == ["no-op"]:
            if not previous:
                continue
            action = "moved"
        else:
            (action,) = actions
        summary[resource["address"]] = (action, previous, changed)
    return summary


def render_table(summary: dict[str, Row]) -> str:
    rows = [
        "| Address | Action | Moved from | Attributes that change (or force the replacement) |",
        "|---|---|---|---|",
    ]
    rows += [
        f"| `{address}` | {action} | {f'`{previous}`' if previous else ''} | {changed} |"
        for address, (action, previous, changed) in sorted(summary.items())
    ]
    return "\n".join(rows)


def guide_table(text: str) -> dict[str, Row]:
    """The table between the guide's markers, read back as :func:`plan_summary` returns it."""
    start, end = text.index(_TABLE_START), text.index(_TABLE_END)
    row = re.compile(r"\| `([^`]+)` \| ([a-z +/-]+) \| (?:`([^`]+)`)? \| ([a-z_, ]*) \|")
    table: dict[str, Row] = {}
    for line in text[start:end].splitlines():
        match = row.fullmatch(line.strip())
        if match:
            address, action, previous, changed = match.groups()
            table[address] = (action, previous or "", changed.strip())
    return table


# ----- the services and the calls -------------------------------------------------------------


class _Clients:
    """The fake Curity's API client: one token per set of scopes."""

    def __init__(self, curity: FakeCurity) -> None:
        self.curity = curity
        curity.add_client(API_CLIENT, ALL_SCOPES)
        self._tokens: dict[str, str] = {}

    def authorization(self, scopes: str | None) -> dict[str, str]:
        if scopes is None:
            return {}
        if scopes not in self._tokens:
            self._tokens[scopes] = self.curity.issue_token(API_CLIENT, scopes).value
        return {"Authorization": f"Bearer {self._tokens[scopes]}"}


def _serve(
    phase: str,
    endpoint: str,
    outputs: dict[str, Any],
    zip_path: Path,
    clients: _Clients,
    expected: dict[tuple[str, str, str | None], int],
    config: ApiConfig | None = None,
    backend_zips: tuple[Path, ...] = (),
) -> list[str]:
    """Every call of ``expected`` through a fresh gateway (empty authorizer cache); problems."""
    problems = []
    with Gateway(
        endpoint,
        outputs["rest_api_id"],
        outputs["stage_name"],
        zip_path,
        region=REGION,
        config=config,
        backend_zips=backend_zips,
    ) as gateway:
        for (method, path, scopes), status in expected.items():
            response = requests.request(
                method,
                f"{gateway.invoke_url}{path}",
                headers=clients.authorization(scopes),
                timeout=_HTTP_TIMEOUT_SECONDS,
            )
            if response.status_code != status:
                record = gateway.record(response.headers["x-amzn-RequestId"])
                problems.append(
                    f"{phase}: {method} {path} with scopes {scopes!r}: "
                    f"{response.status_code} ({record.outcome}), expected {status}"
                )
        if any(" 500 " in problem for problem in problems):
            problems.append(f"{phase} Lambda log:\n{gateway.lambda_logs()[-4000:]}")
    return problems


def _authorizer_type(endpoint: str, outputs: dict[str, Any]) -> str:
    authorizer = aws_client("apigateway", endpoint, REGION).get_authorizer(
        restApiId=outputs["rest_api_id"], authorizerId=outputs["authorizer_id"]
    )
    return str(authorizer["type"])


def test_upgrading_the_complete_example_from_0_1_0_answers_no_500(
    tmp_path: Path, tf_env: dict[str, str], terraform_bin: str
) -> None:
    old_tree = _extract_release(RELEASE_0_1_0, tmp_path / "v0.1.0")
    old_workdir = old_tree / "examples" / "complete"
    new_workdir = copy_module_tree("complete", tmp_path / "current")
    new_zip = new_workdir.parents[1] / ZIP
    # The example's Lambda backend (GET /whoami), new in this release.
    new_backends = (new_workdir / "whoami" / "whoami.zip",)
    old = TerraformWorkdir(old_workdir, tf_env, terraform_bin)
    new = TerraformWorkdir(new_workdir, tf_env, terraform_bin)
    problems: list[str] = []

    with ExitStack() as cleanup:
        endpoint = cleanup.enter_context(running_moto_server())
        curity = cleanup.enter_context(FakeCurity())
        introspection_secret = curity.add_client(INTROSPECTION_CLIENT).secret
        clients = _Clients(curity)
        upstream = cleanup.enter_context(UpstreamEcho())
        variables = {
            "introspection_endpoint": curity.introspection_endpoint,
            "backend_url": upstream.url,
            "client_id": INTROSPECTION_CLIENT,
        }

        # GIVEN 0.1.0's example applied, its secret put, served with 0.1.0's zip
        write_aws_override(old_workdir, endpoint)
        old.init()
        old.apply(variables)
        outputs = old.outputs()
        aws_client("secretsmanager", endpoint, REGION).put_secret_value(
            SecretId=outputs["client_secret_arn"], SecretString=introspection_secret
        )
        assert _authorizer_type(endpoint, outputs) == "TOKEN"
        before_upgrade = load_api_config(
            endpoint, outputs["rest_api_id"], outputs["stage_name"], REGION
        )
        problems += _serve("0.1.0", endpoint, outputs, old_tree / ZIP, clients, OLD_STAGE)

        # WHEN this tree's example is planned over that state
        write_aws_override(new_workdir, endpoint)
        new.init()
        shutil.copy2(old_workdir / "terraform.tfstate", new_workdir / "terraform.tfstate")
        summary = plan_summary(new.plan_json(variables))
        print(f"\nThe upgrade plan of examples/complete:\n{render_table(summary)}")
        # THEN the guide's table is that plan
        if guide_table(GUIDE.read_text(encoding="utf-8")) != summary:
            problems.append(
                f"docs/UPGRADE-0.2.md's plan table is not the real plan; it is:\n"
                f"{render_table(summary)}"
            )

        # AND iam.role_name pinned to 0.1.0's name keeps the role and its policy: the rest of
        # the plan is the same
        _example_with(new_workdir, PINNED_ROLE)
        pinned = plan_summary(new.plan_json(variables))
        assert summary[ROLE][0].startswith("replace"), summary[ROLE]
        assert summary[ROLE_POLICY][0].startswith("replace"), summary[ROLE_POLICY]
        assert pinned[ROLE][0] in {"moved", "update"}, pinned[ROLE]
        assert pinned[ROLE_POLICY][0] in {"moved", "update"}, pinned[ROLE_POLICY]
        unpinned = {ROLE, ROLE_POLICY}
        assert {k: v[:2] for k, v in pinned.items() if k not in unpinned} == {
            k: v[:2] for k, v in summary.items() if k not in unpinned
        }, render_table(pinned)
        function_address = "module.phantom_token.module.function.aws_lambda_function.this"
        assert "role" in summary[function_address][2].split(", ")
        assert "role" not in pinned[function_address][2].split(", ")

        # WHEN it is applied with unlisted_routes = "required" (the guide's first step)
        _example_with(new_workdir, UNLISTED_REQUIRED)
        new.apply(variables)
        outputs = new.outputs()
        assert _authorizer_type(endpoint, outputs) == "REQUEST"
        # THEN during the window the old TOKEN stage passes a token with every route's scopes
        # and denies any other on every route, and the redeployed stage decides per route
        window = with_current_functions(before_upgrade, endpoint)
        assert {f.code_sha256 for f in window.functions.values()} != {
            f.code_sha256 for f in before_upgrade.functions.values()
        }, "the function's code did not change: the window would run 0.1.0's code"
        (function,) = window.functions.values()
        assert "ROUTE_SCOPES" in function.environment
        assert "UNLISTED_ROUTES" not in function.environment  # "required" is the Lambda's default
        problems += _serve(
            "window (required)", endpoint, outputs, new_zip, clients, WINDOW_REQUIRED, window
        )
        problems += _serve(
            "0.2 (required)",
            endpoint,
            outputs,
            new_zip,
            clients,
            NEW_STAGE,
            backend_zips=new_backends,
        )

        # WHEN the example as shipped is applied (unlisted_routes = "deny", the default)
        _example_as_shipped(new_workdir)
        second = plan_summary(new.plan_json(variables))
        assert {address: row[0] for address, row in second.items()} == {
            "module.phantom_token.module.function.aws_lambda_function.this": "update",
            "module.phantom_token.module.function.terraform_data.environment": "update",
        }, render_table(second)
        new.apply(variables)
        # THEN a stage still on the TOKEN authorizer answers 403, never 500 or 200
        window = with_current_functions(before_upgrade, endpoint)
        (function,) = window.functions.values()
        assert function.environment["UNLISTED_ROUTES"] == "deny"
        problems += _serve(
            "window (deny)", endpoint, outputs, new_zip, clients, WINDOW_DENY, window
        )
        problems += _serve(
            "0.2 (deny)", endpoint, outputs, new_zip, clients, NEW_STAGE, backend_zips=new_backends
        )
        # AND a plan after the upgrade finds nothing to change
        assert new.plan_exit_code(variables) == 0, new.plan_text(variables)

    assert not [problem for problem in problems if " 500 (" in problem], "\n".join(problems)
    assert not problems, "\n".join(problems)


def test_the_guides_plan_table_reads_back() -> None:
    # GIVEN the guide WHEN its plan table is read THEN every row is read, with a known action
    text = GUIDE.read_text(encoding="utf-8")
    table = guide_table(text)
    assert table
    assert {row[0] for row in table.values()} <= {
        "moved",
        "update",
        "replace -/+",
        "replace +/-",
        "create",
        "delete",
    }
    assert render_table(table) in text
