"""tests/support/terraform.py: mirror discovery, CLI configuration, provider override."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.support import provider_mirror, terraform

if TYPE_CHECKING:
    from pathlib import Path


def _mirror(root: Path, os_arch: str = "linux_amd64") -> Path:
    (root / "registry.terraform.io" / "hashicorp" / "aws" / "5.100.0" / os_arch).mkdir(parents=True)
    return root


@pytest.fixture
def no_implied_mirrors(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.delenv("TF_PROVIDER_MIRROR", raising=False)
    monkeypatch.setattr(provider_mirror, "_implied_mirror_dirs", list)
    monkeypatch.setattr(provider_mirror, "_search_roots", lambda: [tmp_path / "search"])
    monkeypatch.setattr(provider_mirror, "_os_arch", lambda: "linux_amd64")
    return tmp_path


def test_mirror_from_the_environment_first(
    no_implied_mirrors: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    explicit = _mirror(no_implied_mirrors / "explicit")
    _mirror(no_implied_mirrors / "search" / "other")
    monkeypatch.setenv("TF_PROVIDER_MIRROR", str(explicit))

    assert terraform.find_provider_mirror() == explicit


def test_mirror_from_an_implied_directory(
    no_implied_mirrors: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    implied = _mirror(no_implied_mirrors / "share" / "terraform" / "plugins")
    monkeypatch.setattr(provider_mirror, "_implied_mirror_dirs", lambda: [implied])

    assert terraform.find_provider_mirror() == implied


def test_mirror_found_by_a_bounded_search(no_implied_mirrors: Path) -> None:
    found = _mirror(no_implied_mirrors / "search" / "a" / "plugins")

    assert terraform.find_provider_mirror() == found


def test_no_mirror_for_another_platform(no_implied_mirrors: Path) -> None:
    _mirror(no_implied_mirrors / "search" / "plugins", os_arch="darwin_arm64")

    assert terraform.find_provider_mirror() is None


def test_cli_config_uses_the_mirror_for_hashicorp_providers_only(
    no_implied_mirrors: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mirror = _mirror(no_implied_mirrors / "mirror")
    monkeypatch.setenv("TF_PROVIDER_MIRROR", str(mirror))
    monkeypatch.setattr(terraform, "_cached_mirror", lambda: mirror)
    monkeypatch.setenv("TF_VAR_name", "from-the-caller")

    env = terraform.terraform_env(no_implied_mirrors / "cli")
    config = (no_implied_mirrors / "cli" / "terraform.rc").read_text()

    assert env["TF_CLI_CONFIG_FILE"] == str(no_implied_mirrors / "cli" / "terraform.rc")
    assert env["TF_IN_AUTOMATION"] == "1"
    assert env["CHECKPOINT_DISABLE"] == "1"
    assert env["TF_PLUGIN_CACHE_DIR"] == str(no_implied_mirrors / "cli" / "plugin-cache")
    assert "TF_VAR_name" not in env
    assert f'path    = "{mirror}"' in config
    assert 'include = ["registry.terraform.io/hashicorp/*"]' in config
    assert 'exclude = ["registry.terraform.io/hashicorp/*"]' in config


def test_cli_config_without_a_mirror_uses_the_registry(
    no_implied_mirrors: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(terraform, "_cached_mirror", lambda: None)

    terraform.terraform_env(no_implied_mirrors / "cli")

    assert (no_implied_mirrors / "cli" / "terraform.rc").read_text() == ""


def test_override_points_every_service_at_the_emulator(tmp_path: Path) -> None:
    override = terraform.write_aws_override(tmp_path, "http://127.0.0.1:5000").read_text()

    assert override.count('= "http://127.0.0.1:5000"') == len(terraform.AWS_ENDPOINT_SERVICES)
    assert "skip_requesting_account_id  = false" in override
    assert 'access_key                  = "testing"' in override


def test_offline_override_makes_no_call(tmp_path: Path) -> None:
    override = terraform.write_aws_override(tmp_path).read_text()

    assert "endpoints" not in override
    assert "skip_requesting_account_id  = true" in override
    assert "skip_credentials_validation = true" in override
