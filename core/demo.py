"""Demo accounts: one clerk per responsible unit and one user of every other role."""

from dataclasses import dataclass

from core.models import Department, User
from core.roles import Role
from core.services import user_create

DEMO_PASSWORD = "Xuchang@2013"  # noqa: S105 - printed by seed_demo and listed in the README


@dataclass(frozen=True)
class DemoAccount:
    username: str
    full_name: str
    role: Role
    department_code: str = ""
    institution_name: str = ""


OTHER_ACCOUNTS = (
    DemoAccount("office", "王主任", Role.OFFICE, department_code="office"),
    DemoAccount("reviewer", "李审核", Role.REVIEWER, department_code="rsj"),
    DemoAccount("finance", "赵财务", Role.FINANCE, department_code="czj"),
    # A second finance user: a payment batch is approved by someone other than its preparer.
    DemoAccount("finance2", "钱复核", Role.FINANCE, department_code="czj"),
    DemoAccount("institution", "陈老师", Role.INSTITUTION, institution_name="许昌技师学院"),
    DemoAccount("worker", "张建国", Role.WORKER),
    DemoAccount("committee", "孙委员", Role.COMMITTEE),
    DemoAccount("committee2", "周委员", Role.COMMITTEE),
    DemoAccount("auditor", "钱审计", Role.AUDITOR),
)


def demo_accounts() -> list[DemoAccount]:
    """Clerk accounts are named after their unit's code: clerk_gxj, clerk_rsj, ..."""
    clerks = [
        DemoAccount(f"clerk_{d.code}", f"{d.short_name}填报员", Role.CLERK, department_code=d.code)
        for d in Department.objects.filter(kind=Department.Kind.RESPONSIBLE).order_by("sort_order")
    ]
    return clerks + list(OTHER_ACCOUNTS)


def seed_accounts() -> list[tuple[DemoAccount, bool]]:
    """Create the demo accounts that do not exist yet; returns (account, created) pairs."""
    from training.models import Institution

    results = []
    for account in demo_accounts():
        if User.objects.filter(username=account.username).exists():
            results.append((account, False))
            continue
        user_create(
            username=account.username,
            password=DEMO_PASSWORD,
            full_name=account.full_name,
            roles=[account.role],
            department=Department.objects.filter(code=account.department_code).first(),
            institution=Institution.objects.filter(name=account.institution_name).first(),
            actor=None,
        )
        results.append((account, True))
    return results
