"""Build whoami.zip reproducibly: the same source gives the same bytes.

    python3 examples/complete/whoami/build.py

Terraform's archive provider is not used (the example needs only hashicorp/aws), so the zip is
committed next to its source, built by the rules of lambda/build.py: one entry, a fixed
timestamp and mode. tests/unit/test_whoami.py compares the committed zip with a fresh build.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "whoami.py"
ZIP = HERE / "whoami.zip"
FIXED_DATE_TIME = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o100644


def build(out: Path = ZIP) -> Path:
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        entry = zipfile.ZipInfo(SOURCE.name, FIXED_DATE_TIME)
        entry.external_attr = FILE_MODE << 16
        entry.compress_type = zipfile.ZIP_DEFLATED
        entry.create_system = 3
        archive.writestr(entry, SOURCE.read_bytes(), compresslevel=9)
    return out


if __name__ == "__main__":
    print(build())
