# reports/abuse.md and .json: what an abuser gets out of the account service (mails to a
# victim, wrong codes checked, tickets, reply times by address), now and at each revision
# of ABUSE_BEFORE: before any limit (f7f96a9) and before mailbox and network keys (d5b3a1e).
ABUSE_BEFORE ?= f7f96a9 d5b3a1e
.PHONY: abuse-report

abuse-report: $(INSTALLED)
	$(PY) -m scripts.abuse_report $(addprefix --before ,$(ABUSE_BEFORE))

# Property tests with fresh random draws (CI replays fixed ones): what fails here becomes an
# @example in the test.
.PHONY: fuzz
fuzz: $(INSTALLED)
	HYPOTHESIS_PROFILE=explore $(VENV)/bin/pytest -q -p no:randomly tests/rasa_addons/test_guard_properties.py tests/service/test_service_properties.py
