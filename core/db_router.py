"""Read replica routing (issue 10): the office's heavy reads on a PostgreSQL streaming replica.

Configured by ``DATABASE_REPLICA_URL`` (settings add the ``replica`` alias, this router and the
middleware below only when it is set; without it nothing changes). What goes to the replica:

- reads only — every write, and every read made for a write (``select_for_update``,
  ``get_or_create`` …), goes to ``default``;
- only inside ``replica_reads()``: the middleware opens it for safe requests (GET/HEAD) to the
  paths in ``REPLICA_READ_PATHS`` (the dashboard, the bulletins), and a task may open it around
  a report or an export;
- only for models of ``REPLICA_READ_APPS`` (the campaign's data), never sessions, users or
  groups: a session created on the primary a moment ago may not have reached the replica yet;
- never inside a transaction on ``default``: what a service reads there must see what it just
  wrote (replication lag would make a read-modify-write wrong).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

REPLICA_ALIAS = "replica"

_replica_reads: ContextVar[bool] = ContextVar("replica_reads", default=False)


@contextmanager
def replica_reads() -> Iterator[None]:
    """Let reads in the block go to the replica (when one is configured)."""
    token = _replica_reads.set(True)
    try:
        yield
    finally:
        _replica_reads.reset(token)


def replica_configured() -> bool:
    return REPLICA_ALIAS in connections.settings


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if not _replica_reads.get() or not replica_configured():
            return None
        if model._meta.app_label not in getattr(settings, "REPLICA_READ_APPS", ()):
            return None
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return None
        return REPLICA_ALIAS

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # The replica holds the same rows as the primary.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS


class ReplicaReadsMiddleware:
    """Opens ``replica_reads()`` for GET and HEAD requests to ``REPLICA_READ_PATHS``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        prefixes = tuple(getattr(settings, "REPLICA_READ_PATHS", ()))
        if request.method in ("GET", "HEAD") and prefixes and request.path.startswith(prefixes):
            with replica_reads():
                return self.get_response(request)
        return self.get_response(request)
