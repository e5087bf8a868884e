# e-PUPNS: `make run` (demo app on SQLite) and `make test` (whole suite) on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app run
STAMP := $(VENV)/.installed

.PHONY: run test setup db demo translations clean

$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

setup: $(STAMP) translations

translations: $(STAMP)
	@if [ -f translations/id/LC_MESSAGES/messages.po ]; then \
		$(VENV)/bin/pybabel compile -q -f -d translations; fi

db: setup
	mkdir -p instance
	$(FLASK) db upgrade
	$(FLASK) pupns create-permissions

demo: db
	$(FLASK) pupns seed-demo --if-empty

run: demo
	@echo "e-PUPNS berjalan di http://127.0.0.1:5000"
	$(FLASK) run --host 127.0.0.1 --port 5000

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache
