"""Where the hashicorp/aws provider comes from when the registry cannot be reached.

Standard library only: ``tests.support.prerequisites`` uses it before any virtual environment
exists; ``tests.support.terraform`` re-exports :func:`find_provider_mirror`.
"""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

_MIRROR_SEARCH_SECONDS = 5.0
_MIRROR_SEARCH_DEPTH = 5
_SKIPPED_DIRS = frozenset(
    {".git", ".terraform", ".venv", ".venv-checkov", "node_modules", "__pycache__", "proc", "sys"}
)


def _os_arch() -> str:
    machine = platform.machine().lower()
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(
        machine, machine
    )
    return f"{platform.system().lower()}_{arch}"


def _holds_aws_provider(mirror: Path) -> bool:
    """Unpacked (``aws/<version>/<os_arch>/``) or packed (``aws/*_<os_arch>.zip``) layout."""
    provider = mirror / "registry.terraform.io" / "hashicorp" / "aws"
    try:
        unpacked = any((version / _os_arch()).is_dir() for version in provider.iterdir())
    except OSError:
        return False
    return unpacked or any(provider.glob(f"terraform-provider-aws_*_{_os_arch()}.zip"))


def _implied_mirror_dirs() -> list[Path]:
    """Terraform's implied local mirror directories on Unix, in its order of preference."""
    home = Path.home()
    data_home = os.environ.get("XDG_DATA_HOME") or str(home / ".local" / "share")
    data_dirs = os.environ.get("XDG_DATA_DIRS") or "/usr/local/share:/usr/share"
    candidates = [home / ".terraform.d" / "plugins", Path(data_home) / "terraform" / "plugins"]
    candidates += [Path(d) / "terraform" / "plugins" for d in data_dirs.split(":") if d]
    return candidates


def _walk_dirs(root: Path, max_depth: int, deadline: float) -> Iterator[Path]:
    """Breadth-first directories under root, bounded by depth and a deadline."""
    level = [root]
    for _ in range(max_depth + 1):
        next_level: list[Path] = []
        for directory in level:
            if time.monotonic() > deadline:
                return
            yield directory
            try:
                children = [
                    child
                    for child in directory.iterdir()
                    if child.is_dir() and not child.is_symlink() and child.name not in _SKIPPED_DIRS
                ]
            except OSError:
                continue
            next_level.extend(sorted(children))
        level = next_level


def _search_roots() -> list[Path]:
    return [Path("/opt"), Path("/usr/local"), Path("/srv"), Path.home()]


def find_provider_mirror() -> Path | None:
    """The directory containing ``registry.terraform.io`` with the hashicorp/aws provider."""
    explicit = os.environ.get("TF_PROVIDER_MIRROR")
    if explicit:
        return Path(explicit) if _holds_aws_provider(Path(explicit)) else None
    for candidate in _implied_mirror_dirs():
        if _holds_aws_provider(candidate):
            return candidate
    deadline = time.monotonic() + _MIRROR_SEARCH_SECONDS
    for root in _search_roots():
        for directory in _walk_dirs(root, _MIRROR_SEARCH_DEPTH, deadline):
            if directory.name == "registry.terraform.io" and _holds_aws_provider(directory.parent):
                return directory.parent
    return None
