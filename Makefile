# Backoffice: `make run` to try it, `make test` to test it. Everything installs itself.
VENV    := .venv
PYTHON  := $(VENV)/bin/python
FLASK   := $(VENV)/bin/flask --app wsgi
PYBABEL := $(VENV)/bin/pybabel
DEMO_CUSTOMERS ?= 3000
BENCH_CUSTOMERS ?= 1000000
LOAD_USERS ?= 50
LOAD_TIME ?= 2m
LOAD_WORKERS ?= 4

.PHONY: install install-dev run test lint bench load translations compile-translations clean

# What the app needs to run (make run, make bench, production).
$(VENV)/.installed: requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements.txt
	touch $@

# On top of it, the test, lint and browser-test tools (make test, make lint, CI).
$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

# After changing a text: collect new strings from the code and templates into
# both catalogues (translate the new Spanish entries), then compile.
translations: install
	$(PYBABEL) extract -F babel.cfg -k _l -k lazy_gettext -k lazy_pgettext:1c,2 --no-location --sort-output -o translations/messages.pot .
	$(PYBABEL) update -i translations/messages.pot -d translations -D messages --no-fuzzy-matching --ignore-obsolete
	$(MAKE) compile-translations

# Compiled catalogues (.mo) are built here for run and test, never committed or
# edited by hand. "admin" holds our corrections to Flask-Admin's own catalogue.
compile-translations: install
	$(PYBABEL) compile --statistics -d translations -D "messages admin"

instance/config.py:
	@mkdir -p instance
	@$(PYTHON) -c "import secrets; print('SECRET_KEY = %r' % secrets.token_hex(32))" > $@
	@printf "%s\n" "# The demo seller on invoices: set your own (README, Invoices)." \
		"INVOICE_SELLER_NAME = 'Backoffice Demo, S.L.'" "INVOICE_SELLER_TAX_ID = 'B00000000'" \
		"INVOICE_SELLER_ADDRESS = 'Calle Mayor 1, 28013 Madrid'" >> $@
	@echo "Wrote $@ with a new random SECRET_KEY."

run: install compile-translations instance/config.py
	$(FLASK) db upgrade
	$(FLASK) seed --customers $(DEMO_CUSTOMERS) --if-empty
	$(FLASK) demo-user
	@# The worker (mail, large imports, the schedule) runs beside the web server;
	@# Ctrl-C stops both.
	@$(FLASK) worker & worker=$$!; \
	trap 'kill -TERM $$worker 2>/dev/null; wait $$worker; trap - EXIT' INT TERM EXIT; \
	$(FLASK) run --host 127.0.0.1 --port 5000

# Security lint first (no high-severity finding may land), then the suite. The
# browser tests (tests/e2e/) need Debian's Chromium; without it they are skipped.
# The suite runs on two workers (pytest-xdist; each has its own database and
# browser). PYTEST_ARGS replaces that: PYTEST_ARGS="" runs it in one process,
# PYTEST_ARGS='-m "not slow"' is the quick loop.
PYTEST_ARGS ?= -n 2
test: install-dev compile-translations
	$(VENV)/bin/bandit -q -r admin_app -lll
	@test -x /usr/bin/chromium || echo "make test: Chromium not found at /usr/bin/chromium, the browser tests in tests/e2e/ are skipped (apt-get install chromium)."
	$(PYTHON) -m pytest $(PYTEST_ARGS)

# Style and correctness: ruff over everything (ruff.toml), mypy over the
# business rules (mypy.ini). CI runs it before the tests.
lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy admin_app/services

# Our admin against a plain Flask-Admin ModelView, in one run, on a benchmark
# database (instance/bench.db, or DATABASE_URL) seeded on the first run: the most
# used list, search, filter and details pages (medians), the full customer CSV
# export (first byte, total, peak memory) and a 100,000-row import; one table,
# also written to instance/bench-results-<sqlite|postgresql>.md.
# More options: make bench BENCH_ARGS="--repeat 3 --skip-export" (see --help).
bench: install compile-translations
	$(PYTHON) bench/run.py --customers $(BENCH_CUSTOMERS) $(BENCH_ARGS)

# How many operators one server holds: Locust's simulated staff (log in, lists,
# searches, filters, customer pages, a top-up every twentieth action) against
# gunicorn on 127.0.0.1, on the benchmark database `make bench` seeds (it seeds
# nothing itself). Prints req/s, median, p95 and p99 per kind of request and the
# failures, writes instance/load-results-<sqlite|postgresql>.md, then checks the
# ledgers. E.g. make load LOAD_USERS=100 LOAD_TIME=5m LOAD_WORKERS=8.
load: install-dev compile-translations
	LOAD_USERS=$(LOAD_USERS) LOAD_TIME=$(LOAD_TIME) LOAD_WORKERS=$(LOAD_WORKERS) \
		$(PYTHON) bench/load/run.py

clean:
	rm -rf $(VENV) .pytest_cache translations/*/LC_MESSAGES/*.mo
