"""Run Terraform from tests: offline provider mirror, a copied module tree, a moto override.

API (everything takes and returns ``pathlib.Path``):

``terraform_binary() -> str | None``
    The ``terraform`` executable on PATH, or None.
``find_provider_mirror() -> Path | None``
    A filesystem mirror holding ``registry.terraform.io/hashicorp/aws/<version>/<os_arch>``:
    ``$TF_PROVIDER_MIRROR`` first, then Terraform's implied local mirror directories, then a
    bounded search of a few roots. Returns the directory that contains ``registry.terraform.io``.
    (From ``tests.support.provider_mirror``, which needs only the standard library.)
``terraform_env(tmp_dir) -> dict[str, str]``
    ``os.environ`` plus a CLI config written in ``tmp_dir`` (the mirror for hashicorp
    providers when one exists, the registry otherwise), a plugin cache in ``tmp_dir``,
    ``TF_IN_AUTOMATION`` and ``CHECKPOINT_DISABLE``. Pass one session-wide directory so every
    working directory shares the cache.
``require_terraform() -> str``
    The binary, or ``pytest.skip`` (``pytest.fail`` when ``CI`` is set).
``copy_module_tree(name, tmp) -> Path``
    Copies the root module, ``modules/``, ``lambda/dist/``, ``examples/`` and
    ``tests/terraform/fixtures/`` into ``tmp`` (relative paths kept, so ``source = "../../"``
    still works) and returns the copy of ``examples/<name>`` (or of ``name`` when it
    contains a ``/``, relative to the repository root).
``write_aws_override(workdir, endpoint_url=None) -> Path``
    Writes ``aws_override.tf``: fake credentials, and every service endpoint pointed at
    ``endpoint_url`` (a moto server); with no URL, a provider that makes no AWS call at plan.
``TerraformWorkdir(workdir, env)``
    ``init()``, ``validate() -> dict``, ``plan_json(variables) -> dict`` (``plan -out`` then
    ``show -json``), ``plan_exit_code(variables) -> int`` (0 no changes, 2 changes),
    ``plan_text(variables) -> str``, ``plan_error(variables) -> str`` (stderr of a plan that
    must fail), ``apply(variables)``, ``outputs() -> dict[str, Any]`` (plain values),
    ``output(name)``, ``destroy(variables)``, ``test(*args) -> str`` (``terraform test``).
    ``variables`` is a mapping of root module variables (any type). Failures raise
    ``TerraformError`` whose message holds stderr and stdout.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from python_terraform import IsFlagged, IsNotFlagged, Terraform

from tests.support.provider_mirror import find_provider_mirror

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

REPO_ROOT = Path(__file__).resolve().parents[2]
COMMAND_TIMEOUT_SECONDS = 600
_COPIED_TREES = ("modules", "lambda/dist", "examples", "tests/terraform/fixtures")
_IGNORED_IN_COPY = shutil.ignore_patterns(
    ".terraform",
    ".terraform.lock.hcl",
    "terraform.tfstate*",
    "*.tfplan",
    ".venv",
    "node_modules",
    "__pycache__",
)
# Every service the module or the examples touch (and a few the provider may probe).
AWS_ENDPOINT_SERVICES = (
    "apigateway",
    "apigatewayv2",
    "cloudwatch",
    "cloudwatchlogs",
    "iam",
    "kms",
    "lambda",
    "s3",
    "secretsmanager",
    "signer",
    "ssm",
    "sts",
    "xray",
)


class TerraformError(RuntimeError):
    """A terraform command failed; the message carries the command and its stderr."""


def terraform_binary() -> str | None:
    return shutil.which("terraform")


@functools.cache
def _cached_mirror() -> Path | None:
    """The search runs once per process."""
    return find_provider_mirror()


def _hcl_string(value: str | Path) -> str:
    return json.dumps(str(value))


def terraform_env(tmp_dir: Path) -> dict[str, str]:
    """Environment for terraform commands: own CLI config, plugin cache, no prompts."""
    tmp_dir.mkdir(parents=True, exist_ok=True)
    cache_dir = tmp_dir / "plugin-cache"
    cache_dir.mkdir(exist_ok=True)
    mirror = _cached_mirror()
    config = ""
    if mirror is not None:
        config = (
            "provider_installation {\n"
            "  filesystem_mirror {\n"
            f"    path    = {_hcl_string(mirror)}\n"
            '    include = ["registry.terraform.io/hashicorp/*"]\n'
            "  }\n"
            "  direct {\n"
            '    exclude = ["registry.terraform.io/hashicorp/*"]\n'
            "  }\n"
            "}\n"
        )
    config_file = tmp_dir / "terraform.rc"
    config_file.write_text(config, encoding="utf-8")
    env = {
        key: value
        for key, value in os.environ.items()
        # Caller settings that would change what a command does.
        if not key.startswith(("TF_VAR_", "TF_CLI_ARGS", "AWS_PROFILE", "AWS_DEFAULT_PROFILE"))
        and key not in {"TF_DATA_DIR", "TF_WORKSPACE"}
    }
    env.update(
        {
            "TF_CLI_CONFIG_FILE": str(config_file),
            "TF_PLUGIN_CACHE_DIR": str(cache_dir),
            "TF_IN_AUTOMATION": "1",
            "CHECKPOINT_DISABLE": "1",
            "AWS_EC2_METADATA_DISABLED": "true",
        }
    )
    return env


def skip_or_fail(reason: str) -> None:
    """Skip locally; fail when ``CI`` is set (a missing tool must not turn CI green)."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this is a failure, not a skip)")
    pytest.skip(reason)


def require_terraform() -> str:
    binary = terraform_binary()
    if binary is None:
        skip_or_fail("terraform is not on PATH")
    assert binary is not None
    return binary


def copy_module_tree(name: str, tmp: Path) -> Path:
    """Copy what Terraform needs into tmp; return the copy of the named root module."""
    tmp.mkdir(parents=True, exist_ok=True)
    for tf_file in REPO_ROOT.glob("*.tf"):
        shutil.copy2(tf_file, tmp / tf_file.name)
    (tmp / "tests").mkdir(exist_ok=True)
    for suite in REPO_ROOT.glob("tests/*.tftest.hcl"):  # the root module's native tests
        shutil.copy2(suite, tmp / "tests" / suite.name)
    for tree in _COPIED_TREES:
        source = REPO_ROOT / tree
        if source.is_dir():
            shutil.copytree(source, tmp / tree, ignore=_IGNORED_IN_COPY, dirs_exist_ok=True)
    relative = name if "/" in name else f"examples/{name}"
    workdir = tmp / relative
    if not workdir.is_dir():
        msg = f"{relative} is not a directory of {REPO_ROOT.name}"
        raise FileNotFoundError(msg)
    return workdir


def write_aws_override(workdir: Path, endpoint_url: str | None = None) -> Path:
    """Point the root module's aws provider at a moto server (or make it plan offline)."""
    lines = [
        "# Written by tests/support/terraform.py: test credentials, no real AWS account.",
        'provider "aws" {',
        '  access_key                  = "testing"',
        '  secret_key                  = "testing"',
        "  skip_credentials_validation = true",
        "  skip_metadata_api_check     = true",
        "  skip_region_validation      = true",
    ]
    if endpoint_url is None:
        lines.append("  skip_requesting_account_id  = true")
    else:
        # moto's STS answers GetCallerIdentity with account 123456789012.
        lines.append("  skip_requesting_account_id  = false")
        lines.append("  s3_use_path_style           = true")
        lines.append("")
        lines.append("  endpoints {")
        width = max(len(service) for service in AWS_ENDPOINT_SERVICES)
        lines.extend(
            f"    {service.ljust(width)} = {_hcl_string(endpoint_url)}"
            for service in AWS_ENDPOINT_SERVICES
        )
        lines.append("  }")
    lines.append("}")
    override = workdir / "aws_override.tf"
    override.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return override


class _Terraform(Terraform):  # type: ignore[misc]
    """python-terraform with an explicit environment, a timeout and Terraform 1.x flags."""

    def __init__(self, working_dir: Path, env: Mapping[str, str], binary: str) -> None:
        super().__init__(working_dir=str(working_dir), terraform_bin_path=binary)
        self._env = dict(env)

    def cmd(self, cmd: str, *args: Any, **kwargs: Any) -> tuple[int, str, str]:
        # python-terraform's own cmd() inherits os.environ and has no timeout.
        kwargs.pop("capture_output", None)
        kwargs.pop("raise_on_error", None)
        command = self.generate_cmd_string(cmd, *args, **kwargs)
        try:
            completed = subprocess.run(
                command,
                cwd=self.working_dir,
                env=self._env,
                capture_output=True,
                text=True,
                timeout=COMMAND_TIMEOUT_SECONDS,
                check=False,
            )
        finally:
            self.temp_var_files.clean_up()
        return completed.returncode, completed.stdout, completed.stderr


def _describe(command: str, code: int, stdout: str, stderr: str) -> str:
    return f"terraform {command} exited {code}\n--- stderr ---\n{stderr}\n--- stdout ---\n{stdout}"


class TerraformWorkdir:
    """One Terraform root module directory and the commands the tests run in it."""

    def __init__(self, workdir: Path, env: Mapping[str, str], binary: str | None = None) -> None:
        self.workdir = workdir
        self._tf = _Terraform(workdir, env, binary or require_terraform())

    @staticmethod
    def _checked(
        command: str, result: tuple[int, str, str], ok: Iterable[int] = (0,)
    ) -> tuple[int, str]:
        code, stdout, stderr = result
        if code not in set(ok):
            raise TerraformError(_describe(command, code, stdout, stderr))
        return code, stdout

    @staticmethod
    def _var(variables: Mapping[str, Any] | None) -> dict[str, Any] | None:
        # python-terraform writes a dict to a JSON var file, so maps and objects keep their types.
        return dict(variables) if variables else None

    def init(self) -> None:
        self._checked("init", self._tf.init())

    def validate(self) -> dict[str, Any]:
        result = self._tf.validate_cmd(no_color=IsFlagged, json=IsFlagged)
        _, stdout = self._checked("validate", result, ok=(0, 1))
        diagnostics: dict[str, Any] = json.loads(stdout)
        return diagnostics

    def plan_exit_code(self, variables: Mapping[str, Any] | None = None) -> int:
        """0 when the infrastructure matches the configuration, 2 when there are changes."""
        result = self._tf.plan(var=self._var(variables))
        code, _ = self._checked("plan", result, ok=(0, 2))
        return code

    def plan_json(self, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """``plan -out`` then ``show -json`` of that plan."""
        self._checked("plan", self._tf.plan(out="plan.tfplan", var=self._var(variables)), (0, 2))
        _, stdout = self._checked("show", self._tf.show_cmd("plan.tfplan", json=IsFlagged))
        plan: dict[str, Any] = json.loads(stdout)
        return plan

    def plan_text(self, variables: Mapping[str, Any] | None = None) -> str:
        """The human-readable plan (to show what differs when plan_exit_code says 2)."""
        _, stdout = self._checked("plan", self._tf.plan(var=self._var(variables)), (0, 2))
        return stdout

    def plan_error(self, variables: Mapping[str, Any] | None = None) -> str:
        """stderr of a plan that must fail (validation errors)."""
        code, stdout, stderr = self._tf.plan(var=self._var(variables))
        if code in {0, 2}:
            msg = f"terraform plan succeeded but was expected to fail\n{stdout}"
            raise TerraformError(msg)
        return stderr

    def apply(self, variables: Mapping[str, Any] | None = None) -> None:
        self._checked("apply", self._tf.apply(skip_plan=True, var=self._var(variables)))

    def destroy(self, variables: Mapping[str, Any] | None = None) -> None:
        # Terraform 1.x removed -force, which python-terraform's destroy() passes by default.
        result = self._tf.destroy(
            force=IsNotFlagged, auto_approve=IsFlagged, var=self._var(variables)
        )
        self._checked("destroy", result)

    def outputs(self) -> dict[str, Any]:
        _, stdout = self._checked("output", self._tf.output_cmd(json=IsFlagged))
        return {name: entry["value"] for name, entry in json.loads(stdout).items()}

    def output(self, name: str) -> Any:
        # python-terraform's output(name) returns None on any error; this raises instead.
        _, stdout = self._checked("output", self._tf.output_cmd(name, json=IsFlagged))
        return json.loads(stdout)

    def test(self, *args: str) -> str:
        """``terraform test`` (native tests); returns stdout."""
        _, stdout = self._checked("test", self._tf.test_cmd(*args, no_color=IsFlagged))
        return stdout
