# Kubernetes (deploy/kubernetes/, docs/deploy.md): the Secret's source and an offline check
# of the manifests. kubernetes-validate needs a newer jsonschema than Rasa 3.6, so it gets
# an environment of its own, pinned in deploy/requirements.lock.
DEPLOY_VENV := .venv-deploy
DEPLOY_INSTALLED := $(DEPLOY_VENV)/.installed
.PHONY: k8s-secrets k8s-check

$(DEPLOY_INSTALLED): deploy/requirements.lock | $(INSTALLED)
	$(PY) -m venv --clear $(DEPLOY_VENV)
	$(DEPLOY_VENV)/bin/python -m pip install --quiet --no-deps -r deploy/requirements.lock
	$(DEPLOY_VENV)/bin/python -m pip check
	touch $@

# New random values for the secrets not yet in deploy/kubernetes/base/secrets.env (git-ignored).
k8s-secrets: $(INSTALLED)
	$(PY) -m stack.secrets deploy/kubernetes/base

# Renders the base and the demo overlay and checks every object against the API schemas.
k8s-check: $(DEPLOY_INSTALLED) k8s-secrets
	$(PY) -m deploy.kubernetes

TEST_DEPS += $(DEPLOY_INSTALLED)
