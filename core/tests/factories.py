import factory
from django.contrib.auth.models import Group

from core.models import County, Department, User
from core.roles import Role

PASSWORD = "Test-pass-2013"


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"dept{n}")
    name = factory.Sequence(lambda n: f"测试单位{n}")
    short_name = factory.LazyAttribute(lambda o: o.name)
    kind = Department.Kind.RESPONSIBLE


class CountyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = County
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"county{n}")
    name = factory.Sequence(lambda n: f"测试县{n}")
    kind = County.Kind.COUNTY


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"用户{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if not create or not extracted:
            return
        for role in extracted:
            group, _ = Group.objects.get_or_create(name=Role(role).value)
            self.groups.add(group)
        self.save()
        # role_names is cached per instance; a fresh read sees the groups just added.
        self.__dict__.pop("role_names", None)


def user_with_role(role: Role, **kwargs) -> User:
    return UserFactory(roles=[role], **kwargs)
