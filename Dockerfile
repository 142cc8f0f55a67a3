# Production image: python:3.11-slim, non-root, PostgreSQL via DATABASE_URL.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    SPIA_ENVIRONMENT=production SPIA_COOKIE_SECURE=true

# LibreOffice and a Japanese font for the PDF export (python3-uno: /usr/bin/python3 drives the warm LibreOffice,
# SPIA_PDF_WARM); postgresql-client for `spia backup` (pg_dump).
RUN apt-get update \
 && apt-get install -y --no-install-recommends libreoffice-writer-nogui python3-uno fonts-ipaexfont postgresql-client \
 && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 10001 spia
WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY templates ./templates
COPY assessments ./assessments
COPY migrations ./migrations
RUN pip install -e . && chown -R spia:spia /app
USER spia

EXPOSE 8000
# DATABASE_URL and SPIA_SECRET_KEY must be provided, e.g.
#   docker run -e DATABASE_URL=postgresql+psycopg://spia:***@db:5432/spia -e SPIA_SECRET_KEY=... -p 8000:8000 spia
CMD ["sh", "-c", "spia db upgrade && spia serve --host 0.0.0.0 --port 8000 --workers ${SPIA_WORKERS:-2}"]
