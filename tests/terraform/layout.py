"""The repository's Terraform modules, as the tests walk them."""

from __future__ import annotations

from tests.support.terraform import REPO_ROOT

SUBMODULES = tuple(
    sorted(str(p.relative_to(REPO_ROOT)) for p in REPO_ROOT.glob("modules/*") if p.is_dir())
)
EXAMPLES = tuple(
    sorted(str(p.relative_to(REPO_ROOT)) for p in REPO_ROOT.glob("examples/*") if p.is_dir())
)
# The root module, every submodule and every example.
MODULES = (".", *SUBMODULES, *EXAMPLES)
