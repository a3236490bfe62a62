# A small, non-root image that runs `python -m bot`. The install step is the README's.
FROM python:3.11-slim

# WEBHOOK_PORT: the webhook server (webhook mode); HEALTH_PORT: /healthz in polling mode too, for HEALTHCHECK.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATA_DIR=/data \
    KNOWLEDGE_DIR=/app/knowledge \
    WEBHOOK_LISTEN=0.0.0.0 \
    WEBHOOK_PORT=8080 \
    HEALTH_PORT=8080

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY knowledge ./knowledge
RUN pip install . \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin embassy \
    && mkdir -p /data \
    && chown embassy /data

USER 10001
VOLUME ["/data"]
EXPOSE 8080
# Healthy when /healthz answers 200: knowledge base loaded, database answering, alert scheduler running.
# Python's urllib, as slim images have no curl; an HTTP error (503) or no answer exits non-zero.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; port = os.environ.get('HEALTH_PORT') or os.environ.get('WEBHOOK_PORT') or '8080'; urllib.request.urlopen(f'http://127.0.0.1:{port}/healthz', timeout=4)"]
# Refuse to start on an invalid knowledge base, with the report, before connecting to Telegram.
# SIGTERM (docker stop) stops cleanly: no new updates, in-flight ones and deliveries finish, database closed.
CMD ["python", "-m", "bot", "run"]
