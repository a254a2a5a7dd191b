"""The deployment package: reproducible, current, small, and light to import."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
LAMBDA_DIR = REPO_ROOT / "lambda"
COMMITTED_ZIP = LAMBDA_DIR / "dist" / "phantom-token-authorizer.zip"


def build(out: Path) -> bytes:
    subprocess.run(
        [sys.executable, str(LAMBDA_DIR / "build.py"), "--out", str(out)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return out.read_bytes()


def test_committed_zip_is_current_and_builds_are_reproducible(tmp_path: Path) -> None:
    # GIVEN the sources as they are
    # WHEN the package is built twice
    first = build(tmp_path / "first.zip")
    second = build(tmp_path / "second.zip")
    # THEN both builds are identical, and identical to the committed zip
    assert first == second, "two builds of the same sources differ"
    assert first == COMMITTED_ZIP.read_bytes(), "run `make build` and commit the zip"


def test_zip_holds_only_the_package_sources(tmp_path: Path) -> None:
    # GIVEN a fresh build
    out = tmp_path / "package.zip"
    build(out)
    # WHEN its entries are listed
    with zipfile.ZipFile(out) as archive:
        names = archive.namelist()
        infos = archive.infolist()
    # THEN it is exactly phantom_token/*.py, sorted, with fixed times and modes, under 64 KiB
    sources = sorted(f"phantom_token/{p.name}" for p in (LAMBDA_DIR / "phantom_token").glob("*.py"))
    assert names == sources
    assert "phantom_token/handler.py" in names
    assert all(info.date_time == (1980, 1, 1, 0, 0, 0) for info in infos)
    assert {info.external_attr >> 16 for info in infos} == {0o100644}
    assert out.stat().st_size < 64 * 1024


def test_handler_import_stays_light() -> None:
    # GIVEN a fresh interpreter without site-packages, with only lambda/ on its path
    script = (
        "import sys\n"
        f"sys.path.insert(0, {str(LAMBDA_DIR)!r})\n"
        "import phantom_token.handler\n"
        "heavy = sorted({'typing', 'boto3', 'botocore', 'dataclasses'} & set(sys.modules))\n"
        "print(','.join(heavy))\n"
    )
    # WHEN it imports the handler
    result = subprocess.run(
        [sys.executable, "-S", "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    # THEN typing, boto3 and dataclasses were not imported (cold starts pay for each)
    assert result.stdout.strip() == ""
