# The two newcomer commands: `make run` and `make test`. Both work on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP_RUN := $(VENV)/.installed-run
STAMP_TEST := $(VENV)/.installed-test
PORT ?= 8501
# public datasets (lawfit.datasets) come from ../shared/data when it exists: tests run offline
ifneq ($(wildcard ../shared/data),)
export LAWFIT_DATA_SOURCE ?= $(abspath ../shared/data)
endif

.PHONY: run test lint bench clean system-deps

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=25.1"

$(STAMP_RUN): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[app]"
	touch $@

$(STAMP_TEST): pyproject.toml $(STAMP_RUN)
	$(PY) -m pip install --quiet -e ".[app]" --group test --group docs
	touch $@

## run: set up and start the explorer on the bundled proxy curves (no network needed)
run: $(STAMP_RUN)
	$(VENV)/bin/lawfit app --port $(PORT)

## system-deps: Debian packages the browser tests need (Chromium); skipped when present
system-deps:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if command -v apt-get >/dev/null 2>&1; then \
	    SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; \
	  else echo "warning: /usr/bin/chromium missing and apt-get unavailable; browser tests will fail" >&2; fi; \
	fi

## test: set up and run the whole suite
test: $(STAMP_TEST) system-deps
	$(PY) -m pytest -q -n 2 --dist loadfile

lint: $(STAMP_TEST)
	$(VENV)/bin/ruff check lawfit tests apps benchmarks

bench: $(STAMP_RUN)
	$(PY) benchmarks/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache build dist
