"""dbt-core plugin of the labeling project: checks that must run before dbt parses the project.

dbt-core discovers modules named ``dbt_*`` that define ``plugins`` and initializes each plugin
right after it loads ``dbt_project.yml``, before it parses models and seeds (its plugin system is
marked experimental; this plugin only uses ``initialize``). Some input problems can only be
reported well at that moment, because dbt's parser trips on them first with a message that names
neither the cause nor the fix:

* ``LABELING_RAW_DIR`` names a folder that does not exist (dbt: "node 'tags' not found");
* a CSV other than ``projects.csv`` and ``tags.csv`` sits in the raw folder (dbt loads it as a
  seed and fails on it);
* a small raw file is not UTF-8 (dbt's parser raises ``UnicodeDecodeError`` without a file name);
* on the seed path, the raw folder is given as an absolute path (dbt would write its compiled
  copy of the seed over the raw file).

Each stops the command with the cause and the fix (``labeling.raw_files.check_raw_folder``).
Only the project ``mwml_labeling`` is checked, and not for commands that do not read the raw
files (``clean``, ``deps``, ``debug``, ``init``).

On a Spark target (dbt-spark has no plugin hook of its own, and Spark SQL cannot run the
project's Python checks) this is where ``dbt build --target spark`` checks its inputs whole and
writes the annotation records Spark loads (``labeling.spark.prepare``); the exports are then
published by ``scripts/spark_publish.py``. Spark always reads the raw files in place (the
``read_csv`` path), whatever ``LABELING_LOAD`` says: it chooses DuckDB's load path.
"""

from __future__ import annotations

import json
import os
import warnings

from dbt.plugins.manager import dbtPlugin
from dbt_common.context import get_invocation_context

from labeling import spark
from labeling.paths import command, project_dir, raw_dir_setting
from labeling.raw_files import check_raw_folder

PROJECT = "mwml_labeling"
UNCHECKED_COMMANDS = {"clean", "deps", "debug", "init"}


def set_env(name: str, value: str) -> None:
    """Set an environment variable the project's macros read with ``env_var()``. dbt reads
    ``env_var()`` from the copy of the environment its invocation context took when the command
    started (``dbt_common.context``), so it is set there as well as in ``os.environ``."""
    os.environ[name] = value
    get_invocation_context().env[name] = value  # type: ignore[index] - a dict (off Windows)


class LabelingInputChecks(dbtPlugin):
    """Refuses to parse the project when its raw folder would make dbt fail obscurely."""

    def initialize(self) -> None:
        if self.project_name != PROJECT or command() in UNCHECKED_COMMANDS:
            return
        if "spark" in get_invocation_context().adapter_types:
            set_env("LABELING_SPARK_INPUTS", json.dumps(spark.prepare(project_dir(), command())))
            # dbt-spark asks for Hive support on every connection, which a Spark Connect server
            # has or not from its own start: not worth a warning per statement.
            warnings.filterwarnings("ignore", message="Failed to set spark.sql.catalogImplementation")
            return
        problems = check_raw_folder(
            project_dir(),
            raw_dir_setting(),
            os.environ.get("LABELING_LOAD", "seed"),
        )
        if problems:
            raise RuntimeError("labeling: input check failed before dbt parsed the project:\n  - "
                               + "\n  - ".join(problems))


plugins = [LabelingInputChecks]
