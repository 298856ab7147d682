# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run index chat test bench clean

install: $(STAMP)

$(STAMP): requirements.txt requirements-nodeps.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -r requirements-nodeps.txt
	$(PY) -m rag.quantized prepare
	touch $(STAMP)

# Index corpus/ (incrementally), then start the bot, or the terminal chat without DISCORD_TOKEN.
run: install
	$(PY) -m rag index
	$(PY) bot.py

index: install
	$(PY) -m rag index

chat: install
	$(PY) -m rag chat

test: install
	$(PY) -m pytest -q

clean:
	rm -rf $(VENV) data
