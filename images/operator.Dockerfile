# syntax=docker/dockerfile:1.7
# Operator image: kopf reconciling LogDetector resources (operators/logad_operator). No torch: the operator only
# talks to the Kubernetes API and, for LogSentry's knowledge base clean-up, to Milvus.
#   docker build -f images/operator.Dockerfile -t ghcr.io/logad/operator:0.1.0 .
ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/logad
ENV PATH=/opt/logad/bin:$PATH
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
COPY pipelines ./pipelines
COPY serving ./serving
COPY operators ./operators
COPY images/constraints.txt ./images/
RUN pip install --constraint images/constraints.txt ".[k8s]" "pymilvus>=3.0"

FROM ${PYTHON_IMAGE} AS runtime
RUN useradd --uid 10001 --create-home --shell /usr/sbin/nologin logad
COPY --from=build /opt/logad /opt/logad
ENV PATH=/opt/logad/bin:$PATH HOME=/home/logad
USER 10001
ENTRYPOINT ["kopf"]
CMD ["run", "--standalone", "-m", "logad_operator.handlers", "--liveness=http://0.0.0.0:8080/healthz"]
