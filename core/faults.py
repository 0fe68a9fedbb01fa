"""Named fault points, so that the failure tests (``core/tests/test_failure_*.py``, issue 11
item 7) can break the system in the middle of real work and prove it leaves nothing half done.

A point does nothing unless a test turned it on, either in-process with ``fault_injected`` (the
callback runs at the point, e.g. to cut the database connection) or, for a worker in another
process, with environment variables: ``XUCHANG_FAULT_POINT=<name>`` makes the point write
``XUCHANG_FAULT_MARKER`` (a file path, if set) and then sleep ``XUCHANG_FAULT_SLEEP`` seconds
(default 120) so that the test can kill the process right there.

Points: ``audit_record`` (every service, after its writes and before its audit row and commit;
info ``action``), ``report_compute.rows_written`` (the monthly report, snapshot rows inserted,
not committed).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

_callbacks: dict[str, Callable[..., None]] = {}


def fault_point(name: str, **info: Any) -> None:
    """Run the injected fault for ``name``, if any (a dictionary lookup otherwise)."""
    callback = _callbacks.get(name)
    if callback is not None:
        callback(**info)
    if os.environ.get("XUCHANG_FAULT_POINT") == name:
        marker = os.environ.get("XUCHANG_FAULT_MARKER")
        if marker:
            Path(marker).write_text(name, encoding="utf-8")
        time.sleep(float(os.environ.get("XUCHANG_FAULT_SLEEP", "120")))


@contextlib.contextmanager
def fault_injected(name: str, callback: Callable[..., None]) -> Iterator[None]:
    """Within the block, ``fault_point(name, **info)`` calls ``callback(**info)``."""
    _callbacks[name] = callback
    try:
        yield
    finally:
        _callbacks.pop(name, None)
