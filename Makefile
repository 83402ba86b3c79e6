# dangvu: `make run` sets up and serves the product with demo data; `make test` runs every test.
# Everything is installed into the project: uv in var/uv, the environment in .venv.

SHELL := /bin/bash
UV_VERSION := 0.13.9
UV := var/uv/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_PROVINCES ?= 2
DEMO_MEMBERS ?= 20000

.PHONY: setup run dev test test-sqlite test-postgres lint messages clean

$(UV):
	python3 -m venv var/uv
	var/uv/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --quiet
	touch $@

setup: $(VENV)/.synced
	$(MANAGE) migrate --no-input -v 0
	$(MANAGE) collectstatic --no-input -v 0
	$(MANAGE) ensure_admin
	$(MANAGE) seed_demo --if-empty --provinces $(DEMO_PROVINCES) --members $(DEMO_MEMBERS)
	$(MANAGE) fold_figures

# The report figures follow the recorded events (src/dangvu/reports/figures.py): the folder
# runs beside the server and stops with it.
run: setup
	@echo "dangvu: http://$(HOST):$(PORT)/  (Ctrl+C to stop)"
	$(MANAGE) fold_figures --every 20 & \
	$(VENV)/bin/gunicorn --chdir src dangvu.wsgi:application --bind $(HOST):$(PORT) \
		--workers 2 --access-logfile - --error-logfile -

dev: setup
	DANGVU_DEBUG=1 $(MANAGE) runserver $(HOST):$(PORT)

# Every test, on SQLite and then on a throw-away PostgreSQL cluster started by the harness.
test: $(VENV)/.synced
	$(PY) -m pytest -q
	DANGVU_TEST_DB=postgres $(PY) -m pytest -q

test-sqlite: $(VENV)/.synced
	$(PY) -m pytest -q

test-postgres: $(VENV)/.synced
	DANGVU_TEST_DB=postgres $(PY) -m pytest -q

lint: $(VENV)/.synced
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/mypy src bench

# Refresh the translation catalogues after changing texts, then translate and compile them.
messages: $(VENV)/.synced
	cd src/dangvu && ../../$(MANAGE) makemessages -l vi -l en --no-obsolete --add-location file
	cd src/dangvu && ../../$(MANAGE) compilemessages

clean:
	rm -rf var .venv
