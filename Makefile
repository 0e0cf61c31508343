# The labeling pipeline. `make help` lists the targets.
# A fresh machine needs two commands: `make build` (bundled sample) and `make test`.

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Folder with the real projects.csv and tags.csv to copy instead of downloading (make real).
MIRROR ?=
REAL_DIR := data/madewithml
# How raw files load: seed (default, dbt seed) or read_csv (DuckDB reads them in place; fast
# for large inputs). make build LOAD=read_csv
LOAD ?= seed
export LABELING_LOAD := $(LOAD)
# Which engine builds: duckdb (default) or spark (Apache Spark through dbt-spark, in
# .venv-spark: dbt build --target $(SPARK_TARGET), then scripts/spark_publish.py). make build TARGET=spark
TARGET ?= duckdb
# The profile's Spark target: spark (in this process), spark_connect or spark_thrift (docs/spark.md).
SPARK_TARGET ?= $(or $(LABELING_SPARK_TARGET),spark)
SPARK_BIN := .venv-spark/bin

export DBT_PROFILES_DIR := $(CURDIR)/profiles
export DBT_SEND_ANONYMOUS_USAGE_STATS := false

.DEFAULT_GOAL := help

.PHONY: help setup lock build real report test test-deps lint pytest docs docs-build harlequin harlequin-setup labelstudio labelstudio-setup spark-setup analyses clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

# Every venv installs from its lock, locks/<venv>.txt (every distribution, at the version the
# suite passed with): a new venv gets the lock's pip, setuptools and wheel, then its
# requirements file constrained by the lock, built with those pinned setuptools (no build
# isolation: no build dependency floats either); scripts/lock.py check then fails if the
# install resolved anything the lock does not list. `make lock test` refreshes every lock and
# runs the suite on the new versions.
define locked_venv
	rm -rf $(1)
	$(PYTHON) -m venv $(1)
	$(1)/bin/pip install --quiet -c $(3) pip setuptools wheel
	$(1)/bin/pip install --quiet --no-build-isolation -r $(2) -c $(3)
	$(1)/bin/python scripts/lock.py check $(3)
	@touch $@
endef
# venv:requirements file, for make lock; the lock of .venv-x is locks/venv-x.txt.
LOCKED_VENVS := .venv:requirements.txt .venv-harlequin:requirements-harlequin.txt \
	.venv-labelstudio:requirements-labelstudio.txt .venv-spark:requirements-spark.txt

$(BIN)/dbt: requirements.txt locks/venv.txt pyproject.toml
	$(call locked_venv,$(VENV),requirements.txt,locks/venv.txt)

setup: $(BIN)/dbt ## Create .venv and install it from its lock (locks/venv.txt)

lock: ## Re-resolve every venv's requirements file at today's releases into locks/ (then make test)
	@set -e; for pair in $(LOCKED_VENVS); do \
	  venv=$${pair%%:*}; requirements=$${pair#*:}; tmp=$$(mktemp -d); \
	  echo "lock: resolving $$requirements for $$venv"; \
	  $(PYTHON) -m venv "$$tmp/venv"; \
	  "$$tmp/venv/bin/pip" install --quiet --upgrade pip setuptools wheel; \
	  "$$tmp/venv/bin/pip" install --quiet --no-build-isolation -r "$$requirements"; \
	  "$$tmp/venv/bin/python" scripts/lock.py write "locks/$${venv#.}.txt" --requirements "$$requirements"; \
	  rm -rf "$$tmp"; \
	done

# make build and make real build only what changed since the published build
# (scripts/up_to_date.py): nothing when nothing it reads changed and what it published is
# intact; after an edit of dbt's files alone (models, macros, tests, seeds...), what dbt's state
# selection finds changed and what depends on it; else everything. FORCE=1 builds everything.
# The fingerprints taken before the build go to the build, which publishes them with itself.
FORCE ?=
define checked_build
	@plan=$$(mktemp -d); trap 'rm -rf "$$plan"' EXIT; \
	if $(1) $(BIN)/python scripts/up_to_date.py check --save "$$plan" $(if $(FORCE),--force); then exit 0; fi; \
	set -e; \
	case "$$(cat "$$plan/select")" in *--state*) ;; *) $(1) $(BIN)/python scripts/check_raw.py;; esac; \
	$(1) LABELING_INPUT_FINGERPRINT="$$(cat "$$plan/input")" LABELING_DATA_FINGERPRINT="$$(cat "$$plan/data")" \
		$(BIN)/dbt build $$(cat "$$plan/select")
endef
# TARGET=spark: dbt build on Spark (the dbt-core plugin checks the inputs first), then the one
# step dbt cannot do: publish the staged exports when every node succeeded (after a failed
# build it says why it does not, and make fails).
define spark_build
	$(1) $(SPARK_BIN)/dbt build --target $(SPARK_TARGET); built=$$?; \
	$(1) $(SPARK_BIN)/python scripts/spark_publish.py && exit $$built
endef
define engine_build
	$(if $(filter spark,$(TARGET)),$(call spark_build,$(1)),$(call checked_build,$(1)))
endef
ifeq ($(filter $(TARGET),duckdb spark),)
$(error TARGET must be duckdb or spark, not '$(TARGET)')
endif

build: setup $(if $(filter spark,$(TARGET)),spark-setup) ## dbt build on the bundled sample (data/sample): check, load, transform, test, export (TARGET=spark: on Spark)
	$(call engine_build,)

real: setup $(if $(filter spark,$(TARGET)),spark-setup) ## Extract the real data (MIRROR=dir to copy a mirror) and dbt build on it
	$(BIN)/python scripts/extract.py $(if $(MIRROR),--from $(MIRROR))
	$(call engine_build,LABELING_RAW_DIR=$(REAL_DIR))

report: analyses ## The labeling report of the published build: reports/labeling_report.html (scripts/report.py)
	$(BIN)/python scripts/report.py

lint: setup ## SQLFluff and the other pre-commit hooks on every file
	$(BIN)/pre-commit run --all-files --show-diff-on-failure

pytest: setup ## The pytest suite (runs dbt end to end in temporary copies)
	$(BIN)/python -m pytest -n 2 --durations=40

test: test-deps lint pytest ## Everything CI runs: install the test tools, lint, then the pytest suite

test-deps: ## Chromium and tmux (apt, for the browser and terminal tests), harlequin's, Label Studio's and Spark's venvs
	@$(MAKE) --no-print-directory -j4 setup harlequin-setup labelstudio-setup spark-setup
	@missing=""; [ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	command -v tmux >/dev/null || missing="$$missing tmux"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then sudo=""; elif command -v sudo >/dev/null; then sudo=sudo; \
	  else echo "test-deps: cannot install$$missing (not root, no sudo); the tests that need it are skipped"; exit 0; fi; \
	  echo "test-deps: installing$$missing with apt-get"; \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq $$missing >/dev/null; \
	fi

docs-build: setup ## Lineage docs (target/static_index.html), every description checked, column lineage (target/column_lineage.html), the labeling report (target/labeling_report.html)
	$(BIN)/dbt docs generate --static
	$(BIN)/python scripts/check_docs.py
	$(BIN)/python scripts/column_lineage.py --check
	$(BIN)/python scripts/report.py --output target/labeling_report.html

docs: docs-build ## Build the docs, then serve them on http://localhost:8080 (Ctrl-C to stop)
	$(BIN)/dbt docs serve --port 8080 --host 127.0.0.1 --no-browser

analyses: setup ## Compile the saved queries of analyses/ into target/compiled/.../analyses/
	$(BIN)/dbt compile --select "resource_type:analysis" --quiet

.venv-harlequin/bin/harlequin: requirements-harlequin.txt locks/venv-harlequin.txt
	$(call locked_venv,.venv-harlequin,requirements-harlequin.txt,locks/venv-harlequin.txt)

harlequin-setup: .venv-harlequin/bin/harlequin ## Install harlequin in its own venv (.venv-harlequin)

harlequin: harlequin-setup ## Open labeling.duckdb read-only in harlequin, the terminal SQL IDE
	.venv-harlequin/bin/harlequin --read-only labeling.duckdb

.venv-spark/bin/dbt: requirements-spark.txt locks/venv-spark.txt pyproject.toml
	$(call locked_venv,.venv-spark,requirements-spark.txt,locks/venv-spark.txt)

spark-setup: .venv-spark/bin/dbt ## Install dbt-spark and PySpark in their own venv (.venv-spark; Spark runs on the machine's JDK 17)

.venv-labelstudio/bin/label-studio: requirements-labelstudio.txt locks/venv-labelstudio.txt
	$(call locked_venv,.venv-labelstudio,requirements-labelstudio.txt,locks/venv-labelstudio.txt)

labelstudio-setup: .venv-labelstudio/bin/label-studio ## Install Label Studio in its own venv (.venv-labelstudio)

# Label Studio for the annotation loop, on http://127.0.0.1:$(LS_PORT), data in .labelstudio/.
LS_PORT ?= 8080
labelstudio: labelstudio-setup ## Start Label Studio locally (http://127.0.0.1:8080; Ctrl-C to stop)
	LABEL_STUDIO_BASE_DATA_DIR=$(CURDIR)/.labelstudio .venv-labelstudio/bin/label-studio start \
	  --no-browser --internal-host 127.0.0.1 --port $(LS_PORT) --data-dir $(CURDIR)/.labelstudio

clean: ## Remove builds (.build/), exports, the database and the Spark warehouse (keeps the venvs and downloads)
	rm -rf target logs exports .build labeling.duckdb labeling.duckdb.wal spark
