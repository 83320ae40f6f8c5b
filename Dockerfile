# Newsroom bot image.
# NOTE: this file is an example for operators. It has NOT been built or run on Newsroom's build
# machines, which have no Docker engine; the tests do not cover it.
#
#   docker build -t newsroom .
#   docker run --env-file .env newsroom            # one process, all shards
#   docker run --env-file .env newsroom run --shards 2 --shard-ids 0
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY pyproject.toml constraints.txt README.md ./
COPY bot ./bot
COPY cogs ./cogs
RUN python -m pip install -c constraints.txt . \
    && useradd --create-home --uid 10001 newsroom

USER newsroom
WORKDIR /home/newsroom

# JSON logs for log collectors; /healthz and /metrics on the container's loopback, which the
# HEALTHCHECK below can reach. To let Prometheus scrape from outside the container, also set
# NEWSROOM_OPS_HOST=0.0.0.0 and publish the port on a private network only.
ENV NEWSROOM_LOG_FORMAT=json \
    NEWSROOM_OPS_PORT=9109

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9109/healthz', timeout=4)"

ENTRYPOINT ["newsroom"]
CMD ["run"]
