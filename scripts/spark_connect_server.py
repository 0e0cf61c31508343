#!/usr/bin/env python3
"""Run a Spark Connect server on this machine: a stand-in for a cluster's, to try the cluster path.

A Spark cluster (Spark 3.4 and later, EMR, Dataproc; Databricks Connect speaks the same protocol)
serves clients through Spark Connect. This starts PySpark's own server (the class
``SparkConnectServer`` of the PySpark install in ``.venv-spark``) with its own warehouse and Hive
metastore under ``--dir``, and waits until it listens. Build on it as on a cluster::

    .venv-spark/bin/python scripts/spark_connect_server.py --port 15002 &
    LABELING_SPARK_TARGET=spark_connect LABELING_SPARK_REMOTE=sc://localhost:15002 make build TARGET=spark

The test suite starts one the same way (``pytests/test_spark.py``). Stop it with Ctrl-C (or
SIGTERM); its folder stays for the next start.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

READY = "Spark Connect server started"


def server_command(port: int, folder: Path, master: str, memory: str) -> list[str]:
    """The spark-submit command line of a Connect server with its warehouse and metastore in
    ``folder``, Hive's catalog and UTC sessions (as the ``spark`` target's session has)."""
    spark_submit = Path(sys.executable).parent / "spark-submit"
    return [
        str(spark_submit), "--class", "org.apache.spark.sql.connect.service.SparkConnectServer",
        "--name", "labeling Spark Connect server", "--master", master, "--driver-memory", memory,
        "--driver-java-options", f"-Dderby.system.home={folder}",
        "--conf", f"spark.connect.grpc.binding.port={port}",
        "--conf", "spark.sql.catalogImplementation=hive",
        "--conf", f"spark.sql.warehouse.dir={folder / 'warehouse'}",
        "--conf", f"spark.hadoop.javax.jdo.option.ConnectionURL=jdbc:derby:;databaseName={folder / 'metastore_db'};create=true",
        "--conf", "spark.sql.session.timeZone=UTC",
        "--conf", "spark.ui.enabled=false",
    ]


def start(port: int, folder: Path, master: str = "local[2]", memory: str = "4g",
          timeout: float = 180.0) -> subprocess.Popen[bytes]:
    """Start the server and return once it listens (its log is ``folder/server.log``); raise with
    the log's end if it exits or does not listen within ``timeout`` seconds."""
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / "server.log"
    import pyspark  # the install whose jars the server runs (.venv-spark)

    env = {**os.environ, "SPARK_HOME": str(Path(pyspark.__file__).parent), "PYSPARK_PYTHON": sys.executable}
    with log.open("wb") as out:
        process = subprocess.Popen(server_command(port, folder.resolve(), master, memory), stdout=out,
                                   stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if READY in log.read_text(errors="replace"):
            return process
        if process.poll() is not None:
            break
        time.sleep(0.5)
    stop(process)
    raise RuntimeError(f"the Spark Connect server did not start on port {port}:\n"
                       + log.read_text(errors="replace")[-3000:])


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the server (SIGTERM, then SIGKILL after 30 s)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     epilog="Run it with .venv-spark/bin/python (make spark-setup).")
    parser.add_argument("--port", type=int, default=15002, help="the port to listen on (default 15002)")
    parser.add_argument("--dir", type=Path, default=Path("spark/connect-server"),
                        help="the server's warehouse, metastore and log (default spark/connect-server)")
    parser.add_argument("--master", default="local[2]", help="the server's Spark master (default local[2])")
    parser.add_argument("--driver-memory", default="4g", help="the server's driver memory (default 4g)")
    args = parser.parse_args(argv)
    process = start(args.port, args.dir, args.master, args.driver_memory)
    print(f"Spark Connect server listening at sc://localhost:{args.port} (log: {args.dir / 'server.log'})",
          flush=True)
    # SIGTERM or Ctrl-C: pass the stop on to the server (a JVM, which runs its shutdown hooks),
    # and return once it has exited.
    signal.signal(signal.SIGTERM, lambda *_: process.terminate())
    try:
        process.wait()
    except KeyboardInterrupt:
        stop(process)
    return 0


if __name__ == "__main__":
    sys.exit(main())
