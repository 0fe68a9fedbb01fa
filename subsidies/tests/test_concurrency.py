"""Exactly once under load (PostgreSQL, real threads released together by a barrier).

50 threads per round — half the worker submitting to their own account, half the institution
submitting the entrusted claim — for the same training: exactly one claim, 49 clear "已申请"
answers, nothing but RuleViolation. 100 rounds on one set of rows (the claim is deleted between
rounds). A second test removes the service's check (a stale eligibility answer) so that only the
database's unique constraint stands between the threads and a double claim."""

import threading
from collections.abc import Iterator

import pytest
from django.db import connection

from core.errors import RuleViolation
from subsidies.models import Kind, SubsidyClaim
from subsidies.services import claims as claim_svc
from subsidies.services import institution_claims as inst_svc
from subsidies.services.eligibility import eligibility_check
from subsidies.tests.factories import (  # noqa: F401 (fixtures)
    entrust,
    frozen,
    give_account,
    institution,
    media,
    own,
    staff_of,
    trainee,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
THREADS = 50
ROUNDS = 100


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("concurrency tests need PostgreSQL row locks (set DATABASE_URL=postgres://...)")


def run_rounds(rounds: int, act) -> Iterator[list[tuple[object, BaseException | None]]]:
    """``THREADS`` long-lived threads (one connection each) run ``act(i)`` together each round;
    each round's outcomes are yielded to the test, which checks and cleans up before the next."""
    start = threading.Barrier(THREADS + 1)
    done = threading.Barrier(THREADS + 1)
    outcomes = [[(None, None)] * THREADS for _ in range(rounds)]

    def worker(i: int) -> None:
        try:
            for r in range(rounds):
                start.wait(timeout=60)
                try:
                    outcomes[r][i] = (act(i), None)
                except BaseException as exc:  # every failure is inspected by the test
                    outcomes[r][i] = (None, exc)
                done.wait(timeout=60)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for r in range(rounds):
        start.wait(timeout=60)
        done.wait(timeout=120)
        yield outcomes[r]
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread hung (deadlock?)"


def _setup(plan):
    inst = give_account(institution())
    enrollment = trainee(plan, inst=inst)
    entrust(enrollment)
    return inst, enrollment, staff_of(inst)


def _answers(outcomes):
    """(created claims, refusal messages, unexpected exceptions) of one round."""
    created, refusals, unexpected = [], [], []
    for result, error in outcomes:
        if error is not None:
            (refusals if isinstance(error, RuleViolation) else unexpected).append(
                error.message if isinstance(error, RuleViolation) else error
            )
        elif isinstance(result, list):  # the institution's per-row answer
            (row,) = result
            if row.ok:
                created.append(row.claim)
            else:
                refusals.append(row.error)
        else:
            created.append(result)
    return created, refusals, unexpected


def test_fifty_submissions_through_both_channels_make_exactly_one_claim(plan):
    inst, enrollment, staff = _setup(plan)
    worker = enrollment.worker

    def act(i: int):
        if i % 2:
            return claim_svc.claim_submit(
                worker=worker,
                kind=Kind.TRAINING,
                enrollment=enrollment,
                own_account=own(worker),
                actor=worker.user,
            )
        return inst_svc.institution_claims_submit(
            institution=inst, enrollment_ids=[enrollment.pk], actor=staff
        )

    channels = set()
    for outcomes in run_rounds(ROUNDS, act):
        created, refusals, unexpected = _answers(outcomes)
        assert unexpected == []
        assert len(created) == 1
        assert len(refusals) == THREADS - 1
        assert all(message.startswith("已申请") for message in refusals), refusals[:3]
        assert SubsidyClaim.objects.filter(enrollment=enrollment).count() == 1
        channels.add(created[0].channel)
        SubsidyClaim.objects.filter(enrollment=enrollment).delete()
    # Both channels won some rounds: the race was real on both sides.
    assert channels == {"worker", "institution"}


def test_the_database_constraint_alone_stops_a_double_claim(plan, monkeypatch):
    inst, enrollment, staff = _setup(plan)
    worker = enrollment.worker
    # A stale "eligible" answer, as if the check had run before every other submission.
    stale = eligibility_check(worker=worker, kind=Kind.TRAINING, enrollment=enrollment)
    stale_inst = eligibility_check(
        worker=worker, kind=Kind.TRAINING, enrollment=enrollment, institution=inst
    )
    assert stale.eligible
    assert stale_inst.eligible
    monkeypatch.setattr(claim_svc, "_precheck_existing", lambda *args, **kwargs: None)
    monkeypatch.setattr(
        claim_svc,
        "eligibility_check",
        lambda **kw: stale_inst if kw.get("institution") else stale,
    )

    def act(i: int):
        if i % 2:
            return claim_svc.claim_submit(
                worker=worker,
                kind=Kind.TRAINING,
                enrollment=enrollment,
                own_account=own(worker),
                actor=worker.user,
            )
        return inst_svc.institution_claims_submit(
            institution=inst, enrollment_ids=[enrollment.pk], actor=staff
        )

    for outcomes in run_rounds(5, act):
        created, refusals, unexpected = _answers(outcomes)
        assert unexpected == []
        assert len(created) == 1
        assert all(message.startswith("已申请") for message in refusals)
        SubsidyClaim.objects.filter(enrollment=enrollment).delete()
