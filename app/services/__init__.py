"""Use cases: keyword-only, session first, raise domain errors only."""
