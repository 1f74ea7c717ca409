# Support insights (docs/insights.md): the report, the review file, the scale benchmark.
#   make insights [INSIGHTS_DAYS=7]  -> reports/insights.html (self-contained, from var/tracker.db)
#   make review   [INSIGHTS_DAYS=7]  -> reports/nlu-review.yml (NLU candidates to correct)
#   make insights-bench              -> reports/insights-bench.json and insights-bench.md (50,000 conversations)
#   make insights-screenshot         -> docs/images/insights-*.png
INSIGHTS_DAYS ?= 7
.PHONY: insights review insights-bench insights-screenshot

insights: $(INSTALLED)
	TRACKER_DB="$(TRACKER_DB)" $(PY) -m insights report --days $(INSIGHTS_DAYS)

review: $(INSTALLED)
	TRACKER_DB="$(TRACKER_DB)" $(PY) -m insights review --days $(INSIGHTS_DAYS)

# Heavy (seeds about a million events into SQLite and into PostgreSQL): holds the lock.
insights-bench: $(INSTALLED) system-deps
	flock /tmp/heavy.lock $(PY) -m insights bench

insights-screenshot: $(INSTALLED) system-deps
	$(PY) -m insights screenshot
