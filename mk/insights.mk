# Support insights (docs/insights.md): the report, the review file, the screenshots (the scale
# benchmark is make bench-insights, mk/bench.mk).
#   make insights [INSIGHTS_DAYS=7]  -> reports/insights.html (self-contained, from var/tracker.db)
#   make review   [INSIGHTS_DAYS=7]  -> reports/nlu-review.yml (NLU candidates to correct)
#   make insights-screenshot         -> docs/images/insights-*.png
INSIGHTS_DAYS ?= 7
.PHONY: insights review insights-screenshot

insights: $(INSTALLED)
	TRACKER_DB="$(TRACKER_DB)" $(PY) -m insights report --days $(INSIGHTS_DAYS)

review: $(INSTALLED)
	TRACKER_DB="$(TRACKER_DB)" $(PY) -m insights review --days $(INSIGHTS_DAYS)

insights-screenshot: $(INSTALLED) system-deps
	$(PY) -m insights screenshot
