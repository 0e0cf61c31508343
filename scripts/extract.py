"""Extract: fetch the raw Made With ML files, pinned and checksummed, for the next build.

Downloads ``projects.csv`` and ``tags.csv`` from the upstream commit pinned below (the files of
the Made With ML labeling lesson), or copies them from a local mirror with ``--from DIR``,
checks each file's header and sha256, and only then moves it into ``--out`` (default
``data/madewithml/``, ignored by git). Build on them with ``make real`` or
``LABELING_RAW_DIR=data/madewithml dbt build``.

Any problem (offline without a mirror, a checksum mismatch, a missing column) prints one line
naming the file and what is wrong, exits 1, and leaves files from earlier runs untouched.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import os
import sys
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_OUT = PROJECT_DIR / "data" / "madewithml"
UPSTREAM_COMMIT = "e8dfdbe98f55cba8befaf8409e16e48fac2d26d8"
UPSTREAM_BASE = f"https://raw.githubusercontent.com/GokuMohandas/Made-With-ML/{UPSTREAM_COMMIT}/datasets"


@dataclass(frozen=True)
class RawFile:
    """One pinned raw file: its name, expected columns and sha256."""

    name: str
    columns: tuple[str, ...]
    sha256: str

    @property
    def url(self) -> str:
        return f"{UPSTREAM_BASE}/{self.name}"


RAW_FILES = (
    RawFile("projects.csv", ("id", "created_on", "title", "description"),
            "fd698d5471c476b3831d992296f7be0487d6b0fb5ba4452aa9ad6b490d0ed335"),
    RawFile("tags.csv", ("id", "tag"),
            "ceac72f34d894565b84e5a40f447e7f1e5421c3bfdf2375291780f653ba7c8fb"),
)


class ExtractError(Exception):
    """A problem with one raw file; the message names the file and what is wrong."""


def fetch(raw: RawFile, mirror: Path | None, timeout: float) -> bytes:
    """Return the bytes of ``raw`` from ``mirror`` or from its pinned upstream address."""
    if mirror is not None:
        path = mirror / raw.name
        try:
            return path.read_bytes()
        except OSError as exc:
            raise ExtractError(f"{raw.name}: cannot read the mirror copy {path}: {exc.strerror or exc}") from None
    try:
        with urllib.request.urlopen(raw.url, timeout=timeout) as response:
            return response.read()
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ExtractError(
            f"{raw.name}: cannot download {raw.url} ({reason}); offline? "
            f"copy from a local mirror with --from DIR (for example ../shared/data/madewithml)"
        ) from None


def check(raw: RawFile, data: bytes) -> None:
    """Raise ExtractError unless ``data`` has the expected header and sha256."""
    first_line = data.split(b"\n", 1)[0].decode("utf-8-sig", errors="replace").rstrip("\r")
    header = tuple(next(csv.reader(io.StringIO(first_line)), []))
    missing = [c for c in raw.columns if c not in header]
    if missing:
        raise ExtractError(
            f"{raw.name}: missing column(s) {', '.join(missing)}; header is {','.join(header) or '(empty)'}, "
            f"expected {','.join(raw.columns)}"
        )
    digest = hashlib.sha256(data).hexdigest()
    if digest != raw.sha256:
        raise ExtractError(f"{raw.name}: sha256 mismatch: expected {raw.sha256}, got {digest}")


def extract(out: Path, mirror: Path | None = None, timeout: float = 30.0) -> list[Path]:
    """Fetch and check every raw file, then move them into ``out``; return the written paths.

    All files are checked before any is written, so a failure leaves ``out`` as it was.
    """
    payloads = []
    for raw in RAW_FILES:
        data = fetch(raw, mirror, timeout)
        check(raw, data)
        payloads.append((raw, data))
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for raw, data in payloads:
        fd, tmp = tempfile.mkstemp(prefix=f".{raw.name}.", dir=out)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, out / raw.name)
        written.append(out / raw.name)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="extract.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--from", dest="mirror", type=Path, metavar="DIR",
                        help="copy from a local mirror folder instead of downloading")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="folder the next build reads (default: %(default)s)")
    parser.add_argument("--timeout", type=float, default=30.0, help="download timeout in seconds (default: 30)")
    args = parser.parse_args(argv)
    try:
        written = extract(args.out, args.mirror, args.timeout)
    except ExtractError as exc:
        print(f"extract: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(f"extract: {path.name}: sha256 ok, written to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
