"""Fixtures of the awards tests: every test stands on 2014-09-10 10:00 in Xuchang, inside the
2013–2014 cycle's nomination window (1–30 September 2014)."""

import pytest

from awards.tests.support import at


@pytest.fixture(autouse=True)
def frozen(time_machine):
    time_machine.move_to(at(2014, 9, 10, 10), tick=False)
    return time_machine
