#!/usr/bin/env python3
"""Write every model's and seed's table of the last Spark build to ``DIR/<name>.parquet``, to
compare them with the DuckDB build's (``pytests/test_spark.py``; run with ``.venv-spark``).

Usage: spark_tables.py DIR --target TARGET (from the project folder, with the build's environment).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import duckdb
from dbt.cli.main import dbtRunner
from pyspark import SparkContext
from pyspark.sql import SparkSession


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--target", default="spark")
    args = parser.parse_args()
    if args.target == "spark_connect":
        os.environ["SPARK_REMOTE"] = os.environ.get("LABELING_SPARK_REMOTE", "sc://localhost:15002")
    listed = dbtRunner().invoke(["ls", "--target", args.target, "--resource-type", "model", "seed", "--output",
                                 "json", "--output-keys", "name", "relation_name", "config", "--quiet"])
    assert listed.success, listed.exception
    if not os.environ.get("SPARK_REMOTE") and SparkContext._active_spark_context is None:  # noqa: SLF001
        # A session with the profile's settings (warehouse, metastore): the one dbt starts.
        started = dbtRunner().invoke(["show", "--target", args.target, "--inline", "select 1", "--quiet"])
        assert started.success, started.exception
    spark = SparkSession.builder.getOrCreate()
    args.folder.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    written = 0
    for line in listed.result or []:
        node = json.loads(line)
        if node["config"].get("materialized") == "ephemeral" or \
                not spark.catalog.tableExists(node["relation_name"].replace("`", "")):
            continue
        rows = spark.table(node["relation_name"]).toArrow()  # noqa: F841 - read by DuckDB below
        con.execute(f"copy (select * from rows) to '{args.folder / (node['name'] + '.parquet')}' (format parquet)")
        written += 1
    print(f"wrote {written} tables to {args.folder}")


if __name__ == "__main__":
    main()
