"""Build the Lambda deployment package reproducibly: the same sources give the same bytes.

    python3 lambda/build.py [--out PATH]

Only ``phantom_token/*.py`` goes in (no tests, no bytecode), entries sorted, with a fixed
timestamp and mode, so the committed zip can be compared with a fresh build byte for byte.
"""

from __future__ import annotations

import argparse
import zipfile
from pathlib import Path

LAMBDA_DIR = Path(__file__).resolve().parent
PACKAGE_DIR = LAMBDA_DIR / "phantom_token"
DEFAULT_OUT = LAMBDA_DIR / "dist" / "phantom-token-authorizer.zip"
FIXED_DATE_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest a zip entry can carry
FILE_MODE = 0o100644  # regular file, rw-r--r--


def package_files() -> list[Path]:
    return sorted(PACKAGE_DIR.glob("*.py"))


def build(out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for source in package_files():
            entry = zipfile.ZipInfo(source.relative_to(LAMBDA_DIR).as_posix(), FIXED_DATE_TIME)
            entry.external_attr = FILE_MODE << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.create_system = 3  # Unix, whatever builds it, so the bytes do not vary
            archive.writestr(entry, source.read_bytes(), compresslevel=9)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="zip to write")
    args = parser.parse_args()
    out = build(args.out)
    print(f"{out} ({out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
