"""Demo data of the awards: a completed 2013–2014 cycle (competitions, nominations, two members'
scores with one recusal, 50 + 10 winners, the public notice closed, prizes paid through a
finance batch) and an open 2015–2016 cycle with nominations.

The rows of the past are written with the ORM (the services would refuse dates that are not
today's); the notice and the payment go through core.notices and core.payments so their own
rows, callbacks and audit trail are real. Safe to run twice: does nothing when a cycle exists.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from core.crypto import encrypt
from core.models import User
from core.roles import Role
from core.services import audit_record, user_create
from core.validators import mask_bank_account

DEMO_CHECKER = "finance2"

_ACHIEVEMENTS = (
    "扎根生产一线二十余年，主持工艺改进多项，年节约成本百余万元。",
    "在全市职业技能竞赛中名列前茅，带徒三十余人，多人成长为技师。",
    "攻克关键设备维修难题，保障生产线连续稳定运行。",
    "总结推广先进操作法，被企业命名为“首席技师”。",
)
_EMPLOYERS = (
    "许昌远东传动轴股份有限公司",
    "许继集团有限公司",
    "河南森源电气股份有限公司",
    "瑞贝卡发制品股份有限公司",
    "许昌市第一人民医院",
    "黄河鲲鹏信息技术有限公司",
)
_BANKS = ("中国工商银行许昌分行", "中国农业银行许昌分行", "中国银行许昌分行", "许昌农商银行")


def _aware(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _checker() -> User | None:
    user = User.objects.filter(username=DEMO_CHECKER).first()
    if user is None and User.objects.filter(username="finance").exists():
        from core.demo import DEMO_PASSWORD

        user = user_create(
            username=DEMO_CHECKER,
            password=DEMO_PASSWORD,
            full_name="孙复核",
            roles=[Role.FINANCE],
            actor=None,
        )
    return user


def _account(rng: random.Random) -> str:
    return "6222" + "".join(str(rng.randrange(10)) for _ in range(15))


class _Seeder:
    def __init__(self, *, campaign, rng: random.Random, office, members, finance, checker):
        from awards.models import AwardKind, NominatingUnit
        from training.models import Occupation

        self.campaign = campaign
        self.rng = rng
        self.office = office
        self.members = members
        self.finance = finance
        self.checker = checker
        self.kinds = {k.code: k for k in AwardKind.objects.filter(campaign=campaign)}
        self.units = list(NominatingUnit.objects.order_by("kind", "sort_order"))
        self.occupations = list(Occupation.objects.order_by("code"))
        self.counts: dict[str, int] = {}
        self.used_workers: set[int] = set()

    def _count(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n

    def candidates(self, count: int, *, max_level: int) -> list[tuple]:
        """(worker, best level or None) pairs: certificate holders at ``max_level`` or higher
        first, then other workers from the base."""
        from appraisal.models import Certificate
        from training.models import Worker

        picked: list[tuple] = []
        for worker_id, level in (
            Certificate.objects.filter(level__lte=max_level)
            .exclude(worker_id__in=self.used_workers)
            .order_by("worker_id", "level")
            .values_list("worker_id", "level")
        ):
            if worker_id in self.used_workers:
                continue
            self.used_workers.add(worker_id)
            picked.append((worker_id, level))
            if len(picked) == count:
                break
        if len(picked) < count:
            for worker_id in (
                Worker.objects.exclude(pk__in=self.used_workers)
                .order_by("pk")
                .values_list("pk", flat=True)[: count - len(picked)]
            ):
                self.used_workers.add(worker_id)
                picked.append((worker_id, None))
        workers = Worker.objects.in_bulk([w for w, _ in picked])
        return [(workers[w], level) for w, level in picked if w in workers]

    def competitions(self, year: int, entrants: list) -> dict[int, int]:
        """Two city competitions of ``year``; returns worker id → best rank."""
        from awards.models import Competition, CompetitionResult

        ranks: dict[int, int] = {}
        for n, month in enumerate((5, 10), start=1):
            occupation = self.occupations[(year + n) % len(self.occupations)]
            competition = Competition.objects.create(
                campaign=self.campaign,
                name=f"许昌市{year}年职业技能竞赛（{occupation.name}）",
                occupation=occupation,
                held_on=datetime.date(year, month, 18),
                organiser="许昌市人力资源和社会保障局",
            )
            self._count("competitions")
            chunk = entrants[(n - 1) :: 2][:10]
            for rank, worker in enumerate(chunk, start=1):
                CompetitionResult.objects.create(
                    competition=competition, worker=worker, rank=rank, recorded_by=self.office
                )
                ranks[worker.pk] = min(rank, ranks.get(worker.pk, rank))
                self._count("competition_results")
        return ranks

    def nominations(self, cycle, kind, count: int, *, when: datetime.date, ranks=None):
        from awards.models import Nomination

        ranks = ranks or {}
        made = []
        level_cap = kind.min_certificate_level or 3
        for i, (worker, level) in enumerate(self.candidates(count, max_level=level_cap)):
            unit = self.units[i % len(self.units)]
            rank = ranks.get(worker.pk)
            if level is not None:
                basis = f"持有{['', '高级技师', '技师', '高级工'][level]}证书"
            elif rank is not None:
                basis = f"市级职业技能竞赛第{rank}名"
            else:
                # Demo only: the base may hold too few certificate holders at small scale.
                level = level_cap
                basis = f"持有{['', '高级技师', '技师', '高级工'][level]}证书"
            nomination = Nomination.objects.create(
                cycle=cycle,
                award_kind=kind,
                unit=unit,
                worker=worker,
                occupation=self.occupations[i % len(self.occupations)],
                employer=_EMPLOYERS[i % len(_EMPLOYERS)],
                achievements=self.rng.choice(_ACHIEVEMENTS),
                best_level=level,
                best_rank=rank,
                eligibility_basis=basis,
                nominated_by=self.office,
            )
            Nomination.objects.filter(pk=nomination.pk).update(created_at=_aware(when, 9 + i % 8))
            made.append(nomination)
            self._count("nominations")
        return made

    def review(self, cycle, nominations, *, submitted_on: datetime.date) -> None:
        from awards.models import Recusal, Score, ScoreSubmission

        recused = nominations[0]
        Recusal.objects.create(
            nomination=recused,
            member=self.members[0],
            reason="被推荐人系本人所在单位职工",
            declared_at=_aware(submitted_on - datetime.timedelta(days=3)),
        )
        self._count("recusals")
        scores = []
        for member in self.members:
            for nomination in nominations:
                if member == self.members[0] and nomination == recused:
                    continue
                base = self.rng.randint(60, 95)
                for criterion in nomination.award_kind.criteria.all():
                    value = max(0, min(criterion.max_score, base + self.rng.randint(-5, 5)))
                    scores.append(
                        Score(
                            nomination=nomination, member=member, criterion=criterion, value=value
                        )
                    )
            ScoreSubmission.objects.create(
                cycle=cycle, member=member, submitted_at=_aware(submitted_on)
            )
        Score.objects.bulk_create(scores)
        self._count("scores", len(scores))

    def winners(self, cycle, kind) -> list:
        from awards.models import Winner
        from awards.selectors import ranking

        made = []
        for row in ranking(cycle=cycle, award_kind=kind)[: kind.winners_per_cycle]:
            made.append(
                Winner.objects.create(
                    cycle=cycle,
                    award_kind=kind,
                    nomination=row.nomination,
                    slot=len(made) + 1,
                    mean_score=row.mean,
                    confirmed_by=self.office,
                    bank_name=self.rng.choice(_BANKS),
                    **self._account_fields(),
                )
            )
        self._count("winners", len(made))
        return made

    def _account_fields(self) -> dict:
        number = _account(self.rng)
        return {"account_encrypted": encrypt(number), "account_masked": mask_bank_account(number)}


def seed_awards(*, campaign, scale: int, rng: random.Random, log: Callable[[str], None]) -> None:
    """The completed 2013–2014 cycle and the open 2015–2016 one (see the module docstring).
    Nomination numbers grow mildly with ``scale``. Writes one ``demo.seed_awards`` audit row."""
    from awards import services as svc
    from awards.models import AwardKind, Cycle, CycleCeiling, NominatingUnit
    from core.models import PublicNotice
    from core.notices import notice_close
    from core.payments import batch_approve, line_record_result

    if Cycle.objects.exists():
        log("表彰奖励：已有数据，跳过")
        return
    if not AwardKind.objects.filter(campaign=campaign).exists():
        log("表彰奖励：方案中没有奖项数据，跳过")
        return
    office = User.objects.filter(username="office").first()
    members = list(User.objects.filter(username__in=["committee", "committee2"]).order_by("pk"))
    finance = User.objects.filter(username="finance").first()
    if office is None or len(members) < 2 or finance is None:
        log("表彰奖励：缺少领导小组办公室、评审委员或财政局账号，跳过")
        return
    with transaction.atomic():
        checker = _checker()
        seeder = _Seeder(
            campaign=campaign,
            rng=rng,
            office=office,
            members=members,
            finance=finance,
            checker=checker,
        )
        expert = seeder.kinds["technical_expert"]
        grand = seeder.kinds["grand_prize"]

        # ---- 2013–2014: completed -----------------------------------------------------------
        past = Cycle.objects.create(
            campaign=campaign,
            first_year=2013,
            last_year=2014,
            title="2013—2014年度许昌市技术能手、许昌市技能大奖评选",
            nomination_opens=datetime.date(2014, 3, 1),
            nomination_closes=datetime.date(2014, 3, 31),
            status=Cycle.Status.REVIEWING,
            opened_by=office,
        )
        past.members.set(members)
        units = list(NominatingUnit.objects.all())
        CycleCeiling.objects.bulk_create(
            [
                CycleCeiling(cycle=past, award_kind=k, unit=u, ceiling=k.default_unit_ceiling)
                for k in (expert, grand)
                for u in units
            ]
        )
        entrants = [w for w, _ in seeder.candidates(20, max_level=4)]
        seeder.used_workers -= {w.pk for w in entrants}
        ranks = seeder.competitions(2013, entrants)
        extra = 5 * max(1, scale)
        nominations = seeder.nominations(
            past,
            expert,
            expert.winners_per_cycle + extra,
            when=datetime.date(2014, 3, 12),
            ranks=ranks,
        )
        nominations += seeder.nominations(
            past, grand, grand.winners_per_cycle + 3, when=datetime.date(2014, 3, 20)
        )
        seeder.review(past, nominations, submitted_on=datetime.date(2014, 4, 25))
        winners = seeder.winners(past, expert) + seeder.winners(past, grand)

        past = svc.cycle_notice_publish(cycle=past, actor=office)
        notice = past.notice
        # The notice ran in May 2014; closing it publishes the cycle (awards' on_close).
        PublicNotice.objects.filter(pk=notice.pk).update(
            starts_on=datetime.date(2014, 5, 5), ends_on=datetime.date(2014, 5, 9)
        )
        notice.refresh_from_db()
        notice_close(notice=notice, actor=None, today=datetime.date(2014, 5, 12))
        past.refresh_from_db()

        batch = svc.prize_batch_create(cycle=past, actor=finance)
        batch = batch_approve(batch=batch, actor=checker)
        for line in batch.lines.order_by("pk"):
            line_record_result(line=line, paid=True, actor=checker)
        seeder._count("prize_batches")

        # ---- 2015–2016: open, with nominations -----------------------------------------------
        current = Cycle.objects.create(
            campaign=campaign,
            first_year=2015,
            last_year=2016,
            title="2015—2016年度许昌市技术能手、许昌市技能大奖评选",
            nomination_opens=datetime.date(2016, 3, 1),
            nomination_closes=datetime.date(2016, 3, 31),
            opened_by=office,
        )
        current.members.set(members)
        CycleCeiling.objects.bulk_create(
            [
                CycleCeiling(cycle=current, award_kind=k, unit=u, ceiling=k.default_unit_ceiling)
                for k in (expert, grand)
                for u in units
            ]
        )
        seeder.nominations(current, expert, 8 * max(1, scale), when=datetime.date(2016, 3, 8))
        seeder.nominations(current, grand, 3, when=datetime.date(2016, 3, 9))

        paid = sum((w.award_kind.prize for w in winners), Decimal(0))
        audit_record(
            actor=None, action="demo.seed_awards", obj=campaign, changes={"awards": seeder.counts}
        )
    log(
        "表彰奖励：2013—2014年度获奖 {winners} 人（奖金 {paid} 元已拨付），"
        "推荐 {nominations} 人次，竞赛 {competitions} 项；2015—2016年度推荐中".format(
            paid=paid, **seeder.counts
        )
    )


SEEDERS: list[Callable] = [seed_awards]
