"""The site navigation: each entry names the roles that may use it, so a role sees only what it
may open. The views enforce the same rule themselves; this only keeps the menu honest."""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse

from core.roles import Role


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    roles: frozenset[Role]


ALL_ROLES = frozenset(Role)

NAVIGATION: tuple[NavItem, ...] = (
    NavItem("首页", "dashboard:home", ALL_ROLES),
    NavItem("月度报送", "training:return_current", frozenset({Role.CLERK})),
    NavItem("报送历史", "training:return_history", frozenset({Role.CLERK})),
    NavItem("报送审核", "training:return_matrix", frozenset({Role.OFFICE, Role.AUDITOR})),
    NavItem("进度看板", "dashboard:progress", frozenset({Role.OFFICE, Role.AUDITOR, Role.CLERK})),
    NavItem("月度通报", "dashboard:bulletin_list", frozenset({Role.OFFICE, Role.AUDITOR})),
    NavItem("更正申请", "training:correction_list", frozenset({Role.OFFICE, Role.AUDITOR})),
    NavItem("审计工作簿", "dashboard:export_audit", frozenset({Role.OFFICE, Role.AUDITOR})),
    NavItem("审计记录", "dashboard:audit_list", frozenset({Role.OFFICE, Role.AUDITOR})),
    # Training delivery
    NavItem(
        "培训机构",
        "training:institution_list",
        frozenset({Role.OFFICE, Role.AUDITOR, Role.REVIEWER, Role.CLERK, Role.INSTITUTION}),
    ),
    NavItem(
        "培训班",
        "training:class_list",
        frozenset({Role.INSTITUTION, Role.CLERK, Role.REVIEWER, Role.OFFICE, Role.AUDITOR}),
    ),
    NavItem("开班审批", "training:class_queue", frozenset({Role.CLERK, Role.REVIEWER})),
    NavItem(
        "随机抽查",
        "training:inspection_list",
        frozenset({Role.OFFICE, Role.REVIEWER, Role.CLERK, Role.AUDITOR}),
    ),
    NavItem(
        "“三定”订单",
        "training:order_list",
        frozenset({Role.INSTITUTION, Role.CLERK, Role.REVIEWER, Role.OFFICE, Role.AUDITOR}),
    ),
    NavItem(
        "劳动者",
        "training:worker_list",
        frozenset({Role.OFFICE, Role.AUDITOR, Role.REVIEWER, Role.INSTITUTION}),
    ),
    NavItem("年度考核", "training:assessment_list", frozenset({Role.OFFICE, Role.AUDITOR})),
    NavItem("报名点", "training:registration_point_list", frozenset({Role.OFFICE})),
    NavItem("我的档案", "training:worker_me", frozenset({Role.WORKER})),
    # Skill appraisal
    NavItem("我的鉴定", "appraisal:my_appraisals", frozenset({Role.WORKER})),
    NavItem(
        "鉴定报名",
        "appraisal:registration_list",
        frozenset({Role.INSTITUTION, Role.CLERK, Role.REVIEWER, Role.OFFICE, Role.AUDITOR}),
    ),
    NavItem(
        "考试场次", "appraisal:sitting_list", frozenset({Role.REVIEWER, Role.OFFICE, Role.AUDITOR})
    ),
    NavItem(
        "鉴定机构", "appraisal:body_list", frozenset({Role.REVIEWER, Role.OFFICE, Role.AUDITOR})
    ),
    NavItem(
        "评价试点",
        "appraisal:pilot_list",
        frozenset({Role.OFFICE, Role.AUDITOR, Role.REVIEWER, Role.INSTITUTION}),
    ),
    NavItem(
        "“双一”审批",
        "appraisal:exception_list",
        frozenset({Role.REVIEWER, Role.OFFICE, Role.AUDITOR}),
    ),
    NavItem(
        "就业准入检查",
        "appraisal:employment_inspection_list",
        frozenset({Role.REVIEWER, Role.OFFICE, Role.AUDITOR}),
    ),
    NavItem(
        "鉴定统计",
        "appraisal:report_overview",
        frozenset({Role.OFFICE, Role.AUDITOR, Role.REVIEWER}),
    ),
    NavItem("证书查验", "appraisal:certificate_check", ALL_ROLES),
)


def items_for(user) -> list[dict[str, str]]:
    if not user.is_authenticated:
        return []
    items = []
    for item in NAVIGATION:
        if not (user.is_superuser or user.has_role(*item.roles)):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue  # the page belongs to a capability not installed yet
        items.append({"label": item.label, "url": url, "url_name": item.url_name})
    return items
