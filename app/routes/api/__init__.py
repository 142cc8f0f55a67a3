"""JSON API /api/v1 (OpenAPI at /docs)."""
