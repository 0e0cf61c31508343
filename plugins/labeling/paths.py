"""Paths of the running dbt invocation, anchored on the project folder, and their SQL form.

dbt-duckdb resolves relative paths against the folder dbt is started from; the project anchors
them on the dbt project folder instead, so ``dbt build --project-dir /path`` from anywhere uses
the project's own database, raw files and export folder.
"""

from __future__ import annotations

import os
from pathlib import Path


def dbt_flag(name: str) -> str | None:
    """A flag of the running dbt invocation (``WHICH``, ``PROJECT_DIR``...), or None outside one."""
    try:
        from dbt.flags import get_flags

        value = getattr(get_flags(), name, None)
    except Exception:  # outside a dbt invocation
        return None
    return None if value is None else str(value)


def command() -> str | None:
    """The dbt command being run (``build``, ``show``...), or None outside dbt."""
    return dbt_flag("WHICH")


def project_dir() -> Path:
    """The dbt project folder of the running invocation (``--project-dir`` or dbt's own pick)."""
    return Path(dbt_flag("PROJECT_DIR") or os.getcwd()).resolve()


def anchored(path: str | Path, root: Path | None = None) -> Path:
    """``path`` if absolute, else ``path`` under ``root`` (default: the project folder)."""
    candidate = Path(path).expanduser()
    if candidate.is_absolute():
        return candidate
    return (root or project_dir()) / candidate


def raw_dir_setting() -> str:
    """The raw folder as configured: ``LABELING_RAW_DIR``, default ``data/sample`` (the bundled sample)."""
    return os.environ.get("LABELING_RAW_DIR", "data/sample")


def raw_dir(root: Path | None = None) -> Path:
    """The raw folder (``raw_dir_setting``) anchored on the project folder (or ``root``)."""
    return anchored(raw_dir_setting(), root)


def sql_string(value: str | Path) -> str:
    """``value`` as a SQL string literal: single quotes doubled, so that a path holding a quote
    (a project cloned under ``o'brien``) never breaks or changes a statement."""
    return "'" + str(value).replace("'", "''") + "'"


def relative_link(target: Path, link: Path) -> str:
    """The relative path a symlink at ``link`` needs to reach ``target`` (both absolute), so
    that moving the project folder as a whole keeps every link working."""
    return os.path.relpath(target, link.parent)
