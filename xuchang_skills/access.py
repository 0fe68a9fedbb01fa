"""The declared access matrix: who may reach every route of the site, by method.

The authorization sweep (``core/tests/test_access_sweep.py``) walks the URL resolver and fails when
a route has no entry here, then calls every route as anonymous, as each role and as a user of the
same role from another department / institution / worker, and compares what happened with what is
declared. The views enforce access themselves; this table is the independent statement of intent
that keeps them honest, so an entry is written from the business rule, never copied from a view.

Each entry: ``Access(get=..., post=..., obj=...)``.

- ``get`` / ``post``: the roles that may succeed with that method, space-separated role codes
  (``office auditor reviewer finance clerk institution worker committee``), ``public`` for anyone
  including anonymous visitors, or ``""`` for nobody (the method is not served: an action that
  only takes POST has ``get=""``; a page that only shows has ``post=""``).
- A trailing ``*`` narrows a role to its own unit: a clerk to objects of their department, an
  institution's staff to their institution's, a worker to their own records, a committee member
  to the cycles they sit on. The sweep then expects a user of the same role from another unit to
  be refused.
- ``obj``: the sample the sweep fills the URL's parameters with (see the test's ``SAMPLES``).
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Access:
    get: str = ""
    post: str = ""
    obj: str = ""


PUBLIC = "public"
CITY = "office auditor"
EVERY_ROLE = "office auditor reviewer finance clerk institution worker committee"

ACCESS: dict[str, Access] = {
    # ---------------------------------------------------------------- accounts and core
    "login": Access(get=PUBLIC, post=PUBLIC),
    "logout": Access(get="", post=PUBLIC),
    "core:healthz": Access(get=PUBLIC),
    "login_verify": Access(get=PUBLIC, post=PUBLIC),  # the second step of a TOTP login
    "totp_enrol": Access(get="office finance", post="office finance"),
    "admin_login_redirect": Access(get=PUBLIC, post=PUBLIC),  # /admin/login/ → the site login
    "core:lockout_list": Access(get="office"),
    "core:lockout_unlock": Access(post="office", obj="login_lock"),
    # A full number, shown for a reason: identities to the office and 人社 (the token names one).
    # Public notices (公示): anyone reads them and may lodge an objection; the office resolves.
    "core:notice_list": Access(get=PUBLIC),
    "core:notice_detail": Access(get=PUBLIC, post=PUBLIC, obj="notice"),
    "core:notice_close": Access(post="office reviewer", obj="notice"),
    "core:objection_list": Access(get=f"{CITY} reviewer"),
    "core:objection_resolve": Access(post="office", obj="objection"),
    # Payment batches: finance prepares, another finance user approves (maker-checker).
    "core:batch_list": Access(get=f"{CITY} finance"),
    "core:batch_detail": Access(get=f"{CITY} finance", obj="batch"),
    "core:batch_approve": Access(post="finance", obj="batch"),
    "core:batch_cancel": Access(post="finance", obj="batch"),
    "core:batch_bank_file": Access(get="finance", obj="batch"),
    "core:batch_results_template": Access(get="finance", obj="batch"),
    "core:batch_results_upload": Access(post="finance", obj="batch"),
    "core:line_record_result": Access(post="finance", obj="batch_line"),
    "core:reveal": Access(get="office reviewer", post="office reviewer", obj="reveal_worker_id"),
    # ---------------------------------------------------------------- monthly returns
    "training:return_current": Access(get="clerk"),
    "training:return_history": Access(get="clerk"),
    "training:return_matrix": Access(get=CITY),
    "training:return_detail": Access(get=f"{CITY} clerk*", obj="return"),
    "training:return_save": Access(post="clerk*", obj="return"),
    "training:return_submit": Access(post="clerk*", obj="return"),
    "training:return_accept": Access(post="office", obj="return"),
    "training:return_send_back": Access(post="office", obj="return"),
    "training:return_unlock": Access(post="office", obj="return"),
    "training:correction_create": Access(get="clerk*", post="clerk*", obj="return"),
    "training:return_audit": Access(get=CITY, obj="return"),
    "training:return_download": Access(get=f"{CITY} clerk*", obj="return"),
    "training:return_upload": Access(post="clerk*", obj="return"),
    "training:correction_list": Access(get=f"{CITY} clerk"),
    "training:correction_decide": Access(post="office", obj="correction"),
    # ---------------------------------------------------------------- institutions
    "training:institution_list": Access(get=f"{CITY} reviewer clerk institution"),
    "training:institution_create": Access(get="office", post="office"),
    "training:institution_detail": Access(
        get=f"{CITY} reviewer clerk institution*", obj="institution"
    ),
    "training:institution_update": Access(get="office", post="office", obj="institution"),
    "training:institution_bank_account": Access(get="office", post="office", obj="institution"),
    "training:institution_designation": Access(post="office", obj="institution"),
    "training:violation_create": Access(post="office reviewer", obj="institution"),
    "training:programme_create": Access(
        get="office institution*", post="office institution*", obj="institution"
    ),
    "training:programme_update": Access(
        get="office institution*", post="office institution*", obj="programme"
    ),
    "training:programme_delete": Access(post="office institution*", obj="programme"),
    "training:assessment_list": Access(get=CITY),
    "training:assessment_run": Access(post="office"),
    "training:assessment_detail": Access(get=CITY, obj="assessment"),
    "training:assessment_confirm": Access(post="office", obj="assessment"),
    "training:assessment_dismiss": Access(post="office", obj="assessment"),
    "training:registration_point_list": Access(get=PUBLIC),
    "training:registration_point_create": Access(get="office", post="office"),
    "training:registration_point_update": Access(get="office", post="office", obj="point"),
    "training:registration_point_delete": Access(post="office", obj="point"),
    "training:handbook": Access(get=PUBLIC),
    "training:handbook_download": Access(get=PUBLIC),
    # ---------------------------------------------------------------- workers
    "training:worker_list": Access(get=f"{CITY} reviewer institution"),
    "training:worker_create": Access(
        get="office reviewer clerk institution", post="office reviewer clerk institution"
    ),
    "training:worker_detail": Access(get=f"{CITY} reviewer institution*", obj="worker"),
    "training:worker_signup": Access(get=PUBLIC, post=PUBLIC),
    "training:worker_me": Access(get="worker"),
    "training:worker_update_contact": Access(get="worker", post="worker"),
    "training:roster_template": Access(get=f"{CITY} reviewer clerk institution"),
    # ---------------------------------------------------------------- classes
    "training:class_list": Access(get=f"{CITY} reviewer clerk institution"),
    "training:class_queue": Access(get="reviewer clerk"),
    "training:class_create": Access(get="institution", post="institution"),
    "training:class_detail": Access(get=f"{CITY} reviewer clerk* institution*", obj="class"),
    "training:class_edit": Access(get="institution*", post="institution*", obj="draft_class"),
    "training:class_file": Access(get=f"{CITY} reviewer clerk* institution*", obj="class_file"),
    "training:class_roster_upload": Access(post="institution*", obj="draft_class"),
    "training:class_submit": Access(post="institution*", obj="draft_class"),
    "training:class_approve": Access(post="reviewer clerk*", obj="submitted_class"),
    "training:class_refuse": Access(post="reviewer clerk*", obj="submitted_class"),
    "training:class_close": Access(post="institution*", obj="running_class"),
    "training:class_attendance": Access(
        get="institution*", post="institution*", obj="running_class"
    ),
    "training:class_attendance_upload": Access(post="institution*", obj="running_class"),
    "training:class_attendance_template": Access(get="institution*", obj="running_class"),
    "training:class_results": Access(get="institution*", post="institution*", obj="running_class"),
    "training:referral_create": Access(get="institution*", post="institution*", obj="enrollment"),
    "training:referral_outcome": Access(get="institution*", post="institution*", obj="referral"),
    "training:inspection_list": Access(get=f"{CITY} reviewer clerk"),
    "training:inspection_assign": Access(post="office", obj="inspection"),
    # Only the inspector the office assigned records the spot check.
    "training:inspection_record": Access(
        get="office* reviewer* clerk*", post="office* reviewer* clerk*", obj="inspection"
    ),
    "training:order_list": Access(get=f"{CITY} reviewer clerk institution"),
    "training:order_create": Access(get="office institution", post="office institution"),
    "training:order_edit": Access(
        get="office institution*", post="office institution*", obj="order"
    ),
    "training:order_delete": Access(post="office institution*", obj="order"),
    # ---------------------------------------------------------------- ledger, meetings, "1688"
    "training:ledger_list": Access(get=f"{CITY} clerk"),
    "training:ledger_task_detail": Access(get=f"{CITY} clerk*", obj="ledger_task"),
    "training:ledger_task_edit": Access(get="office", post="office", obj="ledger_task"),
    "training:ledger_note_create": Access(post="clerk*", obj="ledger_task"),
    "training:ledger_task_complete": Access(post="clerk*", obj="ledger_task"),
    "training:ledger_task_reopen": Access(post="office", obj="done_ledger_task"),
    "training:meeting_list": Access(get=CITY),
    "training:meeting_create": Access(get="office", post="office"),
    "training:meeting_detail": Access(get=CITY, obj="meeting"),
    "training:meeting_task_create": Access(get="office", post="office", obj="meeting"),
    "training:facility_list": Access(get=f"{CITY} clerk"),
    "training:facility_create": Access(
        get="office clerk*", post="office clerk*", obj="facility_target"
    ),
    "training:facility_detail": Access(get=f"{CITY} clerk*", obj="facility"),
    "training:facility_advance": Access(post="office clerk*", obj="facility"),
    "training:facility_evidence_add": Access(post="office clerk*", obj="facility"),
    "training:facility_evidence_download": Access(get=f"{CITY} clerk*", obj="facility_evidence"),
    # ---------------------------------------------------------------- teachers (师资)
    "training:teacher_list": Access(get=f"{CITY} reviewer institution"),
    "training:teacher_create": Access(get="institution", post="institution"),
    "training:teacher_detail": Access(get=f"{CITY} reviewer institution*", obj="teacher"),
    "training:teacher_update": Access(get="institution*", post="institution*", obj="teacher"),
    "training:teacher_training_create": Access(post="institution*", obj="teacher"),
    "training:class_teachers": Access(get="institution*", post="institution*", obj="class"),
    # ---------------------------------------------------------------- enterprise education funds
    "training:enterprise_list": Access(get=f"{CITY} finance"),
    "training:enterprise_create": Access(get="office", post="office"),
    "training:enterprise_detail": Access(get=f"{CITY} finance", obj="enterprise"),
    "training:enterprise_update": Access(get="office", post="office", obj="enterprise"),
    "training:fund_return_save": Access(post="office", obj="enterprise"),
    "training:fund_return_list": Access(get=f"{CITY} finance"),
    "training:fund_upload": Access(get="office", post="office"),
    "training:fund_upload_template": Access(get="office"),
    "training:fund_tax_list": Access(get="office"),
    # ---------------------------------------------------------------- job fairs, supply and demand
    "training:job_fair_list": Access(get=f"{CITY} clerk"),
    "training:job_fair_create": Access(get="office clerk", post="office clerk"),
    "training:job_fair_detail": Access(get=f"{CITY} clerk*", obj="job_fair"),
    "training:job_fair_demand_create": Access(post="office clerk*", obj="job_fair"),
    "training:survey_demand": Access(get=CITY, post="office"),
    "training:supply_report_list": Access(get=f"{CITY} reviewer clerk institution"),
    "training:supply_report_compute": Access(post="office"),
    "training:supply_report_detail": Access(
        get=f"{CITY} reviewer clerk institution", obj="supply_report"
    ),
    "training:supply_report_publish": Access(post="office", obj="supply_report"),
    "training:supply_report_download": Access(
        get=f"{CITY} reviewer clerk institution", obj="supply_report"
    ),
    # ---------------------------------------------------------------- appraisal
    "appraisal:body_list": Access(get=f"{CITY} reviewer"),
    "appraisal:body_create": Access(get="reviewer", post="reviewer"),
    "appraisal:body_detail": Access(get=f"{CITY} reviewer", obj="body"),
    "appraisal:body_edit": Access(get="reviewer", post="reviewer", obj="body"),
    "appraisal:body_staff": Access(get="reviewer", post="reviewer", obj="body"),
    "appraisal:body_delete": Access(post="reviewer", obj="body"),
    "appraisal:authorisation_set": Access(post="reviewer", obj="body"),
    "appraisal:authorisation_remove": Access(post="reviewer", obj="authorisation"),
    "appraisal:level_rule_list": Access(get=f"{CITY} reviewer"),
    "appraisal:level_rule_edit": Access(get="office reviewer", post="office reviewer", obj="level"),
    "appraisal:registration_apply": Access(get="worker", post="worker"),
    "appraisal:my_appraisals": Access(get="worker"),
    "appraisal:registration_list": Access(get=f"{CITY} reviewer clerk institution"),
    "appraisal:registration_create": Access(
        get="reviewer clerk institution", post="reviewer clerk institution"
    ),
    "appraisal:registration_detail": Access(
        get=f"{CITY} reviewer clerk* institution*", obj="registration"
    ),
    "appraisal:registration_withdraw": Access(
        post="reviewer clerk* institution* worker*", obj="registration"
    ),
    "appraisal:sitting_list": Access(get=f"{CITY} reviewer"),
    "appraisal:sitting_create": Access(get="reviewer", post="reviewer"),
    "appraisal:sitting_detail": Access(get=f"{CITY} reviewer", obj="sitting"),
    "appraisal:sitting_schedule": Access(post="reviewer", obj="sitting"),
    "appraisal:sitting_unschedule": Access(post="reviewer", obj="scheduled"),
    "appraisal:sitting_results": Access(get="reviewer", post="reviewer", obj="sitting"),
    "appraisal:results_upload": Access(post="reviewer", obj="sitting"),
    "appraisal:results_template": Access(get="reviewer", obj="sitting"),
    "appraisal:certificate_check": Access(get=PUBLIC, post=PUBLIC),
    "appraisal:pilot_list": Access(get=f"{CITY} reviewer institution"),
    "appraisal:pilot_create": Access(get="reviewer", post="reviewer"),
    "appraisal:pilot_detail": Access(get=f"{CITY} reviewer institution*", obj="pilot"),
    "appraisal:pilot_update": Access(get="reviewer", post="reviewer", obj="pilot"),
    "appraisal:checklist_item_submit": Access(post="office institution*", obj="checklist_item"),
    "appraisal:checklist_item_file": Access(
        get=f"{CITY} reviewer institution*", obj="checklist_item"
    ),
    "appraisal:evaluation_record": Access(
        get="office institution*", post="office institution*", obj="pilot"
    ),
    "appraisal:exception_request": Access(
        get="office institution*", post="office institution*", obj="pilot"
    ),
    "appraisal:exception_list": Access(get=f"{CITY} reviewer institution"),
    "appraisal:exception_detail": Access(get=f"{CITY} reviewer institution*", obj="exception"),
    "appraisal:exception_decide": Access(post="reviewer", obj="exception"),
    "appraisal:employment_inspection_list": Access(get=f"{CITY} reviewer"),
    "appraisal:employment_inspection_create": Access(get="office reviewer", post="office reviewer"),
    "appraisal:employment_inspection_detail": Access(
        get=f"{CITY} reviewer", obj="employment_inspection"
    ),
    "appraisal:employment_inspection_follow_up": Access(
        post="office reviewer", obj="employment_inspection"
    ),
    "appraisal:report_overview": Access(get=f"{CITY} reviewer"),
    "appraisal:report_exceptions": Access(get=f"{CITY} reviewer"),
    # ---------------------------------------------------------------- subsidies
    "subsidies:worker_home": Access(get="worker"),
    "subsidies:apply_training": Access(get="worker*", post="worker*", obj="own_enrollment"),
    "subsidies:apply_appraisal": Access(get="worker*", post="worker*", obj="own_certificate"),
    "subsidies:entrust": Access(get="worker*", post="worker*", obj="own_enrollment"),
    "subsidies:entrust_revoke": Access(post="worker*", obj="entrustment"),
    "subsidies:worker_claims": Access(get="worker"),
    "subsidies:worker_claim": Access(get="worker*", obj="worker_claim"),
    "subsidies:worker_claim_account": Access(post="worker*", obj="worker_claim"),
    "subsidies:worker_claim_withdraw": Access(post="worker*", obj="worker_claim"),
    "subsidies:worker_claim_resubmit": Access(post="worker*", obj="worker_claim"),
    "subsidies:institution_trainees": Access(get="institution", post="institution"),
    "subsidies:institution_trainees_upload": Access(post="institution"),
    "subsidies:institution_trainees_template": Access(get="institution"),
    # A paper 委托书 of the institution's own trainee, recorded by its staff.
    "subsidies:institution_entrustment_record": Access(
        get="institution*", post="institution*", obj="enrollment"
    ),
    "subsidies:institution_shortage": Access(get="institution", post="institution"),
    "subsidies:institution_claims": Access(get="institution"),
    "subsidies:institution_claim": Access(get="institution*", obj="institution_claim"),
    "subsidies:institution_claim_withdraw": Access(post="institution*", obj="institution_claim"),
    "subsidies:standard_list": Access(get=f"{CITY} reviewer finance"),
    "subsidies:standard_create": Access(post="office"),
    "subsidies:standard_end": Access(post="office", obj="standard"),
    "subsidies:window_create": Access(post="office"),
    "subsidies:window_close": Access(post="office", obj="window"),
    "subsidies:review_queue": Access(get="reviewer"),
    "subsidies:review_notice_publish": Access(get="reviewer", post="reviewer"),
    "subsidies:review_detail": Access(get="reviewer", obj="review_claim"),
    "subsidies:review_start": Access(post="reviewer", obj="review_claim"),
    "subsidies:review_approve": Access(post="reviewer", obj="review_claim"),
    "subsidies:review_refuse": Access(post="reviewer", obj="review_claim"),
    "subsidies:review_return": Access(post="reviewer", obj="review_claim"),
    "subsidies:batch_ready": Access(get="finance", post="finance"),
    # ---------------------------------------------------------------- awards
    # Cycles are not secret to the city's staff; a clerk sees the nominations of their own
    # department, a committee member reviews only the cycles they sit on (the sample is the
    # demo's completed 2013–2014 cycle, whose members have submitted).
    "awards:cycle_list": Access(get=f"{CITY} clerk committee finance"),
    "awards:cycle_create": Access(get="office", post="office"),
    "awards:cycle_detail": Access(get=f"{CITY} clerk committee finance", obj="award_cycle"),
    "awards:cycle_close_nominations": Access(post="office", obj="award_cycle"),
    "awards:cycle_notice_publish": Access(post="office", obj="award_cycle"),
    "awards:cycle_notice_close": Access(post="office", obj="award_cycle"),
    "awards:ceiling_edit": Access(post="office", obj="award_ceiling"),
    "awards:nomination_create": Access(get="office clerk", post="office clerk", obj="award_cycle"),
    "awards:nomination_detail": Access(get=f"{CITY} clerk* committee*", obj="award_nomination"),
    "awards:nomination_document": Access(get=f"{CITY} clerk* committee*", obj="award_nomination"),
    "awards:nomination_withdraw": Access(post="office clerk*", obj="award_nomination"),
    "awards:review": Access(get="committee*", obj="award_cycle"),
    "awards:review_submit": Access(post="committee*", obj="award_cycle"),
    "awards:nomination_score": Access(get="committee*", post="committee*", obj="award_nomination"),
    "awards:nomination_recuse": Access(post="committee*", obj="award_nomination"),
    "awards:ranking": Access(get=f"{CITY} committee*", obj="award_cycle"),
    "awards:winner_confirm": Access(post="office", obj="award_nomination"),
    "awards:winners_confirm_top": Access(post="office", obj="award_cycle_kind"),
    "awards:winner_revoke": Access(post="office", obj="award_winner"),
    "awards:winner_bank": Access(get="office clerk*", post="office clerk*", obj="award_winner"),
    "awards:prize_list": Access(get=f"{CITY} finance", obj="award_cycle"),
    "awards:prize_batch_create": Access(post="finance", obj="award_cycle"),
    "awards:honours_index": Access(get=PUBLIC),
    "awards:honours_detail": Access(get=PUBLIC, obj="award_cycle"),
    "awards:competition_list": Access(get=f"{CITY} clerk committee"),
    "awards:competition_create": Access(get="office", post="office"),
    "awards:competition_detail": Access(
        get=f"{CITY} clerk committee", post="office", obj="competition"
    ),
    # ---------------------------------------------------------------- dashboard
    "dashboard:home": Access(
        get="office auditor reviewer finance clerk institution worker committee"
    ),
    "dashboard:audit_list": Access(get=CITY),
    "dashboard:export_audit": Access(get=CITY, post=CITY),
    # An export job is its requester's own.
    "dashboard:export_job_detail": Access(get="office* auditor*", obj="export_job"),
    "dashboard:export_job_download": Access(get="office* auditor*", obj="export_job"),
    "dashboard:progress": Access(get=f"{CITY} clerk"),
    "dashboard:progress_recompute": Access(post="office"),
    "dashboard:progress_department": Access(get=f"{CITY} clerk*", obj="department"),
    "dashboard:progress_category": Access(get=f"{CITY} clerk*", obj="category"),
    "dashboard:bulletin_list": Access(get=f"{CITY} clerk"),
    "dashboard:bulletin_create": Access(post="office"),
    "dashboard:bulletin_detail": Access(get=f"{CITY} clerk", obj="bulletin"),
    "dashboard:bulletin_publish": Access(post="office", obj="bulletin"),
    "dashboard:bulletin_download": Access(get=f"{CITY} clerk", obj="bulletin"),
}
