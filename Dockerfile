# syntax=docker/dockerfile:1
# webexplorer as a container image: docs in README.md ("Run it in a cluster").
#
# Stage 1 builds wheels: the project's own, and every dependency's (all have binary wheels on PyPI,
# so no compiler is needed even here). Stage 2 installs those wheels only (--no-index: nothing else
# can come in), then removes pip, setuptools and wheel: the final image has Python, the explorer and
# its dependencies, and no build or install tools. It runs as UID 10001 and writes nothing outside
# /tmp, so it works with readOnlyRootFilesystem and an emptyDir on /tmp (see k8s/base).
#
# tests/test_image_install.py repeats these steps (wheels, fresh virtualenv, --no-index install,
# tools removed, UID 10001 with only a temp dir writable) on machines that cannot build images.

FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY webexplorer ./webexplorer
RUN python -m pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
LABEL org.opencontainers.image.title="webexplorer" \
      org.opencontainers.image.description="A fast, safe, server-rendered explorer for the Kubernetes REST API" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp \
    TMPDIR=/tmp
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    python -m pip install --no-cache-dir --no-index --find-links=/wheels /wheels/webexplorer-*.whl \
    && python -m pip uninstall --yes pip setuptools wheel
USER 10001:10001
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=2)"]
ENTRYPOINT ["webexplorer"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8080"]
