# One image for every SimpleTuner process: `serve <auth|config|scheduler|trainer|gateway>`, or `server` for all.
FROM python:3.11-slim

# PyTorch wheel index: CPU by default; pass e.g. https://download.pytorch.org/whl/cu124 for CUDA, or "" for PyPI's.
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    SIMPLETUNER_WORKSPACE=/workspace

# Only what `pip install .` needs (see .dockerignore); the source tree is removed once installed.
COPY pyproject.toml setup.py README.md /tmp/simpletuner/
COPY libs /tmp/simpletuner/libs
COPY services /tmp/simpletuner/services
COPY protos /tmp/simpletuner/protos
RUN pip install ${TORCH_INDEX_URL:+--extra-index-url "$TORCH_INDEX_URL"} /tmp/simpletuner \
    && rm -rf /tmp/simpletuner

# Run as a non-root user. /workspace is created owned by it, so a named volume mounted there starts out writable.
RUN useradd --system --create-home --uid 10001 --user-group simpletuner \
    && mkdir -p /workspace \
    && chown simpletuner:simpletuner /workspace
USER simpletuner
WORKDIR /workspace

# 8001: the HTTP API and web UI (gateway); 50051-50054: the auth, config, scheduler and trainer gRPC services.
EXPOSE 8001 50051 50052 50053 50054

ENTRYPOINT ["simpletuner"]
CMD ["server"]
