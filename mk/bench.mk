# Whole-conversation load benchmark: our stack against stock Rasa on the same data
# (bench/, docs/performance.md). Writes reports/bench.json and reports/bench.png.
.PHONY: bench bench-smoke

BENCH_ARGS ?=

# The whole run holds the lock; HEAVY_LOCK_HELD tells the training inside not to take it again.
bench: spacy
	flock /tmp/heavy.lock env HEAVY_LOCK_HELD=1 $(PY) -m bench --baseline $(BENCH_ARGS)

# A few seconds at two levels, our model only (also run by tests/bench).
bench-smoke: train
	$(PY) -m bench --no-stock --model models/accounts.tar.gz --levels 1,4 --seconds 3 \
	  --out reports/bench-raw/smoke.json --no-plot
