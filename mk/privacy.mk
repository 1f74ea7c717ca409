# Privacy: forget everything kept about one conversation.
#   make forget SENDER=<conversation id> [TRACKER_DB=var/tracker.db]
# The account service must be running (make run); ACCOUNT_SERVICE_URL / _API_KEY point at it
# (the key: var/secrets.env's unless set).
#   make forget SENDER=<conversation id> CLUSTER=1
# forgets in the running `make cluster` (var/cluster, or CLUSTER_VAR_DIR): its PostgreSQL
# tracker store and its account service, with its own ports and secrets.
TRACKER_DB ?= var/tracker.db
CLUSTER ?=

.PHONY: forget
forget: $(INSTALLED)
	@if [ -z "$(SENDER)" ]; then echo "usage: make forget SENDER=<conversation id>" >&2; exit 2; fi
	TRACKER_DB="$(TRACKER_DB)" $(PY) -m privacy.forget $(if $(filter-out 0,$(CLUSTER)),--cluster) "$(SENDER)"
