# reports/abuse.md and .json: what an abuser gets out of the account service (mails to a
# victim, wrong codes checked, tickets, reply times by address), now and at ABUSE_BEFORE.
ABUSE_BEFORE ?= f7f96a9
.PHONY: abuse-report

abuse-report: $(INSTALLED)
	$(PY) -m scripts.abuse_report --before $(ABUSE_BEFORE)
