# A small, non-root image that runs `python -m bot`. The install step is the README's.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATA_DIR=/data \
    KNOWLEDGE_DIR=/app/knowledge

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
# Refuse to start on an invalid knowledge base, with the report, before connecting to Telegram.
CMD ["python", "-m", "bot", "run"]
