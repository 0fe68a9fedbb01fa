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
    NavItem("登录锁定", "core:lockout_list", frozenset({Role.OFFICE})),
    NavItem("动态口令", "totp_enrol", frozenset({Role.OFFICE, Role.FINANCE})),
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
    # Work ledger, joint meetings and the 1688 programme
    NavItem("工作台帐", "training:ledger_list", frozenset({Role.OFFICE, Role.AUDITOR, Role.CLERK})),
    NavItem("联席会议", "training:meeting_list", frozenset({Role.OFFICE, Role.AUDITOR})),
    NavItem(
        "1688工程", "training:facility_list", frozenset({Role.OFFICE, Role.AUDITOR, Role.CLERK})
    ),
    # Teachers, enterprise education funds, job fairs and the supply–demand analysis
    NavItem(
        "师资队伍",
        "training:teacher_list",
        frozenset({Role.OFFICE, Role.AUDITOR, Role.REVIEWER, Role.INSTITUTION}),
    ),
    NavItem(
        "职工教育经费",
        "training:fund_return_list",
        frozenset({Role.OFFICE, Role.AUDITOR, Role.FINANCE}),
    ),
    NavItem("招聘会", "training:job_fair_list", frozenset({Role.OFFICE, Role.AUDITOR, Role.CLERK})),
    NavItem(
        "供需分析",
        "training:supply_report_list",
        frozenset({Role.OFFICE, Role.AUDITOR, Role.CLERK, Role.REVIEWER, Role.INSTITUTION}),
    ),
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
    # Subsidies (补贴申领)
    NavItem("我可申领的补贴", "subsidies:worker_home", frozenset({Role.WORKER})),
    NavItem("我的补贴申请", "subsidies:worker_claims", frozenset({Role.WORKER})),
    NavItem("委托代领", "subsidies:institution_trainees", frozenset({Role.INSTITUTION})),
    NavItem("补贴申请", "subsidies:institution_claims", frozenset({Role.INSTITUTION})),
    NavItem(
        "补贴标准",
        "subsidies:standard_list",
        frozenset({Role.OFFICE, Role.REVIEWER, Role.FINANCE, Role.AUDITOR}),
    ),
    # Subsidy review, public notices, payment (subsidies-B; notices and batches live in core)
    NavItem("补贴审核", "subsidies:review_queue", frozenset({Role.REVIEWER})),
    NavItem("补贴拨付", "subsidies:batch_ready", frozenset({Role.FINANCE})),
    NavItem("拨付批次", "core:batch_list", frozenset({Role.FINANCE, Role.OFFICE, Role.AUDITOR})),
    NavItem(
        "公示异议", "core:objection_list", frozenset({Role.OFFICE, Role.REVIEWER, Role.AUDITOR})
    ),
    NavItem("公示公告", "core:notice_list", ALL_ROLES),
    # Awards (表彰奖励)
    NavItem(
        "表彰评选",
        "awards:cycle_list",
        frozenset({Role.OFFICE, Role.AUDITOR, Role.CLERK, Role.COMMITTEE, Role.FINANCE}),
    ),
    NavItem(
        "技能竞赛",
        "awards:competition_list",
        frozenset({Role.OFFICE, Role.AUDITOR, Role.CLERK, Role.COMMITTEE}),
    ),
    NavItem("表彰名单", "awards:honours_index", ALL_ROLES),
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
