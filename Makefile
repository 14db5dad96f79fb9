# Two commands do all the set-up: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

export PREFECT_SERVER_ANALYTICS_ENABLED := false
export PREFECT_HOME ?= $(CURDIR)/.prefect
export DO_NOT_TRACK := 1

.PHONY: demo test lint eval bench server clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

demo: $(STAMP)  ## run the archive flow on the bundled example site
	$(BIN)/wirehouse demo --db demo.duckdb

test: $(STAMP)  ## run the test suite
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

eval: $(STAMP)  ## quality on ../shared/eval: extraction vs trafilatura, stories vs gold events
	$(BIN)/python -m bench.eval_extraction
	$(BIN)/python -m bench.eval_wcxb
	$(BIN)/python -m bench.eval_wcxb --served  # the same pages on loopback, through `wirehouse run`
	$(BIN)/python -m bench.eval_stories
	$(BIN)/python -m bench.copy_candidates

bench: $(STAMP)  ## speed: the pipeline vs a bare trafilatura loop; fetch step vs bare httpx; grouping at scale
	$(BIN)/python -m bench.pipeline
	$(BIN)/python -m bench.fetch_bench
	$(BIN)/python -m bench.scale_stories

clean:
	rm -rf $(VENV) .prefect demo.duckdb demo-archive .pytest_cache

server: $(STAMP)  ## local Prefect server + deployments + worker (Ctrl-C stops)
	$(BIN)/wirehouse server
