"""The labeling project's Python side, one concern per module.

``paths``
    Where things are: the dbt project folder of the running invocation, paths anchored on it,
    and SQL string literals for paths (every path that reaches SQL goes through ``sql_string``).
``faults``
    Fault injection for the crash tests (``LABELING_FAULT``, ``LABELING_PAUSE``).
``raw_files``
    What a valid raw file is: the CSV dialect every reader uses (preflight, seed load, the
    ``read_csv`` path), the canonical form of each typed value, the raw folder's contents, and
    the checks that name the file, line, column and rule.
``batches``
    Raw data that arrives in batches (``batches/<name>/`` in the raw folder): the folder checks,
    the rebuild key and the plan that makes a build full or incremental.
``fingerprint``
    The sha256 of everything a build reads (``make build``'s up-to-date check, the rebuild key).
``annotations``
    The annotation exports of Label Studio, Doccano and Prodigy: their checks and table macros.
``dawid_skene``
    The Dawid-Skene estimator (crowd-kit's ``DawidSkene``, in NumPy): the annotators' consensus
    of ``annotation_consensus: dawid_skene`` and the labeling functions' label model.
``workspace``
    The build's private copy of the database: the build lock, the checks that nobody writes
    to the published file (a live writer, a pending WAL, a file that is not a database), and
    the copy itself.
``publish``
    The gate of both engines (``refusal``: whether a finished build may be published), then the
    publish protocol, top to bottom: staged export files become a version, the database copy
    and that version become one generation, and one rename switches readers to it.

``spark``
    A build on Spark: the checks the dbt-core plugin runs before ``dbt build --target spark``
    parses (and the annotation records Spark loads), and the publish after it
    (``scripts/spark_publish.py``), from ``target/run_results.json``.

The dbt-duckdb plugin (``labeling_export``) and the dbt-core plugin (``dbt_labeling``) are thin
glue over these modules; ``labeling_ml`` is the classifier of the labeling workflow.
"""
