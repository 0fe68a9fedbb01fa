"""Writes of the worker base (劳动者): staff registration, self-registration with a login, contact
updates, and the class roster (学员花名册) import that the classes area calls.

A person is one row however many times they register: the resident ID number is stored as a
keyed hash (unique, used for every lookup), an encrypted copy and a masked copy; sex and birth
date come from the number and are never typed. Registering a known number again finds the same
row, and refuses when the name differs — a worker is never silently renamed.
"""

from __future__ import annotations

import contextlib
import datetime
import io
import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import IO, Any

from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, connections, models, router, transaction
from django.utils import timezone

from core import clock
from core.crypto import encrypt, keyed_hash
from core.errors import RuleViolation
from core.models import County, User
from core.pgcopy import copy_text, copy_write
from core.roles import Role
from core.services import audit_record, user_create
from core.validators import ResidentId, mask_resident_id, parse_resident_id, validate_mobile
from core.xlsx import (
    CellError,
    ErrorCollector,
    SheetReader,
    XlsxError,
    XlsxWriter,
    cell_id_number,
    cell_text,
    open_workbook,
)
from training.models import Enrollment, PopulationGroup, RegistrationPoint, TrainingClass, Worker
from training.permissions import workers as perms
from training.selectors import workers as selectors

NAME_MAX_LENGTH = Worker._meta.get_field("name").max_length

NAME_MISMATCH = "身份证号码与已登记的姓名不一致"
ALREADY_SIGNED_UP = "该身份证号码已注册账号，请直接登录"
PHONE_TAKEN = "该手机号码已注册账号，请直接登录或使用其他手机号码"
ROSTER_LOCKED = "培训班已提交或已批准，不能更换花名册"
ROSTER_EDITABLE = frozenset({TrainingClass.Status.DRAFT, TrainingClass.Status.REFUSED})

# --------------------------------------------------------------------------------------------
# Identity
# --------------------------------------------------------------------------------------------


def worker_identity(id_number: object) -> ResidentId:
    """Check a resident ID number (today by the campaign clock) and return what it encodes.

    Raises ValidationError with the exact rule broken (校验位错误, 出生日期无效, …).
    """
    return parse_resident_id(id_number, today=clock.today())


def _id_fields(identity: ResidentId) -> dict[str, Any]:
    return {
        "id_number_hash": keyed_hash(identity.number),
        "id_number_encrypted": encrypt(identity.number),
        "id_number_masked": mask_resident_id(identity.number),
        "sex": identity.sex,
        "birth_date": identity.birth_date,
    }


def _mask_phone(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) == 11 else ("—" if not phone else "****")


# --------------------------------------------------------------------------------------------
# Registration
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Profile:
    identity: ResidentId
    name: str
    phone: str
    county: County | None
    household: str
    education: str
    groups: tuple[PopulationGroup, ...]
    group_codes_given: bool


def _clean_profile(
    *,
    id_number: object,
    name: object,
    phone: object,
    county: County | None,
    household: object,
    education: object,
    group_codes: Iterable[str] | None,
    phone_required: bool,
    errors: dict[str, list[str]] | None = None,
) -> _Profile | None:
    """Check what a person typed; field-keyed errors go into ``errors`` (or are raised)."""
    own_errors = errors is None
    errors = {} if errors is None else errors
    identity = None
    try:
        identity = worker_identity(id_number)
    except ValidationError as exc:
        errors["id_number"] = exc.messages
    name_text = name.strip() if isinstance(name, str) else ""
    if not name_text:
        errors["name"] = ["请填写姓名"]
    elif len(name_text) > NAME_MAX_LENGTH:
        errors["name"] = [f"姓名不能超过{NAME_MAX_LENGTH}个字"]
    phone_text = phone.strip() if isinstance(phone, str) else ""
    if phone_text or phone_required:
        try:
            validate_mobile(phone_text)
        except ValidationError as exc:
            errors["phone"] = exc.messages
    if county is not None and not isinstance(county, County):
        errors["county"] = ["县（市、区）无效"]
    if household not in Worker.Household.values:
        errors["household"] = ["请选择户籍类型"]
    if education not in Worker.Education.values:
        errors["education"] = ["请选择文化程度"]
    codes = list(dict.fromkeys(code for code in (group_codes or []) if code))
    groups: list[PopulationGroup] = []
    if codes:
        groups = list(PopulationGroup.objects.filter(code__in=codes))
        unknown = sorted(set(codes) - {group.code for group in groups})
        if unknown:
            errors["groups"] = [f"未知的人员类别：{'、'.join(unknown)}"]
    if errors:
        if own_errors:
            raise ValidationError(errors)
        return None
    return _Profile(
        identity=identity,
        name=name_text,
        phone=phone_text,
        county=county,
        household=household,
        education=education,
        groups=tuple(groups),
        group_codes_given=bool(codes),
    )


def _locked_worker(identity: ResidentId) -> Worker | None:
    return (
        Worker.objects.select_for_update()
        .filter(id_number_hash=keyed_hash(identity.number))
        .first()
    )


def _check_name(worker: Worker, name: str) -> None:
    if worker.name != name:
        raise RuleViolation(NAME_MISMATCH, code="name_mismatch")


def _new_worker(profile: _Profile, **extra: Any) -> Worker:
    return Worker(
        name=profile.name,
        phone=profile.phone,
        county=profile.county,
        household=profile.household,
        education=profile.education,
        **_id_fields(profile.identity),
        **extra,
    )


def _apply_profile(worker: Worker, profile: _Profile) -> dict[str, Any]:
    """Copy what was typed onto a known worker: a blank phone or county and an empty group list
    keep what is on file. Returns the audit description of what changed (phone masked)."""
    changes: dict[str, Any] = {}
    fields: list[str] = []
    if profile.phone and profile.phone != worker.phone:
        changes["phone"] = [_mask_phone(worker.phone), _mask_phone(profile.phone)]
        worker.phone = profile.phone
        fields.append("phone")
    if profile.county is not None and profile.county.pk != worker.county_id:
        changes["county"] = [str(worker.county) if worker.county else "", profile.county.name]
        worker.county = profile.county
        fields.append("county")
    for field in ("household", "education"):
        new = getattr(profile, field)
        if new != getattr(worker, field):
            changes[field] = [getattr(worker, field), new]
            setattr(worker, field, new)
            fields.append(field)
    if fields:
        worker.save(update_fields=[*fields, "updated_at"])
    if profile.group_codes_given:
        before = sorted(worker.groups.values_list("code", flat=True))
        after = sorted(group.code for group in profile.groups)
        if before != after:
            worker.groups.set(profile.groups)
            changes["groups"] = [before, after]
    return changes


@transaction.atomic
def worker_register(
    *,
    id_number: str,
    name: str,
    phone: str,
    county: County | None,
    household: str,
    education: str,
    group_codes: Sequence[str],
    point: RegistrationPoint | None = None,
    actor: User,
) -> tuple[Worker, bool]:
    """Register a person at a desk (staff: office, 人社 reviewer, department clerk, institution
    staff — the latter only at their own institution's point or at none).

    Returns ``(worker, created)``. A known ID number returns the existing row: its contact
    details (phone, county, household type, education, groups; blank values keep what is on
    file) are updated when the actor may change that worker, and left as they are otherwise;
    ``registered_at`` is set only if it was empty. Writes "worker.register" or, when something
    changed, "worker.update".

    Raises PermissionDenied, ValidationError (field-keyed: id_number, name, phone, household,
    education, groups), RuleViolation (name differs from the registered one; inactive point).
    """
    if not perms.can_register_worker(actor, point):
        raise PermissionDenied
    if point is not None and not point.is_active:
        raise RuleViolation("该报名点已停用，不能在此登记", code="point_inactive")
    profile = _clean_profile(
        id_number=id_number,
        name=name,
        phone=phone,
        county=county,
        household=household,
        education=education,
        group_codes=group_codes,
        phone_required=False,
    )
    existing = _locked_worker(profile.identity)
    if existing is None:
        worker = _new_worker(profile, registered_at=point)
        try:
            with transaction.atomic():
                worker.save()
        except IntegrityError:
            # The same person was registered elsewhere a moment ago: carry on as a re-visit.
            existing = _locked_worker(profile.identity)
            if existing is None:
                raise
        else:
            worker.groups.set(profile.groups)
            audit_record(
                actor=actor,
                action="worker.register",
                obj=worker,
                changes={
                    "source": "staff",
                    "point": point.name if point else "",
                    "groups": sorted(group.code for group in profile.groups),
                },
            )
            return worker, True

    _check_name(existing, profile.name)
    changes: dict[str, Any] = {}
    if point is not None and existing.registered_at_id is None:
        existing.registered_at = point
        existing.save(update_fields=["registered_at", "updated_at"])
        changes["point"] = ["", point.name]
    in_scope = perms.can_read_all_workers(actor) or selectors.worker_in_scope(
        user=actor, worker=existing
    )
    if perms.can_update_registered_worker(actor, in_scope=in_scope):
        changes.update(_apply_profile(existing, profile))
    if changes:
        audit_record(actor=actor, action="worker.update", obj=existing, changes=changes)
    return existing, False


def _password_messages(exc: ValidationError) -> list[str]:
    # Django's zh-hans catalogue lacks the current wording of the length rule; say it in Chinese.
    messages = []
    for error in exc.error_list:
        if error.code == "password_too_short":
            messages.append(f"密码太短，至少需要{(error.params or {}).get('min_length', 8)}个字符")
        else:
            messages.extend(error.messages)
    return messages


@transaction.atomic
def worker_self_register(
    *,
    id_number: str,
    name: str,
    phone: str,
    password: str,
    county: County | None,
    household: str,
    education: str,
    group_codes: Sequence[str],
) -> Worker:
    """A person signs up online: creates their login (username = mobile number, role 劳动者)
    and their worker record, or attaches the login to the record staff made earlier (after the
    name check; their contact details are then taken from what they typed).

    Writes "worker.self_register" (actor: the new user). Raises ValidationError (field-keyed,
    every field checked at once, password by Django's validators), RuleViolation (name differs;
    the number already has a login).
    """
    errors: dict[str, list[str]] = {}
    profile = _clean_profile(
        id_number=id_number,
        name=name,
        phone=phone,
        county=county,
        household=household,
        education=education,
        group_codes=group_codes,
        phone_required=True,
        errors=errors,
    )
    phone_text = phone.strip() if isinstance(phone, str) else ""
    if "phone" not in errors and User.objects.filter(username=phone_text).exists():
        errors["phone"] = [PHONE_TAKEN]
    try:
        validate_password(
            password or "",
            user=User(username=phone_text, full_name=str(name or "").strip(), phone=phone_text),
        )
    except ValidationError as exc:
        errors["password"] = _password_messages(exc)
    if errors or profile is None:
        raise ValidationError(errors)

    existing = _locked_worker(profile.identity)
    if existing is not None:
        _check_name(existing, profile.name)
        if existing.user_id is not None:
            raise RuleViolation(ALREADY_SIGNED_UP, code="already_signed_up")

    # sync_roles normally made the group; a fresh install must not sign people up roleless.
    Group.objects.get_or_create(name=Role.WORKER.value)
    try:
        with transaction.atomic():
            user = user_create(
                username=profile.phone,
                password=password,
                full_name=profile.name,
                roles=[Role.WORKER],
                phone=profile.phone,
                actor=None,
            )
    except IntegrityError:
        raise ValidationError({"phone": [PHONE_TAKEN]}) from None
    except ValidationError as exc:
        if "username" in getattr(exc, "error_dict", {}):
            raise ValidationError({"phone": [PHONE_TAKEN]}) from None
        raise

    if existing is not None:
        existing.user = user
        existing.save(update_fields=["user", "updated_at"])
        changes = _apply_profile(existing, profile)
        audit_record(
            actor=user,
            action="worker.self_register",
            obj=existing,
            changes={"source": "self", "attached": True, **changes},
        )
        return existing

    worker = _new_worker(profile, user=user)
    try:
        with transaction.atomic():
            worker.save()
    except IntegrityError:
        # Registered by staff in the same instant; signing up again will attach to that row.
        raise RuleViolation("登记冲突，请稍后重试", code="conflict") from None
    worker.groups.set(profile.groups)
    audit_record(
        actor=user,
        action="worker.self_register",
        obj=worker,
        changes={"source": "self", "groups": sorted(group.code for group in profile.groups)},
    )
    return worker


@transaction.atomic
def worker_update_contact(
    *, worker: Worker, phone: str, county: County | None, actor: User
) -> Worker:
    """Change a worker's mobile number and county: the worker themself, or the office, a 人社
    reviewer or staff of an institution that may see them.

    A worker with a login keeps username = mobile number, so the login changes with the number
    (refused when another account already uses it). Writes "worker.update_contact" when
    something changed. Raises PermissionDenied, ValidationError (phone, county).
    """
    own = perms.is_the_worker(actor, worker)
    if not own and not (
        actor.is_authenticated
        and (actor.is_superuser or actor.has_role(Role.OFFICE, Role.REVIEWER, Role.INSTITUTION))
        and selectors.worker_in_scope(user=actor, worker=worker)
    ):
        raise PermissionDenied
    locked = Worker.objects.select_for_update().get(pk=worker.pk)
    phone_text = phone.strip() if isinstance(phone, str) else ""
    errors: dict[str, list[str]] = {}
    if phone_text or locked.user_id is not None:
        try:
            validate_mobile(phone_text)
        except ValidationError as exc:
            errors["phone"] = exc.messages
    if county is not None and not isinstance(county, County):
        errors["county"] = ["县（市、区）无效"]
    login = User.objects.select_for_update().get(pk=locked.user_id) if locked.user_id else None
    rename_login = (
        login is not None
        and "phone" not in errors
        and phone_text != locked.phone
        and login.username == locked.phone
    )
    if rename_login and User.objects.filter(username=phone_text).exclude(pk=login.pk).exists():
        errors["phone"] = [PHONE_TAKEN]
    if errors:
        raise ValidationError(errors)

    changes: dict[str, Any] = {}
    if phone_text != locked.phone:
        changes["phone"] = [_mask_phone(locked.phone), _mask_phone(phone_text)]
        locked.phone = phone_text
    if (county.pk if county else None) != locked.county_id:
        changes["county"] = [str(locked.county) if locked.county else "", str(county or "")]
        locked.county = county
    if not changes:
        return locked
    locked.save(update_fields=["phone", "county", "updated_at"])
    if rename_login:
        login.username = phone_text
        login.phone = phone_text
        login.save(update_fields=["username", "phone"])
        changes["login_renamed"] = True
    audit_record(actor=actor, action="worker.update_contact", obj=locked, changes=changes)
    worker.phone, worker.county = locked.phone, locked.county
    return locked


# --------------------------------------------------------------------------------------------
# Roster (学员花名册)
# --------------------------------------------------------------------------------------------

ROSTER_SHEET = "学员花名册"
ROSTER_HELP_SHEET = "填表说明"
COL_ID = "身份证号码"
COL_NAME = "姓名"
COL_PHONE = "手机号码"
COL_COUNTY = "县（市、区）"
COL_HOUSEHOLD = "户籍类型"
COL_EDUCATION = "文化程度"
COL_GROUPS = "人员类别"
ROSTER_HEADERS = (
    COL_ID,
    COL_NAME,
    COL_PHONE,
    COL_COUNTY,
    COL_HOUSEHOLD,
    COL_EDUCATION,
    COL_GROUPS,
)
GROUP_SEPARATOR = "、"
# People type the separator they are used to; names never contain any of these.
_GROUP_SPLIT = re.compile(r"[、，,；;/\s]+")
# What people write for the education levels besides the template's labels.
_EDUCATION_ALIASES = {
    "小学": Worker.Education.PRIMARY,
    "文盲": Worker.Education.PRIMARY,
    "高中": Worker.Education.SENIOR,
    "中专": Worker.Education.SENIOR,
    "技校": Worker.Education.SENIOR,
    "职高": Worker.Education.SENIOR,
    "本科": Worker.Education.BACHELOR,
    "研究生": Worker.Education.BACHELOR,
    "硕士": Worker.Education.BACHELOR,
    "博士": Worker.Education.BACHELOR,
}

ROSTER_MAX_BYTES = 5 * 1024 * 1024
# The uncompressed size bounds how long a file can keep the parser busy before the row limit
# bites: a roster row is well under 1 KB of XML even as saved by Excel or WPS with styles.
_ROSTER_BASE_UNCOMPRESSED = 4 * 1024 * 1024
_ROSTER_PER_ROW_UNCOMPRESSED = 2 * 1024
_ROSTER_MAX_ENTRIES = 40
# Parameters per INSERT where the database sets no limit (PostgreSQL's protocol allows 65,535).
_INSERT_MAX_PARAMS = 60_000


def _label_maps() -> tuple[dict[str, str], dict[str, str]]:
    households = {str(label): value for value, label in Worker.Household.choices}
    educations = {str(label): value for value, label in Worker.Education.choices}
    educations.update({alias: str(value) for alias, value in _EDUCATION_ALIASES.items()})
    return households, educations


def roster_template_write(target: str | IO[bytes]) -> None:
    """Write the empty roster template: sheet "学员花名册" with the columns, and "填表说明"
    listing the rules and every allowed value (two queries: counties, groups)."""
    counties = [county.name for county in County.objects.order_by("sort_order", "code")]
    groups = [group.name for group in PopulationGroup.objects.order_by("sort_order")]
    households = [str(label) for _value, label in Worker.Household.choices]
    educations = [str(label) for _value, label in Worker.Education.choices]
    with XlsxWriter() as writer:
        writer.add_sheet(ROSTER_SHEET, ROSTER_HEADERS, widths=[24, 12, 15, 16, 10, 16, 40])
        sheet = writer.add_sheet(
            ROSTER_HELP_SHEET, ["栏目", "填写要求", "可填写的值"], widths=[16, 70, 70]
        )
        rows = [
            (
                COL_ID,
                "必填。18位居民身份证号码，末位X大小写均可。请把该列设为“文本”格式后再填写"
                "或粘贴：按数字填写时Excel会改变后几位，这样的单元格不予导入。"
                "同一身份证号码在花名册中只能出现一次。",
                "",
            ),
            (COL_NAME, "必填。须与该身份证号码已登记的姓名一致。", ""),
            (COL_PHONE, "选填。11位手机号码。", ""),
            (
                COL_COUNTY,
                "选填。劳动者户籍或常住地所在县（市、区）。",
                GROUP_SEPARATOR.join(counties),
            ),
            (COL_HOUSEHOLD, "必填。", GROUP_SEPARATOR.join(households)),
            (COL_EDUCATION, "必填。", GROUP_SEPARATOR.join(educations)),
            (
                COL_GROUPS,
                f"选填。可填多个，用“{GROUP_SEPARATOR}”分隔，例如：{GROUP_SEPARATOR.join(groups[:2])}",
                GROUP_SEPARATOR.join(groups),
            ),
            (
                "导入规则",
                "整个文件检查无误后才会导入；有任何错误时不导入任何学员，并列出每个错误所在的"
                "行和列。学员人数不能超过培训班计划人数。享受补贴的培训班，每名学员在本期活动中"
                "只能参加一次补贴培训。重新上传花名册将替换原有学员名单。"
                "已登记的劳动者以登记信息为准，花名册中的联系方式等不会覆盖登记信息。",
                "",
            ),
        ]
        for row in rows:
            writer.append(sheet, row)
        writer.save(target)


@dataclass(frozen=True, slots=True)
class _RosterRow:
    # Plain values only (no model instances, no ResidentId): 5,000 of these live through the
    # import, and every container of objects would be traversed by each garbage collection.
    # On a row with errors the columns that failed are None; only error-free rows are written.
    number: int
    id_number: str
    sex: str
    birth_date: datetime.date
    hash: str
    name: str
    phone: str
    county_id: int | None
    household: str
    education: str
    group_ids: tuple[int, ...]


def _read_upload(fileobj: IO[bytes]) -> bytes:
    # The upload may have been read already (a content sniff); start over.
    with contextlib.suppress(AttributeError, OSError, ValueError):
        fileobj.seek(0)
    data = fileobj.read(ROSTER_MAX_BYTES + 1)
    if not isinstance(data, bytes):
        raise TypeError("roster_import needs a file opened in binary mode")
    if len(data) > ROSTER_MAX_BYTES:
        raise XlsxError(f"文件大小超过上限（最大 {ROSTER_MAX_BYTES // (1024 * 1024)} MB）")
    return data


def _check_roster_editable(training_class: TrainingClass) -> None:
    if training_class.status not in ROSTER_EDITABLE:
        raise RuleViolation(ROSTER_LOCKED, code="roster_locked")


def _parse_roster(
    data: bytes, *, filename: str, training_class: TrainingClass
) -> tuple[list[_RosterRow], dict[str, Worker]]:
    """Check every row of the file; return the rows and the already registered workers (by ID
    hash), or raise XlsxError listing every problem (sheet, row, column, reason).

    Four queries whatever the number of rows: counties, groups, registered workers, and their
    subsidised enrollments this campaign.
    """
    capacity = training_class.capacity
    workbook = open_workbook(
        io.BytesIO(data),
        filename=filename,
        max_bytes=ROSTER_MAX_BYTES,
        max_entries=_ROSTER_MAX_ENTRIES,
        max_uncompressed=_ROSTER_BASE_UNCOMPRESSED + _ROSTER_PER_ROW_UNCOMPRESSED * capacity,
    )
    counties = dict(County.objects.values_list("name", "pk"))
    groups_by_name = dict(PopulationGroup.objects.values_list("name", "pk"))
    households, educations = _label_maps()
    today = clock.today()
    errors = ErrorCollector()
    # (free of errors so far, the row) for every row with a valid, unrepeated ID number.
    parsed: list[tuple[bool, _RosterRow]] = []
    first_row_of: dict[str, int] = {}
    try:
        reader = SheetReader(
            workbook,
            sheet=ROSTER_SHEET,
            headers=ROSTER_HEADERS,
            # One more than allowed, so that an over-full roster gets our message, not the
            # reader's generic one.
            max_rows=capacity + 1,
            # Generous for rows pre-formatted with borders, tight for a sheet of a million.
            max_cells=200_000 + (capacity + 1) * len(ROSTER_HEADERS) * 20,
            errors=errors,
        )
        for count, row in enumerate(reader, start=1):
            if count > capacity:
                raise XlsxError(
                    CellError(ROSTER_SHEET, None, None, f"学员人数超过计划人数（{capacity}人）")
                )
            identity = None
            raw_id = errors.parse(row, COL_ID, cell_id_number)
            if raw_id is not None:
                try:
                    identity = parse_resident_id(raw_id, today=today)
                except ValidationError as exc:
                    errors.add_for(row, COL_ID, "；".join(exc.messages))
            if identity is not None:
                first = first_row_of.setdefault(identity.number, row.number)
                if first != row.number:
                    errors.add_for(row, COL_ID, f"与第{first}行身份证号码重复")
                    identity = None
            name = errors.parse(row, COL_NAME, cell_text, max_length=NAME_MAX_LENGTH)
            phone = errors.parse(row, COL_PHONE, cell_text, required=False)
            if phone:
                try:
                    validate_mobile(phone)
                except ValidationError as exc:
                    errors.add_for(row, COL_PHONE, "；".join(exc.messages))
            county_id = None
            county_name = errors.parse(row, COL_COUNTY, cell_text, required=False)
            if county_name:
                county_id = counties.get(county_name)
                if county_id is None:
                    errors.add_for(
                        row, COL_COUNTY, f"未知的县（市、区）“{county_name}”，请按填表说明填写"
                    )
            household = None
            household_text = errors.parse(row, COL_HOUSEHOLD, cell_text)
            if household_text:
                household = households.get(household_text)
                if household is None:
                    errors.add_for(
                        row, COL_HOUSEHOLD, f"户籍类型应为城镇或农村，实际为“{household_text}”"
                    )
            education = None
            education_text = errors.parse(row, COL_EDUCATION, cell_text)
            if education_text:
                education = educations.get(education_text)
                if education is None:
                    errors.add_for(
                        row, COL_EDUCATION, f"未知的文化程度“{education_text}”，请按填表说明填写"
                    )
            group_ids: list[int] = []
            groups_text = errors.parse(row, COL_GROUPS, cell_text, required=False)
            if groups_text:
                for group_name in _GROUP_SPLIT.split(groups_text):
                    if not group_name:
                        continue
                    group_id = groups_by_name.get(group_name)
                    if group_id is None:
                        errors.add_for(
                            row, COL_GROUPS, f"未知的人员类别“{group_name}”，请按填表说明填写"
                        )
                    elif group_id not in group_ids:
                        group_ids.append(group_id)
            if identity is not None:
                parsed.append(
                    (
                        errors.row_ok(row),
                        _RosterRow(
                            number=row.number,
                            id_number=identity.number,
                            sex=identity.sex,
                            birth_date=identity.birth_date,
                            hash=keyed_hash(identity.number),
                            name=name,
                            phone=phone or "",
                            county_id=county_id,
                            household=household,
                            education=education,
                            group_ids=tuple(group_ids),
                        ),
                    )
                )
        if not parsed and not errors:
            raise XlsxError(CellError(ROSTER_SHEET, None, None, "花名册中没有学员"))

        hashes = [roster_row.hash for _ok, roster_row in parsed]
        existing = {
            worker.id_number_hash: worker
            for worker in Worker.objects.filter(id_number_hash__in=hashes).only(
                "pk", "name", "id_number_hash", "id_number_masked"
            )
        }
        subsidised_elsewhere: dict[int, str] = {}
        if training_class.subsidised and existing:
            subsidised_elsewhere = dict(
                Enrollment.objects.filter(
                    campaign_id=training_class.campaign_id,
                    subsidised=True,
                    worker_id__in=[worker.pk for worker in existing.values()],
                )
                .exclude(training_class_id=training_class.pk)
                .values_list("worker_id", "training_class__code")
            )

        def add_error(number: int, header: str, message: str) -> None:
            errors.add(
                CellError(ROSTER_SHEET, number, reader.columns[header], message, header=header)
            )

        rows: list[_RosterRow] = []
        for ok, roster_row in parsed:
            worker = existing.get(roster_row.hash)
            if worker is not None:
                if roster_row.name is not None and worker.name != roster_row.name:
                    add_error(roster_row.number, COL_NAME, NAME_MISMATCH)
                    ok = False
                other_class = subsidised_elsewhere.get(worker.pk)
                if other_class is not None:
                    add_error(
                        roster_row.number,
                        COL_ID,
                        f"该学员本期活动已参加过一次补贴培训（班级{other_class}）",
                    )
                    ok = False
            if ok:
                rows.append(roster_row)
        if errors:
            raise XlsxError(
                sorted(errors.errors, key=lambda e: (e.row or 0, e.column or "", e.message))
            )
    finally:
        workbook.close()
    return rows, existing


def roster_import(
    *, training_class: TrainingClass, fileobj: IO[bytes], filename: str, actor: User
) -> list[Enrollment]:
    """Replace a class's trainees with the roster in an uploaded xlsx (学员花名册).

    Order: the actor is staff of the class's institution (PermissionDenied); the class is draft
    or refused (RuleViolation "培训班已提交或已批准，不能更换花名册"); the file and every row are
    checked — ID number (the exact rule broken; a number-typed cell is refused), name (and equal
    to the registered one), no ID twice, phone, county, household type, education, groups, the
    row count against the class capacity, and for a subsidised class no subsidised enrollment in
    another class this campaign. Any problem raises one ``XlsxError`` listing all of them and
    nothing is written.

    A clean file is written in one transaction: unknown people become workers, the class's
    previous enrollments are deleted, one enrollment per row is created (campaign and
    ``subsidised`` copied from the class), the file is kept as ``roster_file``, and one audit row
    "class.roster_import" records counts and the file name (never ID numbers). The file is read
    before the transaction opens; the queries do not depend on the number of rows (bulk inserts).
    A race with another class enrolling the same person is caught by the database constraint
    and raised as RuleViolation naming the masked ID number; nothing is written then either.
    """
    if not perms.can_manage_roster(actor, training_class):
        raise PermissionDenied
    _check_roster_editable(training_class)
    data = _read_upload(fileobj)
    rows, existing = _parse_roster(data, filename=filename, training_class=training_class)

    with transaction.atomic():
        locked = TrainingClass.objects.select_for_update().get(pk=training_class.pk)
        _check_roster_editable(locked)
        new_rows = [row for row in rows if row.hash not in existing]
        birth_date = Worker._meta.get_field("birth_date")
        db = connections[router.db_for_write(Worker)]
        try:
            with transaction.atomic():
                _insert_rows(
                    Worker,
                    (
                        {
                            "id_number_hash": row.hash,
                            "id_number_encrypted": encrypt(row.id_number),
                            "id_number_masked": mask_resident_id(row.id_number),
                            "sex": row.sex,
                            "birth_date": birth_date.get_db_prep_save(row.birth_date, db),
                            "name": row.name,
                            "phone": row.phone,
                            "county_id": row.county_id,
                            "household": row.household,
                            "education": row.education,
                        }
                        for row in new_rows
                    ),
                )
                worker_ids = {hash_: worker.pk for hash_, worker in existing.items()}
                if new_rows:
                    worker_ids.update(
                        Worker.objects.filter(
                            id_number_hash__in=[row.hash for row in new_rows]
                        ).values_list("id_number_hash", "pk")
                    )
                _insert_rows(
                    Worker.groups.through,
                    (
                        {"worker_id": worker_ids[row.hash], "populationgroup_id": group_id}
                        for row in new_rows
                        for group_id in row.group_ids
                    ),
                )
                _deleted, per_model = Enrollment.objects.filter(training_class=locked).delete()
                _insert_rows(
                    Enrollment,
                    (
                        {
                            "campaign_id": locked.campaign_id,
                            "training_class_id": locked.pk,
                            "worker_id": worker_ids[row.hash],
                            "subsidised": locked.subsidised,
                        }
                        for row in rows
                    ),
                )
        except IntegrityError:
            raise _roster_conflict(locked, [row.hash for row in rows]) from None
        enrollments = list(Enrollment.objects.filter(training_class=locked).order_by("pk"))
        class_field = Enrollment._meta.get_field("training_class")
        for enrollment in enrollments:
            class_field.set_cached_value(enrollment, locked)

        locked.roster_file.save(f"{locked.code}.xlsx", ContentFile(data), save=False)
        locked.save(update_fields=["roster_file", "updated_at"])
        training_class.roster_file = locked.roster_file
        audit_record(
            actor=actor,
            action="class.roster_import",
            obj=locked,
            changes={
                "filename": str(filename)[:200],
                "trainees": len(enrollments),
                "workers_created": len(new_rows),
                "workers_registered": len(rows) - len(new_rows),
                "replaced": per_model.get(Enrollment._meta.label, 0),
            },
        )
    return enrollments


def _insert_rows(model: type[models.Model], rows: Iterable[dict[str, Any]]) -> None:
    """INSERT ``rows`` of ``model`` in as few statements as the database allows.

    ``bulk_create`` spends most of a 5,000-row roster import compiling every value of every
    object (issue 10 wants the import within twice a bare openpyxl read). Here each row is a
    dict of database-ready values for the columns that vary (convert dates with the field's
    ``get_db_prep_save``); every other column gets its default, or "now" for auto_now
    fields, prepared once. No save() and no signals run, as with ``bulk_create``; a field added
    to the model later needs a default or a value here, else this raises. On PostgreSQL the rows
    go in with one ``COPY`` (``_copy_rows``), elsewhere with multi-row INSERTs.

    ``rows`` may be a generator: each dict is then dropped once written, so that thousands of
    them never pile up for the garbage collector.
    """
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return
    given = first.keys()
    rows = itertools.chain([first], rows)
    db = connections[router.db_for_write(model)]
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    now = timezone.now()
    constants: dict[str, Any] = {}
    for field in fields:
        if field.attname in given:
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            value = now
        elif field.has_default():
            value = field.get_default()
        elif field.null:
            value = None
        else:
            raise ValueError(f"{model.__name__}.{field.attname} needs a value")
        constants[field.attname] = field.get_db_prep_save(value, db)
    if db.vendor == "postgresql":
        _copy_rows(db, model._meta.db_table, fields, rows, constants)
        return
    names = [field.attname for field in fields]
    quote = db.ops.quote_name
    # Table and column names come from the model, never from input.
    head = (
        f"INSERT INTO {quote(model._meta.db_table)} "  # noqa: S608
        f"({', '.join(quote(field.column) for field in fields)}) VALUES "
    )
    one_row = f"({', '.join(['%s'] * len(names))})"
    per_statement = max(1, (db.features.max_query_params or _INSERT_MAX_PARAMS) // len(names))
    with db.cursor() as cursor:
        while chunk := list(itertools.islice(rows, per_statement)):
            params: list[Any] = []
            for row in chunk:
                params.extend([row[name] if name in row else constants[name] for name in names])
            cursor.execute(head + ", ".join([one_row] * len(chunk)), params)


# A line whose joined values hold a backslash, newline or carriage return (or more tabs than
# separators) needs value-by-value escaping.
_COPY_SPECIAL_IN_LINE = re.compile(r"[\\\n\r]")


def _copy_rows(
    db: Any,
    table: str,
    fields: list[models.Field],
    rows: Iterable[dict[str, Any]],
    constants: dict[str, Any],
) -> None:
    """``_insert_rows`` on PostgreSQL: one ``COPY ... FROM STDIN``, several times faster than a
    multi-row INSERT for 5,000 rows (the server parses no VALUES list, the client binds no
    parameters). Constraints, indexes and the surrounding transaction apply as to an INSERT."""
    quote = db.ops.quote_name
    # COPY names its columns, so the row's own values come first and the constants, escaped
    # once, end every line.
    keys = [field.attname for field in fields if field.attname not in constants]
    fixed = [field for field in fields if field.attname in constants]
    suffix = "".join("\t" + copy_text(constants[field.attname]) for field in fixed)
    columns = [
        *(quote(field.column) for field in fields if field.attname not in constants),
        *(quote(field.column) for field in fixed),
    ]
    lines = []
    for row in rows:
        # Plain strings go in as they are; the joined values are then scanned once for anything
        # that needed escaping (a tab inside a value, a newline, a backslash, or the \N of a
        # NULL), and only such a rare line is built again value by value.
        texts = [
            value
            if (value := row[key]).__class__ is str
            else str(value)
            if value.__class__ is int
            else copy_text(value)
            for key in keys
        ]
        line = "\t".join(texts)
        if line.count("\t") != len(texts) - 1 or _COPY_SPECIAL_IN_LINE.search(line):
            line = "\t".join([copy_text(row[key]) for key in keys])
        lines.append(line + suffix)
    lines.append("")
    sql = f"COPY {quote(table)} ({', '.join(columns)}) FROM STDIN"
    copy_write(db, sql, "\n".join(lines))


def _roster_conflict(training_class: TrainingClass, hashes: list[str]) -> RuleViolation:
    """Explain a constraint failure of the roster writes (another upload committed first)."""
    clash = None
    if training_class.subsidised:
        clash = (
            Enrollment.objects.filter(
                campaign_id=training_class.campaign_id,
                subsidised=True,
                worker__id_number_hash__in=hashes,
            )
            .exclude(training_class_id=training_class.pk)
            .select_related("worker", "training_class")
            .first()
        )
    if clash is not None:
        return RuleViolation(
            f"学员{clash.worker.id_number_masked}已在本期活动的补贴培训班"
            f"（{clash.training_class.code}）中登记，花名册未导入",
            code="enrollment_conflict",
        )
    return RuleViolation(
        "导入时花名册中的学员被同时登记，花名册未导入，请重新上传", code="conflict"
    )
