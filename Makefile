# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run index chat test test-quick bench clean

install: $(STAMP)

$(STAMP): requirements.txt requirements-nodeps.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Python 3.11 is needed (found %d.%d): run make with PYTHON=python3.11" % sys.version_info[:2])'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -r requirements-nodeps.txt
	$(PY) -m rag.index.quantized prepare
	$(PY) -m rag.search.crossencoder prepare
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

# The quick tier: no real index, no CLI or bot in a subprocess; the cogs run on a fake service.
test-quick: install
	$(PY) -m pytest -q -m "not slow and not integration"

# Removes the environment and the index (`make run` rebuilds both). Keeps what cannot be rebuilt:
# the feedback database and its salt, the feed subscriptions, the bot's remembered answers.
KEEP := feedback.sqlite3* feeds.json answers.sqlite3*

clean:
	rm -rf $(VENV)
	@if [ -d data ]; then \
		find data -mindepth 1 -maxdepth 1 $(foreach k,$(KEEP),! -name '$(k)') -exec rm -rf {} +; \
		echo "removed the index; kept in data/: $$(ls -A data | tr '\n' ' ')(delete data/ by hand to remove them too)"; \
	fi
