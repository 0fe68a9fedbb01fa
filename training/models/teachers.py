"""Teachers of the training institutions (师资队伍), the classes they teach and their further
training (进修).

The plan (四(三)三 加强师资队伍建设) asks that by 2014 teachers with a bachelor's degree or above
reach 40% ("本科以上学历的教师达到40%以上"); the goal is data (``TeacherGoal``, loaded from the
plan file), never a literal here.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel


class TeacherGoal(BaseModel):
    """The campaign's teacher-qualification goal, from the plan file's ``[teacher_goals]``."""

    campaign = models.OneToOneField(
        "training.Campaign", on_delete=models.CASCADE, related_name="teacher_goal"
    )
    bachelor_share = models.DecimalField(
        _("本科及以上学历教师占比目标"), max_digits=4, decimal_places=3
    )
    due_date = models.DateField(_("达标期限"))

    class Meta:
        verbose_name = _("师资目标")
        verbose_name_plural = _("师资目标")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(bachelor_share__gt=0, bachelor_share__lte=1),
                name="teacher_goal_share_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign} 师资目标"


class Teacher(BaseModel):
    class Education(models.TextChoices):
        # Ordered from highest; the first two count as "本科及以上".
        POSTGRADUATE = "postgraduate", _("研究生")
        BACHELOR = "bachelor", _("本科")
        COLLEGE = "college", _("大专")
        SECONDARY = "secondary", _("中专/高中/技校及以下")

    class Title(models.TextChoices):
        NONE = "none", _("无")
        JUNIOR = "junior", _("初级")
        INTERMEDIATE = "intermediate", _("中级")
        VICE_SENIOR = "vice_senior", _("副高级")
        SENIOR = "senior", _("正高级")

    class Employment(models.TextChoices):
        FULL_TIME = "full_time", _("专职")
        PART_TIME = "part_time", _("兼职")

    class Honour(models.TextChoices):
        """Special titles the plan names for practitioners who teach (聘请“首席员工”、“首席技师”
        等技术能手任教)."""

        CHIEF_TECHNICIAN = "chief_technician", _("首席技师")
        CHIEF_EMPLOYEE = "chief_employee", _("首席员工")
        TECHNICAL_EXPERT = "technical_expert", _("技术能手")
        SKILLS_MASTER = "skills_master", _("技能大师")
        DOCTOR_MASTER = "doctor_master", _("选聘博士/硕士")

    BACHELOR_OR_ABOVE = frozenset({Education.POSTGRADUATE, Education.BACHELOR})

    institution = models.ForeignKey(
        "training.Institution",
        verbose_name=_("培训机构"),
        on_delete=models.PROTECT,
        related_name="teachers",
    )
    name = models.CharField(_("姓名"), max_length=64)
    education = models.CharField(_("学历"), max_length=16, choices=Education.choices)
    title = models.CharField(
        _("专业技术职称"), max_length=16, choices=Title.choices, default=Title.NONE
    )
    specialty = models.CharField(_("任教专业"), max_length=64, blank=True)
    # A list of Honour values; the service keeps it valid, sorted and free of duplicates.
    honours = models.JSONField(_("荣誉称号"), default=list, blank=True)
    employment = models.CharField(_("专兼职"), max_length=16, choices=Employment.choices)
    is_active = models.BooleanField(_("在岗"), default=True)
    classes = models.ManyToManyField(
        "training.TrainingClass",
        through="training.ClassTeacher",
        related_name="teacher_set",
        verbose_name=_("任教培训班"),
        blank=True,
    )

    class Meta:
        ordering = ("institution__name", "name")
        verbose_name = _("教师")
        verbose_name_plural = _("教师")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    education__in=["postgraduate", "bachelor", "college", "secondary"]
                ),
                name="teacher_education_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(employment__in=["full_time", "part_time"]),
                name="teacher_employment_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def bachelor_or_above(self) -> bool:
        return self.education in self.BACHELOR_OR_ABOVE

    def honour_labels(self) -> list[str]:
        labels = dict(self.Honour.choices)
        return [str(labels.get(code, code)) for code in self.honours]


class ClassTeacher(BaseModel):
    """A teacher named on a class (the class's own free-text 授课教师 field stays as typed)."""

    training_class = models.ForeignKey(
        "training.TrainingClass",
        verbose_name=_("培训班"),
        on_delete=models.CASCADE,
        related_name="class_teachers",
    )
    teacher = models.ForeignKey(
        Teacher, verbose_name=_("教师"), on_delete=models.PROTECT, related_name="class_links"
    )

    class Meta:
        verbose_name = _("任课教师")
        verbose_name_plural = _("任课教师")
        constraints = [
            models.UniqueConstraint(
                fields=["training_class", "teacher"], name="class_teacher_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.training_class_id} · {self.teacher_id}"


class TeacherTraining(BaseModel):
    """A teacher's further training (进修): the plan sends key teachers to colleges in and
    outside the province (选送骨干教师到省内外职业院校脱产进修)."""

    teacher = models.ForeignKey(
        Teacher, verbose_name=_("教师"), on_delete=models.CASCADE, related_name="trainings"
    )
    course = models.CharField(_("进修课程"), max_length=128)
    provider = models.CharField(_("进修单位"), max_length=128)
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"))
    hours = models.PositiveSmallIntegerField(_("学时"))
    certificate = models.CharField(_("结业证书"), max_length=128, blank=True)

    class Meta:
        ordering = ("-start_date", "id")
        verbose_name = _("教师进修")
        verbose_name_plural = _("教师进修")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")),
                name="teacher_training_dates_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(hours__gt=0), name="teacher_training_hours_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.teacher} · {self.course}"
