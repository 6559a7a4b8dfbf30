# Tremplin — `make run` to try it, `make test` to check it. Nothing else to install.
PYTHON3 ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app wsgi
PORT ?= 5000

.PHONY: setup run test bench bench-scale lint audit translations translations-update screenshots clean

# A developer's machine gets the runtime and the test tools; production installs requirements.txt only.
$(VENV)/.installed: requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON3) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

translations/en/LC_MESSAGES/messages.mo: translations/en/LC_MESSAGES/messages.po $(VENV)/.installed
	$(VENV)/bin/pybabel compile -d translations --statistics

setup: $(VENV)/.installed translations/en/LC_MESSAGES/messages.mo

run: setup  ## serve the app with demo data on http://127.0.0.1:$(PORT)
	$(FLASK) db upgrade
	$(FLASK) demo-data --if-empty
	@echo "Tremplin : http://127.0.0.1:$(PORT)  (comptes de démonstration dans le README, mot de passe tremplin-demo)"
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

test: setup  ## run the whole test suite (installs Chromium for the browser tests when it can)
	@bash scripts/ensure-chromium
	$(PY) -m pytest $(PYTEST_ARGS)

bench: setup  ## print the benchmark figures, one "name: value" per line (pages at 1x and 10x)
	$(PY) bench/run.py

bench-scale: setup  ## the pages on a network built at 1x and 100x (bench/scale.py), one "name: value" per line
	BENCH_SCALES=1,100 $(PY) bench/run.py bench_pages

lint: setup
	$(VENV)/bin/ruff check .

audit: setup  ## known vulnerabilities of the pinned requirements (needs PyPI's or OSV's vulnerability service)
	$(PY) -m pip install --quiet --disable-pip-version-check pip-audit==2.10.1
	$(VENV)/bin/pip-audit --requirement requirements-dev.txt --no-deps --disable-pip --progress-spinner off

translations-update: setup  ## collect new strings into the English catalogue
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext --ignore-dirs='.* _build' -o translations/messages.pot .
	$(VENV)/bin/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete

screenshots: setup  ## screenshots of the main pages of a running app (make run in another shell)
	$(PY) scripts/screenshots.py http://127.0.0.1:$(PORT) screenshots

clean:
	rm -rf $(VENV) instance/*.sqlite3 .pytest_cache
