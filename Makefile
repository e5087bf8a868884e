# e-PUPNS: `make run` (demo app on SQLite) and `make test` (whole suite) on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app run
STAMP := $(VENV)/.installed

.PHONY: run test test-quick lint format docs-graph setup db demo translations translations-update clean bench bench-small

$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

setup: $(STAMP) translations

translations: $(STAMP)
	@if [ -f translations/id/LC_MESSAGES/messages.po ]; then \
		$(VENV)/bin/pybabel -q compile -f -d translations; fi

# Re-extract our strings, merge FAB's (translations/fab-5.3.0.pot), update and compile the
# Indonesian catalogue; lists (and exits 1 on) msgids still waiting for a translation.
translations-update: $(STAMP)
	$(PY) scripts/update_translations.py

db: setup
	mkdir -p instance
	$(FLASK) db upgrade
	$(FLASK) pupns create-permissions

demo: db
	$(FLASK) pupns seed-demo --if-empty

run: demo
	@echo "e-PUPNS berjalan di http://127.0.0.1:5000"
	$(FLASK) run --host 127.0.0.1 --port 5000

# Two workers (the machine has two cores); each gets its own SQLite file and PostgreSQL database.
PYTEST_WORKERS ?= 2
test: setup
	$(PY) -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

# The inner loop: SQLite only, no browser (the whole suite stays `make test`).
test-quick: setup
	env -u TEST_DATABASE_URL $(PY) -m pytest -n $(PYTEST_WORKERS) -m "not browser" $(PYTEST_ARGS)

FORMATTED := app tests benchmarks scripts config.py run.py

# One code style (ruff format, settings in pyproject.toml); `make lint` fails on drift.
format: $(STAMP)
	$(VENV)/bin/ruff format $(FORMATTED)

# Static checks of app/: ruff, bandit and import-linter (the layers and no import circles),
# configured in pyproject.toml. CI runs it before the tests.
lint: $(STAMP)
	$(VENV)/bin/ruff check app
	$(VENV)/bin/ruff format --check $(FORMATTED)
	$(VENV)/bin/bandit -c pyproject.toml -r app -q
	$(VENV)/bin/lint-imports

# docs/import-graph.svg: who imports whom in app/, one box per layer (pydeps; needs Graphviz's
# `dot`: apt-get install graphviz). Arrows point from the importer to the imported module.
docs-graph: $(STAMP)
	$(VENV)/bin/pydeps app --only app --max-module-depth 2 --reverse --rankdir BT --no-show \
		-T svg -o docs/import-graph.svg

# Benchmarks (benchmarks/README.md): PostgreSQL on 127.0.0.1 (databases bench_small and
# bench_national, dropped and rebuilt; other servers: BENCH_ARGS="--database-url …") and wrk
# (apt-get install wrk). bench-small: 50,000 PNS, a few minutes; bench: 4.5 million PNS.
bench-small: setup
	$(PY) -m benchmarks.run --mode small $(BENCH_ARGS)

bench: setup
	$(PY) -m benchmarks.run --mode national $(BENCH_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache
