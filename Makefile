# Backoffice: `make run` to try it, `make test` to test it. Everything installs itself.
VENV    := .venv
PYTHON  := $(VENV)/bin/python
FLASK   := $(VENV)/bin/flask --app wsgi
PYBABEL := $(VENV)/bin/pybabel
DEMO_CUSTOMERS ?= 3000

.PHONY: install run test translations extract-messages clean

$(VENV)/.installed: requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements.txt
	touch $@

install: $(VENV)/.installed

# Compiled catalogues are built here, never committed or edited by hand.
translations: install
	$(PYBABEL) compile --statistics -d translations -D messages

# Collect new strings from the code and templates into both catalogues.
extract-messages: install
	$(PYBABEL) extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output -o translations/messages.pot .
	$(PYBABEL) update -i translations/messages.pot -d translations -D messages --no-fuzzy-matching

instance/config.py:
	@mkdir -p instance
	@$(PYTHON) -c "import secrets; print('SECRET_KEY = %r' % secrets.token_hex(32))" > $@
	@echo "Wrote $@ with a new random SECRET_KEY."

run: install translations instance/config.py
	$(FLASK) db upgrade
	$(FLASK) seed --customers $(DEMO_CUSTOMERS) --if-empty
	$(FLASK) demo-user
	$(FLASK) run --host 127.0.0.1 --port 5000

test: install translations
	$(PYTHON) -m pytest

clean:
	rm -rf $(VENV) .pytest_cache translations/*/LC_MESSAGES/*.mo
