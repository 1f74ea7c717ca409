# The assistant's images for deploy/kubernetes/ (docs/deploy.md). Not built on the machine
# this project is developed on (no registry can be reached from it): the manifests' checks
# run offline, the build runs where the images are pushed.
#
#   docker build --target app   -t accounts-assistant:<version> .
#   docker build --target model -t accounts-assistant-model:<version> .   # after make train
#
# `app` runs every program of the cluster (a Rasa replica, an action server, the account
# service mock, the demo page), each with the command its Deployment gives. `model` carries
# only the trained model: a Rasa pod copies it from an init container, so a new model is a
# new image tag, rolled out like code, and the app image does not change with it.

# -- Python packages, pinned as for make install, and the spaCy pipeline built from code ----
FROM python:3.10.13-slim-bookworm AS python-build
WORKDIR /app
RUN python -m venv /opt/venv
COPY requirements.lock .
RUN /opt/venv/bin/pip install --no-cache-dir --no-deps -r requirements.lock \
    && /opt/venv/bin/pip check
COPY rasa_addons/ rasa_addons/
COPY common/ common/
RUN /opt/venv/bin/python -m rasa_addons.nlu.spacy_model --output build/spacy-en-accounts

# -- The chat widget bundle (make widget) -----------------------------------------------------
FROM node:20-bookworm-slim AS widget-build
WORKDIR /widget
COPY widget/package.json widget/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY widget/src/ src/
RUN npm run --silent build

# -- The programs -------------------------------------------------------------------------------
FROM python:3.10.13-slim-bookworm AS app
RUN useradd --uid 10001 --user-group --no-create-home --home-dir /app assistant
WORKDIR /app
COPY --from=python-build /opt/venv /opt/venv
COPY --from=python-build /app/build/spacy-en-accounts build/spacy-en-accounts
COPY --from=widget-build /widget/dist/widget.js widget/dist/widget.js
COPY config.yml domain.yml credentials.yml ./
COPY account_service/ account_service/
COPY actions/ actions/
COPY common/ common/
COPY insights/ insights/
COPY rasa_addons/ rasa_addons/
COPY web/ web/
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONHASHSEED=0 \
    RASA_TELEMETRY_ENABLED=false \
    TF_CPP_MIN_LOG_LEVEL=2 \
    SQLALCHEMY_SILENCE_UBER_WARNING=1
# Rasa writes its own files under the home directory; everything else is read-only.
RUN mkdir -p /app/.rasa /app/.config && chown -R assistant:assistant /app/.rasa /app/.config
USER 10001:10001

# -- The trained model, for the Rasa pods' init container ---------------------------------------
FROM busybox:1.36 AS model
COPY models/accounts.tar.gz /model/accounts.tar.gz
USER 10001:10001
