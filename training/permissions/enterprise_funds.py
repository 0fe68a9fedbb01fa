"""Who may do what with enterprises and their education-fund returns (职工教育经费).

The leading-group office (seated in 人社局) keeps the register and enters or uploads the returns:
the plan has 人社 organise the training paid from collected funds, and the list goes from it to the
tax office. Finance (财政局, which holds the collected funds in custody: 由财政部门代管) and the
superior auditor read. Predicates only.
"""

from core.models import User
from core.permissions import is_office
from core.roles import Role

FUND_READERS = frozenset({Role.OFFICE, Role.AUDITOR, Role.FINANCE})


def can_view_funds(user: User) -> bool:
    return user.is_authenticated and (user.is_superuser or user.has_role(*FUND_READERS))


def can_manage_funds(user: User) -> bool:
    return is_office(user)
