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
"""

from __future__ import annotations

import os

from dbt.plugins.manager import dbtPlugin

from labeling.paths import command, project_dir
from labeling.raw_files import check_raw_folder

PROJECT = "mwml_labeling"
UNCHECKED_COMMANDS = {"clean", "deps", "debug", "init"}


class LabelingInputChecks(dbtPlugin):
    """Refuses to parse the project when its raw folder would make dbt fail obscurely."""

    def initialize(self) -> None:
        if self.project_name != PROJECT or command() in UNCHECKED_COMMANDS:
            return
        problems = check_raw_folder(
            project_dir(),
            os.environ.get("LABELING_RAW_DIR", "data/sample"),
            os.environ.get("LABELING_LOAD", "seed"),
        )
        if problems:
            raise RuntimeError("labeling: input check failed before dbt parsed the project:\n  - "
                               + "\n  - ".join(problems))


plugins = [LabelingInputChecks]
