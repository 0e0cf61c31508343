#!/usr/bin/env python3
"""Run a Spark server on this machine, a stand-in for a cluster's: Spark Connect or Thrift.

A Spark cluster serves clients through Spark Connect (Spark 3.4 and later, EMR, Dataproc;
Databricks Connect speaks the same protocol) or through its Thrift server (HiveServer2's
protocol: EMR, Dataproc, Spark's own). This starts PySpark's own server of either kind (the
classes ``SparkConnectServer`` and ``HiveThriftServer2`` of the PySpark install in
``.venv-spark``) with its own warehouse and Hive metastore under ``--dir``, and waits until it
listens. Build on it as on a cluster::

    .venv-spark/bin/python scripts/spark_server.py --port 15002 &
    LABELING_SPARK_TARGET=spark_connect LABELING_SPARK_REMOTE=sc://localhost:15002 make build TARGET=spark

    .venv-spark/bin/python scripts/spark_server.py --protocol thrift --port 10000 &
    LABELING_SPARK_TARGET=spark_thrift LABELING_SPARK_PORT=10000 make build TARGET=spark

The test suite starts them the same way (``pytests/test_spark.py``). Stop one with Ctrl-C (or
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

#: What each server logs once it listens.
READY = {"connect": "Spark Connect server started", "thrift": "HiveThriftServer2 started"}
CLASS = {"connect": "org.apache.spark.sql.connect.service.SparkConnectServer",
         "thrift": "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2"}


def server_command(protocol: str, port: int, folder: Path, master: str, memory: str) -> list[str]:
    """The spark-submit command line of a ``protocol`` server with its warehouse and metastore in
    ``folder``, Hive's catalog and UTC sessions (as the ``spark`` target's session has)."""
    spark_submit = Path(sys.executable).parent / "spark-submit"
    listen = ["--conf", f"spark.connect.grpc.binding.port={port}"] if protocol == "connect" else [
        "--hiveconf", f"hive.server2.thrift.port={port}", "--hiveconf", "hive.server2.thrift.bind.host=127.0.0.1"]
    return [
        str(spark_submit), "--class", CLASS[protocol],
        "--name", f"labeling Spark {protocol} server", "--master", master, "--driver-memory", memory,
        "--driver-java-options", f"-Dderby.system.home={folder}",
        "--conf", "spark.sql.catalogImplementation=hive",
        "--conf", f"spark.sql.warehouse.dir={folder / 'warehouse'}",
        "--conf", f"spark.hadoop.javax.jdo.option.ConnectionURL=jdbc:derby:;databaseName={folder / 'metastore_db'};create=true",
        "--conf", "spark.sql.session.timeZone=UTC",
        "--conf", "spark.ui.enabled=false",
        # spark-submit's primary resource for a class of Spark's own; the server options after it.
        *(["spark-internal"] if protocol == "thrift" else []), *listen,
    ]


def start(protocol: str, port: int, folder: Path, master: str = "local[2]", memory: str = "4g",
          timeout: float = 180.0) -> subprocess.Popen[bytes]:
    """Start the server and return once it listens (its log is ``folder/server.log``); raise with
    the log's end if it exits or does not listen within ``timeout`` seconds."""
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / "server.log"
    import pyspark  # the install whose jars the server runs (.venv-spark)

    env = {**os.environ, "SPARK_HOME": str(Path(pyspark.__file__).parent), "PYSPARK_PYTHON": sys.executable}
    with log.open("wb") as out:
        process = subprocess.Popen(server_command(protocol, port, folder.resolve(), master, memory), stdout=out,
                                   stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if READY[protocol] in log.read_text(errors="replace"):
            return process
        if process.poll() is not None:
            break
        time.sleep(0.5)
    stop(process)
    raise RuntimeError(f"the Spark {protocol} server did not start on port {port}:\n"
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
    parser.add_argument("--protocol", choices=sorted(CLASS), default="connect",
                        help="Spark Connect (default; target spark_connect) or Thrift (target spark_thrift)")
    parser.add_argument("--port", type=int, help="the port to listen on (default 15002 for connect, 10000 for thrift)")
    parser.add_argument("--dir", type=Path,
                        help="the server's warehouse, metastore and log (default spark/<protocol>-server)")
    parser.add_argument("--master", default="local[2]", help="the server's Spark master (default local[2])")
    parser.add_argument("--driver-memory", default="4g", help="the server's driver memory (default 4g)")
    args = parser.parse_args(argv)
    port = args.port or (15002 if args.protocol == "connect" else 10000)
    folder = args.dir or Path("spark") / f"{args.protocol}-server"
    process = start(args.protocol, port, folder, args.master, args.driver_memory)
    url = f"sc://localhost:{port}" if args.protocol == "connect" else f"thrift://localhost:{port}"
    print(f"Spark {args.protocol} server listening at {url} (log: {folder / 'server.log'})", flush=True)
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
