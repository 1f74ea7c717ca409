# Everything a developer or CI needs; each target sets up what it depends on.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
RASA := $(VENV)/bin/rasa
SPACY_MODEL := build/spacy-en-accounts
INSTALLED := $(VENV)/.installed
export TF_CPP_MIN_LOG_LEVEL := 2
export PYTHONHASHSEED := 0
export RASA_TELEMETRY_ENABLED := false
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
# The demo mailbox (every address's mail, for local demos only): `make run DEMO_MODE=0` and
# `make cluster DEMO_MODE=0` leave it out.
DEMO_MODE ?= 1

.DEFAULT_GOAL := help

# What the tests need; the parts in mk/*.mk add their own targets to it.
TEST_DEPS := train system-deps
-include mk/*.mk

.PHONY: help install system-deps spacy train run shell services test test-fast lint validate pytest story-test stories transcripts story-graph ci-timing clean

help:
	@echo "Run & chat:"
	@echo "  make run                  set up, train if needed, start the assistant (Ctrl-C stops it)"
	@echo "  make shell                chat in the terminal (numbered buttons; /stop ends it)"
	@echo "  make train                train the model if data or config changed"
	@echo "  make services             account service + action server for the Rasa CLI"
	@echo "  make widget               bundle the chat widget (widget/dist/widget.js)"
	@echo "  make transcripts          record docs/transcripts.md from a fresh stack"
	@echo "  make stories              write tests/stories/ from the conversations, on a fresh stack"
	@echo ""
	@echo "Tests:"
	@echo "  make test                 every test: lint, types, data validation, pytest, test stories"
	@echo "  make test-fast            the edit-test loop: all but the browser and cluster tests"
	@echo "  make lint                 ruff check, ruff format --check, mypy"
	@echo "  make validate             Rasa data validation plus the response checks"
	@echo "  make pytest               the pytest suites (browser and cluster included)"
	@echo "  make story-test           rasa test core --e2e on tests/stories, failing on any error"
	@echo "  make fuzz                 property tests with fresh random examples"
	@echo "  make ci-timing            a fresh clone's .ci/run, timed (reports/ci-timings.md)"
	@echo ""
	@echo "Evaluation & reports:"
	@echo "  make eval                 NLU: ours and stock on the held-out sets, CV of ours (~15 min)"
	@echo "  make eval-full            eval plus CV of the stock configuration (~45 min more)"
	@echo "  make eval-quick           ours, held-out set only (about a minute)"
	@echo "  make eval-dialogue        policies on held-out conversations (about 5 min)"
	@echo "  make eval-offscript       held-out off-script conversations (about 2 min)"
	@echo "  make bench                load benchmark: stock, stock on our server, ours"
	@echo "  make bench-smoke          one short load benchmark sample at two levels"
	@echo "  make bench-length         cost of a turn as a conversation grows, turn 10 to 2,000"
	@echo "  make bench-profile        py-spy profile of our loaded Rasa server"
	@echo "  make bench-patches        Rasa CPU per turn with each of our Rasa replacements off"
	@echo "  make bench-cluster        turns/s through nginx with 1 and 2 replicas"
	@echo "  make bench-insights       insights page over 50,000 conversations"
	@echo "  make bench-handoff        an agent's message to the learner: p50/p95, one server, cluster"
	@echo "                            (each: python -m bench <scenario> -> reports/bench-*)"
	@echo "  make insights             reports/insights.html [INSIGHTS_DAYS=7]"
	@echo "  make review               reports/nlu-review.yml: NLU candidates to correct"
	@echo "  make insights-screenshot  docs/images/insights-*.png"
	@echo "  make story-graph          docs/images/stories-login.png"
	@echo ""
	@echo "Cluster:"
	@echo "  make cluster              replicas, PostgreSQL, Redis, nginx on :6080"
	@echo "  make cluster-stop         stop the cluster"
	@echo "  make cluster-status       list the cluster's programs"
	@echo "  make crash-report         SIGKILL a replica and an action server under load, repeated"
	@echo "  make cluster-model        train only if there is no model yet"
	@echo "  make hosts                the cluster, each host in a network namespace (root)"
	@echo "  make hosts-stop           stop it and remove the namespaces"
	@echo "  make hosts-report         a host lost, cut off, Redis restarted, under load"
	@echo "  make k8s-secrets          deploy/kubernetes/base/secrets.env, new random values"
	@echo "  make k8s-check            render the Kubernetes manifests, check their schemas"
	@echo ""
	@echo "Privacy & security:"
	@echo "  make forget SENDER=<id>   delete one conversation [CLUSTER=1]"
	@echo "  make abuse-report         reports/abuse.md: what an abuser gets"
	@echo ""
	@echo "Other:"
	@echo "  make install              create .venv from requirements.lock"
	@echo "  make system-deps          Debian packages (system-packages.txt)"
	@echo "  make spacy                build the spaCy pipeline"
	@echo "  make clean                remove build, models, var, story-test reports"
	@echo "  make help                 this list"

$(INSTALLED): requirements.lock scripts/bootstrap.sh
	scripts/bootstrap.sh
	touch $@

install: $(INSTALLED)

# Debian packages for the browser and cluster tests (system-packages.txt).
system-deps:
	scripts/system-deps.sh

$(SPACY_MODEL)/meta.json: $(INSTALLED) rasa_addons/nlu/spacy_model.py
	$(PY) -m rasa_addons.nlu.spacy_model --output $(SPACY_MODEL)

spacy: $(SPACY_MODEL)/meta.json

# Rasa fingerprints config, domain and data: it retrains only when one of them changed.
# Rasa's validation of the data is `make validate`'s job (with the checks Rasa can't do).
train: spacy
	$(RASA) train --fixed-model-name accounts --out models --skip-validation

run: train
	DEMO_MODE=$(DEMO_MODE) $(PY) -m stack run

shell: train
	DEMO_MODE=$(DEMO_MODE) $(PY) -m stack shell

# The account service and the action server on the ports endpoints.yml names, for the
# Rasa CLI (rasa shell, rasa interactive, rasa run) in another terminal.
services: train
	DEMO_MODE=$(DEMO_MODE) $(PY) -m stack services

lint: $(INSTALLED)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .

validate: $(INSTALLED)
	$(PY) -m scripts.validate_data

# Three workers (pytest-xdist) on two cores: most tests wait on the servers they start;
# tests/conftest.py keeps each module (and the cluster, browser and insights folders) in
# one worker. PYTEST_WORKERS=0 runs them in this process.
PYTEST_WORKERS ?= 3
PYTEST := $(VENV)/bin/pytest -n $(PYTEST_WORKERS) --dist loadgroup

pytest: $(TEST_DEPS)
	$(PYTEST) $(PYTEST_ARGS)

# Without the browser and cluster tests (they start Chromium and a whole cluster), so four
# workers fit; the data validation runs beside pytest, each one's output printed whole.
test-fast: lint train $(DEPLOY_INSTALLED)
	$(MAKE) --no-print-directory --output-sync=target -j 2 validate pytest TEST_DEPS= \
	  PYTEST_WORKERS=4 PYTEST_ARGS="--ignore=tests/browser --ignore=tests/cluster"

# tests/stories/: the conversations of tests/conversations/ as test stories, from a fresh stack.
stories: train
	$(PY) -m scripts.record_stories

# docs/transcripts.md: one real conversation per article section, from a fresh stack.
transcripts: train
	$(PY) -m scripts.demo_transcripts

story-test: train
	$(RASA) test core --e2e --model models --stories tests/stories \
	  --fail-on-prediction-errors --out reports/story-tests

# The test stories run end to end inside pytest (tests/e2e/test_rasa_cli.py), next to the
# other tests, as `make story-test` runs them alone.
test: lint validate pytest

# reports/ci-timings.md: a fresh clone's `bash .ci/run`, timed (about 15 minutes).
ci-timing:
	python3 scripts/time_ci.py

clean:
	rm -rf build models var reports/story-tests

# docs/images/stories-login.png: the login section's stories as `rasa visualize` builds them.
story-graph: $(INSTALLED)
	$(PY) -m scripts.story_graph
