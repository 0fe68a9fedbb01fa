"""Issue 11, item 6: each audited action leaves exactly one row with who, what, when, from where
and the outcome — one test per action code (see ``core/tests/audit_contract.py``)."""

import pytest

from core.tests import audit_contract

audit_contract.load_scenarios()


def test_every_audit_writer_call_is_known():
    """A call passing its action code in a variable must say which codes it can write."""
    _codes, unlisted = audit_contract.inventory()
    assert not unlisted, (
        "audit writes with a computed action code, not listed in audit_contract.INDIRECT: "
        + ", ".join(f"{path}:{line} ({function})" for path, function, line in unlisted)
    )


def test_every_action_code_has_a_scenario():
    codes, _unlisted = audit_contract.inventory()
    missing = audit_contract.uncovered(codes)
    print(  # noqa: T201 - the figure (pytest -s)
        f"\naudit action codes: {len(codes)}, scenarios: {len(audit_contract.SCENARIOS)}"
    )
    assert not missing, f"{len(missing)} audit action codes without a scenario: {missing}"


def test_every_scenario_names_a_code_the_code_writes():
    """A scenario for a code no service writes any more is dead: remove it."""
    codes, _unlisted = audit_contract.inventory()
    import fnmatch

    dead = [
        code
        for code in audit_contract.SCENARIOS
        if code not in codes
        and not any("*" in known and fnmatch.fnmatchcase(code, known) for known in codes)
    ]
    assert not dead, f"scenarios for codes no service writes: {dead}"


@pytest.mark.django_db
@pytest.mark.parametrize("code", sorted(audit_contract.SCENARIOS))
def test_action_leaves_exactly_one_complete_row(code, plan, roles):
    audit_contract.check(code, audit_contract.SCENARIOS[code])
