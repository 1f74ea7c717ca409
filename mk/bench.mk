# The benchmarks: one harness, `python -m bench <scenario>` (bench/__main__.py), one report
# family: each scenario writes reports/bench-<scenario>.json (and .md/.png where it has them),
# every report with the same header (scenario, generated UTC, machine, command line).
# The heavy ones hold /tmp/heavy.lock; HEAVY_LOCK_HELD tells the training inside not to take
# it again.
.PHONY: bench bench-smoke bench-length bench-profile bench-patches bench-cluster bench-insights \
	bench-handoff

BENCH_ARGS ?=

# Whole-conversation load: stock Rasa, the stock config on our server, and ours, on the same
# data (bench/server.py, docs/performance.md): reports/bench-server.json, bench-server.png
# and bench-server-length.png.
bench: spacy
	flock /tmp/heavy.lock env HEAVY_LOCK_HELD=1 $(PY) -m bench server $(BENCH_ARGS)

# One short sample at two levels, ours and the stock config on our server, short length and
# store measures (reports/bench-raw/server-quick.json, not committed). Trains the stock model
# once.
bench-smoke: train
	flock /tmp/heavy.lock env HEAVY_LOCK_HELD=1 $(PY) -m bench server --quick \
	  --model models/accounts.tar.gz $(BENCH_ARGS)

# The cost of a turn as a conversation grows, alone, on our stack (bench/length.py):
# bench-length.json and bench-length.png in reports/.
bench-length: train
	flock /tmp/heavy.lock env HEAVY_LOCK_HELD=1 $(PY) -m bench length \
	  --model models/accounts.tar.gz $(BENCH_ARGS)

# py-spy on our loaded Rasa server (20 learners, 20 s): reports/bench-profile.json.
bench-profile: train
	flock /tmp/heavy.lock env HEAVY_LOCK_HELD=1 $(PY) -m bench profile \
	  --model models/accounts.tar.gz $(BENCH_ARGS)

# Each of rasa_addons/history.py's replacements switched off in turn: Rasa CPU per turn at
# turn 10 and 2,000 (reports/bench-patches.json and .md, quoted in docs/performance.md).
bench-patches: train
	flock /tmp/heavy.lock env HEAVY_LOCK_HELD=1 $(PY) -m bench patches $(BENCH_ARGS)

# Turns per second through nginx with 1 and with 2 replicas, on a cluster of its own on free
# ports (bench/cluster.py, docs/cluster.md): reports/bench-cluster.json.
bench-cluster: $(INSTALLED) system-deps cluster-model
	flock /tmp/heavy.lock $(PY) -m bench cluster $(BENCH_ARGS)

# The insights page over 50,000 seeded conversations, SQLite and PostgreSQL (seeds about a
# million events into each; bench/insights.py, docs/insights.md): reports/bench-insights.json
# and .md.
bench-insights: $(INSTALLED) system-deps
	flock /tmp/heavy.lock $(PY) -m bench insights $(BENCH_ARGS)

# An agent's message from the console to the learner's socket, p50/p95, on one server and
# in the cluster (bench/handoff.py, docs/handoff.md): reports/bench-handoff.json and .md.
bench-handoff: train system-deps widget
	flock /tmp/heavy.lock $(PY) -m bench handoff $(BENCH_ARGS)
