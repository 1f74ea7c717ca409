# Whole-conversation load benchmark: stock Rasa, the stock config on our server, and ours, on
# the same data (bench/, docs/performance.md). Writes reports/bench.json, reports/bench.png
# and reports/bench-length.png.
.PHONY: bench bench-smoke bench-profile bench-patches

BENCH_ARGS ?=

# The whole run holds the lock; HEAVY_LOCK_HELD tells the training inside not to take it again.
bench: spacy
	flock /tmp/heavy.lock env HEAVY_LOCK_HELD=1 $(PY) -m bench $(BENCH_ARGS)

# One short sample at two levels, ours and the stock config on our server, short length and
# store measures (reports/bench-raw/quick.json, not committed). Trains the stock model once.
bench-smoke: train
	flock /tmp/heavy.lock env HEAVY_LOCK_HELD=1 $(PY) -m bench --quick \
	  --model models/accounts.tar.gz $(BENCH_ARGS)

# py-spy on our loaded Rasa server (20 learners, 20 s): reports/bench-profile.json.
bench-profile: train
	flock /tmp/heavy.lock env HEAVY_LOCK_HELD=1 $(PY) -m bench.profile \
	  --model models/accounts.tar.gz $(BENCH_ARGS)

# Each of rasa_addons/history.py's replacements switched off in turn: Rasa CPU per turn at
# turn 10 and 2,000 (reports/patches.md, quoted in docs/performance.md).
bench-patches: train
	flock /tmp/heavy.lock env HEAVY_LOCK_HELD=1 $(PY) -m bench.patches
