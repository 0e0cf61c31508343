"""Write or check the lock of one virtual environment (``locks/<venv>.txt``).

A lock lists every distribution installed in a venv, as ``name==version``, one per line: the
direct requirements of its requirements file, everything they pulled in, and pip, setuptools
and wheel (the venv builds the few source distributions with its own pinned setuptools, so no
build dependency floats either). ``make`` installs each venv from its requirements file
constrained by its lock, then runs ``check``; ``make lock`` re-resolves every venv and runs
``write``. Run it with the venv's own interpreter: it reads the distributions of the Python
that runs it (standard library only, so it runs in every venv).

    .venv/bin/python scripts/lock.py check locks/venv.txt
    .venv/bin/python scripts/lock.py write locks/venv.txt --requirements requirements.txt

``check`` exits 1, naming each package, when the venv holds a distribution the lock does not
list (the install resolved something new: the lock is incomplete), one at another version, or
when the lock lists one the venv lacks (the lock is stale); 0 when they are equal.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from importlib import metadata
from pathlib import Path

HEADER = """\
# The lock of {venv}: every distribution it holds, installed from
# {requirements}, at the versions the suite passed with (Python {python}).
# Written by `make lock` (scripts/lock.py write): change {requirements}, not this
# file, then run `make lock test`.
"""


def canonical(name: str) -> str:
    """A distribution's name as PEP 503 compares it (``PyHive`` and ``pyhive`` are one)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _editable(dist: metadata.Distribution) -> bool:
    """Whether ``dist`` is installed in editable mode (the project itself, ``-e .``)."""
    direct_url = dist.read_text("direct_url.json")
    return bool(direct_url) and json.loads(direct_url).get("dir_info", {}).get("editable", False)


def installed() -> dict[str, str]:
    """Every distribution installed in the running interpreter's environment (``sys.prefix``)
    but editable ones (the project, ``-e .``): name -> version. Metadata found elsewhere on the
    path (an ``.egg-info`` an editable install left in the project folder) is not installed."""
    prefix = Path(sys.prefix).resolve()
    dists = [d for d in metadata.distributions() if d.metadata["Name"]
             and Path(str(d.locate_file(""))).resolve().is_relative_to(prefix)]
    editable = {canonical(d.metadata["Name"]) for d in dists if _editable(d)}
    found: dict[str, str] = {}
    for dist in dists:
        name = canonical(dist.metadata["Name"])
        if name not in editable:
            found.setdefault(name, dist.version)
    return found


def read_lock(lock: Path) -> dict[str, str]:
    """A lock file's pins: name -> version. Refuses a line that is not ``name==version``."""
    pins: dict[str, str] = {}
    for number, line in enumerate(lock.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;]+)", line)
        if match is None:
            raise SystemExit(f"lock: {lock}:{number}: not a name==version pin: {line!r}")
        pins[canonical(match[1])] = match[2]
    return pins


def differences(pins: dict[str, str], found: dict[str, str]) -> list[str]:
    """What separates a lock from an environment, one line per package (empty when equal)."""
    lines = []
    for name in sorted(pins.keys() | found.keys()):
        if name not in pins:
            lines.append(f"{name}=={found[name]} is installed but not in the lock (the lock is incomplete)")
        elif name not in found:
            lines.append(f"{name}=={pins[name]} is in the lock but not installed (the lock is stale)")
        elif pins[name] != found[name]:
            lines.append(f"{name} is {found[name]}, the lock says {pins[name]}")
    return lines


def write(lock: Path, requirements: str) -> None:
    """Write the running interpreter's distributions to ``lock``, sorted, with a header."""
    venv = "." + lock.stem  # locks/venv-spark.txt locks .venv-spark
    python = ".".join(map(str, sys.version_info[:3]))
    body = "".join(f"{name}=={version}\n" for name, version in sorted(installed().items()))
    lock.parent.mkdir(parents=True, exist_ok=True)
    lock.write_text(HEADER.format(venv=venv, requirements=requirements, python=python) + body,
                    encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lock.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    check_parser = commands.add_parser("check", help="exit 1 unless this venv holds exactly the lock")
    check_parser.add_argument("lock", type=Path, help="the lock file, e.g. locks/venv.txt")
    write_parser = commands.add_parser("write", help="write this venv's distributions to the lock")
    write_parser.add_argument("lock", type=Path, help="the lock file to write, e.g. locks/venv.txt")
    write_parser.add_argument("--requirements", required=True,
                              help="the requirements file the venv was installed from (for the header)")
    args = parser.parse_args(argv)
    if args.command == "write":
        write(args.lock, args.requirements)
        print(f"lock: wrote {args.lock} ({len(installed())} distributions)")
        return 0
    problems = differences(read_lock(args.lock), installed())
    for problem in problems:
        print(f"lock: {args.lock}: {problem}", file=sys.stderr)
    if problems:
        print(f"lock: {sys.prefix} does not match {args.lock}; `make lock` re-resolves the locks",
              file=sys.stderr)
        return 1
    print(f"lock: {sys.prefix} matches {args.lock}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
