# Several Rasa replicas sharing PostgreSQL and Redis behind nginx (see docs/cluster.md).
# Ports: CLUSTER_NGINX_PORT (6080), CLUSTER_RASA_PORTS (6005,6006), CLUSTER_ACTION_PORTS
# (6056,6057), CLUSTER_ACTION_LB_PORT (6055), CLUSTER_ACCOUNT_PORT (6001),
# CLUSTER_POSTGRES_PORT (6432), CLUSTER_REDIS_PORT (6390); CLUSTER_SANIC_WORKERS (1).
# DEMO_MODE=0 (default 1, as for make run) leaves the demo mailbox out.
# The cluster's throughput: make bench-cluster (mk/bench.mk).
.PHONY: cluster cluster-stop cluster-status cluster-model crash-report hosts hosts-stop hosts-report

# Uses the shared model as it is; trains (via `make train`) only when there is none.
cluster-model:
	@test -f models/accounts.tar.gz || $(MAKE) train

cluster: $(INSTALLED) system-deps cluster-model
	DEMO_MODE=$(DEMO_MODE) $(PY) -m cluster start

cluster-stop: $(INSTALLED)
	$(PY) -m cluster stop

cluster-status: $(INSTALLED)
	$(PY) -m cluster status

# The crash test, repeated: 20 runs of 20 learners with a Rasa replica and an action server
# SIGKILLed, 2 runs of 50, one Redis and one PostgreSQL restart -> reports/crash.json and crash.md
# (CRASH_RUNS sets the number of 20-learner runs).
CRASH_RUNS ?= 20
crash-report: $(INSTALLED) system-deps cluster-model
	flock /tmp/heavy.lock $(PY) -m cluster crash --runs $(CRASH_RUNS)

# The same cluster with each host in a network namespace of its own (needs root; see
# cluster/hosts.py): CLUSTER_HOSTS_NETWORK (10.77.0.0/24) gives every address.
HOSTS_NETWORK ?= 10.77.0.0/24
hosts: $(INSTALLED) system-deps cluster-model
	CLUSTER_HOSTS_NETWORK=$(HOSTS_NETWORK) CLUSTER_VAR_DIR=var/hosts DEMO_MODE=$(DEMO_MODE) \
		$(PY) -m cluster start

hosts-stop: $(INSTALLED)
	CLUSTER_VAR_DIR=var/hosts $(PY) -m cluster stop

# Host faults under load on a cluster of hosts: Rasa host 1 lost, cut off for 10 s, Redis
# restarted, under 20 and 50 learners -> reports/hosts.json and hosts.md. Its own network,
# so that it can run beside `make hosts`.
HOSTS_REPORT_NETWORK ?= 10.78.0.0/24
hosts-report: $(INSTALLED) system-deps cluster-model
	CLUSTER_HOSTS_NETWORK=$(HOSTS_REPORT_NETWORK) flock /tmp/heavy.lock $(PY) -m cluster hosts-report
