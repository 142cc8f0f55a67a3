"""Count SQL statements issued through an engine (used by tests and benchmarks)."""
from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event


class QueryCounter:
    def __init__(self):
        self.count = 0
        self.statements: list[str] = []

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        if statement.strip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA")):
            return
        self.count += 1
        self.statements.append(statement)


@contextmanager
def count_queries(engine):
    counter = QueryCounter()
    event.listen(engine, "before_cursor_execute", counter)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", counter)
