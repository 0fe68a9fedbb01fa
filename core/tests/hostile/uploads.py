"""Registry of every Excel upload, so that the hostile-file corpus runs against each of them.

Issue 11 item 5 asks that every upload refuses ≥ 100 bad files (not a zip, macros, zip bombs,
entity tricks, 100k rows, merged headers, wrong sheet, text in numbers, negatives, duplicates,
bad ID check digits, another department's rows) with a clear error naming where, writing
nothing, within 5 s, and never answering 500. ``core/tests/test_hostile_uploads.py`` runs the
corpus of ``core/tests/hostile/`` against every upload registered here; a test there also fails
when a module calls ``core.xlsx.open_workbook`` without any registered upload covering it.

How to register a new upload (a call at the bottom of this module, which lives with the tests:
production code never needs to know about the corpus)::

    register_upload(
        "subsidies.claim_import",                       # unique name, shown in test output
        handler="subsidies.tests.uploads.claim_handler",
        make_context="subsidies.tests.uploads.claim_context",
        service="subsidies.services.claim_import",      # the service the handler calls
    )

``handler`` and ``make_context`` are dotted paths (resolved only when the corpus runs) or
callables:

* ``make_context(*, campaign, stack) -> UploadContext`` builds, in the test
  database, everything one upload needs (users, a class, a sitting …) and describes the file it
  expects: sheet, headers, valid rows, the kind of each column, rows that belong to someone
  else, the tables the upload writes, and the view that receives it. ``stack`` is a
  ``contextlib.ExitStack``: enter a ``time_machine.travel(...)`` on it when the upload is only
  open at certain times.
* ``handler(*, context, fileobj, filename)`` calls the service as its view would and returns
  whatever the service returns. It must let the service's exceptions through.

See ``training/tests/uploads.py`` for three complete examples.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.module_loading import import_string

#: Column kinds understood by the corpus generator (``core/tests/hostile/``). A "?" suffix marks
#: an optional column (an empty cell is allowed).
COLUMN_KINDS = frozenset(
    {
        "id",  # a resident ID number, as text
        "code",  # a code that must match the context exactly (unit code, registration number)
        "match",  # text that must match the database (a category or worker name)
        "text",  # free text
        "int",  # a whole number ≥ 0
        "score",  # a decimal with bounds
        "month",  # a month such as 2014-05
    }
)


@dataclass
class UploadView:
    """How the upload arrives over HTTP: POST ``url`` as ``user`` with ``data`` plus the file
    in ``file_field``."""

    url: str
    user: Any
    file_field: str = "file"
    data: Mapping[str, str] = field(default_factory=dict)


@dataclass
class UploadContext:
    """What the corpus needs to know about one upload, built by its ``make_context``."""

    sheet: str
    headers: Sequence[str]
    #: Valid data rows (one list of raw cell values per row, in header order). A file holding
    #: exactly these rows must import; every mutation of it must not.
    rows: Sequence[Sequence[Any]]
    #: header → one of ``COLUMN_KINDS`` (with "?" when optional).
    kinds: Mapping[str, str]
    #: Models whose row count must not change when a file is refused.
    tables: Sequence[type]
    #: Valid-looking rows that belong to another department, institution, class or sitting.
    foreign_rows: Sequence[Sequence[Any]] = ()
    #: The largest number of data rows the upload accepts (a file with one more is refused).
    max_rows: int | None = None
    #: Anything the handler needs (the actor, the class, the campaign …).
    extra: Mapping[str, Any] = field(default_factory=dict)
    view: UploadView | None = None


@dataclass(frozen=True)
class UploadSpec:
    name: str
    handler: Callable[..., Any] | str
    make_context: Callable[..., UploadContext] | str
    service: str = ""

    def resolved_handler(self) -> Callable[..., Any]:
        return _resolve(self.handler)

    def resolved_make_context(self) -> Callable[..., UploadContext]:
        return _resolve(self.make_context)


_registry: dict[str, UploadSpec] = {}


def _resolve(target: Callable[..., Any] | str) -> Callable[..., Any]:
    return import_string(target) if isinstance(target, str) else target


def register_upload(
    name: str,
    handler: Callable[..., Any] | str,
    make_context: Callable[..., UploadContext] | str,
    *,
    service: str = "",
) -> None:
    """Add an upload to the hostile-file corpus run. Registering the same name again replaces
    the entry (``ready()`` may run more than once in tests)."""
    _registry[name] = UploadSpec(
        name=name, handler=handler, make_context=make_context, service=service
    )


def registered_uploads() -> list[UploadSpec]:
    """Every registered upload, sorted by name."""
    return [_registry[name] for name in sorted(_registry)]


# Every upload of the system. A new upload joins here (the coverage test in
# core/tests/test_hostile_uploads.py fails until it does).
for _name, _module, _service in (
    ("training.return", "training.tests.uploads", "training.services.return_files.return_import"),
    ("training.roster", "training.tests.uploads", "training.services.workers.roster_import"),
    (
        "training.attendance",
        "training.tests.uploads",
        "training.services.classes.attendance_upload",
    ),
    ("appraisal.results", "appraisal.tests.uploads", "appraisal.services.results.results_upload"),
):
    _short = _name.split(".")[1]
    register_upload(
        _name,
        handler=f"{_module}.{_short}_handler",
        make_context=f"{_module}.{_short}_context",
        service=_service,
    )
register_upload(
    "training.education_funds",
    handler="training.tests.test_enterprise_funds_uploads.fund_handler",
    make_context="training.tests.test_enterprise_funds_uploads.fund_context",
    service="training.services.enterprise_funds.fund_returns_import",
)
register_upload(
    "core.payment_results",
    handler="core.tests.hostile.contexts.payment_results_handler",
    make_context="core.tests.hostile.contexts.payment_results_context",
    service="core.payments.batch_record_results_upload",
)
register_upload(
    "subsidies.institution_claims",
    handler="core.tests.hostile.contexts.institution_claims_handler",
    make_context="core.tests.hostile.contexts.institution_claims_context",
    service="subsidies.services.institution_claims.institution_claims_upload",
)
