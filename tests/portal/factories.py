"""Factories for the portal's own records; each app's tests add theirs beside their tests."""

import factory
from factory.django import DjangoModelFactory

from portal.models import Enterprise, Industry, Membership, Region, Role, User
from portal.uscc import make_uscc

PASSWORD = "Test-pass-2026"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.cn")
    full_name = factory.Sequence(lambda n: f"测试用户{n}")
    role = Role.ENTERPRISE
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class ReviewerFactory(UserFactory):
    role = Role.REVIEWER
    organisation = "湖北省计量测试技术研究院"


class OperatorFactory(UserFactory):
    role = Role.OPERATOR
    is_staff = True
    is_superuser = True


class PanelMemberFactory(UserFactory):
    role = Role.PANEL


class GovernmentViewerFactory(UserFactory):
    role = Role.GOVERNMENT
    region = Region.WUHAN


class EnterpriseFactory(DjangoModelFactory):
    class Meta:
        model = Enterprise

    name = factory.Sequence(lambda n: f"测试能源企业{n}有限公司")
    uscc = factory.Sequence(lambda n: make_uscc(f"91420100{n:08d}M"))
    region = Region.WUHAN
    industry = Industry.C31
    address = "湖北省武汉市青山区工业大道 1 号"
    legal_representative = "张三"
    contact_person = "李四"
    contact_phone = "027-86000000"
    contact_email = "energy@example.cn"
    # The registration state is protected; the approved trait writes it as a reviewer would.
    registration_status = "approved"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        status = kwargs.pop("registration_status")
        enterprise = super()._create(model_class, *args, **kwargs)
        if status != "pending":
            Enterprise.objects.filter(pk=enterprise.pk).update(registration_status=status)
            enterprise = Enterprise.objects.get(pk=enterprise.pk)
        return enterprise


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    enterprise = factory.SubFactory(EnterpriseFactory)
    is_admin = True


def member_of(enterprise, **kwargs) -> User:
    """A new enterprise user acting for `enterprise`."""
    return MembershipFactory(enterprise=enterprise, **kwargs).user
