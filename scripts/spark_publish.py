#!/usr/bin/env python3
"""Publish the exports of the last ``dbt build`` on Spark (``make build TARGET=spark`` runs it).

A Spark build is the plain dbt CLI, ``dbt build --target spark`` (or ``spark_connect``,
``spark_thrift``) from ``.venv-spark``: the project's dbt-core plugin checks the inputs before dbt
parses, and each ``gated_export`` model stages its rows. This is the one step dbt cannot do:
only when the gate (``labeling.publish.refusal``, as on DuckDB) lets that build through, write each
export's files (CSV, Parquet, JSON...) from the staged rows with the DuckDB build's writer and
dialect, and make them current with one atomic switch. Otherwise nothing changes. The steps are
``labeling.spark.publish``; the locations come from the same environment as the build's.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT / "plugins"))

from labeling import spark  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(
        description="Publish the exports of the last dbt build on Spark (target/run_results.json) when the "
                    "gate lets it through (every node succeeded, every test on the exports ran, none is empty); "
                    "otherwise change nothing.",
        epilog="Environment, as for the build: LABELING_EXPORT_DIR (default spark/exports), LABELING_SPARK_DIR "
               "(default spark; the stage is its stage/), LABELING_SPARK_STAGE_URI and LABELING_SPARK_STAGE_READ "
               "(the stage as the cluster writes it and as this machine reads it). See docs/spark.md.",
    ).parse_args(argv)
    try:
        outcome = spark.publish(PROJECT)
    except Exception as exc:  # noqa: BLE001 - reported; the previous export stays current
        print(f"labeling (spark): build NOT published: {exc}. The exports are unchanged.", file=sys.stderr)
        return 1
    print(f"labeling (spark): {outcome}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
